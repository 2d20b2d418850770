"""`s2i build` on real and generated clips: configs load offline, text states the stored levels, bench is
held out, builds are deterministic and resumable, rewriting is rating-protected, sharding works."""

import json
import os
import signal
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest

from conftest import tiny_text_lm
from s2i_hf import DIMENSION_IDS
from s2i_hf.dataset_builder import BuildArguments, build_dataset
from s2i_hf.text import extract_ratings

FAST = dict(frames=16, window=4, bench_size=6, bench_fraction=0.25, quiet=True)


def load(out, config):
    from datasets import load_dataset

    split = "test" if config == "bench" else "train"
    return load_dataset(out, config, split=split)


def assistant_text(messages):
    return "".join(b["text"] for m in messages if m["role"] == "assistant" for b in m["content"] if b["type"] == "text")


def parquet_tables(out):
    tables = {}
    for config in ("scores", "stage1", "stage2", "bench"):
        folder = os.path.join(out, config)
        tables[config] = [pq.read_table(os.path.join(folder, f)) for f in sorted(os.listdir(folder))]
    return tables


@pytest.fixture(scope="module")
def built(tmp_path_factory, mini_corpus):
    out = str(tmp_path_factory.mktemp("build") / "s2i")
    args = BuildArguments(out=out, seed=7, **FAST)
    result = build_dataset(mini_corpus, args)
    return out, result


def test_configs_load_offline_and_match_the_contract(built, monkeypatch):
    out, result = built
    scores = load(out, "scores")
    assert len(scores) == 8 and result.counts["scores"] == 8
    assert set(scores.column_names) >= {"video_id", "video", "source", "split", "scores", "levels", "group_levels", "overall_score", "overall_level", "mos", "caption", "scorers"}
    stage1, stage2, bench = load(out, "stage1"), load(out, "stage2"), load(out, "bench")
    assert len(stage1) == result.counts["stage1"] > 0 and len(stage2) == result.counts["stage2"] > 0
    assert 0 < len(bench) <= 6
    assert set(stage2["task"]) == {"justification", "what_how", "yes_no"} and set(stage1["task"]) == {"dimension_rating"}
    # load_dataset("s2i", ...) from the parent folder resolves the local folder
    monkeypatch.chdir(os.path.dirname(out))
    from datasets import load_dataset

    assert len(load_dataset("s2i", "stage1", split="train")) == len(stage1)
    # the video bytes are embedded: the folder can move
    row = scores.cast_column("video", __import__("datasets").Video(decode=False))[0]
    assert row["video"]["bytes"] and not os.path.isabs(row["video"]["path"])
    readme = open(os.path.join(out, "README.md")).read()
    assert "config_name: stage1" in readme and "level_distribution.png" in readme
    assert os.path.getsize(os.path.join(out, "level_distribution.png")) > 5000


def test_text_states_the_stored_levels(built):
    out, _ = built
    scores = {r["video_id"]: r for r in load(out, "scores").remove_columns("video")}
    for r in scores.values():
        assert set(r["scores"]) == set(DIMENSION_IDS)
    stage1 = load(out, "stage1").remove_columns("video")
    per_video: dict[str, list] = {}
    for row in stage1:
        answer = assistant_text(row["messages"])
        per_video.setdefault(row["video_id"], []).append(tuple(row["dimensions"]))
        if not row["dimensions"]:  # the overall-rating item (what Q-Align overall scoring asks)
            assert extract_ratings(answer).get("overall") == scores[row["video_id"]]["overall_level"], answer
            continue
        (dim,) = row["dimensions"]
        stored = scores[row["video_id"]]["levels"][dim]
        assert extract_ratings(answer).get(dim) == stored, (answer, dim, stored)
    assert all(sorted(v) == sorted([(d,) for d in DIMENSION_IDS] + [()]) for v in per_video.values())
    stage2 = load(out, "stage2").remove_columns("video")
    justifications = [r for r in stage2 if r["task"] == "justification"]
    assert len(justifications) == sum(1 for r in scores.values() if r["split"] == "train")
    for row in justifications:
        rec = scores[row["video_id"]]
        found = extract_ratings(assistant_text(row["messages"]))
        assert found.get("overall") == rec["overall_level"]
        assert found.get("distortion") == rec["group_levels"]["distortion"]
        assert found.get("aesthetic") == rec["group_levels"]["aesthetic"]
        for dim in DIMENSION_IDS:
            assert found.get(dim) == rec["levels"][dim]


def test_bench_videos_never_train(built):
    out, _ = built
    scores = load(out, "scores").remove_columns("video")
    bench_ids = set(load(out, "bench")["video_id"])
    train_ids = set(load(out, "stage1")["video_id"]) | set(load(out, "stage2")["video_id"])
    assert bench_ids and not bench_ids & train_ids
    assert bench_ids == {r["video_id"] for r in scores if r["split"] == "bench"}


def test_messages_render_with_a_real_processor(built, tmp_path):
    import torch
    from transformers import AutoProcessor

    from s2i_hf.testing import make_tiny_model
    from s2i_hf.video import SamplingConfig, load_clip

    out, _ = built
    path = make_tiny_model("qwen2_5_vl", tmp_path / "tiny")
    processor = AutoProcessor.from_pretrained(path)
    for config in ("stage1", "stage2"):
        ds = load(out, config).cast_column("video", __import__("datasets").Video(decode=False))
        row = ds[0]
        for m in row["messages"]:
            for block in m["content"]:
                assert None not in block.values() and set(block) <= {"type", "text"}
        text = processor.apply_chat_template(row["messages"], tokenize=False)
        assert text.count("<|video_pad|>") == 1
        clip = load_clip(row["video"]["bytes"], SamplingConfig(num_frames=4, window=2))
        frames = torch.from_numpy(clip.frames).permute(0, 3, 1, 2)
        batch = processor(text=[text], videos=[frames], return_tensors="pt", do_sample_frames=False)
        assert batch["input_ids"].shape[1] > 10 and "pixel_values_videos" in batch


def test_same_seed_same_bytes_other_seed_other_text(built, tmp_path, mini_corpus):
    out, _ = built
    again = str(tmp_path / "again")
    # same inputs and seed, the score cache shared: identical Parquet content
    build_dataset(mini_corpus, BuildArguments(out=again, seed=7, cache_dir=os.path.join(out, ".score_cache"), **FAST))
    a, b = parquet_tables(out), parquet_tables(again)
    for config in a:
        assert len(a[config]) == len(b[config])
        for ta, tb in zip(a[config], b[config]):
            assert ta.equals(tb), config
    other = str(tmp_path / "other")
    build_dataset(mini_corpus, BuildArguments(out=other, seed=8, cache_dir=os.path.join(out, ".score_cache"), **FAST))
    assert parquet_tables(other)["stage2"][0].column("messages").to_pylist() != a["stage2"][0].column("messages").to_pylist()


def test_bad_videos_are_reported_and_skipped(tmp_path, mini_corpus, bad_videos):
    out = str(tmp_path / "withbad")
    inputs = mini_corpus[:3] + [bad_videos["random_bytes"], bad_videos["zero_bytes"], str(tmp_path / "gone.mp4")]
    result = build_dataset(inputs, BuildArguments(out=out, seed=1, **{**FAST, "bench_size": 0}))
    assert result.counts["scores"] == 3
    errors = " | ".join(p["error"] for p in result.problems)
    assert bad_videos["random_bytes"] in errors and bad_videos["zero_bytes"] in errors and "gone.mp4" in errors
    report = json.load(open(os.path.join(out, "build_report.json")))
    assert len(report["problems"]) == 3 and not os.path.exists(os.path.join(out, "bench"))


def test_maxwell_labels_replace_scorers_and_val_is_excluded(tmp_path, mini_corpus):
    header = "name,O,A-1,A-2,A-3,A-4,A-5,A-all,T-1,T-2,T-3,T-4,T-5,T-6,T-7,T-8,T-all\n"
    vals = ",".join(["-0.6"] * 5) + ",2.0," + ",".join(["0.9"] * 8) + ",4.0"
    labeled = tmp_path / "MaxWell_train.csv"
    labeled.write_text(header + f"{os.path.basename(mini_corpus[0])},3.5,{vals}\n")
    val = tmp_path / "MaxWell_val.csv"
    val.write_text(header + f"{os.path.basename(mini_corpus[1])},2.5,{vals}\n")
    out = str(tmp_path / "lab")
    args = BuildArguments(out=out, labeled=[str(labeled), str(val)], video_dir=os.path.dirname(mini_corpus[0]), seed=0, **{**FAST, "bench_size": 0})
    result = build_dataset(mini_corpus[:4], args)
    assert result.excluded == 1 and result.counts["scores"] == 3
    rows = {r["video_id"]: r for r in load(out, "scores").remove_columns("video")}
    lab = [r for r in rows.values() if r["source"] == "labeled"]
    assert len(lab) == 1
    r = lab[0]
    assert r["mos"] == pytest.approx(3.5)
    assert r["scores"]["sharpness"] == pytest.approx(0.95) and r["levels"]["sharpness"] == "excellent"
    assert r["scores"]["content"] == pytest.approx(0.2) and r["levels"]["content"] == "poor"
    assert r["scorers"]["sharpness"] == "maxwell-label" and r["scorers"]["flicker"] != "maxwell-label"


def _tiny_garbage_lm(path):
    """Its 'rewrites' are word salad."""
    corpus = ["the sharpness of this video is good and the noise is poor", "overall the quality is fair excellent bad"] * 20
    return tiny_text_lm(path, corpus, vocab_size=300)


def test_rating_protection_rejects_garbage_rewrites(built, tmp_path, mini_corpus):
    from s2i_hf.text.rewrite import make_rewriter

    out, _ = built
    lm = _tiny_garbage_lm(tmp_path / "garbage-lm")
    rewriter = make_rewriter(lm, max_new_tokens=40)
    rw_out = str(tmp_path / "rw")
    result = build_dataset(mini_corpus, BuildArguments(out=rw_out, seed=7, cache_dir=os.path.join(out, ".score_cache"), rewrite_model=lm, **FAST), rewriter=rewriter)
    n_just = sum(1 for t in load(out, "stage2")["task"] if t == "justification")
    assert result.rewrite == {"attempted": n_just, "accepted": 0, "rejected": n_just}
    # every garbage rewrite was generated and then failed verification (not skipped for length)
    assert sum(rewriter.rejections.values()) == n_just and "too long" not in rewriter.rejections
    # nothing leaked: the data equals the build without rewriting
    assert parquet_tables(rw_out)["stage2"][0].column("messages").to_pylist() == parquet_tables(out)["stage2"][0].column("messages").to_pylist()
    card = " ".join(open(os.path.join(rw_out, "README.md")).read().split())
    assert f"{n_just} attempted, 0 accepted, {n_just} rejected" in card


def _run_build(argv, **kw):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "s2i_hf", "build", *argv], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def test_killed_build_resumes_to_the_same_result(tmp_path, mini_corpus):
    common = ["--frames", "16", "--window", "4", "--bench_size", "6", "--bench_fraction", "0.25", "--seed", "3", "--quiet"]
    ref_out = str(tmp_path / "ref")
    assert _run_build([*mini_corpus, "--out", ref_out, *common]).wait() == 0
    out = str(tmp_path / "killed")
    cache = os.path.join(out, ".score_cache")
    proc = _run_build([*mini_corpus, "--out", out, *common])
    deadline = time.time() + 120
    while time.time() < deadline:  # kill once some, not all, videos are scored
        n = sum(len([f for f in fs if f.endswith(".json") and f != "setup.json"]) for _, _, fs in os.walk(cache)) if os.path.isdir(cache) else 0
        if n >= 2:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    scored = sum(len([f for f in fs if f.endswith(".json") and f != "setup.json"]) for _, _, fs in os.walk(cache))
    assert 2 <= scored < len(mini_corpus), scored
    assert not os.path.exists(os.path.join(out, "stage1"))
    assert _run_build([*mini_corpus, "--out", out, *common]).wait() == 0
    a, b = parquet_tables(ref_out), parquet_tables(out)
    for config in a:
        for ta, tb in zip(a[config], b[config]):
            assert ta.equals(tb), config


def test_sharded_build_with_accelerate(tmp_path, mini_corpus):
    out = str(tmp_path / "sharded")
    common = ["--frames", "16", "--window", "4", "--bench_size", "6", "--bench_fraction", "0.25", "--seed", "7", "--quiet"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", "29533",
           "-m", "s2i_hf.dataset_builder", *mini_corpus, "--out", out, *common]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    cache_dir = next(os.path.join(r, "") for r, _, fs in os.walk(os.path.join(out, ".score_cache")) if "setup.json" in fs)
    ranks = [json.load(open(os.path.join(cache_dir, f)))["rank"] for f in os.listdir(cache_dir) if f.endswith(".json") and f != "setup.json"]
    assert len(ranks) == len(mini_corpus) and sorted(set(ranks)) == [0, 1]  # each video scored once, both ranks worked
    single = str(tmp_path / "single")
    build_dataset(mini_corpus, BuildArguments(out=single, seed=7, **FAST))
    a, b = parquet_tables(single), parquet_tables(out)
    for config in a:
        for ta, tb in zip(a[config], b[config]):
            assert ta.equals(tb), config


def test_build_from_a_datasets_video_column(tmp_path, mini_corpus):
    from datasets import Dataset, Features, Video

    rows = [{"bytes": open(p, "rb").read(), "path": os.path.basename(p)} for p in mini_corpus[:3]]
    ds = Dataset.from_dict({"video": rows}, features=Features({"video": Video()}))
    out = str(tmp_path / "fromds")
    result = build_dataset(ds, BuildArguments(out=out, seed=0, **{**FAST, "bench_size": 0}))
    assert result.counts["scores"] == 3 and not result.problems
    assert len(os.listdir(os.path.join(out, ".videos"))) == 3  # bytes staged once, named by content id
    from s2i_hf.video import video_id_of

    for r in load(out, "scores").cast_column("video", Video(decode=False)):
        assert r["video"]["path"] == f"{r['video_id']}.mp4" and video_id_of(r["video"]["bytes"]) == r["video_id"]


def test_balanced_sampling_is_uniform_over_bins_and_seeded():
    from s2i_hf.dataset_builder.balance import balanced_sample, disagreement_filter

    ids = [f"v{i}" for i in range(300)]
    proxy = [0.05] * 200 + [0.55] * 80 + [0.95] * 20  # skewed pool: most videos look bad
    picked = balanced_sample(ids, proxy, target=60, bins=10, seed=1)
    assert len(picked) == 60 and picked == balanced_sample(ids, proxy, target=60, bins=10, seed=1)
    by_bin = {b: sum(1 for i in picked if proxy[ids.index(i)] == b) for b in (0.05, 0.55, 0.95)}
    assert by_bin == {0.05: 20, 0.55: 20, 0.95: 20}
    assert picked != balanced_sample(ids, proxy, target=60, bins=10, seed=2)
    kept, dropped = disagreement_filter({"a": 0.2, "b": 0.9}, {"a": 0.25, "b": 0.3}, max_disagreement=0.35)
    assert kept == ["a"] and dropped == ["b"]


def test_build_with_quality_balancing(tmp_path, mini_corpus):
    out = str(tmp_path / "balanced")
    result = build_dataset(mini_corpus, BuildArguments(out=out, seed=0, balance_size=5, **{**FAST, "bench_size": 0}))
    assert result.dropped_by_balance == 3
    assert result.counts["scores"] == 5 - result.dropped_by_disagreement
    assert "quality-balanced to 5 videos" in " ".join(open(os.path.join(out, "README.md")).read().split())


def test_captions_from_a_video_lmm_enter_the_justification(tmp_path, mini_corpus):
    from s2i_hf.testing import make_tiny_model
    from s2i_hf.text.rewrite import make_captioner

    model = make_tiny_model("qwen2_5_vl", tmp_path / "captioner")
    captioner = make_captioner(str(model), num_frames=4, max_new_tokens=8)
    out = str(tmp_path / "captioned")
    build_dataset(mini_corpus[:3], BuildArguments(out=out, seed=0, **{**FAST, "bench_size": 0}), captioner=captioner)
    scores = {r["video_id"]: r for r in load(out, "scores").remove_columns("video")}
    assert all(isinstance(r["caption"], str) for r in scores.values())
    for row in load(out, "stage2").remove_columns("video"):
        if row["task"] == "justification":
            caption = scores[row["video_id"]]["caption"]
            text = assistant_text(row["messages"])
            assert caption and caption.rstrip(".") in text and "shows" in text.split(".")[0]
