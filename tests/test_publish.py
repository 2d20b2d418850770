"""Publishing end to end against the in-memory Hub (s2i_hf.testing.HubServer on 127.0.0.1): `s2i push dataset`
then load_dataset(REPO, "stage1"); `s2i push model` then from_pretrained(REPO) (merged and adapter layouts);
`s2i push results` then valid .eval_results entries and a model-index equal to the results files; dry runs
write exactly the uploaded files; cards render fully, their YAML parses, their numbers equal the artifacts'.
Real `s2i train` outputs (both stages on a tiny model, with and without --train_vision) are pushed and loaded back:
the Hub serves the run's own weights tensor for tensor and the card states the run's training_summary.json."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
import yaml

from s2i_hf.artifacts import EvalRecord
from s2i_hf.cli import main as s2i
from s2i_hf.data_layout import CONFIG_COLUMNS, CONFIG_SPLIT
from s2i_hf.testing import HubServer


TOKEN = "hf_s2iTestTokenThatMustNeverBePrinted"
FAMILY = "qwen2_5_vl"
PLACEHOLDERS = ("{{", "}}", "{%", "%}", "More Information Needed", "[TODO", "None |", "| None")


# --- fixtures -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """The test Hub, the HF stack pointed at it (online, no Xet, own cache) and a token in HF_TOKEN."""
    cache = str(tmp_path_factory.mktemp("hub-cache"))
    with pytest.MonkeyPatch.context() as mp, HubServer() as server, server.activate(cache_dir=cache):
        mp.setenv("HF_TOKEN", TOKEN)
        yield server
    assert not server.unhandled, f"requests the test hub could not answer: {server.unhandled}"


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory, sample_clips):
    """A small built S2I folder (3 real clips, 1 s each)."""
    from conftest import build_with_card

    from s2i_hf.dataset_builder import BuildArguments

    clips = tmp_path_factory.mktemp("pub-clips")
    paths = []
    for name in ("bikes", "bigbuckbunny", "carphone_pristine", "carphone_distorted"):
        path = str(clips / f"{name}.mp4")
        subprocess.run(
            [
                "ffmpeg",
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                "-i",
                sample_clips[name],
                "-t",
                "1",
                "-vf",
                "scale=160:-2",
                "-pix_fmt",
                "yuv420p",
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                path,
            ],
            check=True,
        )
        paths.append(path)
    out = str(
        tmp_path_factory.mktemp("pub-build") / "s2i-pub"
    )  # a base name of its own: datasets 5.2 caches local folders by base name
    build_with_card(
        paths,
        BuildArguments(output_dir=out, seed=3, frames=8, window=4, bench_size=2, bench_fraction=0.25, quiet=True),
    )
    return out


def _summary_stage(rows, steps, lr, trainable, total, output_dir, **extra):
    losses = [[s, round(5.0 - 0.1 * s, 4)] for s in range(1, steps + 1)]
    return {
        "rows": rows,
        "steps": steps,
        "epochs": 1.0,
        "train_loss": round(sum(l for _, l in losses) / steps, 4),
        "losses": losses,
        "learning_rate": lr,
        "per_device_train_batch_size": 2,
        "gradient_accumulation_steps": 1,
        "trainable_parameters": trainable,
        "total_parameters": total,
        "output_dir": output_dir,
        **extra,
    }


@pytest.fixture(scope="module")
def training_output(tmp_path_factory):
    """The `s2i train` output contract built directly with peft on a tiny model: stage1/ (full model),
    stage2/ (LoRA adapter), merged/, training_summary.json."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForImageTextToText, AutoProcessor

    from s2i_hf.testing import get_parameters, make_tiny_model

    root = tmp_path_factory.mktemp("train")
    base = make_tiny_model(FAMILY, str(root / "base"))
    out = root / "out"
    processor = AutoProcessor.from_pretrained(base)
    model = AutoModelForImageTextToText.from_pretrained(base)
    parts = get_parameters(model, FAMILY)
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():  # "Stage I": only vision + projector move
        for p in parts["vision"] + parts["projector"]:
            p.add_(0.02 * torch.randn(p.shape, generator=gen))
    model.save_pretrained(out / "stage1")
    processor.save_pretrained(out / "stage1")
    target = r".*language_model.*\.(q_proj|v_proj)"
    peft_model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, lora_dropout=0.05, target_modules=target))
    with torch.no_grad():  # "Stage II": a LoRA that changes the outputs
        for name, p in peft_model.named_parameters():
            if "lora_B" in name:
                p.copy_(0.05 * torch.randn(p.shape, generator=gen))
    lora_trainable = sum(p.numel() for n, p in peft_model.named_parameters() if "lora_" in n)
    peft_model.save_pretrained(out / "stage2")
    processor.save_pretrained(out / "stage2")
    merged = peft_model.merge_and_unload()
    merged.save_pretrained(out / "merged")
    processor.save_pretrained(out / "merged")
    sizes = {k: sum(p.numel() for p in v) for k, v in get_parameters(merged, FAMILY).items()}
    total = sum(sizes.values())
    summary = {
        "base_model": base,
        "family": FAMILY,
        "data": "tester/s2i-data",
        "frame_sampling": {"num_frames": 8, "fps": None, "max_pixels": None},
        "stages": {
            "stage1": _summary_stage(
                84,
                20,
                1e-4,
                {"vision": sizes["vision"], "projector": sizes["projector"], "language": 0, "lm_head": 0},
                total,
                "stage1",
            ),
            "stage2": _summary_stage(
                96,
                12,
                2e-4,
                {"vision": 0, "projector": sizes["projector"], "language": lora_trainable, "lm_head": 0},
                total + lora_trainable,
                "stage2",
                items=768,
                lora={"r": 4, "alpha": 8, "dropout": 0.05, "target_modules": target},
            ),
        },
        "outputs": {"stage1": "stage1", "stage2": "stage2", "merged": "merged"},
        "package_version": "0.1.0.dev0",
        "timestamp": "2026-12-01T12:00:00+00:00",
    }
    (out / "training_summary.json").write_text(json.dumps(summary, indent=2))
    return str(out)


@pytest.fixture(scope="module")
def results_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("results")
    tuned = [
        EvalRecord(
            model_id="tester/s2i-model",
            dataset="konvid_1k",
            task="vqa",
            n=1200,
            split="test",
            metrics={"srcc": 0.7312, "plcc": 0.7455, "krcc": 0.5401, "rmse": 0.4123},
            settings={"num_frames": 8},
        ),
        EvalRecord(
            model_id="tester/s2i-model",
            dataset="s2i_bench",
            task="s2i_bench",
            n=2,
            split="test",
            dataset_hub_id="tester/s2i-data",
            metrics={"ci": 3.1, "cu": 2.5, "do": 2.25, "tu": 2.0},
            judge={"id": "judge-x", "prompt_hash": "abc", "parse_failures": 0, "parse_failure_rate": 0.0},
        ),
    ]
    baseline = [
        EvalRecord(
            model_id="org/base-model",
            dataset="konvid_1k",
            task="vqa",
            n=1200,
            metrics={"srcc": 0.392, "plcc": 0.394, "krcc": 0.27, "rmse": 0.61},
        ),
        EvalRecord(
            model_id="org/base-model",
            dataset="s2i_bench",
            task="s2i_bench",
            n=2,
            dataset_hub_id="tester/s2i-data",
            metrics={"ci": 1.5, "cu": 1.25, "do": 1.0, "tu": 1.1},
        ),
    ]
    (folder / "tuned").mkdir()
    (folder / "base").mkdir()
    return [r.save(str(folder / "tuned")) for r in tuned], [r.save(str(folder / "base")) for r in baseline]


def run(capsys, *argv):
    code = s2i(list(argv))
    out = capsys.readouterr()
    assert TOKEN not in out.out + out.err
    assert code == 0, out.err
    return out.out + out.err


def listing(folder):
    return {
        os.path.relpath(os.path.join(r, f), folder).replace(os.sep, "/") for r, _, fs in os.walk(folder) for f in fs
    }


def card_parts(text):
    assert text.startswith("---\n")
    _, meta, body = text.split("---\n", 2)
    for marker in PLACEHOLDERS:
        assert marker not in body, (marker, body)
    return yaml.safe_load(meta), body


def logits(model, ids=(1, 5, 9, 13, 20, 7)):
    import torch

    with torch.no_grad():
        return model(input_ids=torch.tensor([list(ids)])).logits


# --- dataset --------------------------------------------------------------------------------------------
def test_push_dataset_then_load_dataset_from_the_hub(hub, dataset_dir, capsys, tmp_path):
    from datasets import Video, load_dataset

    run(capsys, "push", "dataset", dataset_dir, "tester/s2i-data")
    files = hub.files("tester/s2i-data", "dataset")
    assert not [f for f in files if f.startswith(".score_cache") or "/." in f]
    assert {"README.md", "eval.yaml", "level_distribution.png", "build_report.json"} <= set(files)
    parquet = sorted(f for f in files if f.endswith(".parquet"))
    assert parquet == ["videos/bench-00000-of-00001.parquet", "videos/train-00000-of-00001.parquet"]  # bytes once
    assert set(parquet) <= set(hub.lfs_paths("tester/s2i-data", "dataset"))

    remote = load_dataset("tester/s2i-data", "stage1", split="train")
    local = load_dataset(dataset_dir, "stage1", split="train")
    assert len(remote) == len(local) > 0
    assert remote.remove_columns("video").to_list() == local.remove_columns("video").to_list()
    rv, lv = remote.cast_column("video", Video(decode=False)), local.cast_column("video", Video(decode=False))
    assert [r["video"]["bytes"] for r in rv] == [r["video"]["bytes"] for r in lv]
    bench = load_dataset("tester/s2i-data", "bench", split="test")
    questions = sum(len(q) for q in bench["questions"])
    turns = sum(1 for m in local["messages"] for turn in m if turn["role"] == "assistant")

    meta, body = card_parts(files["README.md"].decode())
    assert {c["config_name"] for c in meta["configs"]} == {"scores", "stage1", "stage2", "bench"}
    assert 'load_dataset("tester/s2i-data", "stage1"' in body
    assert '`load_dataset("tester/s2i-data", "bench", split="test")`' in body
    assert f"| `stage1` | train | {len(local)} | {len(local)} | {turns} |" in body
    assert json.loads(files["build_report.json"])["out"] == "tester/s2i-data"  # no local path published
    eval_yaml = yaml.safe_load(files["eval.yaml"])
    assert [t["id"] for t in eval_yaml["tasks"]] == ["ci", "cu", "do", "tu"]
    assert all(t["config"] == "bench" and t["split"] == "test" for t in eval_yaml["tasks"])
    assert f"({questions} questions)" in eval_yaml["description"]

    # the dry run writes exactly the files (and bytes) that were uploaded
    dry = tmp_path / "dry"
    run(capsys, "push", "dataset", dataset_dir, "tester/s2i-data", "--dry-run", str(dry))
    assert listing(dry) == set(files) - {".gitattributes"}
    assert all((dry / f).read_bytes() == files[f] for f in listing(dry))
    assert s2i(["push", "dataset", dataset_dir, "tester/s2i-data", "--dry-run", str(dry)]) == 1  # not empty: refused


def test_every_config_streams_from_the_hub_with_its_video(hub, dataset_dir, capsys):
    """`streaming=True` from the Hub repo: every config yields the local rows, each with a decodable video."""
    from datasets import load_dataset
    from torchcodec.decoders import VideoDecoder

    run(capsys, "push", "dataset", dataset_dir, "tester/s2i-stream")
    for config, split in CONFIG_SPLIT.items():
        local = load_dataset(dataset_dir, config, split=split)
        streamed = list(load_dataset("tester/s2i-stream", config, split=split, streaming=True))
        assert len(streamed) == len(local) > 0, config
        assert [r["video_id"] for r in streamed] == local["video_id"], config
        for row in streamed:
            assert set(row) == set(CONFIG_COLUMNS[config]), config
            assert isinstance(row["video"], VideoDecoder) and row["video"].metadata.num_frames > 0, config


def test_push_dataset_to_a_branch_and_as_a_pull_request(hub, dataset_dir, capsys):
    run(capsys, "push", "dataset", dataset_dir, "tester/s2i-branch", "--revision", "v1", "--private")
    repo = hub.repo("tester/s2i-branch", "dataset")
    assert repo.private and set(hub.files("tester/s2i-branch", "dataset", "main")) == {".gitattributes"}
    assert "README.md" in hub.files("tester/s2i-branch", "dataset", "v1")
    out = run(capsys, "push", "dataset", dataset_dir, "tester/s2i-branch", "--create-pr")
    assert "/discussions/1" in out
    assert "README.md" in hub.files("tester/s2i-branch", "dataset", "refs/pr/1")
    assert "README.md" not in hub.files("tester/s2i-branch", "dataset", "main")


def test_push_without_a_token_fails_clearly(hub, dataset_dir, capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("HF_TOKEN")
    monkeypatch.setenv("HF_TOKEN_PATH", str(tmp_path / "no-token"))
    import huggingface_hub.constants as hc

    monkeypatch.setattr(hc, "HF_TOKEN_PATH", str(tmp_path / "no-token"))
    monkeypatch.setattr(hc, "HF_STORED_TOKENS_PATH", str(tmp_path / "no-stored-tokens"))
    assert s2i(["push", "dataset", dataset_dir, "tester/s2i-nologin"]) == 1
    assert "no Hugging Face token" in capsys.readouterr().err
    assert ("dataset", "tester/s2i-nologin") not in hub.repos


# --- model ----------------------------------------------------------------------------------------------
def test_push_model_merged_loads_and_card_matches_summary(hub, training_output, capsys, tmp_path):
    from transformers import AutoModelForImageTextToText, AutoProcessor

    run(capsys, "push", "model", training_output, "tester/s2i-model")
    files = hub.files("tester/s2i-model")
    assert {
        "config.json",
        "model.safetensors",
        "processor_config.json",
        "training_summary.json",
        "training_loss.png",
        "README.md",
    } <= set(files)
    assert not any(
        f.startswith("adapter") for f in files
    )  # merged + Stage I: the adapter needs Stage I weights, left out
    remote = AutoModelForImageTextToText.from_pretrained("tester/s2i-model")
    local = AutoModelForImageTextToText.from_pretrained(os.path.join(training_output, "merged"))
    assert (logits(remote) - logits(local)).abs().max().item() == 0.0
    AutoProcessor.from_pretrained("tester/s2i-model")

    summary = json.loads(files["training_summary.json"])
    with open(os.path.join(training_output, "training_summary.json")) as fh:
        assert summary == json.load(fh)
    meta, body = card_parts(files["README.md"].decode())
    assert meta["pipeline_tag"] == "video-text-to-text" and "base_model" not in meta  # a local base is not a Hub id
    assert meta["datasets"] == ["tester/s2i-data"] and "model-index" not in meta
    s1, s2 = summary["stages"]["stage1"], summary["stages"]["stage2"]
    assert f"| Training videos | {s1['rows']:,} | {s2['rows']:,} |" in body
    assert f"| Training items (conversations) | {s1['rows']:,} | {s2['items']:,} |" in body  # stage1: one per video
    assert f"| Optimizer steps | {s1['steps']} | {s2['steps']} |" in body
    assert f"| Learning rate | {s1['learning_rate']:g} | {s2['learning_rate']:g} |" in body
    assert f"| Mean training loss | {s1['train_loss']:g} | {s2['train_loss']:g} |" in body
    assert f"| Total parameters | {s1['total_parameters']:,} | {s2['total_parameters']:,} |" in body
    assert f"vision {s1['trainable_parameters']['vision']:,}" in body
    assert f"| LoRA rank r | - | {s2['lora']['r']} |" in body
    assert 'QualityScorer.from_pretrained("tester/s2i-model", num_frames=8)' in body

    dry = tmp_path / "dry"
    run(capsys, "push", "model", training_output, "tester/s2i-model", "--dry-run", str(dry))
    assert listing(dry) == set(files) - {".gitattributes"}
    assert all((dry / f).read_bytes() == files[f] for f in listing(dry))


def test_card_snippet_shows_the_model_the_fragments_it_was_trained_on(training_output):
    """A model trained on fragments must be shown fragments: the card's code passes them with the frame count."""
    from s2i_hf.cards.model_card import render_model_card

    with open(os.path.join(training_output, "training_summary.json")) as fh:
        summary = json.load(fh)
    summary["frame_sampling"] = {**summary["frame_sampling"], "num_frames": 2, "fragments": 5, "fragment_size": 28}
    body = str(render_model_card("tester/fragments", summary))
    assert 'QualityScorer.from_pretrained("tester/fragments", num_frames=2, fragments=5, fragment_size=28)' in body
    assert "fragments = 5, fragment_size = 28" in body  # and the card's frame sampling line says so


def test_push_model_adapter_layout_loads_with_peft(hub, training_output, capsys):
    from peft import PeftModel
    from transformers import AutoModelForImageTextToText

    run(capsys, "push", "model", training_output, "tester/s2i-adapter", "--weights", "adapter")
    files = hub.files("tester/s2i-adapter")
    assert {"model.safetensors", "adapter/adapter_config.json", "adapter/adapter_model.safetensors"} <= set(files)
    assert json.loads(files["adapter/adapter_config.json"])["base_model_name_or_path"] == "tester/s2i-adapter"
    base = AutoModelForImageTextToText.from_pretrained("tester/s2i-adapter")  # the Stage I model
    tuned = PeftModel.from_pretrained(base, "tester/s2i-adapter", subfolder="adapter")
    merged = AutoModelForImageTextToText.from_pretrained(os.path.join(training_output, "merged"))
    assert (logits(tuned) - logits(merged)).abs().max().item() < 1e-4
    _, body = card_parts(files["README.md"].decode())
    assert 'PeftModel.from_pretrained(model, "tester/s2i-adapter", subfolder="adapter")' in body


def test_stage2_only_output_pushes_the_adapter_on_a_hub_base(hub, training_output, capsys, tmp_path):
    from huggingface_hub import HfApi
    from peft import PeftModel
    from transformers import AutoModelForImageTextToText

    base_dir = os.path.join(os.path.dirname(training_output), "base")
    HfApi().create_repo("tester/tiny-base")
    HfApi().upload_folder(repo_id="tester/tiny-base", folder_path=base_dir)
    out = tmp_path / "stage2-only"
    shutil.copytree(os.path.join(training_output, "stage2"), out / "stage2")
    with open(os.path.join(training_output, "training_summary.json")) as fh:
        summary = json.load(fh)
    summary.update(base_model="tester/tiny-base", outputs={"stage2": "stage2"})
    del summary["stages"]["stage1"]
    (out / "training_summary.json").write_text(json.dumps(summary))

    run(capsys, "push", "model", str(out), "tester/s2i-lora")
    files = hub.files("tester/s2i-lora")
    assert {"adapter_config.json", "adapter_model.safetensors", "processor_config.json"} <= set(
        files
    ) and "config.json" not in files
    tuned = PeftModel.from_pretrained(
        AutoModelForImageTextToText.from_pretrained("tester/tiny-base"), "tester/s2i-lora"
    )
    assert tuned.peft_config["default"].r == 4
    meta, body = card_parts(files["README.md"].decode())
    assert meta["base_model"] == "tester/tiny-base" and meta["library_name"] == "peft"
    assert (
        "Stage I (vision" not in body
        and "| Training videos | 96 |" in body
        and "| Training items (conversations) | 768 |" in body
    )
    assert 'QualityScorer.from_pretrained("tester/tiny-base", adapter="tester/s2i-lora", num_frames=8)' in body


# --- a real `s2i train` output ---------------------------------------------------------------------------
# Both stages of `s2i train` (two steps each) on a tiny model and the real clips of `dataset_dir`, then pushed and
# loaded back: the published weights must be the run's own, tensor for tensor, and the card must state its figures.
TRAIN_FLAGS = (
    "--num_frames",
    "2",
    "--per_device_train_batch_size",
    "2",
    "--stage1_max_steps",
    "2",
    "--stage2_max_steps",
    "2",
    "--stage1_learning_rate",
    "1e-3",
    "--stage2_learning_rate",
    "1e-3",
    "--lora_r",
    "4",
    "--save_strategy",
    "no",
    "--threads",
    "1",
    "--disable_tqdm",
    "true",
)


def s2i_train(*argv):
    import torch

    threads = torch.get_num_threads()
    try:
        assert s2i(["train", *argv, *TRAIN_FLAGS]) == 0
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory):
    from s2i_hf.testing import make_tiny_model

    return make_tiny_model(FAMILY, str(tmp_path_factory.mktemp("real-base") / "tiny-vlm"), seed=0)


@pytest.fixture(scope="module")
def real_run(hub, tiny_base, dataset_dir, tmp_path_factory):
    """`s2i train` from the Hub: the tiny base model and the built dataset are pushed to the test Hub first, and the
    run reads both from there (so its summary names Hub ids, as a run on published artifacts does)."""
    from huggingface_hub import HfApi

    HfApi().create_repo("tester/tiny-vlm-base")
    HfApi().upload_folder(repo_id="tester/tiny-vlm-base", folder_path=tiny_base)
    assert s2i(["push", "dataset", dataset_dir, "tester/s2i-train-data"]) == 0
    out = str(tmp_path_factory.mktemp("real-run") / "out")
    s2i_train("--model", "tester/tiny-vlm-base", "--data", "tester/s2i-train-data", "--output_dir", out)
    return out


@pytest.fixture(scope="module")
def real_run_vision(tiny_base, dataset_dir, tmp_path_factory):
    """The same run from the local base and data folder, with the vision encoder trained in Stage II too."""
    out = str(tmp_path_factory.mktemp("real-run-vision") / "out")
    s2i_train("--model", tiny_base, "--data", dataset_dir, "--output_dir", out, "--train_vision")
    return out


def training_summary(out):
    with open(os.path.join(out, "training_summary.json")) as fh:
        return json.load(fh)


def parameters(path_or_repo):
    from transformers import AutoModelForImageTextToText

    model = AutoModelForImageTextToText.from_pretrained(path_or_repo).eval()
    return model, dict(model.state_dict())  # parameters and buffers, tied ones under each name


def assert_same_tensors(got: dict, want: dict, what: str):
    import torch

    assert set(got) == set(want), f"{what}: names differ: {sorted(set(got) ^ set(want))[:5]}"
    differ = [n for n in want if not (got[n].dtype == want[n].dtype and torch.equal(got[n], want[n]))]
    assert not differ, f"{what}: {len(differ)} of {len(want)} tensors differ, e.g. {differ[:3]}"


def card_table(body):
    """The card's training table: row label -> one cell per stage column."""
    rows = {}
    for line in body.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) >= 2 and cells[0]:
            rows[cells[0]] = cells[1:]
    return rows


def real_batch(processor, data, n=2):
    """The first ``n`` Stage II items of the built data, collated as in training (real frames, real chat)."""
    from s2i_hf.trainers import (
        FrameSampling,
        S2IVideoCollator,
        load_stage_data,
        stage_items,
    )

    rows = list(stage_items(load_stage_data(data, "stage2"), "stage2").select(range(n)))
    return S2IVideoCollator(processor, FrameSampling(num_frames=2))(rows)


def vision_names(model):
    """Vision-encoder parameters (a projector inside the encoder, Qwen's merger, left out: Stage II trains it anyway)."""
    from s2i_hf.trainers import find_model_parts

    parts = find_model_parts(model)
    projector = {n for n, _ in parts.params["projector"]}
    names = [n for n, _ in parts.params["vision"] if n not in projector]
    assert names
    return names


def assert_card_states_the_summary(body, meta, summary, out):
    s1, s2 = summary["stages"]["stage1"], summary["stages"]["stage2"]
    table = card_table(body)

    def both(fmt, key):
        return [fmt(s1[key]), fmt(s2[key])]

    assert table["Training videos"] == both("{:,}".format, "rows")
    assert table["Training items (conversations)"] == both("{:,}".format, "items")
    assert table["Optimizer steps"] == both(str, "steps")
    assert table["Epochs"] == both("{:g}".format, "epochs")
    assert table["Learning rate"] == both("{:g}".format, "learning_rate")
    assert table["Batch size per device"] == both(str, "per_device_train_batch_size")
    assert table["Mean training loss"] == both("{:g}".format, "train_loss")
    assert table["Total parameters"] == both("{:,}".format, "total_parameters")
    with open(os.path.join(out, "stage2", "adapter_config.json")) as fh:
        adapter = json.load(fh)
    lora = s2["lora"]
    assert lora["r"] == adapter["r"] and lora["alpha"] == adapter["lora_alpha"]  # the summary records the adapter made
    assert table["LoRA rank r"] == ["-", str(adapter["r"])]
    assert table["LoRA alpha"] == ["-", str(adapter["lora_alpha"])]
    assert table["LoRA dropout"] == ["-", f"{lora['dropout']:g}"]
    assert table["LoRA target modules"] == ["-", ", ".join(f"`{t}`" for t in lora["target_modules"])]
    for cell, stage in zip(table["Trainable parameters"], (s1, s2)):
        for part, count in stage["trainable_parameters"].items():
            assert (f"{part} {count:,}" in cell) == bool(count), (part, count, cell)
    assert (
        f"Progressive tuning in 2 stages: Stage I trains the vision encoder and the projector on {s1['rows']:,} videos"
        in body
    )
    # what Stage II trained in full besides the LoRA, as the summary records it
    full = " and ".join(
        p for p, key in (("the vision encoder", "train_vision"), ("the projector", "train_projector")) if lora[key]
    )
    also = f" and trains {full} in full" if full else ""
    assert (
        f"Stage II tunes the language model with LoRA (r = {lora['r']}){also} on {s2['items']:,} justification" in body
    )
    assert f"over {s2['rows']:,} videos" in body
    assert f"- Frames per video: num_frames = {summary['frame_sampling']['num_frames']}" in body
    assert f"- Trained: {summary['timestamp']}" in body
    assert f"family `{summary['family']}`" in body and summary["family"] in meta["tags"]


def test_real_training_output_pushes_merged_weights_and_a_card_of_its_summary(hub, real_run, capsys):
    """`s2i push model OUT REPO` (default layout) of a real two-stage run: the Hub serves OUT/merged byte for byte,
    from_pretrained(REPO) gives its tensors, the vision encoder is Stage I's (not trained in Stage II), and the card's
    figures are the run's summary."""
    import torch
    from transformers import AutoProcessor

    summary = training_summary(real_run)
    s1, s2 = summary["stages"]["stage1"], summary["stages"]["stage2"]
    assert s1["completed"] and s2["completed"] and set(summary["outputs"]) == {"stage1", "stage2", "merged"}
    assert s1["steps"] == len(s1["losses"]) == 2 and s2["steps"] == len(s2["losses"]) == 2  # what was asked for
    assert s2["lora"]["train_vision"] is False and s2["trainable_parameters"]["vision"] == 0
    assert summary["base_model"] == "tester/tiny-vlm-base" and summary["data"] == "tester/s2i-train-data"

    run(capsys, "push", "model", real_run, "tester/real-merged")
    files = hub.files("tester/real-merged")
    assert not any(f.startswith("adapter") for f in files)  # merged + Stage I: no adapter
    with open(os.path.join(real_run, "merged", "model.safetensors"), "rb") as fh:
        assert files["model.safetensors"] == fh.read()
    with open(os.path.join(real_run, "training_summary.json"), "rb") as fh:
        assert files["training_summary.json"] == fh.read()
    assert files["training_loss.png"].startswith(b"\x89PNG")

    remote, remote_params = parameters("tester/real-merged")
    local, merged = parameters(os.path.join(real_run, "merged"))
    _, stage1 = parameters(os.path.join(real_run, "stage1"))
    _, base = parameters("tester/tiny-vlm-base")
    assert_same_tensors(remote_params, merged, "pushed vs OUT/merged")
    names = vision_names(remote)
    assert_same_tensors(
        {n: remote_params[n] for n in names}, {n: stage1[n] for n in names}, "pushed vision vs Stage I"
    )
    assert any(not (remote_params[n] == base[n]).all() for n in names)  # ... which Stage I did train
    language = [n for n in remote_params if "language_model" in n and "q_proj.weight" in n]
    assert language and all(not (remote_params[n] == stage1[n]).all() for n in language)  # the LoRA is merged in

    processor = AutoProcessor.from_pretrained("tester/real-merged")
    batch = real_batch(processor, "tester/s2i-train-data")
    with torch.no_grad():
        assert (remote(**batch).logits - local(**batch).logits).abs().max().item() == 0.0

    meta, body = card_parts(files["README.md"].decode())
    assert meta["base_model"] == summary["base_model"] and meta["datasets"] == [summary["data"]]
    assert meta["library_name"] == "transformers" and "lora" not in meta["tags"]
    assert f"- Base model: [{summary['base_model']}](https://huggingface.co/{summary['base_model']})" in body
    assert f"- Training data: [{summary['data']}](https://huggingface.co/datasets/{summary['data']})" in body
    assert_card_states_the_summary(body, meta, summary, real_run)
    assert "vision" not in card_table(body)["Trainable parameters"][1]  # Stage II left the encoder frozen
    assert (
        f'QualityScorer.from_pretrained("tester/real-merged", num_frames={summary["frame_sampling"]["num_frames"]})'
        in body
    )


def test_real_training_adapter_push_loads_with_peft_as_the_merged_model(hub, real_run, capsys):
    """`--weights adapter` of the same run: Stage I at the top level and OUT/stage2 in adapter/, byte for byte;
    peft on the pushed Stage I gives OUT/merged's logits on a real batch (and not Stage I's)."""
    import torch
    from peft import PeftModel
    from safetensors.torch import load as load_safetensors
    from safetensors.torch import load_file
    from transformers import AutoModelForImageTextToText, AutoProcessor

    run(capsys, "push", "model", real_run, "tester/real-adapter", "--weights", "adapter")
    files = hub.files("tester/real-adapter")
    with open(os.path.join(real_run, "stage1", "model.safetensors"), "rb") as fh:
        assert files["model.safetensors"] == fh.read()  # the adapter's base: Stage I, not the merged model
    pushed = load_safetensors(files["adapter/adapter_model.safetensors"])
    local = load_file(os.path.join(real_run, "stage2", "adapter_model.safetensors"))
    assert_same_tensors(pushed, local, "pushed adapter vs OUT/stage2")
    lora_b = [v for k, v in pushed.items() if "lora_B" in k]
    assert lora_b and any(float(v.abs().max()) > 0 for v in lora_b)  # peft starts lora_B at zero: Stage II trained it
    config = json.loads(files["adapter/adapter_config.json"])
    with open(os.path.join(real_run, "stage2", "adapter_config.json")) as fh:
        local_config = json.load(fh)
    assert local_config["base_model_name_or_path"] == os.path.join(real_run, "stage1")  # a local path in the run ...
    assert config["base_model_name_or_path"] == "tester/real-adapter"  # ... the repo itself once published
    assert {k: v for k, v in config.items() if k != "base_model_name_or_path"} == {
        k: v for k, v in local_config.items() if k != "base_model_name_or_path"
    }

    stage1 = AutoModelForImageTextToText.from_pretrained("tester/real-adapter").eval()
    tuned = PeftModel.from_pretrained(
        AutoModelForImageTextToText.from_pretrained("tester/real-adapter"), "tester/real-adapter", subfolder="adapter"
    ).eval()
    merged = AutoModelForImageTextToText.from_pretrained(os.path.join(real_run, "merged")).eval()
    assert tuned.peft_config["default"].r == training_summary(real_run)["stages"]["stage2"]["lora"]["r"]
    batch = real_batch(AutoProcessor.from_pretrained("tester/real-adapter"), "tester/s2i-train-data")
    with torch.no_grad():
        t, m, s = tuned(**batch).logits, merged(**batch).logits, stage1(**batch).logits
    assert (t - m).abs().max().item() < 1e-4
    assert (m - s).abs().max().item() > 1e-3  # Stage II moved the answers: an adapter left out would show

    meta, body = card_parts(files["README.md"].decode())
    assert "lora" in meta["tags"] and meta["base_model"] == "tester/tiny-vlm-base"
    assert 'PeftModel.from_pretrained(model, "tester/real-adapter", subfolder="adapter")' in body
    assert_card_states_the_summary(body, meta, training_summary(real_run), real_run)


def test_real_training_with_vision_trained_in_stage2_pushes_the_moved_vision_weights(
    hub, real_run_vision, tiny_base, dataset_dir, capsys
):
    """`s2i train --train_vision` (local base and data): the summary and the card record the vision encoder as
    trained in Stage II, and the pushed vision weights are OUT/merged's, not Stage I's."""
    summary = training_summary(real_run_vision)
    s2 = summary["stages"]["stage2"]
    assert s2["lora"]["train_vision"] is True and s2["trainable_parameters"]["vision"] > 0
    assert summary["base_model"] == tiny_base and summary["data"] == dataset_dir
    # the recorded model size is the model's: peft's frozen copies of the fully trained modules are not counted,
    # so Stage II's total is Stage I's plus the LoRA matrices (the tensors that merging folds away)
    from safetensors import safe_open

    with safe_open(os.path.join(real_run_vision, "stage2", "adapter_model.safetensors"), "pt") as f:
        lora_numel = sum(f.get_tensor(k).numel() for k in f.keys() if "lora_" in k)
    with safe_open(os.path.join(real_run_vision, "merged", "model.safetensors"), "pt") as f:
        merged_numel = sum(f.get_tensor(k).numel() for k in f.keys())
    assert summary["stages"]["stage1"]["total_parameters"] == merged_numel
    assert s2["total_parameters"] == merged_numel + lora_numel, (s2["total_parameters"], merged_numel, lora_numel)

    run(capsys, "push", "model", real_run_vision, "tester/real-vision")
    files = hub.files("tester/real-vision")
    with open(os.path.join(real_run_vision, "merged", "model.safetensors"), "rb") as fh:
        assert files["model.safetensors"] == fh.read()
    assert json.loads(files["training_summary.json"])["stages"]["stage2"]["lora"]["train_vision"] is True

    remote, remote_params = parameters("tester/real-vision")
    _, merged = parameters(os.path.join(real_run_vision, "merged"))
    _, stage1 = parameters(os.path.join(real_run_vision, "stage1"))
    assert_same_tensors(remote_params, merged, "pushed vs OUT/merged")
    names = vision_names(remote)
    kept = [n for n in names if (remote_params[n] == stage1[n]).all()]
    assert not kept, f"{len(kept)} of {len(names)} vision tensors pushed as Stage I left them, e.g. {kept[:3]}"

    meta, body = card_parts(files["README.md"].decode())
    assert "base_model" not in meta and "datasets" not in meta  # local folders are not Hub ids
    assert f"- Base model: `{os.path.basename(tiny_base)}` (a local folder)" in body
    assert f"- Training data: `{os.path.basename(dataset_dir)}` (a local S2I dataset folder)" in body
    assert_card_states_the_summary(body, meta, summary, real_run_vision)
    assert f"vision {s2['trainable_parameters']['vision']:,}" in card_table(body)["Trainable parameters"][1]


# --- results and leaderboard -----------------------------------------------------------------------------
def _model_index_values(meta):
    out = {}
    for block in meta["model-index"][0]["results"]:
        for metric in block["metrics"]:
            out[(block["dataset"]["name"], block["dataset"]["split"], metric["type"])] = metric["value"]
    return out


def test_push_results_writes_eval_results_and_model_index(hub, training_output, results_files, capsys):
    from huggingface_hub import parse_eval_result_entries

    tuned, _ = results_files
    if ("model", "tester/s2i-model") not in hub.repos:
        run(capsys, "push", "model", training_output, "tester/s2i-model")
    run(capsys, "push", "results", *tuned, "tester/s2i-model", "--benchmark", "konvid_1k=tester/konvid-1k")
    files = hub.files("tester/s2i-model")
    results = [EvalRecord.load(p) for p in tuned]
    expected = {(r.dataset, r.split, m): v for r in results for m, v in r.metrics.items()}

    entry_files = sorted(f for f in files if f.startswith(".eval_results/"))
    assert entry_files == [".eval_results/konvid_1k_test.yaml", ".eval_results/s2i_bench_test.yaml"]
    got = {}
    for name in entry_files:
        for e in parse_eval_result_entries(yaml.safe_load(files[name])):
            got[(e.dataset_id, e.task_id)] = e.value
            assert e.date and "n=" in e.notes
    assert got == {
        ("tester/konvid-1k" if r.dataset == "konvid_1k" else "tester/s2i-data", m): v
        for r in results
        for m, v in r.metrics.items()
    }
    assert {f"results/{os.path.basename(p)}" for p in tuned} <= set(files)

    meta, body = card_parts(files["README.md"].decode())
    assert _model_index_values(meta) == expected
    assert meta["model-index"][0]["name"] == "tester/s2i-model"
    assert "## Training" in body and "| Training videos |" in body  # the training part of the card is kept
    assert (
        "| s2i_bench | test |" not in body
        and "[s2i_bench](https://huggingface.co/datasets/tester/s2i-data) | test |" in body
    )
    assert "| 0.7312 | 0.7455 | 0.5401 | 0.4123 |" in body

    # a second push replaces the same metrics and keeps the others
    newer = EvalRecord.load(tuned[0])
    newer.metrics["srcc"] = 0.8
    path = newer.save(os.path.join(os.path.dirname(tuned[0]), "newer"))
    run(capsys, "push", "results", path, "tester/s2i-model", "--benchmark", "konvid_1k=tester/konvid-1k")
    meta, _ = card_parts(hub.files("tester/s2i-model")["README.md"].decode())
    assert _model_index_values(meta) == {**expected, ("konvid_1k", "test", "srcc"): 0.8}


def test_push_results_to_a_repo_without_card_and_dry_run(hub, results_files, capsys, tmp_path):
    tuned, _ = results_files
    dry = tmp_path / "dry"
    out = run(capsys, "push", "results", *tuned, "tester/results-only", "--dry-run", str(dry))
    assert ("model", "tester/results-only") not in hub.repos  # nothing uploaded
    assert listing(dry) == {
        "README.md",
        ".eval_results/s2i_bench_test.yaml",
        *(f"results/{os.path.basename(p)}" for p in tuned),
    }
    assert "note: konvid_1k (test): no Hub dataset id" in out
    meta, body = card_parts((dry / "README.md").read_text())
    assert len(_model_index_values(meta)) == 8 and "# Evaluation results: tester/results-only" in body
    run(capsys, "push", "results", *tuned, "tester/results-only")
    assert listing(dry) == set(hub.files("tester/results-only")) - {".gitattributes"}


def test_leaderboard_command(results_files, capsys, tmp_path):
    tuned, base = results_files
    out = tmp_path / "board" / "leaderboard.md"
    code = s2i(
        ["leaderboard", *tuned, *base, "--output_dir", str(out.parent), "--eval_results", str(tmp_path / "entries")]
    )
    assert code == 0
    text = out.read_text()
    assert (
        f"| tester/s2i-model | **{0.7312:.3f}** | **{0.7455:.3f}** | **3.100** | **2.500** | **2.250** | **2.000** |"
        in text
    )
    assert "| org/base-model | 0.392 | 0.394 | 1.500 | 1.250 | 1.000 | 1.100 |" in text
    assert os.path.getsize(tmp_path / "board" / "leaderboard.png") > 5000
    assert sorted(os.listdir(tmp_path / "entries")) == ["s2i_bench_test.yaml"]
