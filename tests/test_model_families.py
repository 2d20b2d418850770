"""The model-family catalogue (s2i_hf/catalog/model_families.yaml) and the tiny families' chat templates
(s2i_hf/catalog/chat_templates/*.jinja): the catalogue is consistent, and each template, rendered through the
family's real tiny tokenizer, puts its {% generation %} markers around exactly what the model has to say."""

from __future__ import annotations

from importlib.resources import files

import pytest

from s2i_hf.model_parts import catalog_entry, model_families
from s2i_hf.testing import CHAT_TEMPLATES, FAMILY_INFO, TINY_FAMILIES
from s2i_hf.testing.tokenization import build_tiny_tokenizer
from s2i_hf.trainers.assistant_spans import PROBE_CONVERSATION


def test_catalogue_is_consistent():
    import transformers

    catalogue = model_families()
    for model_type, entry in catalogue["families"].items():
        assert {"vision", "projector", "language"} <= set(entry["parts"]), model_type
        assert catalog_entry(model_type) is entry["parts"]
    assert catalog_entry("some_new_vlm") is None
    folder = files("s2i_hf.catalog").joinpath("chat_templates")
    shipped = {p.name for p in folder.iterdir() if p.name.endswith(".jinja")}
    assert shipped == {FAMILY_INFO[f].chat_template_file for f in TINY_FAMILIES}  # no template file left unused
    for family in TINY_FAMILIES:
        info = FAMILY_INFO[family]
        assert info.model_type == family and catalog_entry(family) is not None
        assert set(info.classes) == {"config", "model", "processor", "image_processor", "video_processor"}
        for role, name in info.classes.items():
            assert hasattr(transformers, name), f"{family}: {role} class {name} is not in transformers"
        assert set(info.config_token_ids.values()) <= set(info.tokenizer.named), family
        assert info.tokenizer.style in catalogue["tokenizer_styles"], family
        assert info.video_token in info.tokenizer.named.values(), family
        assert info.end_of_turn in info.tokenizer.special_tokens(), family
        assert CHAT_TEMPLATES[family] == info.chat_template and info.chat_template.endswith("\n")


def _runs(mask):
    """(start, end) of every run of ones in ``mask``."""
    runs, start = [], None
    for i, m in enumerate([*mask, 0]):
        if m and start is None:
            start = i
        elif not m and start is not None:
            runs.append((start, i))
            start = None
    return runs


@pytest.mark.parametrize("family", TINY_FAMILIES)
def test_generation_markers_cover_answer_and_end_of_turn(family):
    info = FAMILY_INFO[family]
    tokenizer = build_tiny_tokenizer(family, info.chat_template)
    out = tokenizer.apply_chat_template(
        PROBE_CONVERSATION, tokenize=True, return_dict=True, return_assistant_tokens_mask=True
    )
    ids, mask = list(out["input_ids"]), list(out["assistant_masks"])
    answers = [m["content"][0]["text"] for m in PROBE_CONVERSATION if m["role"] == "assistant"]
    spans = [tokenizer.decode(ids[a:b]) for a, b in _runs(mask)]
    assert spans == [info.expected_assistant_text(answer) for answer in answers]
    assert tokenizer.convert_ids_to_tokens(ids[_runs(mask)[-1][1] - 1]) == info.end_of_turn

    # the generation prompt is where the markers start: prompt + assistant text is a prefix of the whole rendering
    full = tokenizer.apply_chat_template(PROBE_CONVERSATION, tokenize=False)
    prompt = tokenizer.apply_chat_template(PROBE_CONVERSATION[:1], tokenize=False, add_generation_prompt=True)
    assert full.startswith(prompt + info.expected_assistant_text(answers[0]))
