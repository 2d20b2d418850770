"""Two-stage training (s2i_hf.trainers) on tiny models of all six families, on data `s2i build` made from real clips."""

from __future__ import annotations

import json
import math
import os
import re

import pytest
import torch
from conftest import accelerate_launch, ffmpeg, wait_for
from safetensors.torch import load_file

from s2i_hf.testing import FAMILY_INFO, TINY_FAMILIES, make_tiny_model
from s2i_hf.trainers import (
    FrameSampling,
    ModelPartsError,
    S2IModelConfig,
    S2IScriptArguments,
    S2IStage2Config,
    S2IStage2Trainer,
    S2ITrainConfig,
    S2IVideoCollator,
    find_model_parts,
    load_stage_data,
    run_training,
    stage_items,
)


FRAMES = 2
TEXT_ROW = {
    "video_id": "text-only",
    "video": None,
    "messages": [
        {"role": "user", "content": [{"type": "text", "text": "How noisy are videos from old phones?"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "Their noise is often poor."}]},
    ],
}


# the content folder of each clip of s2i_data
CONTENT = {
    "bikes": "bikes",
    "bigbuckbunny": "bunny",
    "carphone_pristine": "carphone",
    "carphone_distorted": "carphone",
}


def train_flags(base_dir: str, data: str, out, *extra: str, batch: int | None = None) -> list[str]:
    """The flags of an `s2i train` run here: the model, the data and the output folder; with ``batch``, 2 frames per
    video and ``batch`` rows per device step; then ``extra``."""
    flags = ["--model", base_dir, "--data", data, "--output_dir", str(out)]
    if batch is not None:
        flags += ["--num_frames", "2", "--per_device_train_batch_size", str(batch)]
    return [*flags, *extra]


@pytest.fixture(scope="module")
def s2i_data(tmp_path_factory, sample_clips) -> str:
    """stage1/stage2 configs built by `s2i build --content_from folder` from four 2 s real clips in three content
    folders (the two carphone versions share one; one video held out for the bench)."""
    from s2i_hf.cli import main

    d = tmp_path_factory.mktemp("train-data")
    clips = []
    for name in ("bikes", "bigbuckbunny", "carphone_pristine", "carphone_distorted"):
        os.makedirs(d / CONTENT[name], exist_ok=True)
        path = str(d / CONTENT[name] / f"{name}.mp4")
        ffmpeg(
            "-i",
            sample_clips[name],
            "-t",
            "2",
            "-vf",
            "scale=128:-2",
            "-pix_fmt",
            "yuv420p",
            "-c:v",
            "libx264",
            "-crf",
            "23",
            path,
        )
        clips.append(path)
    out = str(d / "s2i-train-data")
    flags = ["--output_dir", out, "--bench_size", "2", "--frames", "8", "--content_from", "folder", "--quiet"]
    assert main(["build", *clips, *flags]) == 0
    return out


def two_short_stages(out: str, **extra) -> S2ITrainConfig:
    """Both stages, 2 steps each of 2 rows at lr 1e-3, no checkpoints."""
    return S2ITrainConfig(
        output_dir=out,
        num_frames=FRAMES,
        per_device_train_batch_size=2,
        stage1_max_steps=2,
        stage2_max_steps=2,
        stage1_learning_rate=1e-3,
        stage2_learning_rate=1e-3,
        save_strategy="no",
        seed=0,
        **extra,
    )


def stage2_rows(data: str, n: int) -> list[dict]:
    """The first ``n`` Stage II training items (one conversation each, over its video's clip)."""
    return list(stage_items(load_stage_data(data, "stage2"), "stage2").select(range(n)))


def videos_decoded(monkeypatch, module, name: str) -> list:
    """The videos passed to ``module.name`` (a decoding function taking ``(video, sampling)``) from now on: the real
    function still runs, each call is recorded in the returned list."""
    real = getattr(module, name)
    calls = []

    def counting(video, sampling):
        calls.append(video)
        return real(video, sampling)

    monkeypatch.setattr(module, name, counting)
    return calls


def model_folder(tmp_path_factory, family: str) -> str:
    return make_tiny_model(family, tmp_path_factory.mktemp(family) / "model", seed=0)


def load(path):
    from transformers import AutoModelForImageTextToText

    return AutoModelForImageTextToText.from_pretrained(path).eval()


def assistant_texts(messages) -> list[str]:
    return [b["text"] for m in messages if m["role"] == "assistant" for b in m["content"] if b.get("type") == "text"]


# ------------------------------------------------------------------------------------------------ collator


@pytest.mark.parametrize("family", TINY_FAMILIES)
def test_collator_masks_assistant_text_in_mixed_batch(family, s2i_data, tmp_path_factory):
    from transformers import AutoProcessor

    folder = model_folder(tmp_path_factory, family)
    processor = AutoProcessor.from_pretrained(folder)
    rows = stage2_rows(s2i_data, 2)
    batch_rows = [rows[0], TEXT_ROW, rows[1]]  # videos and a text-only row share the batch
    batch = S2IVideoCollator(processor, FrameSampling(num_frames=FRAMES))(batch_rows)
    info = FAMILY_INFO[family]
    tok = processor.tokenizer
    assert batch["labels"].shape == batch["input_ids"].shape and batch["input_ids"].shape[0] == 3
    for i, row in enumerate(batch_rows):
        labels = batch["labels"][i]
        (answer,) = assistant_texts(row["messages"])
        assert tok.decode(labels[labels != -100]) == info.expected_assistant_text(answer)
        padding = batch["attention_mask"][i] == 0
        assert bool((labels[padding] == -100).all())
    # the model takes the batch (visual tensors of two videos joined, none for the text row)
    with torch.no_grad():
        loss = load(folder)(**batch).loss
    assert torch.isfinite(loss)


@pytest.mark.parametrize("family", TINY_FAMILIES)
def test_stage1_conversation_labels_every_assistant_turn(family, s2i_data, tmp_path_factory):
    """One Stage I row = one video's 15-turn conversation: the labels are exactly the 15 answers (each with the
    family's assistant prefix and end-of-turn token, as FAMILY_INFO documents its template) and nothing else."""
    from transformers import AutoProcessor

    processor = AutoProcessor.from_pretrained(model_folder(tmp_path_factory, family))
    rows = list(load_stage_data(s2i_data, "stage1"))
    batch = S2IVideoCollator(processor, FrameSampling(num_frames=FRAMES))(rows)
    info = FAMILY_INFO[family]
    for i, row in enumerate(rows):
        answers = assistant_texts(row["messages"])
        assert len(answers) == 15
        labels = batch["labels"][i]
        expected = "".join(info.expected_assistant_text(a) for a in answers)
        assert processor.tokenizer.decode(labels[labels != -100]) == expected
        # the video is in the first user turn only: one vision pass for the 15 answers
        blocks = [b for m in row["messages"] for b in m["content"] if b.get("type") == "video"]
        assert len(blocks) == 1 and row["messages"][0]["content"][0]["type"] == "video"


def test_stage2_items_share_their_videos_bytes(s2i_data):
    """Stage II items are an index over the per-video rows: each item is one conversation of its video, the clip's
    bytes are those of the video's row (read, not copied), and every conversation of every video is an item once."""
    rows = load_stage_data(s2i_data, "stage2")
    items = stage_items(rows, "stage2")
    expected = [(r["video_id"], c["messages"]) for r in rows for c in r["conversations"]]
    assert len(items) == len(expected) == sum(len(r["conversations"]) for r in rows)
    got = list(items)
    assert [(it["video_id"], it["messages"]) for it in got] == expected
    by_video = {r["video_id"]: r["video"]["bytes"] for r in rows}
    assert all(it["video"]["bytes"] == by_video[it["video_id"]] for it in got)
    assert items.data.nbytes == 16 * len(items)  # two int64 per item (row, conversation): no clip bytes


def test_frame_sampling_settings(s2i_data):
    row = load_stage_data(s2i_data, "stage1")[0]
    from s2i_hf.frames import sample_frames

    frames, md = sample_frames(row["video"], FrameSampling(num_frames=3, max_pixels=40 * 30))
    assert frames.shape[0] == 3 and frames.dtype == torch.uint8
    assert frames.shape[-1] * frames.shape[-2] <= 40 * 30 and md["frames_indices"] == sorted(md["frames_indices"])
    frames, md = sample_frames(row["video"], FrameSampling(num_frames=None, fps=2.0))
    assert frames.shape[0] == 4  # 2 s at 2 fps
    with pytest.raises(ValueError, match="exactly one of num_frames and fps"):
        FrameSampling(num_frames=4, fps=1.0)


def test_training_on_fragments_shows_the_mosaic_and_records_it_for_eval(s2i_data, tmp_path_factory):
    """--fragments: the sampler cuts each frame into the mosaic (the top-left fragment is the whole frame's pixels at
    the centre of the top-left cell), a run trains on it and records the setting, and eval finds it beside the
    trained model; so does --frame_span (the seconds the frames cover)."""
    from s2i_hf.cli import main
    from s2i_hf.eval_suite.tasks import frame_sampling_for
    from s2i_hf.frames import sample_frames

    row = load_stage_data(s2i_data, "stage1")[0]
    whole, _ = sample_frames(row["video"], FrameSampling(num_frames=2))
    mosaic, md = sample_frames(row["video"], FrameSampling(num_frames=2, fragments=2, fragment_size=16))
    assert mosaic.shape[-2:] == (32, 32) and (md["height"], md["width"]) == (32, 32)
    h, w = whole.shape[-2:]
    y0, x0 = round(h / 4 - 8), round(w / 4 - 8)  # the top-left cell's centre (a quarter), less half a fragment
    assert torch.equal(mosaic[:, :, :16, :16], whole[:, :, y0 : y0 + 16, x0 : x0 + 16])
    out = str(tmp_path_factory.mktemp("fragments") / "out")
    base_dir = model_folder(tmp_path_factory, "qwen2_5_vl")
    flags = train_flags(base_dir, s2i_data, out, "--stage", "1", "--stage1_max_steps", "1", batch=2)
    fragment_flags = ["--fragments", "2", "--fragment_size", "16", "--frame_span", "0.5"]
    assert main(["train", *flags, *fragment_flags, "--report_to", "none"]) == 0
    summary = json.load(open(os.path.join(out, "training_summary.json")))
    assert summary["frame_sampling"]["fragments"] == 2 and summary["frame_sampling"]["fragment_size"] == 16
    assert summary["frame_sampling"]["span"] == 0.5
    sampling, source = frame_sampling_for(os.path.join(out, "stage1"))
    assert (sampling["fragments"], sampling["fragment_size"], sampling["num_frames"], sampling["span"]) == (
        2,
        16,
        2,
        0.5,
    ), source


def test_collator_warns_when_the_processor_would_resample_the_fragments(s2i_data, tmp_path_factory, caplog):
    """A mosaic the model's processor resizes is no longer native resolution: the collator says so, naming the sizes
    and the fix; an aligned one (a multiple of the tiny Qwen's 16-px merged patch, inside its 64 x 64 budget)
    reaches the model pixel for pixel."""
    from transformers import AutoProcessor

    processor = AutoProcessor.from_pretrained(model_folder(tmp_path_factory, "qwen2_5_vl"))
    row = load_stage_data(s2i_data, "stage1")[0]
    with caplog.at_level("WARNING"):
        batch = S2IVideoCollator(processor, FrameSampling(num_frames=2, fragments=2, fragment_size=16))([row])
    assert "fragment mosaic" not in caplog.text
    assert batch["video_grid_thw"].tolist() == [[1, 32 // 8, 32 // 8]]  # 2 frames = 1 temporal patch; 8-px patches
    for fragments, size, seen in [(2, 28, "56 x 56"), (5, 16, "80 x 80")]:  # off the patch grid; over the budget
        caplog.clear()
        with caplog.at_level("WARNING"):
            S2IVideoCollator(processor, FrameSampling(num_frames=2, fragments=fragments, fragment_size=size))
        assert f"resizes the {seen} fragment mosaic" in caplog.text and "multiple of 16 px" in caplog.text


def test_bad_video_in_a_row_is_named(s2i_data, tmp_path_factory, caplog):
    from transformers import AutoProcessor

    from s2i_hf.video import VideoError

    processor = AutoProcessor.from_pretrained(model_folder(tmp_path_factory, "qwen2_5_vl"))
    good = load_stage_data(s2i_data, "stage1")[0]
    row = {**good, "video": {"bytes": b"not a video at all" * 50, "path": "broken.mp4"}}
    collator = S2IVideoCollator(processor, FrameSampling(num_frames=FRAMES))
    with pytest.raises(VideoError, match="broken.mp4"):
        collator([row])
    with caplog.at_level("WARNING"):
        batch = collator([row, good])  # the bad row is left out, named in a warning; the good one trains
    assert batch["input_ids"].shape[0] == 1 and "broken.mp4" in caplog.text


def test_render_cache_serves_later_epochs_without_decoding(s2i_data, tmp_path_factory, monkeypatch):
    """With ``cache_mb`` a row seen again is not decoded again, its batch is the same as without the cache, a
    batch the model changes in place does not reach the cache, and the budget bounds what is kept."""
    from transformers import AutoProcessor

    import s2i_hf.trainers.collator as collator_module

    processor = AutoProcessor.from_pretrained(model_folder(tmp_path_factory, "qwen2_5_vl"))
    rows = stage2_rows(s2i_data, 3)
    sampling = FrameSampling(num_frames=FRAMES)
    plain = S2IVideoCollator(processor, sampling)(rows)

    decoded = videos_decoded(monkeypatch, collator_module, "sample_frames")
    cached = S2IVideoCollator(processor, sampling, cache_mb=64)
    first = cached(rows)
    assert len(decoded) == 3
    for value in first.values():
        if isinstance(value, torch.Tensor):
            value.zero_()  # what a model could do to its inputs
    cached(list(reversed(rows)))
    assert len(decoded) == 3  # the second epoch came from the cache
    second = cached(rows)
    assert len(decoded) == 3 and plain.keys() == second.keys()
    for key, value in plain.items():
        assert torch.equal(torch.as_tensor(value), torch.as_tensor(second[key])), key

    # a budget of about one row keeps one row: asking again for an evicted row decodes it again
    one_row = cached.cache.nbytes / 3 / 2**20
    small = S2IVideoCollator(processor, sampling, cache_mb=one_row * 1.5)
    small(rows)
    assert len(small.cache) == 1 and small.cache.nbytes <= small.cache.max_bytes
    before = len(decoded)
    small(rows[:1])
    assert len(decoded) == before + 1


def test_fragment_jitter_decodes_once_and_cuts_new_fragments_each_epoch(s2i_data, tmp_path_factory, monkeypatch):
    """With fragment_jitter a video is decoded once for all its rows and epochs, yet a second epoch's pixels differ
    (other places inside the cells) while its tokens do not; a cached row's new pixels are exactly what a full
    render draws (a collator without a cache, same seed); a sampling without fragments ignores the option."""
    from transformers import AutoProcessor

    import s2i_hf.trainers.collator as collator_module

    processor = AutoProcessor.from_pretrained(model_folder(tmp_path_factory, "qwen2_5_vl"))
    rows = stage2_rows(s2i_data, 3)
    sampling = FrameSampling(num_frames=2, fragments=2, fragment_size=16)
    decoded = videos_decoded(monkeypatch, collator_module, "decode_sampled_frames")
    jitter = S2IVideoCollator(processor, sampling, cache_mb=64, fragment_jitter=True, seed=3)
    first, second = jitter(rows), jitter(rows)
    assert len(decoded) == len({r["video_id"] for r in rows})  # rows of one video share its decoded frames
    assert torch.equal(first["input_ids"], second["input_ids"])
    assert not torch.equal(first["pixel_values_videos"], second["pixel_values_videos"])
    uncached = S2IVideoCollator(processor, sampling, fragment_jitter=True, seed=3)
    for epoch in (first, second):
        full = uncached(rows)
        assert full.keys() == epoch.keys()
        for key, value in full.items():
            assert torch.equal(torch.as_tensor(value), torch.as_tensor(epoch[key])), key
    whole = S2IVideoCollator(processor, FrameSampling(num_frames=2), fragment_jitter=True)
    assert not whole.fragment_jitter
    assert torch.equal(whole(rows)["pixel_values_videos"], whole(rows)["pixel_values_videos"])


# ------------------------------------------------------------------------------------------------ model parts


def test_model_parts_fallback_and_clear_error(tmp_path_factory):
    from transformers import AutoModelForCausalLM, GPT2Config

    model = load(model_folder(tmp_path_factory, "llava_onevision"))
    known = find_model_parts(model)
    model.config.model_type = "some_new_vlm"  # not in the catalogue: transformers' accessors + common names
    found = find_model_parts(model)
    assert found.source == "fallback" and known.source == "catalog"
    assert found.names["vision"] == known.names["vision"] and found.names["language"] == known.names["language"]
    assert found.names["projector"] == known.names["projector"]
    text_only = AutoModelForCausalLM.from_config(GPT2Config(n_layer=1, n_embd=16, n_head=2, vocab_size=64))
    with pytest.raises(ModelPartsError, match="vision encoder") as err:
        find_model_parts(text_only)
    assert "projector" in str(err.value) and "gpt2" in str(err.value)


def test_lora_targets_must_exist_in_language_model(tmp_path_factory, s2i_data):
    from transformers import AutoProcessor

    folder = model_folder(tmp_path_factory, "qwen2_5_vl")
    cfg = S2IStage2Config(output_dir=str(tmp_path_factory.mktemp("x")), max_steps=1)
    with pytest.raises(ValueError, match="no module named qkv inside the language model"):  # qkv is a vision name
        S2IStage2Trainer(
            load(folder),
            cfg,
            stage_items(load_stage_data(s2i_data, "stage2"), "stage2"),
            AutoProcessor.from_pretrained(folder),
            model_args=S2IModelConfig(lora_target_modules=["qkv"]),
        )


def test_lora_options_are_trl_model_config(tmp_path_factory):
    """`s2i train` takes the model and LoRA options of TRL's ModelConfig (`--model` spells --model_name_or_path);
    Stage II's peft config is TRL's get_peft_config of them, its targets restricted to the language model."""
    from trl import ModelConfig, TrlParser

    from s2i_hf.trainers import lora_config_for

    parser = TrlParser((S2IScriptArguments, S2ITrainConfig, S2IModelConfig))
    folder = model_folder(tmp_path_factory, "qwen2_5_vl")
    _, config, model_args = parser.parse_args_and_config(
        [
            "--model",
            folder,
            "--data",
            "d",
            "--output_dir",
            "o",
            "--lora_r",
            "4",
            "--lora_alpha",
            "8",
            "--lora_target_modules",
            "q_proj",
            "v_proj",
            "--use_rslora",
            "true",
            "--lora_modules_to_save",
            "lm_head",
        ]
    )
    assert isinstance(model_args, ModelConfig) and model_args.model_name_or_path == folder
    model = load(folder)
    parts = find_model_parts(model)
    stage2 = config.stage_config(2, "unused")
    peft_config = lora_config_for(model, stage2, model_args)
    assert (peft_config.r, peft_config.lora_alpha, peft_config.use_rslora) == (4, 8, True)
    adapted = [n for n, _ in model.named_modules() if re.fullmatch(peft_config.target_modules, n)]
    assert adapted and all(n.startswith(parts.language_prefix + ".") for n in adapted)
    assert {n.rsplit(".", 1)[-1] for n in adapted} == {"q_proj", "v_proj"}
    saved = peft_config.modules_to_save
    assert saved[-1] == "lm_head" and set(parts.names["projector"]) <= set(saved)
    # one comma-separated string (a YAML file's spelling) names the same modules; a plain ModelConfig: the defaults
    comma = lora_config_for(model, stage2, S2IModelConfig(lora_target_modules="q_proj,v_proj"))
    assert comma.target_modules == peft_config.target_modules
    assert "gate_proj" in lora_config_for(model, stage2, ModelConfig(use_peft=True)).target_modules
    with pytest.raises(ValueError, match="use_peft"):
        lora_config_for(model, stage2, ModelConfig())


# ------------------------------------------------------------------------------------------------ both stages


def _gradient_receivers(model, processor, rows) -> set[str]:
    """Names of parameters that get a non-zero gradient from the answer loss on ``rows``."""
    batch = S2IVideoCollator(processor, FrameSampling(num_frames=FRAMES))(rows)
    model.train()
    model(**batch).loss.backward()
    out = {n for n, p in model.named_parameters() if p.grad is not None and bool(p.grad.abs().sum() > 0)}
    model.zero_grad()
    return out


@pytest.mark.parametrize("family", TINY_FAMILIES)
def test_two_stage_curriculum(family, s2i_data, tmp_path_factory):
    from peft import PeftModel
    from transformers import AutoProcessor

    base_dir = model_folder(tmp_path_factory, family)
    out = str(tmp_path_factory.mktemp(f"run-{family}"))
    config = two_short_stages(out)
    summary = run_training(S2IScriptArguments(data=s2i_data), config, S2IModelConfig(base_dir))

    # --- Stage I: language model and output layer untouched; vision/projector weights with gradients changed
    base, stage1 = load(base_dir), load(os.path.join(out, "stage1"))
    parts = find_model_parts(base)
    processor = AutoProcessor.from_pretrained(base_dir)
    receivers = _gradient_receivers(
        load(base_dir), processor, list(load_stage_data(s2i_data, "stage1").select(range(2)))
    )
    after = dict(stage1.named_parameters())
    for part in ("language", "lm_head"):
        for name, p in parts.params[part]:
            assert torch.equal(p, after[name]), f"{family}: Stage I changed {part} tensor {name}"
    trained = [n for part in ("vision", "projector") for n, _ in parts.params[part] if n in receivers]
    assert trained, f"{family}: no vision/projector tensor receives a gradient"
    unchanged = [n for n in trained if torch.equal(dict(base.named_parameters())[n], after[n])]
    assert not unchanged, f"{family}: tensors with gradients left unchanged by Stage I: {unchanged[:3]}"
    record = summary["stages"]["stage1"]
    assert record["trainable_parameters"]["language"] == 0 and record["trainable_parameters"]["lm_head"] == 0
    assert record["trainable_parameters"]["vision"] > 0 and record["trainable_parameters"]["projector"] > 0
    assert (
        record["steps"] == 2
        and len(record["losses"]) == 2
        and record["rows"] == len(load_stage_data(s2i_data, "stage1"))
    )

    # --- Stage II: LoRA only inside the language model; projector saved with the adapter
    adapter = load_file(os.path.join(out, "stage2", "adapter_model.safetensors"))
    lora_keys = [k for k in adapter if "lora_" in k]
    assert lora_keys
    language = parts.language_prefix
    assert all(k.startswith(f"base_model.model.{language}.") for k in lora_keys), [
        k for k in lora_keys if language not in k
    ][:3]
    projector_keys = [k for k in adapter if "lora_" not in k]
    assert projector_keys and all(any(p in k for p in parts.names["projector"]) for k in projector_keys)
    with open(os.path.join(out, "stage2", "adapter_config.json")) as fh:
        assert json.load(fh)["base_model_name_or_path"] == os.path.join(out, "stage1")  # Stage II builds on Stage I
    assert summary["stages"]["stage2"]["trainable_parameters"]["vision"] == 0
    assert summary["stages"]["stage2"]["lora"]["r"] == 16
    # Stage II learned something: peft starts lora_B at zero, so a trained adapter has non-zero lora_B
    assert any(float(adapter[k].abs().max()) > 0 for k in lora_keys if "lora_B" in k), f"{family}: lora_B still zero"

    # --- merged == base + adapter, and everything reloads with the Auto classes
    adapted = PeftModel.from_pretrained(load(os.path.join(out, "stage1")), os.path.join(out, "stage2")).eval()
    merged = load(os.path.join(out, "merged"))
    assert type(merged).__name__ == type(base).__name__
    batch = S2IVideoCollator(
        AutoProcessor.from_pretrained(os.path.join(out, "merged")), FrameSampling(num_frames=FRAMES)
    )(stage2_rows(s2i_data, 2))
    with torch.no_grad():
        a, m = adapted(**batch).logits, merged(**batch).logits
        s1 = stage1(**batch).logits
    assert torch.allclose(a, m, atol=1e-4), float((a - m).abs().max())
    assert float((m - s1).abs().max()) > 1e-4, f"{family}: the merged model answers as Stage I did (LoRA dropped?)"
    # the vision encoder (less a projector inside it, trained in Stage II) is Stage I's, weight for weight
    projector = {n for n, _ in parts.params["projector"]}
    merged_params, stage1_params = dict(merged.named_parameters()), dict(stage1.named_parameters())
    vision = [n for n, _ in parts.params["vision"] if n not in projector]
    assert vision and all(torch.equal(merged_params[n], stage1_params[n]) for n in vision), family
    assert set(summary["outputs"]) == {"stage1", "stage2", "merged"}
    with open(os.path.join(out, "training_summary.json")) as fh:
        assert json.load(fh) == summary


@pytest.mark.parametrize("family", ["qwen2_5_vl", "llava_onevision"])  # projector inside / beside the vision tower
def test_stage2_can_train_the_vision_encoder(family, s2i_data, tmp_path_factory):
    from peft import PeftModel

    base_dir = model_folder(tmp_path_factory, family)
    out = str(tmp_path_factory.mktemp(f"run-vision-{family}"))
    config = two_short_stages(out, train_vision=True)  # only Stage II runs (stage="2")
    summary = run_training(S2IScriptArguments(data=s2i_data, stage="2"), config, S2IModelConfig(base_dir))
    record = summary["stages"]["stage2"]
    assert record["lora"]["train_vision"] is True
    assert record["trainable_parameters"]["vision"] > 0 and record["trainable_parameters"]["projector"] > 0

    base, merged = load(base_dir), load(os.path.join(out, "merged"))
    parts = find_model_parts(base)
    adapter = load_file(os.path.join(out, "stage2", "adapter_model.safetensors"))
    assert all(k.startswith(f"base_model.model.{parts.language_prefix}.") for k in adapter if "lora_" in k)
    vision_prefix = parts.names["vision"][0]
    assert any(vision_prefix in k for k in adapter if "lora_" not in k)  # the encoder travels with the adapter
    before, after = dict(base.named_parameters()), dict(merged.named_parameters())
    changed = [n for n, _ in parts.params["vision"] if not torch.equal(before[n], after[n])]
    assert changed, f"{family}: Stage II with train_vision left the vision encoder as it was"
    adapted = PeftModel.from_pretrained(load(base_dir), os.path.join(out, "stage2")).eval()
    from transformers import AutoProcessor

    batch = S2IVideoCollator(AutoProcessor.from_pretrained(base_dir), FrameSampling(num_frames=FRAMES))(
        stage2_rows(s2i_data, 2)
    )
    with torch.no_grad():
        assert torch.allclose(adapted(**batch).logits, merged(**batch).logits, atol=1e-4)


def test_train_lm_head_trains_the_output_layer_in_both_stages(s2i_data, tmp_path_factory):
    """``train_lm_head``: Stage I trains the output layer beside the vision encoder (the language model still
    frozen); Stage II saves it with the adapter, and the merged model carries it."""
    base_dir = model_folder(tmp_path_factory, "qwen2_5_vl")
    out = str(tmp_path_factory.mktemp("run-lm-head"))
    config = two_short_stages(out, train_lm_head=True)
    summary = run_training(S2IScriptArguments(data=s2i_data), config, S2IModelConfig(base_dir))
    base, stage1, merged = load(base_dir), load(os.path.join(out, "stage1")), load(os.path.join(out, "merged"))
    parts = find_model_parts(base)
    before, after1, after2 = (dict(m.named_parameters()) for m in (base, stage1, merged))
    (head,) = [n for n, _ in parts.params["lm_head"]]
    assert not torch.equal(before[head], after1[head]), "Stage I left the output layer as it was"
    assert all(torch.equal(p, after1[n]) for n, p in parts.params["language"]), "Stage I changed the language model"
    assert not torch.equal(after1[head], after2[head]), "Stage II left the output layer as Stage I did"
    adapter = load_file(os.path.join(out, "stage2", "adapter_model.safetensors"))
    assert any("lm_head" in k for k in adapter)
    for stage in ("stage1", "stage2"):
        assert summary["stages"][stage]["trainable_parameters"]["lm_head"] == base.get_parameter(head).numel()


def test_stage2_can_keep_the_projector_of_stage1(s2i_data, tmp_path_factory):
    """``train_projector=False`` (the demo's Stage II): the adapter holds LoRA layers (and the output layer) only,
    and the merged model's projector is the one it started from, weight for weight, while its answers change."""
    base_dir = model_folder(tmp_path_factory, "qwen2_5_vl")
    out = str(tmp_path_factory.mktemp("run-keep-projector"))
    config = two_short_stages(out, train_projector=False, train_lm_head=True)  # only Stage II runs (stage="2")
    summary = run_training(S2IScriptArguments(data=s2i_data, stage="2"), config, S2IModelConfig(base_dir))
    record = summary["stages"]["stage2"]
    assert record["lora"]["train_projector"] is False and record["trainable_parameters"]["projector"] == 0
    base, merged = load(base_dir), load(os.path.join(out, "merged"))
    parts = find_model_parts(base)
    adapter = load_file(os.path.join(out, "stage2", "adapter_model.safetensors"))
    assert not [k for k in adapter if any(p in k for p in parts.names["projector"])]
    assert {k for k in adapter if "lora_" not in k} and all("lm_head" in k for k in adapter if "lora_" not in k)
    before, after = dict(base.named_parameters()), dict(merged.named_parameters())
    assert all(torch.equal(before[n], after[n]) for n, _ in parts.params["projector"])
    (head,) = [n for n, _ in parts.params["lm_head"]]
    assert not torch.equal(before[head], after[head]), "Stage II left the output layer as it was"


def test_label_smoothing_is_computed_over_the_answer_tokens(s2i_data, tmp_path_factory, recwarn):
    """``label_smoothing_factor``: the trainer's loss is (1 - e) * NLL + e * the mean over the vocabulary of
    -log p at every answer token (computed here from the logits by hand), without TRL's deprecated path."""
    from transformers import AutoProcessor

    from s2i_hf.trainers import S2IStage1Config, S2IStage1Trainer

    base_dir = model_folder(tmp_path_factory, "qwen2_5_vl")
    processor = AutoProcessor.from_pretrained(base_dir)
    rows = list(load_stage_data(s2i_data, "stage1").select(range(2)))
    batch = S2IVideoCollator(processor, FrameSampling(num_frames=FRAMES))(rows)
    eps = 0.2
    model = load(base_dir)
    trainer = S2IStage1Trainer(
        model,
        S2IStage1Config(
            output_dir=str(tmp_path_factory.mktemp("smooth")), num_frames=FRAMES, label_smoothing_factor=eps
        ),
        load_stage_data(s2i_data, "stage1"),
        processor,
    )
    assert trainer.args.label_smoothing_factor == eps
    assert not [w for w in recwarn if "label_smoothing_factor" in str(w.message)]
    with torch.no_grad():
        loss = float(trainer.compute_loss(model, dict(batch)))
        logits = model(**{k: v for k, v in batch.items() if k != "labels"}).logits[:, :-1].double()
    target = batch["labels"][:, 1:]
    keep = target != -100
    logp = logits - logits.exp().sum(-1, keepdim=True).log()
    nll = -logp[keep].gather(-1, target[keep][:, None]).squeeze(-1)
    expected = float(((1 - eps) * nll + eps * (-logp[keep].mean(-1))).mean())
    assert loss == pytest.approx(expected, rel=1e-4)
    assert float(nll.mean()) != pytest.approx(expected, rel=1e-3)  # smoothing changed the figure


def test_level_score_targets_train_each_rating_towards_its_score(s2i_data, tmp_path_factory):
    """``level_score_sigma``: at the level word of every rating turn of a stage1 conversation (the 14 dimensions
    and the overall), the loss is the cross-entropy against a Gaussian over the five level words around the score
    that turn states; every other answer token keeps the plain cross-entropy. Positions, words, scores and the
    loss are recomputed here from the rows, the tokenizer and the logits."""
    from transformers import AutoProcessor

    from s2i_hf.trainers import S2IStage1Config, S2IStage1Trainer

    base_dir = model_folder(tmp_path_factory, "qwen2_5_vl")
    processor = AutoProcessor.from_pretrained(base_dir)
    tok = processor.tokenizer
    data = load_stage_data(s2i_data, "stage1")
    rows = list(data.select(range(2)))
    sigma = 0.1
    model = load(base_dir)
    trainer = S2IStage1Trainer(
        model,
        S2IStage1Config(output_dir=str(tmp_path_factory.mktemp("levels")), num_frames=FRAMES, level_score_sigma=sigma),
        data,
        processor,
    )
    batch = trainer.data_collator(rows)
    words = ["bad", "poor", "fair", "good", "excellent"]  # anchors 0, .25, .5, .75, 1; cut-offs .2 .4 .6 .8
    word_ids = [tok(f" {w}", add_special_tokens=False)["input_ids"][0] for w in words]
    anchors = torch.tensor([0.0, 0.25, 0.5, 0.75, 1.0], dtype=torch.float64)
    targets = ~torch.isnan(batch["level_scores"])
    for i, row in enumerate(rows):
        turn_scores = [row["overall_score"] if d == "overall" else row["scores"][d] for d in row["dimensions"]]
        assert len(turn_scores) == 15
        assert batch["level_scores"][i][targets[i]].tolist() == pytest.approx(turn_scores)  # one per turn, in order
        expected_words = [words[min(4, int(s // 0.2))] for s in turn_scores]
        assert [tok.decode([int(t)]).strip() for t in batch["labels"][i][targets[i]]] == expected_words

    with torch.no_grad():
        loss = float(trainer.compute_loss(model, dict(batch)))
        logits = model(**{k: v for k, v in batch.items() if k not in ("labels", "level_scores")}).logits
    logp = torch.log_softmax(logits[:, :-1].double(), dim=-1)
    target, at = batch["labels"][:, 1:], targets[:, 1:]
    keep = target != -100
    plain = keep & ~at
    nll = -logp[plain].gather(-1, target[plain][:, None]).squeeze(-1)
    gauss = torch.exp(-((batch["level_scores"][:, 1:][at].double()[:, None] - anchors) ** 2) / (2 * sigma**2))
    q = gauss / gauss.sum(-1, keepdim=True)
    soft = -(q * logp[at][:, word_ids]).sum(-1)
    expected = float((nll.sum() + soft.sum()) / keep.sum())
    assert loss == pytest.approx(expected, rel=1e-4)
    hard = -logp[at].gather(-1, target[at][:, None]).squeeze(-1)
    assert float((soft - hard).abs().max()) > 1e-3  # the targets are not the answer's word alone
    with pytest.raises(ValueError, match="overall_score"):  # rows without the scores: say so, do not train blind
        S2IStage1Trainer(
            model,
            S2IStage1Config(output_dir=str(tmp_path_factory.mktemp("lv")), num_frames=FRAMES, level_score_sigma=sigma),
            data.remove_columns(["scores", "overall_score"]),
            processor,
        )


def _score_head_terms(trainer, model, batch):
    """(the trainer's loss on ``batch``, the answer tokens' cross-entropy recomputed from the logits, the score
    head's outputs on the mean of each row's visual tokens recomputed by the vision tower (float64))."""
    with torch.no_grad():
        loss = float(trainer.compute_loss(model, dict(batch)))
        inputs = {k: v for k, v in batch.items() if k not in ("labels", "row_scores")}
        logits = model(**inputs).logits
        videos = model.model.get_video_features(batch["pixel_values_videos"], batch["video_grid_thw"]).pooler_output
        predicted = trainer.score_head(torch.stack([v.mean(0) for v in videos])).squeeze(-1).double()
    target = batch["labels"][:, 1:]
    ce = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), target.reshape(-1))
    return loss, float(ce), predicted


def test_score_head_fits_the_overall_score_from_the_mean_visual_token(s2i_data, tmp_path_factory):
    """``score_head_weight``: Stage I's loss is the answer's cross-entropy plus the weight times the squared error of a
    linear head on the mean of each row's visual tokens against the row's overall score. The tokens are recomputed
    here by the vision tower (``get_video_features``), the cross-entropy from the logits; a run trains and saves a
    model with exactly the base model's weights' names (the head is not kept)."""
    from transformers import AutoProcessor

    from s2i_hf.cli import main
    from s2i_hf.trainers import S2IStage1Config, S2IStage1Trainer

    base_dir = model_folder(tmp_path_factory, "qwen2_5_vl")
    processor = AutoProcessor.from_pretrained(base_dir)
    data = load_stage_data(s2i_data, "stage1")
    rows = list(data.select(range(2)))
    model = load(base_dir)
    weight = 10.0
    config = S2IStage1Config(
        output_dir=str(tmp_path_factory.mktemp("head")), num_frames=FRAMES, score_head_weight=weight
    )
    trainer = S2IStage1Trainer(model, config, data, processor)
    batch = trainer.data_collator(rows)
    assert batch["row_scores"].tolist() == pytest.approx([r["overall_score"] for r in rows])
    loss, ce, predicted = _score_head_terms(trainer, model, batch)
    assert len(predicted) == 2
    mse = torch.mean((predicted - torch.tensor([r["overall_score"] for r in rows], dtype=torch.float64)) ** 2)
    assert loss == pytest.approx(ce + weight * float(mse), rel=1e-4)
    assert float(weight * mse) > 1e-4  # the head's term is in the figure
    with pytest.raises(ValueError, match="overall_score"):
        S2IStage1Trainer(model, config, data.remove_columns(["overall_score"]), processor)

    out = str(tmp_path_factory.mktemp("head-run") / "out")
    flags = train_flags(base_dir, s2i_data, out, "--stage", "1", "--stage1_max_steps", "2", batch=2)
    assert main(["train", *flags, "--score_head_weight", str(weight), "--report_to", "none"]) == 0
    assert sorted(load(os.path.join(out, "stage1")).state_dict()) == sorted(load(base_dir).state_dict())


def test_content_batch_sampler_draws_each_batch_from_one_content():
    """Every run of ``batch_size`` indices is one content's rows; each epoch visits every row (a content's last batch
    filled with more of its own rows); the order depends on the seed and the epoch only; rows without a content
    share batches."""
    from s2i_hf.trainers.content_batches import ContentBatchSampler

    contents = ["a"] * 5 + ["b"] * 8 + ["c"] * 3 + [None] * 4 + ["a"] * 2
    sampler = ContentBatchSampler(contents, batch_size=4, seed=3)
    # a: 7 rows -> 2 batches, b: 8 -> 2, c: 3 -> 1, None: 4 -> 1
    assert len(sampler) == 4 * (2 + 2 + 1 + 1)
    first = list(sampler)
    assert len(first) == len(sampler) and set(first) == set(range(len(contents)))
    for k in range(0, len(first), 4):
        assert len({contents[i] for i in first[k : k + 4]}) == 1, first[k : k + 4]
    second = list(sampler)
    assert second != first and set(second) == set(range(len(contents)))  # the next epoch, another order
    again = ContentBatchSampler(contents, batch_size=4, seed=3)
    again.set_epoch(0)
    assert list(again) == first
    other = ContentBatchSampler(contents, batch_size=4, seed=4)
    assert list(other) != first


def test_content_batches_fit_the_score_head_on_differences_within_a_content(s2i_data, tmp_path_factory):
    """``content_batches``: the build records each clip's content folder; Stage I's batches are one content's rows
    and the score head's term is the squared error of its deviations from the batch's mean against the scores'
    deviations from theirs, plus ``score_head_absolute_weight`` times the plain error (recomputed here from the
    vision tower's tokens); a CLI run trains with it; it refuses to run without the score head or the column."""
    from transformers import AutoProcessor

    from s2i_hf.cli import main
    from s2i_hf.trainers import S2IStage1Config, S2IStage1Trainer
    from s2i_hf.trainers.content_batches import ContentBatchSampler
    from s2i_hf.video import video_id_of

    data = load_stage_data(s2i_data, "stage1")
    folder = os.path.dirname(s2i_data)
    expected = {video_id_of(os.path.join(folder, CONTENT[n], f"{n}.mp4")): CONTENT[n] for n in CONTENT}
    assert {r["video_id"]: r["content_id"] for r in data.remove_columns("video")} == {
        v: expected[v] for v in data["video_id"]
    }
    base_dir = model_folder(tmp_path_factory, "qwen2_5_vl")
    processor = AutoProcessor.from_pretrained(base_dir)
    model = load(base_dir)
    weight, absolute = 10.0, 0.1
    config = S2IStage1Config(
        output_dir=str(tmp_path_factory.mktemp("content")),
        num_frames=FRAMES,
        score_head_weight=weight,
        content_batches=True,
        score_head_absolute_weight=absolute,
        per_device_train_batch_size=2,
    )
    trainer = S2IStage1Trainer(model, config, data, processor)
    sampler = trainer._get_train_sampler()
    assert isinstance(sampler, ContentBatchSampler)
    order = list(sampler)
    contents = data["content_id"]
    assert all(contents[order[k]] == contents[order[k + 1]] for k in range(0, len(order), 2))

    rows = list(data.select(range(2)))
    loss, ce, predicted = _score_head_terms(trainer, model, trainer.data_collator(rows))
    y = torch.tensor([r["overall_score"] for r in rows], dtype=torch.float64)
    relative = torch.mean(((predicted - predicted.mean()) - (y - y.mean())) ** 2)
    plain = torch.mean((predicted - y) ** 2)
    expected = ce + weight * float(relative + absolute * plain)
    assert loss == pytest.approx(expected, rel=1e-4)
    # the figure tells this loss from the plain score head's
    assert abs(expected - (ce + weight * float(plain))) > 1e-2 * expected

    with pytest.raises(ValueError, match="score_head_weight"):
        S2IStage1Trainer(model, S2IStage1Config(output_dir=config.output_dir, content_batches=True), data, processor)
    with pytest.raises(ValueError, match="content_from folder"):
        S2IStage1Trainer(model, config, data.remove_columns(["content_id"]), processor)

    out = str(tmp_path_factory.mktemp("content-run") / "out")
    flags = train_flags(base_dir, s2i_data, out, "--stage", "1", "--stage1_max_steps", "2", batch=2)
    assert main(["train", *flags, "--score_head_weight", str(weight), "--content_batches", "--report_to", "none"]) == 0
    assert os.path.isfile(os.path.join(out, "stage1", "model.safetensors"))


# ------------------------------------------------------------------------------------------------ CLI, resume


def test_cli_with_yaml_config_and_resume(s2i_data, tmp_path_factory):
    from s2i_hf.cli import main

    base_dir = model_folder(tmp_path_factory, "qwen2_5_vl")
    out = str(tmp_path_factory.mktemp("cli-run") / "out")
    config = tmp_path_factory.mktemp("cfg") / "train.yaml"
    config.write_text("num_frames: 2\nper_device_train_batch_size: 2\nsave_steps: 1\nstage1_max_steps: 2\nlora_r: 4\n")
    args = ["train", *train_flags(base_dir, s2i_data, out, "--config", str(config), "--stage", "1")]
    threads = torch.get_num_threads()
    try:
        assert main([*args, "--threads", "1"]) == 0
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(threads)
    summary = json.load(open(os.path.join(out, "training_summary.json")))
    assert summary["frame_sampling"]["num_frames"] == 2 and summary["stages"]["stage1"]["steps"] == 2
    assert os.path.isdir(os.path.join(out, "checkpoints", "stage1", "checkpoint-2"))

    # a longer Stage I after an interruption: resumes from checkpoint-2 instead of starting over. A marker put
    # into the checkpoint's log shows that steps 1-2 come from the checkpoint, not from a fresh run.
    import shutil

    shutil.rmtree(os.path.join(out, "stage1"))
    state_file = os.path.join(out, "checkpoints", "stage1", "checkpoint-2", "trainer_state.json")
    state = json.load(open(state_file))
    next(e for e in state["log_history"] if e.get("step") == 1 and "loss" in e)["loss"] = 123.0
    json.dump(state, open(state_file, "w"))
    assert main([*args, "--stage1_max_steps", "3"]) == 0
    summary = json.load(open(os.path.join(out, "training_summary.json")))
    losses = summary["stages"]["stage1"]["losses"]
    assert [s for s, _ in losses] == [1, 2, 3] and losses[0][1] == 123.0
    assert summary["stages"]["stage1"]["steps"] == 3

    # Stage II alone starts from OUT/stage1, with the YAML's LoRA rank
    stage2 = ("--stage", "2", "--stage2_max_steps", "1", "--save_strategy", "no")
    assert main(["train", *train_flags(base_dir, s2i_data, out, "--config", str(config), *stage2)]) == 0
    summary = json.load(open(os.path.join(out, "training_summary.json")))
    assert summary["stages"]["stage2"]["starts_from"] == "stage1" and summary["stages"]["stage2"]["lora"]["r"] == 4
    assert os.path.isfile(os.path.join(out, "merged", "model.safetensors"))
    # completed stages are not run again
    assert main(["train", *train_flags(base_dir, s2i_data, out, "--config", str(config))]) == 0
    assert json.load(open(os.path.join(out, "training_summary.json")))["stages"] == summary["stages"]


def _kill_when(proc, condition, what: str) -> None:
    """SIGKILL ``proc`` as soon as ``condition()`` holds (fails if it ends or times out first)."""
    import signal

    wait_for(condition, proc, what, timeout=300.0, interval=0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def test_train_killed_in_each_stage_resumes_to_the_same_layout(s2i_data, tmp_path_factory):
    """SIGKILL during `s2i train` mid-Stage I and again mid-Stage II; the same command then resumes each time from
    the last checkpoint and ends with the full layout and a loss history with one entry per step, no gaps."""
    import subprocess
    import sys

    from s2i_hf.cli import main

    base_dir = model_folder(tmp_path_factory, "qwen2_5_vl")
    out = tmp_path_factory.mktemp("killed-train") / "out"
    steps = 5
    argv = [
        "train",
        *train_flags(base_dir, s2i_data, out, batch=2),
        "--save_steps",
        "1",
        "--save_total_limit",
        "2",
        "--lora_r",
        "4",
        "--stage1_max_steps",
        str(steps),
        "--stage2_max_steps",
        str(steps),
        "--threads",
        "1",
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}

    def launch():
        return subprocess.Popen(
            [sys.executable, "-m", "s2i_hf", *argv],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def has_checkpoint(stage: int, step: int):
        return lambda: os.path.isfile(
            out / "checkpoints" / f"stage{stage}" / f"checkpoint-{step}" / "trainer_state.json"
        )

    _kill_when(launch(), has_checkpoint(1, 2), "Stage I's second checkpoint")
    assert not (out / "stage1" / "config.json").exists()  # killed mid-Stage I
    _kill_when(launch(), has_checkpoint(2, 2), "Stage II's second checkpoint")
    summary = json.load(open(out / "training_summary.json"))
    assert summary["stages"]["stage1"]["completed"] and "stage2" not in summary["stages"]  # killed mid-Stage II
    threads = torch.get_num_threads()
    try:
        assert main(argv) == 0
    finally:
        torch.set_num_threads(threads)

    summary = json.load(open(out / "training_summary.json"))
    for stage in ("stage1", "stage2"):
        record = summary["stages"][stage]
        assert record["completed"] and record["steps"] == steps
        assert [s for s, _ in record["losses"]] == list(range(1, steps + 1)), record["losses"]
        assert all(math.isfinite(v) for _, v in record["losses"])
    for name in (
        "stage1/config.json",
        "stage1/model.safetensors",
        "stage2/adapter_config.json",
        "merged/model.safetensors",
    ):
        assert (out / name).is_file(), name
    merged = load(str(out / "merged"))
    assert sum(p.numel() for p in merged.parameters()) > 0


def test_cli_trains_from_a_streamed_dataset(s2i_data, tmp_path_factory):
    """`s2i train --streaming` reads the data as a stream (no Arrow copy) and trains both stages for max_steps."""
    from s2i_hf.cli import main

    base_dir = model_folder(tmp_path_factory, "qwen2_5_vl")
    out = str(tmp_path_factory.mktemp("stream-run") / "out")
    args = ["train", *train_flags(base_dir, s2i_data, out, "--save_strategy", "no", "--streaming", batch=2)]
    with pytest.raises(ValueError, match="--streaming needs --max_steps"):
        main(args)
    assert main([*args, "--stage1_max_steps", "2", "--stage2_max_steps", "3"]) == 0
    summary = json.load(open(os.path.join(out, "training_summary.json")))
    for name, steps in (("stage1", 2), ("stage2", 3)):
        record = summary["stages"][name]
        assert record["streaming"] is True and record["steps"] == steps and len(record["losses"]) == steps
        assert record["rows"] is None  # a stream has no length
    assert os.path.isfile(os.path.join(out, "merged", "model.safetensors"))


def test_cli_errors_are_clear(tmp_path, capsys):
    from s2i_hf.cli import main

    with pytest.raises(SystemExit):
        main(["train", "--model", "x"])
    assert "--data" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", *train_flags("x", "d", tmp_path, "--threads", "0")])
    assert "--threads must be >= 1" in capsys.readouterr().err
    with pytest.raises(FileNotFoundError, match="no stage1 data"):
        load_stage_data(str(tmp_path), "stage1")


# ------------------------------------------------------------------------------------------------ learning


def test_training_loss_falls(s2i_data, tmp_path_factory):
    """A few dozen steps on the stage1 rows: the answer template and its ratings are learnt."""
    from transformers import AutoProcessor

    folder = model_folder(tmp_path_factory, "qwen2_5_vl")
    data = load_stage_data(s2i_data, "stage1")
    cfg = S2IStage2Config(
        output_dir=str(tmp_path_factory.mktemp("learn")),
        num_frames=FRAMES,
        per_device_train_batch_size=4,
        max_steps=30,
        learning_rate=1e-2,
        lr_scheduler_type="constant",
        save_strategy="no",
        seed=0,
    )
    trainer = S2IStage2Trainer(load(folder), cfg, data, AutoProcessor.from_pretrained(folder))
    trainer.train()
    losses = [e["loss"] for e in trainer.state.log_history if "loss" in e]
    first, last = sum(losses[:3]) / 3, sum(losses[-3:]) / 3
    assert len(losses) == 30 and last < 0.6 * first, (first, last)  # measured: 6.8 -> 3.2


# ------------------------------------------------------------------------------------------------ multi-process


def test_ddp_with_accelerate_launch(s2i_data, tmp_path_factory):
    """`accelerate launch -m s2i_hf.trainers` with two processes: one DDP group (gloo on a CPU-only machine)."""
    import subprocess

    base_dir = model_folder(tmp_path_factory, "llava_onevision")  # LLaVA: unused trainable image_newline under DDP
    out = str(tmp_path_factory.mktemp("ddp") / "out")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    cmd = accelerate_launch(
        "s2i_hf.trainers",
        *train_flags(base_dir, s2i_data, out, batch=1),
        "--stage1_max_steps",
        "1",
        "--stage2_max_steps",
        "1",
        "--save_strategy",
        "no",
        "--disable_tqdm",
        "true",
    )
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = json.load(open(os.path.join(out, "training_summary.json")))
    assert {name: s["world_size"] for name, s in summary["stages"].items()} == {"stage1": 2, "stage2": 2}
    assert os.path.isfile(os.path.join(out, "merged", "model.safetensors"))
    assert proc.stdout.count("stage1:") == 1  # only the main process reports
