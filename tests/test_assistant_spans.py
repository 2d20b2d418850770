"""Assistant-only labels without ``{% generation %}`` markers (trainers.assistant_spans): for each of the six tiny
families saved with a marker-less variant of its own template (one TRL does not know), the labels derived by
prefix renders equal the labels of the marked template token for token, single- and multi-turn, with and without a
video; an unsound (not prefix-preserving) template is refused; a marked template keeps its markers; `s2i train`
records the path taken."""

from __future__ import annotations

import json
import re

import pytest
import torch
from conftest import ffmpeg

from s2i_hf.testing import TINY_FAMILIES, make_tiny_model
from s2i_hf.trainers import FrameSampling, S2IVideoCollator


MARKERS = re.compile(r"\{%-?\s*(?:end)?generation\s*-?%\}")


def user(text, video=False):
    return {"role": "user", "content": ([{"type": "video"}] if video else []) + [{"type": "text", "text": text}]}


def assistant(text):
    return {"role": "assistant", "content": [{"type": "text", "text": text}]}


@pytest.fixture(scope="module")
def clip(tmp_path_factory, sample_clips):
    path = str(tmp_path_factory.mktemp("spans-clip") / "bikes.mp4")
    ffmpeg(
        "-i", sample_clips["bikes"], "-t", "1", "-vf", "scale=96:-2", "-pix_fmt", "yuv420p", "-c:v", "libx264", path
    )
    return path


def conversations(clip):
    """Single- and multi-turn, with and without the video (a 15-turn one as in stage1)."""
    ratings = [
        (f"How is the {d} of this video?", f"The {d} of this video is {w}.")
        for d, w in zip(
            ["sharpness", "noise", "exposure", "color", "composition"] * 3,
            ["good", "poor", "fair", "excellent", "bad"] * 3,
        )
    ]
    multi = []
    for i, (q, a) in enumerate(ratings):
        multi += [user(q, video=i == 0), assistant(a)]
    return {
        "single_text": {
            "video_id": "t1",
            "video": None,
            "messages": [user("Is it sharp?"), assistant("Yes, it is sharp.")],
        },
        "multi_text": {
            "video_id": "t2",
            "video": None,
            "messages": [user("Rate the noise."), assistant("Poor."), user("And the color?"), assistant("Good.")],
        },
        "single_video": {
            "video_id": "v1",
            "video": clip,
            "messages": [user("Rate the overall quality.", video=True), assistant("The quality is fair.")],
        },
        "multi_video": {"video_id": "v2", "video": clip, "messages": multi},
    }


def processors(tmp_path_factory, family):
    """The family's processor (marked template) and the same processor with its markers stripped."""
    from transformers import AutoProcessor

    folder = make_tiny_model(family, tmp_path_factory.mktemp(f"spans-{family}") / "model")
    marked = AutoProcessor.from_pretrained(folder)
    plain = AutoProcessor.from_pretrained(folder)
    plain.chat_template = MARKERS.sub("", marked.chat_template)
    assert plain.chat_template != marked.chat_template and not MARKERS.search(plain.chat_template)
    return marked, plain


@pytest.mark.parametrize("family", TINY_FAMILIES)
def test_derived_labels_equal_marked_labels(family, clip, tmp_path_factory):
    marked, plain = processors(tmp_path_factory, family)
    sampling = FrameSampling(num_frames=2)
    reference = S2IVideoCollator(marked, sampling)
    derived = S2IVideoCollator(plain, sampling)
    assert reference.label_source == "template_markers"
    assert derived.label_source == "derived_spans"  # TRL does not know the stripped template
    for name, row in conversations(clip).items():
        want, got = reference.render(row), derived.render(row)
        assert torch.equal(got["input_ids"], want["input_ids"]), (family, name)
        assert torch.equal(got["labels"], want["labels"]), (family, name)
        assert set(got) == set(want), (family, name)  # no offset mapping or replacement offsets left in the batch
        n_answers = sum(m["role"] == "assistant" for m in row["messages"])
        labelled = (got["labels"][0] != -100).int()
        assert int((labelled[1:] - labelled[:-1]).clamp(min=0).sum()) + int(labelled[0]) == n_answers, (family, name)
    batch = derived([*conversations(clip).values()])  # a mixed batch collates as with markers
    assert torch.equal(batch["labels"], reference([*conversations(clip).values()])["labels"])


def _rewrites_past_turns(template: str) -> str:
    """A template that writes earlier assistant turns differently from the last (like templates that drop the
    reasoning of past turns): not prefix-preserving."""
    return (
        "{%- for message in messages %}<|im_start|>{{ message['role'] }}\n"
        "{%- if message['content'] is string %}{{ message['content'] }}{%- else %}"
        "{%- for c in message['content'] %}{%- if 'text' in c %}{{ c['text'] }}{%- endif %}{%- endfor %}{%- endif %}"
        "{%- if message['role'] == 'assistant' and loop.last %} (final){%- endif %}<|im_end|>\n"
        "{%- endfor %}{%- if add_generation_prompt %}<|im_start|>assistant\n{%- endif %}"
    )


def test_unsound_template_is_refused_naming_model_reason_and_fix(tmp_path_factory):
    _, plain = processors(tmp_path_factory, "qwen2_5_vl")
    plain.chat_template = _rewrites_past_turns(plain.chat_template)
    with pytest.raises(ValueError) as err:
        S2IVideoCollator(plain, model_name="org/edited-vlm")
    message = str(err.value)
    assert message.startswith("org/edited-vlm: its chat template has no {% generation %} markers")
    assert "turns after assistant turn 1 change how it is rendered" in message
    assert "--chat_template_path" in message


def test_template_ignoring_the_generation_prompt_is_refused(tmp_path_factory):
    _, plain = processors(tmp_path_factory, "qwen3_vl")
    plain.chat_template = re.sub(
        r"\{%-?\s*if add_generation_prompt\s*%\}.*?\{%-?\s*endif\s*%\}", "", plain.chat_template, flags=re.S
    )
    with pytest.raises(ValueError, match="it ignores add_generation_prompt"):
        S2IVideoCollator(plain)


def test_chat_template_path_fixes_a_refused_template(tmp_path_factory, tmp_path):
    """The fix the refusal names: a .jinja with markers, given as --chat_template_path, is what trains."""
    from transformers import AutoModelForImageTextToText

    from s2i_hf.trainers import S2IStage2Config, S2IStage2Trainer

    marked, plain = processors(tmp_path_factory, "qwen2_5_vl")
    good = tmp_path / "marked.jinja"
    good.write_text(marked.chat_template)
    plain.chat_template = _rewrites_past_turns(plain.chat_template)
    model = AutoModelForImageTextToText.from_pretrained(marked.tokenizer.name_or_path)
    rows = [conversations(None)["single_text"]]
    import datasets

    cfg = S2IStage2Config(output_dir=str(tmp_path / "out"), max_steps=1, report_to=[], chat_template_path=str(good))
    trainer = S2IStage2Trainer(model, cfg, datasets.Dataset.from_list(rows), plain)
    assert trainer.data_collator.label_source == "template_markers"
    assert trainer.data_collator.chat_template == marked.chat_template


def test_training_records_the_label_path(tmp_path_factory, tmp_path, clip):
    """`run_training` on a model saved with a marker-less template: derived spans, recorded per stage."""
    import datasets

    from s2i_hf.data_layout import table_file, video_table_features
    from s2i_hf.trainers import S2IModelConfig, S2IScriptArguments, S2ITrainConfig, run_training

    marked, plain = processors(tmp_path_factory, "smolvlm")
    folder = tmp_path / "plain-model"
    plain.save_pretrained(folder)
    from transformers import AutoModelForImageTextToText

    AutoModelForImageTextToText.from_pretrained(marked.tokenizer.name_or_path).save_pretrained(folder)
    data = tmp_path / "data"
    features = video_table_features()
    multi = conversations(clip)["multi_video"]
    with open(clip, "rb") as fh:
        video = {"bytes": fh.read(), "path": "bikes.mp4"}
    row = {
        **dict.fromkeys(features),
        "video_id": "v2",
        "video": video,
        "split": "train",
        "questions": [],
        "messages": multi["messages"],
        "task": "rating",
        "dimensions": ["sharpness"] * 15,
        "conversations": [
            {
                "messages": conversations(clip)["single_video"]["messages"],
                "task": "what_how",
                "dimensions": ["overall"],
            }
        ],
    }
    path = data / table_file("train", 0, 1)
    path.parent.mkdir(parents=True)
    datasets.Dataset.from_list([row], features=features).to_parquet(str(path))
    (data / "README.md").write_text(
        "---\nconfigs:\n"
        + "".join(
            f"- config_name: {c}\n  data_files:\n  - split: train\n    path: videos/train-*.parquet\n"
            for c in ("stage1", "stage2")
        )
        + "---\n"
    )
    args = S2IScriptArguments(data=str(data))
    config = S2ITrainConfig(
        output_dir=str(tmp_path / "run"), num_frames=2, max_steps=1, report_to=[], save_strategy="no"
    )
    summary = run_training(args, config, S2IModelConfig(model_name_or_path=str(folder)))
    assert {s["assistant_labels"] for s in summary["stages"].values()} == {"derived_spans"}
    with open(tmp_path / "run" / "training_summary.json") as fh:
        assert json.load(fh)["stages"]["stage1"]["assistant_labels"] == "derived_spans"


@pytest.mark.parametrize("family", ["qwen2_5_vl", "qwen3_vl", "smolvlm"])
def test_a_hub_models_own_marker_less_template_trains_with_assistant_only_labels(family, clip, tmp_path_factory):
    """A tiny model saved with the Hub model's own template (the copy TRL ships, which has no markers): TRL's
    training version is used, and every labelled run of tokens is one answer with its end-of-turn token."""
    import os

    import trl
    from transformers import AutoModelForImageTextToText, AutoProcessor
    from trl.chat_template_utils import has_generation_markers

    marked, _ = processors(tmp_path_factory, family)
    with open(
        os.path.join(os.path.dirname(trl.__file__), "chat_templates", f"{family}.jinja"), encoding="utf-8"
    ) as fh:
        hub_template = fh.read()
    assert not has_generation_markers(hub_template)
    folder = tmp_path_factory.mktemp(f"hub-template-{family}")
    marked.chat_template = hub_template
    marked.save_pretrained(folder)
    processor = AutoProcessor.from_pretrained(folder)
    assert processor.chat_template == hub_template
    collator = S2IVideoCollator(processor, FrameSampling(num_frames=2))
    assert collator.label_source == "trl_training_template"
    tok = processor.tokenizer
    rows = conversations(clip)
    # the SmolVLM Hub template writes no placeholder for a video block (its processor then refuses the frames)
    names = ("multi_text",) if family == "smolvlm" else ("multi_text", "multi_video")
    for name in names:
        labels = collator.render(rows[name])["labels"][0]
        runs, current = [], []
        for token in labels.tolist():
            if token == -100:
                if current:
                    runs.append(current)
                current = []
            else:
                current.append(token)
        runs += [current] if current else []
        answers = [m["content"][0]["text"] for m in rows[name]["messages"] if m["role"] == "assistant"]
        assert len(runs) == len(answers), (family, name)
        for run, answer in zip(runs, answers):  # TRL's templates also label the newline after the end of turn
            assert tok.decode(run).strip() == f"{answer}{tok.eos_token}", (family, name)
    batch = collator([rows[names[-1]], rows["single_text"]])
    model = AutoModelForImageTextToText.from_pretrained(marked.tokenizer.name_or_path)
    loss = model(**batch).loss
    loss.backward()
    assert torch.isfinite(loss) and any(
        p.grad is not None and float(p.grad.abs().sum()) > 0 for p in model.parameters()
    )
