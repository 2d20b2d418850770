"""`s2i build` on real and generated clips: configs load offline, text states the stored levels, bench is
held out, builds are deterministic and resumable, rewriting is rating-protected, sharding works."""

import glob
import json
import os
import signal
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest
from conftest import accelerate_launch, build_cli_args, build_with_card, tiny_text_lm

from s2i_hf import DIMENSION_IDS
from s2i_hf.dataset_builder import BuildArguments, build_dataset
from s2i_hf.text import extract_ratings


FAST = dict(frames=16, window=4, bench_size=6, bench_fraction=0.25, quiet=True)


def load(out, config):
    from datasets import load_dataset

    split = "test" if config == "bench" else "train"
    return load_dataset(out, config, split=split)


def assistant_text(messages):
    return "".join(
        b["text"] for m in messages if m["role"] == "assistant" for b in m["content"] if b["type"] == "text"
    )


def parquet_tables(out):
    """The build's per-video table, by file set (``videos/train-*.parquet``, ``videos/bench-*.parquet``)."""
    files = sorted(glob.glob(os.path.join(out, "videos", "*.parquet")))
    assert files and sorted(os.listdir(os.path.join(out, "videos"))) == [os.path.basename(f) for f in files]
    tables = {}
    for f in files:
        tables.setdefault(os.path.basename(f).split("-")[0], []).append(pq.read_table(f))
    return tables


def assert_same_tables(a, b):
    assert sorted(a) == sorted(b)
    for split in a:
        assert len(a[split]) == len(b[split]), split
        for ta, tb in zip(a[split], b[split]):
            assert ta.equals(tb), split


def stage2_items(out):
    """Every Stage II conversation of the build, with its video id (rows of the stage2 config hold a list)."""
    return [
        {"video_id": row["video_id"], **conv}
        for row in load(out, "stage2").remove_columns("video")
        for conv in row["conversations"]
    ]


def dimension_definitions():
    """dimension id -> its definition, read from the catalogue file itself (what the questions paraphrase)."""
    import yaml

    import s2i_hf

    path = os.path.join(os.path.dirname(s2i_hf.__file__), "catalog", "dimensions.yaml")
    return {d["id"]: d["definition"] for d in yaml.safe_load(open(path))["dimensions"]}


@pytest.fixture(scope="module")
def built(tmp_path_factory, mini_corpus):
    out = str(tmp_path_factory.mktemp("build") / "s2i")
    args = BuildArguments(output_dir=out, seed=7, **FAST)
    result = build_with_card(mini_corpus, args)
    return out, result


def test_configs_load_offline_and_match_the_contract(built, monkeypatch):
    out, result = built
    scores = load(out, "scores")
    assert len(scores) == 8 and result.counts["scores"]["rows"] == 8
    assert set(scores.column_names) == {
        "video_id",
        "video",
        "source",
        "content_id",
        "split",
        "scores",
        "levels",
        "group_levels",
        "overall_score",
        "overall_level",
        "mos",
        "caption",
        "scorers",
    }
    stage1, stage2, bench = load(out, "stage1"), load(out, "stage2"), load(out, "bench")
    splits = [r["split"] for r in scores.remove_columns("video")]
    n_train, n_bench = splits.count("train"), splits.count("bench")
    # one row per video in every config
    assert len(stage1) == len(stage2) == n_train == result.counts["stage1"]["rows"] > 0 and len(bench) == n_bench > 0
    assert set(stage1.column_names) == {
        "video_id",
        "video",
        "content_id",
        "messages",
        "task",
        "dimensions",
        "scores",
        "overall_score",
    }
    assert set(stage2.column_names) == {"video_id", "video", "conversations"}
    assert set(scores["content_id"]) == {None}  # no --content_from: the source content is not known
    assert set(bench.column_names) == {"video_id", "video", "questions"}
    questions = [q for qs in bench["questions"] for q in qs]
    assert 0 < len(questions) <= 6 and result.counts["bench"]["conversations"] == len(questions)
    assert {c["task"] for c in stage2_items(out)} == {"justification", "what_how", "yes_no"}
    assert set(stage1["task"]) == {"dimension_rating"}
    assert result.counts["stage2"]["conversations"] == len(stage2_items(out))
    assert result.counts["stage1"]["turns"] == 15 * n_train
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


@pytest.mark.parametrize("streaming", [False, True])
def test_every_row_of_every_config_yields_its_video(built, streaming):
    """Through load_dataset (map-style and streamed from the folder), each row's ``video`` decodes to a VideoDecoder
    over that video's own bytes (its id is the hash of its content)."""
    from datasets import load_dataset
    from torchcodec.decoders import VideoDecoder

    from s2i_hf.video import video_id_of

    out, _ = built
    ids = {}
    for config, split in (("scores", "train"), ("stage1", "train"), ("stage2", "train"), ("bench", "test")):
        ds = load_dataset(out, config, split=split, streaming=streaming)
        rows = list(ds)
        assert rows, config
        for row in rows:
            decoder = row["video"]
            assert isinstance(decoder, VideoDecoder) and decoder.metadata.num_frames > 0, config
            frame = decoder[0]
            assert frame.ndim == 3 and frame.shape[0] == 3
        ids[config] = [r["video_id"] for r in rows]
        raw = load_dataset(out, config, split=split, streaming=streaming).cast_column(
            "video", __import__("datasets").Video(decode=False)
        )
        assert all(video_id_of(r["video"]["bytes"]) == r["video_id"] for r in raw), config
    assert sorted(ids["scores"]) == sorted(ids["stage1"] + ids["bench"]) and ids["stage1"] == ids["stage2"]


def test_each_videos_bytes_are_stored_once(tmp_path, sample_clips):
    """Built from the real sample clips as they ship (0.007-1.1 MB each) and 2 s cuts of them: every video's bytes
    sit in exactly one Parquet row, and all Parquet files together weigh <= 1.10 x the input videos."""
    from conftest import ffmpeg

    clips = list(sample_clips.values())
    for name in ("bikes", "bigbuckbunny"):
        cut = str(tmp_path / f"{name}_cut.mp4")
        ffmpeg(
            "-ss",
            "1",
            "-i",
            sample_clips[name],
            "-t",
            "2",
            "-pix_fmt",
            "yuv420p",
            "-c:v",
            "libx264",
            "-crf",
            "20",
            cut,
        )
        clips.append(cut)
    out = str(tmp_path / "once")
    build_with_card(clips, BuildArguments(output_dir=out, seed=0, frames=8, window=2, bench_size=4, quiet=True))
    inputs = sum(os.path.getsize(p) for p in clips)
    files = glob.glob(os.path.join(out, "**", "*.parquet"), recursive=True)
    parquet = sum(os.path.getsize(f) for f in files)
    assert parquet <= 1.10 * inputs, (parquet, inputs)
    stored = [v["bytes"] for f in files for v in pq.read_table(f, columns=["video"]).column("video").to_pylist()]
    originals = sorted(open(p, "rb").read() for p in clips)
    assert sorted(stored) == originals  # each clip once, byte for byte


def test_text_states_the_stored_levels(built):
    out, _ = built
    scores = {r["video_id"]: r for r in load(out, "scores").remove_columns("video")}
    for r in scores.values():
        assert set(r["scores"]) == set(DIMENSION_IDS)
    stage1 = load(out, "stage1").remove_columns("video")
    train_ids = sorted(v for v, r in scores.items() if r["split"] == "train")
    assert sorted(stage1["video_id"]) == train_ids  # exactly one Stage I row per training video
    definitions = dimension_definitions()
    orders = set()
    for row in stage1:
        messages = row["messages"]
        assert [m["role"] for m in messages] == ["user", "assistant"] * 15
        videos = [i for i, m in enumerate(messages) for b in m["content"] if b["type"] == "video"]
        assert videos == [0]  # the clip once, in the first user turn
        asked = []
        for question, answer in zip(messages[0::2], messages[1::2]):
            q = " ".join(b["text"] for b in question["content"] if b["type"] == "text")
            (a,) = [b["text"] for b in answer["content"] if b["type"] == "text"]
            named = [d for d, definition in definitions.items() if definition in q]
            assert len(named) <= 1, q
            if named:  # what the question asks is the dimension whose definition it quotes
                (dim,) = named
                stored = scores[row["video_id"]]["levels"][dim]
                assert extract_ratings(a).get(dim) == stored, (q, a, stored)
            else:  # the overall-rating turn (what Q-Align overall scoring asks)
                dim = "overall"
                assert extract_ratings(a).get("overall") == scores[row["video_id"]]["overall_level"], (q, a)
            asked.append(dim)
        assert sorted(asked) == sorted([*DIMENSION_IDS, "overall"])
        orders.add(tuple(asked))
    assert len(orders) > 1  # turn order is shuffled per video
    items = stage2_items(out)
    for item in items:  # one question, one answer: nothing to copy from an earlier turn
        assert [m["role"] for m in item["messages"]] == ["user", "assistant"]
    justifications = [r for r in items if r["task"] == "justification"]
    assert sorted(r["video_id"] for r in justifications) == train_ids
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
    bench = load(out, "bench").remove_columns("video")
    bench_ids = set(bench["video_id"])
    assert all(qs for qs in bench["questions"])
    train_ids = set(load(out, "stage1")["video_id"]) | set(load(out, "stage2")["video_id"])
    assert bench_ids and not bench_ids & train_ids
    assert bench_ids == {r["video_id"] for r in scores if r["split"] == "bench"}


def test_messages_render_with_a_real_processor(built, tmp_path):
    import torch
    from transformers import AutoProcessor

    from s2i_hf.frames import FrameSampling
    from s2i_hf.testing import make_tiny_model
    from s2i_hf.video import load_clip

    out, _ = built
    path = make_tiny_model("qwen2_5_vl", tmp_path / "tiny")
    processor = AutoProcessor.from_pretrained(path)
    for config in ("stage1", "stage2"):
        ds = load(out, config).cast_column("video", __import__("datasets").Video(decode=False))
        row = ds[0] if config == "stage1" else {**ds[0], "messages": ds[0]["conversations"][0]["messages"]}
        for m in row["messages"]:
            for block in m["content"]:
                assert None not in block.values() and set(block) <= {"type", "text"}
        text = processor.apply_chat_template(row["messages"], tokenize=False)
        assert text.count("<|video_pad|>") == 1
        clip = load_clip(row["video"]["bytes"], FrameSampling.windows(num_frames=4, window=2))
        frames = torch.from_numpy(clip.frames).permute(0, 3, 1, 2)
        batch = processor(text=[text], videos=[frames], return_tensors="pt", do_sample_frames=False)
        assert batch["input_ids"].shape[1] > 10 and "pixel_values_videos" in batch


def test_same_seed_same_bytes_other_seed_other_text(built, tmp_path, mini_corpus):
    out, _ = built
    again = str(tmp_path / "again")
    # same inputs and seed, the score cache shared: identical Parquet content
    build_with_card(
        mini_corpus, BuildArguments(output_dir=again, seed=7, cache_dir=os.path.join(out, ".score_cache"), **FAST)
    )
    a = parquet_tables(out)
    assert_same_tables(a, parquet_tables(again))
    other = str(tmp_path / "other")
    build_with_card(
        mini_corpus, BuildArguments(output_dir=other, seed=8, cache_dir=os.path.join(out, ".score_cache"), **FAST)
    )
    assert (
        parquet_tables(other)["train"][0].column("conversations").to_pylist()
        != a["train"][0].column("conversations").to_pylist()
    )


def test_bad_videos_are_reported_and_skipped(tmp_path, mini_corpus, bad_videos):
    out = str(tmp_path / "withbad")
    inputs = mini_corpus[:3] + [bad_videos["random_bytes"], bad_videos["zero_bytes"], str(tmp_path / "gone.mp4")]
    result = build_with_card(inputs, BuildArguments(output_dir=out, seed=1, **{**FAST, "bench_size": 0}))
    assert result.counts["scores"]["rows"] == 3
    errors = " | ".join(p["error"] for p in result.problems)
    assert bad_videos["random_bytes"] in errors and bad_videos["zero_bytes"] in errors and "gone.mp4" in errors
    report = json.load(open(os.path.join(out, "build_report.json")))
    assert len(report["problems"]) == 3 and sorted(parquet_tables(out)) == ["train"]  # no bench files


# The release's sub-dimension columns and what each one rates (Maxwell, Wu et al. 2023), written out here rather
# than read from the catalogue, so that a wrong column-to-dimension mapping fails.
MAXWELL_MEANING = {
    "T-1": "sharpness",
    "T-2": "focus",
    "T-3": "noise",
    "T-4": "motion_blur",
    "T-5": "stability",
    "T-6": "exposure",
    "T-7": "compression",
    "T-8": "fluency",
    "A-1": "content",
    "A-2": "composition",
    "A-3": "color",
    "A-4": "lighting",
    "A-5": "trajectory",
}
MAXWELL_HEADER = [
    "O",
    "A-1",
    "A-2",
    "A-3",
    "A-4",
    "A-5",
    "A-all",
    "T-1",
    "T-2",
    "T-3",
    "T-4",
    "T-5",
    "T-6",
    "T-7",
    "T-8",
    "T-all",
]


def _maxwell_row(offset: float) -> dict[str, float]:
    """Every sub-dimension column its own value in [-1, 1] (shifted by ``offset``), MOS-like columns ~1-5."""
    row = {c: round(-0.9 + 0.14 * i + offset, 3) for i, c in enumerate(sorted(MAXWELL_MEANING))}
    return {**row, "O": 3.5 + offset, "A-all": 2.0, "T-all": 4.0}


def test_maxwell_labels_replace_scorers_and_val_is_excluded(tmp_path, mini_corpus):
    header = "name," + ",".join(MAXWELL_HEADER) + "\n"
    train_row, val_row = _maxwell_row(0.0), _maxwell_row(0.05)
    labeled = tmp_path / "MaxWell_train.csv"
    labeled.write_text(
        header + os.path.basename(mini_corpus[0]) + "," + ",".join(str(train_row[c]) for c in MAXWELL_HEADER) + "\n"
    )
    val = tmp_path / "MaxWell_val.csv"
    val.write_text(
        header + os.path.basename(mini_corpus[1]) + "," + ",".join(str(val_row[c]) for c in MAXWELL_HEADER) + "\n"
    )
    out = str(tmp_path / "lab")
    args = BuildArguments(
        output_dir=out,
        labeled=[str(labeled), str(val)],
        video_dir=os.path.dirname(mini_corpus[0]),
        seed=0,
        **{**FAST, "bench_size": 0},
    )
    result = build_with_card(mini_corpus[:4], args)
    assert result.excluded == 1 and result.counts["scores"]["rows"] == 3
    rows = {r["video_id"]: r for r in load(out, "scores").remove_columns("video")}
    lab = [r for r in rows.values() if r["source"] == "labeled"]
    assert len(lab) == 1
    r = lab[0]
    assert r["mos"] == pytest.approx(3.5)
    for column, dim in MAXWELL_MEANING.items():  # each column lands on its own dimension, mapped [-1, 1] -> [0, 1]
        assert r["scores"][dim] == pytest.approx((train_row[column] + 1) / 2, abs=1e-6), (column, dim)
        assert r["scorers"][dim] == "maxwell-label"
    assert r["scorers"]["flicker"] != "maxwell-label"  # Maxwell has no flicker column: the scorer rates it


def test_maxwell_release_format_with_a_name_list(tmp_path, mini_corpus):
    """The public release: CSVs without a name column, names in a line-aligned list of ``0001.mp4, -1, -1, 1.213``
    lines (``train_labels.txt``); ``--labeled_names`` pairs them."""
    rows = [_maxwell_row(0.02 * i) for i in range(2)]
    labeled = tmp_path / "MaxWell_train.csv"
    labeled.write_text(
        ",".join(MAXWELL_HEADER) + "\n" + "".join(",".join(str(r[c]) for c in MAXWELL_HEADER) + "\n" for r in rows)
    )
    names = tmp_path / "train_labels.txt"
    names.write_text("".join(f"{os.path.basename(p)}, -1, -1, 1.213\n" for p in mini_corpus[:2]))
    out = str(tmp_path / "release")
    args = BuildArguments(
        output_dir=out,
        labeled=[str(labeled)],
        labeled_names=[str(names)],
        video_dir=os.path.dirname(mini_corpus[0]),
        seed=0,
        **{**FAST, "bench_size": 0},
    )
    build_with_card(mini_corpus[:3], args)
    lab = sorted(
        (r for r in load(out, "scores").remove_columns("video") if r["source"] == "labeled"), key=lambda r: r["mos"]
    )
    assert len(lab) == 2
    for r, want in zip(lab, rows):
        assert r["mos"] == pytest.approx(want["O"])
        assert r["scores"]["noise"] == pytest.approx((want["T-3"] + 1) / 2, abs=1e-6)
        assert r["scores"]["color"] == pytest.approx((want["A-3"] + 1) / 2, abs=1e-6)
    # a name list that does not line up with the rows is refused, naming the file
    names.write_text(f"{os.path.basename(mini_corpus[0])}, -1, -1, 1.213\n")
    with pytest.raises(ValueError, match="MaxWell_train.csv: 2 label rows but the name list has 1 names"):
        build_with_card(
            mini_corpus[:3],
            BuildArguments(
                output_dir=str(tmp_path / "bad"),
                labeled=[str(labeled)],
                labeled_names=[str(names)],
                video_dir=os.path.dirname(mini_corpus[0]),
                seed=0,
                **{**FAST, "bench_size": 0},
            ),
        )


def _tiny_garbage_lm(path):
    """Its 'rewrites' are word salad."""
    corpus = [
        "the sharpness of this video is good and the noise is poor",
        "overall the quality is fair excellent bad",
    ] * 20
    return tiny_text_lm(path, corpus, vocab_size=300)


def test_rating_protection_rejects_garbage_rewrites(built, tmp_path, mini_corpus):
    from s2i_hf.text.rewrite import make_rewriter

    out, _ = built
    lm = _tiny_garbage_lm(tmp_path / "garbage-lm")
    rewriter = make_rewriter(lm, max_new_tokens=40)
    rw_out = str(tmp_path / "rw")
    result = build_with_card(
        mini_corpus,
        BuildArguments(
            output_dir=rw_out, seed=7, cache_dir=os.path.join(out, ".score_cache"), rewrite_model=lm, **FAST
        ),
        rewriter=rewriter,
    )
    n_just = sum(1 for c in stage2_items(out) if c["task"] == "justification")
    assert result.rewrite == {"attempted": n_just, "accepted": 0, "rejected": n_just}
    # every garbage rewrite was generated and then failed verification (not skipped for length)
    assert sum(rewriter.rejections.values()) == n_just and "too long" not in rewriter.rejections
    # nothing leaked: the data equals the build without rewriting
    assert_same_tables(parquet_tables(rw_out), parquet_tables(out))
    card = " ".join(open(os.path.join(rw_out, "README.md")).read().split())
    assert f"{n_just} attempted, 0 accepted, {n_just} rejected" in card


def _run_build(argv, log):
    """``s2i build`` in a child process, its output to the file ``log`` (a pipe nobody reads could fill and block)."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    with open(log, "w") as fh:
        return subprocess.Popen(
            [sys.executable, "-m", "s2i_hf", "build", *argv], env=env, stdout=fh, stderr=subprocess.STDOUT, text=True
        )


def _finished(proc, log, timeout=600):
    code = proc.wait(timeout=timeout)
    assert code == 0, open(log).read()[-3000:]


def _scored(cache):
    """Score-cache entries written in full (the atomic writes' ``.tmp-*`` files are not entries yet)."""
    if not os.path.isdir(cache):
        return 0
    return sum(
        len([f for f in fs if f.endswith(".json") and f != "setup.json" and not f.startswith(".tmp-")])
        for _, _, fs in os.walk(cache)
    )


def test_killed_build_resumes_to_the_same_result(tmp_path, mini_corpus):
    common = build_cli_args(seed=3)
    ref_out, log = str(tmp_path / "ref"), str(tmp_path / "build.log")
    _finished(_run_build([*mini_corpus, "--output_dir", ref_out, *common], log), log)
    out = str(tmp_path / "killed")
    cache = os.path.join(out, ".score_cache")
    proc = _run_build([*mini_corpus, "--output_dir", out, *common], log)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None and _scored(cache) < 2:  # kill once some, not all, are scored
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    scored = _scored(cache)
    assert 2 <= scored < len(mini_corpus), scored
    assert not os.path.exists(os.path.join(out, "videos"))
    _finished(_run_build([*mini_corpus, "--output_dir", out, *common], log), log)
    assert_same_tables(parquet_tables(ref_out), parquet_tables(out))
    assert _scored(cache) == len(mini_corpus)  # each video scored once: nothing scored again under another entry


def test_a_second_build_into_one_folder_waits_for_the_first(tmp_path, mini_corpus):
    """Two builds into one folder used to collide (the second removed the first's work folder, or failed with
    "Directory not empty" moving its table over the other's). Here this process holds the folder's build lock, as a
    first build does while it writes: the second scores, says it is waiting, writes nothing, and finishes once the
    lock is released."""
    from filelock import FileLock

    from s2i_hf.dataset_builder.assemble import BUILD_LOCK

    out, log = str(tmp_path / "s2i"), str(tmp_path / "build.log")
    os.makedirs(out)
    first = FileLock(os.path.join(out, BUILD_LOCK))
    first.acquire()
    try:
        proc = _run_build([*mini_corpus, "--output_dir", out, *build_cli_args(seed=3)], log)
        deadline = time.time() + 300
        while time.time() < deadline and proc.poll() is None and "waiting for it to finish" not in open(log).read():
            time.sleep(0.1)
        assert proc.poll() is None, open(log).read()[-3000:]
        assert "another build is writing" in open(log).read() and out in open(log).read()
        assert _scored(os.path.join(out, ".score_cache")) == len(mini_corpus)  # scoring does not wait
        time.sleep(1.0)
        assert not os.path.exists(os.path.join(out, "videos")) and proc.poll() is None  # nothing laid out meanwhile
    finally:
        first.release()
    _finished(proc, log)
    assert load(out, "stage1").num_rows > 0


def test_sharded_build_with_accelerate(tmp_path, mini_corpus):
    out = str(tmp_path / "sharded")
    common = build_cli_args(seed=7)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    cmd = accelerate_launch(
        "s2i_hf.dataset_builder",
        *mini_corpus,
        "--output_dir",
        out,
        *common,
    )
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    cache_dir = next(
        os.path.join(r, "") for r, _, fs in os.walk(os.path.join(out, ".score_cache")) if "setup.json" in fs
    )
    ranks = [
        json.load(open(os.path.join(cache_dir, f)))["rank"]
        for f in os.listdir(cache_dir)
        if f.endswith(".json") and f != "setup.json"
    ]
    assert len(ranks) == len(mini_corpus) and sorted(set(ranks)) == [0, 1]  # each video scored once, both ranks worked
    single = str(tmp_path / "single")
    build_with_card(mini_corpus, BuildArguments(output_dir=single, seed=7, **FAST))
    assert_same_tables(parquet_tables(single), parquet_tables(out))


def test_build_from_a_datasets_video_column(tmp_path, mini_corpus):
    from datasets import Dataset, Features, Video

    rows = [{"bytes": open(p, "rb").read(), "path": os.path.basename(p)} for p in mini_corpus[:3]]
    ds = Dataset.from_dict({"video": rows}, features=Features({"video": Video()}))
    out = str(tmp_path / "fromds")
    result = build_with_card(ds, BuildArguments(output_dir=out, seed=0, **{**FAST, "bench_size": 0}))
    assert result.counts["scores"]["rows"] == 3 and not result.problems
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
    result = build_with_card(
        mini_corpus, BuildArguments(output_dir=out, seed=0, balance_size=5, **{**FAST, "bench_size": 0})
    )
    assert result.dropped_by_balance == 3
    assert result.counts["scores"]["rows"] == 5 - result.dropped_by_disagreement
    assert "quality-balanced to 5 videos" in " ".join(open(os.path.join(out, "README.md")).read().split())


def test_captions_from_a_video_lmm_enter_the_justification(tmp_path, mini_corpus):
    from s2i_hf.testing import make_tiny_model
    from s2i_hf.text.rewrite import make_captioner

    model = make_tiny_model("qwen2_5_vl", tmp_path / "captioner")
    captioner = make_captioner(str(model), num_frames=4, max_new_tokens=8)
    out = str(tmp_path / "captioned")
    build_with_card(
        mini_corpus[:3], BuildArguments(output_dir=out, seed=0, **{**FAST, "bench_size": 0}), captioner=captioner
    )
    scores = {r["video_id"]: r for r in load(out, "scores").remove_columns("video")}
    assert all(isinstance(r["caption"], str) for r in scores.values())
    for row in stage2_items(out):
        if row["task"] == "justification":
            caption = scores[row["video_id"]]["caption"]
            text = assistant_text(row["messages"])
            assert caption and caption.rstrip(".") in text and "shows" in text.split(".")[0]


def test_library_build_without_a_card_writer_still_loads(tmp_path, mini_corpus, built):
    """build_dataset alone writes only the layout card: load_dataset reads every config, and the rows are those a
    build with the full dataset card writes."""
    out = str(tmp_path / "plain")
    ref_out, _ = built
    build_dataset(
        mini_corpus, BuildArguments(output_dir=out, seed=7, cache_dir=os.path.join(ref_out, ".score_cache"), **FAST)
    )
    readme = open(os.path.join(out, "README.md"), encoding="utf-8").read()
    assert "config_name: stage1" in readme and "level_distribution.png" not in readme
    assert not os.path.exists(os.path.join(out, "level_distribution.png"))
    for config in ("scores", "stage1", "stage2", "bench"):
        assert (
            load(out, config).remove_columns("video").to_list()
            == load(ref_out, config).remove_columns("video").to_list()
        )
