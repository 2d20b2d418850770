"""Tiny random video LMMs (s2i_hf.testing): built offline, reloaded with the Auto classes, fed a real clip."""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os

import pytest
import torch

from s2i_hf.testing import (
    FAMILY_INFO,
    TINY_FAMILIES,
    get_module,
    get_modules,
    get_parameters,
    make_tiny_model,
)


LEVEL_WORDS = ("bad", "poor", "fair", "good", "excellent")
QUESTION = "How is the sharpness of this video?"
ANSWER = "The sharpness is good."
NUM_FRAMES = 8

# processor class, tokenizer class, model class expected after AutoProcessor / AutoModelForImageTextToText
EXPECTED_CLASSES = {
    "qwen2_5_vl": (
        "Qwen2_5_VLProcessor",
        "Qwen2Tokenizer",
        "Qwen2VLVideoProcessor",
        "Qwen2_5_VLForConditionalGeneration",
    ),
    "qwen3_vl": ("Qwen3VLProcessor", "Qwen2Tokenizer", "Qwen3VLVideoProcessor", "Qwen3VLForConditionalGeneration"),
    "llava_onevision": (
        "LlavaOnevisionProcessor",
        "Qwen2Tokenizer",
        "LlavaOnevisionVideoProcessor",
        "LlavaOnevisionForConditionalGeneration",
    ),
    "llava_next_video": (
        "LlavaNextVideoProcessor",
        "TokenizersBackend",
        "LlavaNextVideoVideoProcessor",
        "LlavaNextVideoForConditionalGeneration",
    ),
    "smolvlm": ("SmolVLMProcessor", "TokenizersBackend", "SmolVLMVideoProcessor", "SmolVLMForConditionalGeneration"),
    "internvl": ("InternVLProcessor", "Qwen2Tokenizer", "InternVLVideoProcessor", "InternVLForConditionalGeneration"),
}

# Named special tokens each family's processor reads off its tokenizer.
NAMED_TOKENS = {
    "qwen2_5_vl": {
        "image_token": "<|image_pad|>",
        "video_token": "<|video_pad|>",
        "vision_start_token": "<|vision_start|>",
    },
    "qwen3_vl": {"image_token": "<|image_pad|>", "video_token": "<|video_pad|>", "vision_end_token": "<|vision_end|>"},
    "llava_onevision": {"image_token": "<image>", "video_token": "<video>"},
    "llava_next_video": {"image_token": "<image>", "video_token": "<video>"},
    "smolvlm": {"image_token": "<image>", "video_token": "<video>", "fake_image_token": "<fake_token_around_image>"},
    "internvl": {
        "start_image_token": "<img>",
        "end_image_token": "</img>",
        "context_image_token": "<IMG_CONTEXT>",
        "video_token": "<video>",
    },
}


def file_digest(folder: str, name: str) -> str:
    with open(os.path.join(folder, name), "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


@pytest.fixture(scope="module")
def clip(sample_clips):
    """8 frames of a real clip, decoded with torchcodec, plus their metadata."""
    from torchcodec.decoders import VideoDecoder

    decoder = VideoDecoder(sample_clips["carphone_pristine"])
    md = decoder.metadata
    total = md.num_frames
    indices = [round(i * (total - 1) / (NUM_FRAMES - 1)) for i in range(NUM_FRAMES)]
    frames = decoder.get_frames_at(indices=indices).data  # (T, C, H, W) uint8
    metadata = {
        "total_num_frames": total,
        "fps": md.average_fps,
        "duration": md.duration_seconds,
        "frames_indices": indices,
        "height": md.height,
        "width": md.width,
    }
    return frames, metadata


@pytest.fixture(scope="module", params=TINY_FAMILIES)
def tiny(request, tmp_path_factory):
    """(family, folder, processor, model): built into a temp folder and reloaded from it."""
    from transformers import AutoModelForImageTextToText, AutoProcessor

    family = request.param
    folder = make_tiny_model(family, tmp_path_factory.mktemp(family) / "model", seed=0)
    processor = AutoProcessor.from_pretrained(folder)
    model = AutoModelForImageTextToText.from_pretrained(folder)
    return family, folder, processor, model


def conversation(video_block: dict | None):
    user = [{"type": "text", "text": QUESTION}]
    if video_block is not None:
        user.insert(0, video_block)
    return [
        {"role": "user", "content": user},
        {"role": "assistant", "content": [{"type": "text", "text": ANSWER}]},
    ]


def render(family, processor, conv, processor_kwargs=None):
    extra = FAMILY_INFO[family].template_kwargs(processor)
    return processor.apply_chat_template(
        conv,
        tokenize=True,
        return_dict=True,
        return_assistant_tokens_mask=True,
        return_tensors="pt",
        processor_kwargs=dict(processor_kwargs or {}),
        **extra,
    )


def split_labels(out):
    mask = torch.as_tensor(out["assistant_masks"]).bool()
    labels = out["input_ids"].clone()
    labels[~mask] = -100
    inputs = {k: v for k, v in out.items() if k != "assistant_masks"}
    return inputs, labels, mask


# ------------------------------------------------------------------------------------------------------ tests


def test_families_and_info_agree():
    assert TINY_FAMILIES == ("qwen2_5_vl", "qwen3_vl", "llava_onevision", "llava_next_video", "smolvlm", "internvl")
    assert set(FAMILY_INFO) == set(TINY_FAMILIES)
    with pytest.raises(ValueError, match="unknown tiny model family"):
        make_tiny_model("llama_vision", "/nonexistent/never-written")


def test_folder_loads_with_auto_classes_and_is_small(tiny):
    family, folder, processor, model = tiny
    proc_cls, tok_cls, video_cls, model_cls = EXPECTED_CLASSES[family]
    assert type(processor).__name__ == proc_cls
    assert type(processor.tokenizer).__name__ == tok_cls
    assert type(processor.video_processor).__name__ == video_cls
    assert type(model).__name__ == model_cls
    assert model.config.model_type == FAMILY_INFO[family].model_type
    files = set(os.listdir(folder))
    assert {
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "chat_template.jinja",
    } <= files
    assert os.path.getsize(os.path.join(folder, "model.safetensors")) < 5 * 2**20
    with open(os.path.join(folder, "config.json")) as fh:
        assert "auto_map" not in json.load(fh)  # no remote code anywhere
    # the saved template is the one with generation markers
    assert "{%- generation %}" in processor.chat_template and "endgeneration" in processor.chat_template
    # embeddings cover the tokenizer
    assert model.get_input_embeddings().num_embeddings == len(processor.tokenizer)


def test_named_special_tokens_survive_reload(tiny):
    family, _, processor, model = tiny
    tok = processor.tokenizer
    for name, token in NAMED_TOKENS[family].items():
        assert getattr(tok, name) == token, name
        ids = tok.encode(token, add_special_tokens=False)
        assert ids == [tok.convert_tokens_to_ids(token)], f"{token} is split: {ids}"
    assert tok.convert_tokens_to_ids(FAMILY_INFO[family].end_of_turn) == model.generation_config.eos_token_id
    visual_id = tok.convert_tokens_to_ids(FAMILY_INFO[family].visual_token)
    assert visual_id in (getattr(model.config, "video_token_id", None), model.config.image_token_id)


def test_level_words_are_single_tokens_with_leading_space(tiny):
    family, _, processor, _ = tiny
    tok = processor.tokenizer
    ids = {}
    for word in LEVEL_WORDS:
        encoded = tok.encode(f" {word}", add_special_tokens=False)
        assert len(encoded) == 1, f"{family}: ' {word}' -> {tok.convert_ids_to_tokens(encoded)}"
        assert tok.decode(encoded) == f" {word}"
        ids[word] = encoded[0]
    assert len(set(ids.values())) == 5
    for text in (ANSWER, "The rating is excellent.", "Rate the quality: bad, poor, fair, good or excellent."):
        assert tok.decode(tok.encode(text, add_special_tokens=False)) == text


def test_video_conversation_trains(tiny, clip):
    family, _, processor, model = tiny
    info = FAMILY_INFO[family]
    frames, metadata = clip
    out = render(family, processor, conversation({"type": "video", "video": frames}), info.frames_kwargs(metadata))
    assert info.num_frames(out) == NUM_FRAMES
    visual_id = processor.tokenizer.convert_tokens_to_ids(info.visual_token)
    assert int((out["input_ids"] == visual_id).sum()) >= NUM_FRAMES  # placeholders expanded for every frame
    assert set(info.video_keys) <= set(out)
    inputs, labels, mask = split_labels(out)
    assert processor.tokenizer.decode(out["input_ids"][mask]) == info.expected_assistant_text(ANSWER)

    model = copy.deepcopy(model)  # the module-scoped model stays untrained for the other tests
    model.train()
    loss = model(**inputs, labels=labels).loss
    assert torch.isfinite(loss) and loss.item() > 0
    assert abs(loss.item() - math.log(len(processor.tokenizer))) < 2.0  # a random model: near-uniform guesses

    parts = get_parameters(model, family)  # vision (without Qwen's merger), projector, language, lm_head
    before = {part: [p.detach().clone() for p in params] for part, params in parts.items()}
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    loss.backward()
    # the answer's loss reaches every projector weight (LLaVA's image_newline only serves images)
    assert all(p.grad is not None for m in get_modules(model, family)["projector"] for p in m.parameters())
    optimizer.step()
    for part, params in parts.items():
        changed = any(not torch.equal(b, p) for b, p in zip(before[part], params))
        assert changed, f"{family}: one optimizer step left the {part} unchanged (no gradient through the video?)"
    with torch.no_grad():
        assert model(**inputs, labels=labels).loss.item() < loss.item()  # the step learnt something


def test_video_file_sampled_by_processor(tiny, sample_clips):
    family, _, processor, model = tiny
    info = FAMILY_INFO[family]
    conv = conversation({"type": "video", "path": sample_clips["bikes"]})
    out = render(family, processor, conv, info.sampling_kwargs(num_frames=4))
    assert info.num_frames(out) == 4
    # the saved defaults sample a few small frames by themselves
    out = render(family, processor, conv)
    assert 2 <= info.num_frames(out) <= 8
    inputs, labels, mask = split_labels(out)
    assert processor.tokenizer.decode(out["input_ids"][mask]) == info.expected_assistant_text(ANSWER)
    with torch.no_grad():
        assert torch.isfinite(model(**inputs, labels=labels).loss)


def test_video_sampled_by_fps(tiny, sample_clips):
    family, _, processor, _ = tiny
    info = FAMILY_INFO[family]
    conv = conversation({"type": "video", "path": sample_clips["bikes"]})  # 10 s at 25 fps
    saved = processor.video_processor.num_frames
    if info.conflicting_default == "num_frames":
        # the saved num_frames wins over an fps given at call time (what FAMILY_INFO warns about) ...
        assert info.num_frames(render(family, processor, conv, info.sampling_kwargs(fps=0.4))) == saved
        processor.video_processor.num_frames = None  # ... until it is cleared
    try:
        out = render(family, processor, conv, info.sampling_kwargs(fps=0.4))
    finally:
        processor.video_processor.num_frames = saved
    assert info.num_frames(out) == 4  # 0.4 fps over 10 s


def test_text_only_conversation(tiny):
    family, _, processor, model = tiny
    info = FAMILY_INFO[family]
    text = processor.apply_chat_template(conversation(None), **info.template_kwargs(processor))
    assert QUESTION in text and ANSWER + info.end_of_turn in text
    out = render(family, processor, conversation(None))
    inputs, labels, mask = split_labels(out)
    assert processor.tokenizer.decode(out["input_ids"][mask]) == info.expected_assistant_text(ANSWER)
    with torch.no_grad():
        loss = model(**inputs, labels=labels).loss
    assert torch.isfinite(loss)
    # the generation prompt is where the assistant answer starts
    prompt = processor.apply_chat_template(
        conversation(None)[:1],
        add_generation_prompt=True,
        **info.template_kwargs(processor),
    )
    assert text.startswith(prompt) and text[len(prompt) :].startswith(info.expected_assistant_text(ANSWER))


def test_module_paths_match_transformers_accessors(tiny):
    family, _, _, model = tiny
    info = FAMILY_INFO[family]
    assert get_module(model, info.language) is model.get_decoder()
    assert get_module(model, info.vision) is model.get_encoder(modality="image")
    modules = get_modules(model, family)
    assert all(isinstance(m, torch.nn.Module) for ms in modules.values() for m in ms)
    parts = get_parameters(model, family)
    ids = {part: [id(p) for p in params] for part, params in parts.items()}
    assert all(ids.values()), {part: len(v) for part, v in ids.items()}
    everything = [id(p) for p in model.parameters()]
    assert sorted(i for part in ids.values() for i in part) == sorted(everything)  # each parameter in exactly one part
    if family.startswith("qwen"):  # the mergers live inside the vision tower but are the projector
        inside = {id(p) for p in modules["vision"][0].parameters()}
        assert set(ids["projector"]) < inside


def test_image_conversation_forwards(tiny, clip):
    family, _, processor, model = tiny
    info = FAMILY_INFO[family]
    frames, _ = clip
    conv = conversation({"type": "image", "image": frames[0]})
    out = render(family, processor, conv)
    inputs, labels, mask = split_labels(out)
    assert processor.tokenizer.decode(out["input_ids"][mask]) == info.expected_assistant_text(ANSWER)
    assert "pixel_values" in out
    with torch.no_grad():
        assert torch.isfinite(model(**inputs, labels=labels).loss)


def test_padded_batch_of_two_videos(tiny, clip):
    family, _, processor, model = tiny
    info = FAMILY_INFO[family]
    frames, metadata = clip
    answers = ["The noise is bad.", "Excellent."]
    convs = []
    for question, answer in zip([QUESTION, "Rate the quality of this video in detail, please."], answers):
        conv = conversation({"type": "video", "video": frames})
        conv[0]["content"][1]["text"] = question
        conv[1]["content"][0]["text"] = answer
        convs.append(conv)
    kwargs = info.frames_kwargs()
    kwargs["video_metadata"] = [dict(metadata), dict(metadata)]
    kwargs["padding"] = True
    out = render(family, processor, convs, kwargs)
    inputs, labels, mask = split_labels(out)
    assert out["input_ids"].shape[0] == 2 and int(out["attention_mask"].sum(-1).min()) < out["input_ids"].shape[1]
    for row, answer in enumerate(answers):
        assert processor.tokenizer.decode(out["input_ids"][row][mask[row]]) == info.expected_assistant_text(answer)
        assert not (mask[row] & (out["attention_mask"][row] == 0)).any()
    with torch.no_grad():
        assert torch.isfinite(model(**inputs, labels=labels).loss)


@pytest.mark.parametrize("family", TINY_FAMILIES)
def test_deterministic_for_a_seed(family, tmp_path):
    a = make_tiny_model(family, tmp_path / "a", seed=0)
    b = make_tiny_model(family, tmp_path / "b", seed=0)
    c = make_tiny_model(family, tmp_path / "c", seed=1)
    for name in ("model.safetensors", "tokenizer.json", "config.json", "chat_template.jinja"):
        assert file_digest(a, name) == file_digest(b, name), name
    assert file_digest(a, "model.safetensors") != file_digest(c, "model.safetensors")
    assert file_digest(a, "tokenizer.json") == file_digest(c, "tokenizer.json")


def test_generates_after_the_generation_prompt(tiny, sample_clips):
    family, _, processor, model = tiny
    info = FAMILY_INFO[family]
    conv = conversation({"type": "video", "path": sample_clips["carphone_distorted"]})[:1]
    out = processor.apply_chat_template(
        conv,
        add_generation_prompt=True,
        tokenize=True,
        return_dict=True,
        return_tensors="pt",
        processor_kwargs=info.sampling_kwargs(num_frames=4),
        **info.template_kwargs(processor),
    )
    with torch.no_grad():
        generated = model.generate(**out, max_new_tokens=3, do_sample=False)
    assert generated.shape[0] == 1 and out["input_ids"].shape[1] < generated.shape[1] <= out["input_ids"].shape[1] + 3
    assert torch.equal(generated[0, : out["input_ids"].shape[1]], out["input_ids"][0])


@pytest.mark.parametrize("family", ["qwen2_5_vl", "qwen3_vl"])
def test_pixel_budget_sets_how_many_patches_a_frame_gives(family, tmp_path):
    """``make_tiny_model(max_pixels=...)``: a 480 x 272 frame is resized to at most that many pixels (aspect kept,
    sides multiples of the patch x merge size), so 4x the budget gives ~4x the patches; other families refuse."""
    import numpy as np
    from transformers import AutoProcessor

    frame = np.zeros((272, 480, 3), dtype=np.uint8)
    patches = {}
    for budget in (64 * 64, 128 * 128):
        processor = AutoProcessor.from_pretrained(make_tiny_model(family, tmp_path / str(budget), max_pixels=budget))
        grid = processor.image_processor(images=[frame], return_tensors="pt")["image_grid_thw"][0]
        patch = processor.image_processor.patch_size
        h, w = int(grid[1]) * patch, int(grid[2]) * patch
        assert h * w <= budget and h * w >= 0.5 * budget, (budget, h, w)
        assert abs(w / h - 480 / 272) < 0.35
        patches[budget] = int(grid.prod())
    assert 3 <= patches[128 * 128] / patches[64 * 64] <= 5
    with pytest.raises(ValueError, match="by area"):
        make_tiny_model("smolvlm", tmp_path / "smol", max_pixels=128 * 128)


@pytest.mark.parametrize("family", TINY_FAMILIES)
def test_zero_query_makes_the_language_models_attention_even(family, tmp_path):
    """``zero_query``: the language model's query projections are zero, so each of its attention layers weighs
    every earlier token alike (row i of the causal map is 1 / (i + 1)); every other weight is the seed's own."""
    from transformers import AutoModelForImageTextToText, AutoTokenizer

    plain = AutoModelForImageTextToText.from_pretrained(make_tiny_model(family, tmp_path / "plain", seed=3))
    folder = make_tiny_model(family, tmp_path / "even", seed=3, zero_query=True)
    model = AutoModelForImageTextToText.from_pretrained(folder, attn_implementation="eager").eval()
    before, after = plain.state_dict(), model.state_dict()
    zeroed = sorted(k for k in after if not torch.equal(after[k], before[k]))
    assert zeroed and all(".q_proj." in k and not after[k].any() for k in zeroed)
    assert len({k.rsplit(".q_proj.", 1)[0] for k in zeroed}) == 2  # both language layers, nothing in the tower
    ids = AutoTokenizer.from_pretrained(folder)("How would you rate the overall quality of this video?")["input_ids"]
    with torch.no_grad():
        attentions = model(input_ids=torch.tensor([ids]), output_attentions=True).attentions
    n = len(ids)
    even = torch.tril(torch.ones(n, n)) / torch.arange(1, n + 1)[:, None]
    assert len(attentions) == 2
    for layer in attentions:
        assert torch.allclose(layer[0].float(), even.expand_as(layer[0]), atol=1e-6)
