"""The reliability suite (issue #7, item 3): what real users throw at `s2i score` and `s2i build`.

A corpus of awkward and broken inputs goes through both commands: nothing crashes, every bad file is
reported under its own name with its reason, and every good file's row is there. A build killed with
SIGKILL (while scoring in a worker pool, or while writing the Parquet files) resumes to exactly the output of
an uninterrupted build; the same seed gives the same Parquet bytes; nothing in the package opens a network
connection when imported.

What counts as usable (decided here, enforced by :func:`s2i_hf.video.load_clip`):

* scored: odd sizes (161x97), the smallest size we judge (16x16: two 8x8 blocks a side, what the blockiness
  scorer needs), 4K, grayscale (``gray`` pixel format), rotated files (frames come in display orientation, and
  the reported width/height are the displayed ones), variable frame rate, and MPEG-TS / Matroska files cut
  mid-GOP: those formats carry no index of their length, so a cut file is simply a shorter video and the
  frames before the cut are scored.
* a clear error: zero bytes, random bytes or text named .mp4, audio only, a single frame (no motion to
  judge: fluency, flicker, stability and trajectory compare neighbouring frames), frames smaller than
  16 pixels a side (2x2: no detail, blocks or layout to judge; scores would be made up), an MP4 whose index
  promises frames that were cut off (moov at the end and cut, or moov at the front and the frame data cut
  mid-GOP: reported as truncated rather than scored on a part the file itself says is incomplete), and a
  manifest entry naming a file that does not exist.
"""

from __future__ import annotations

import glob
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pyarrow.parquet as pq
import pytest
from conftest import ffmpeg, wait_for
from datasets import load_dataset

from s2i_hf import DIMENSION_IDS
from s2i_hf.cli import main as cli_main
from s2i_hf.data_layout import CONFIG_SPLIT, TABLE_DIR, TABLE_SPLITS
from s2i_hf.scoring import read_rows
from s2i_hf.video import video_id_of


SCORE_ARGS = ["--frames", "8", "--window", "4", "--quiet"]
BUILD_ARGS = [*SCORE_ARGS, "--seed", "11", "--bench_size", "3", "--bench_fraction", "0.2"]


# --- the corpus --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, bad_videos):
    """{"inputs": what to pass on the command line, "good": {kind: path}, "bad": {kind: (path, reason)}}."""
    d = tmp_path_factory.mktemp("reliability")
    enc = ["-c:v", "libx264", "-preset", "ultrafast"]
    src = ["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=2"]
    good: dict[str, str] = {}
    bad: dict[str, tuple[str, str]] = {}

    def path(name):
        return str(d / name)

    good["reference"] = path("reference.mp4")
    ffmpeg(*src, *enc, "-pix_fmt", "yuv420p", good["reference"])
    good["odd_size"] = path("odd_161x97.mp4")
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=25:duration=1",
        "-vf",
        "scale=161:97",
        *enc,
        "-pix_fmt",
        "yuv444p",
        good["odd_size"],
    )
    good["tiny_16x16"] = path("tiny_16x16.mp4")
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=16x16:rate=25:duration=1", *enc, "-pix_fmt", "yuv420p", good["tiny_16x16"]
    )
    good["uhd_4k"] = path("uhd_3840x2160.mp4")  # three frames keep it fast
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=3840x2160:rate=25",
        "-frames:v",
        "3",
        *enc,
        "-pix_fmt",
        "yuv420p",
        good["uhd_4k"],
    )
    good["grayscale"] = path("gray.mkv")
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=160x120:rate=25:duration=1",
        "-c:v",
        "ffv1",
        "-pix_fmt",
        "gray",
        good["grayscale"],
    )
    good["rotated"] = path("rotated_90.mp4")
    upright = path("upright.tmp.mp4")
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=1", *enc, "-pix_fmt", "yuv420p", upright)
    try:  # FFmpeg >= 6.1
        ffmpeg("-display_rotation:v:0", "90", "-i", upright, "-c", "copy", good["rotated"])
    except RuntimeError:  # older FFmpeg writes the display matrix from the 'rotate' tag
        ffmpeg("-i", upright, "-c", "copy", "-metadata:s:v:0", "rotate=90", good["rotated"])
    os.remove(upright)
    good["variable_fps"] = path("vfr.mp4")  # 20 frames at 25 fps, then 30 at 10 fps
    vfr = [
        "-vf",
        "setpts='if(lt(N,20),N/25/TB,(20/25+(N-20)/10)/TB)'",
        *enc,
        "-pix_fmt",
        "yuv420p",
        good["variable_fps"],
    ]
    try:  # FFmpeg >= 5.1
        ffmpeg(*src, "-fps_mode", "vfr", *vfr)
    except RuntimeError:
        ffmpeg(*src, "-vsync", "vfr", *vfr)
    for fmt, ext in (("mpegts", "ts"), ("matroska", "mkv")):  # cut mid-GOP (a keyframe every 25 frames)
        full = path(f"full.tmp.{ext}")
        ffmpeg(*src, *enc, "-pix_fmt", "yuv420p", "-g", "25", "-f", fmt, full)
        data = open(full, "rb").read()
        os.remove(full)
        good[f"truncated_{ext}"] = path(f"truncated_mid_gop.{ext}")
        with open(good[f"truncated_{ext}"], "wb") as fh:
            fh.write(data[: int(len(data) * 0.55) + 7])

    faststart = path("faststart.tmp.mp4")
    ffmpeg(*src, *enc, "-pix_fmt", "yuv420p", "-g", "25", "-movflags", "+faststart", faststart)
    data = open(faststart, "rb").read()
    os.remove(faststart)
    bad["truncated_mid_gop"] = (path("truncated_mid_gop.mp4"), "truncated")
    with open(bad["truncated_mid_gop"][0], "wb") as fh:  # the index (moov) is complete, half the frames are not
        fh.write(data[: len(data) // 2 + 7])
    bad["tiny_2x2"] = (path("tiny_2x2.mp4"), "2x2 pixels")
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=2x2:rate=25:duration=1", *enc, "-pix_fmt", "yuv420p", bad["tiny_2x2"][0]
    )
    bad["zero_bytes_copy"] = (path("empty.mkv"), "empty")  # same content as bad_videos' zero.mp4
    open(bad["zero_bytes_copy"][0], "wb").close()
    reasons = {
        "zero_bytes": "empty",
        "truncated": "not a decodable video",
        "random_bytes": "not a decodable video",
        "text": "not a decodable video",
        "audio_only": "no video stream",
        "one_frame": "has 1 frame",
    }
    for kind, reason in reasons.items():
        bad[kind] = (bad_videos[kind], reason)

    # manifests (resolve_videos: .csv with a path column, .jsonl with a path field), each naming a missing file
    lists = tmp_path_factory.mktemp("lists")
    csv_manifest = lists / "videos.csv"
    csv_manifest.write_text(f"path,mos\n{good['reference']},3.2\n{d / 'ghost.mp4'},2.0\n")
    jsonl_manifest = lists / "videos.jsonl"
    jsonl_manifest.write_text(
        json.dumps({"path": good["odd_size"]}) + "\n" + json.dumps({"path": "gone/away.mp4"}) + "\n"
    )
    bad["missing_in_csv"] = (str(d / "ghost.mp4"), f"listed in manifest {csv_manifest} does not exist")
    bad["missing_in_jsonl"] = (str(lists / "gone/away.mp4"), f"listed in manifest {jsonl_manifest} does not exist")

    files = sorted({*good.values(), *(p for p, _ in bad.values() if os.path.exists(p))})
    inputs = [*files, str(csv_manifest), str(jsonl_manifest)]
    return {"inputs": inputs, "good": good, "bad": bad}


def parquet_files(out):
    """The build's Parquet files (the one per-video table, ``videos/``), by name."""
    table = os.path.join(out, TABLE_DIR)
    return sorted(os.listdir(table)) if os.path.isdir(table) else []


def table_ids(out, split):
    """The video ids of one file set (``train`` or ``bench``) of the per-video table."""
    files = sorted(glob.glob(os.path.join(out, TABLE_DIR, f"{split}-*.parquet")))
    return [i for f in files for i in pq.read_table(f, columns=["video_id"]).column("video_id").to_pylist()]


def assert_same_parquet(a, b):
    files_a, files_b = parquet_files(a), parquet_files(b)
    assert files_a == files_b and {n.split("-")[0] for n in files_a} == set(TABLE_SPLITS)
    for name in files_a:
        pa, pb = os.path.join(a, TABLE_DIR, name), os.path.join(b, TABLE_DIR, name)
        assert pq.read_table(pa).equals(pq.read_table(pb)), f"{TABLE_DIR}/{name} differs"
        assert open(pa, "rb").read() == open(pb, "rb").read(), f"{TABLE_DIR}/{name}: same content, other bytes"


def problems_of(out):
    with open(os.path.join(out, "build_report.json"), encoding="utf-8") as fh:
        return json.load(fh)["problems"]


def check_scored(row):
    assert row["error"] is None, row["error"]
    assert set(row["scores"]) == set(DIMENSION_IDS)
    assert all(0.0 <= v <= 1.0 for v in row["scores"].values())


# --- s2i score ---------------------------------------------------------------------------------------


def test_scores_do_not_depend_on_the_worker_count(corpus, tmp_path):
    """A damaged stream (a .ts cut mid-GOP) decodes differently with another FFmpeg thread count; scoring in
    one process and in a pool of two must still agree exactly (a build resumed with other --workers relies on it)."""
    videos = [corpus["good"]["truncated_ts"], corpus["good"]["truncated_mkv"], corpus["good"]["reference"]]
    rows = {}
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}" / "scores.jsonl"
        assert cli_main(["score", *videos, "--output_dir", str(out.parent), *SCORE_ARGS, "--workers", workers]) == 0
        rows[workers] = {r["path"]: (r["scores"], r["overall_score"]) for r in read_rows(out)}
    assert len(rows["1"]) == 3 and rows["1"] == rows["2"]


def test_score_reports_every_bad_file_and_keeps_every_good_one(corpus, tmp_path, capsys):
    out = tmp_path / "scores.jsonl"
    assert cli_main(["score", *corpus["inputs"], "--output_dir", str(tmp_path), *SCORE_ARGS]) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err
    rows = read_rows(out)
    by_path = {r["path"]: r for r in rows}
    assert len(by_path) == len(rows) == len(corpus["good"]) + len(corpus["bad"])  # one row per file, none twice
    for kind, path in corpus["good"].items():
        check_scored(by_path[path])
    for kind, (path, reason) in corpus["bad"].items():
        row = by_path[path]
        assert row["error"] and row["error"].startswith(f"{path}: ") and reason in row["error"], (kind, row["error"])
        assert ".cpp" not in row["error"] and "scores" not in row
        assert f"error: {row['error']}" in err  # and in the summary on stderr
    assert f"scored {len(corpus['good'])} of {len(rows)} videos" in err

    video = {k: by_path[p]["video"] for k, p in corpus["good"].items()}
    assert (video["odd_size"]["width"], video["odd_size"]["height"]) == (161, 97)
    assert (video["uhd_4k"]["width"], video["uhd_4k"]["height"], video["uhd_4k"]["num_frames"]) == (3840, 2160, 3)
    assert (video["rotated"]["width"], video["rotated"]["height"]) == (120, 160)  # display orientation
    assert 10 < video["variable_fps"]["fps"] < 25 and video["variable_fps"]["num_frames"] == 50
    for ext in ("ts", "mkv"):  # the frames before the cut
        assert 15 <= video[f"truncated_{ext}"]["num_frames"] < 50


def test_malformed_manifests_are_reported_not_raised(tmp_path, corpus):
    from s2i_hf.video import resolve_videos

    (tmp_path / "rows.jsonl").write_text('1\n["a"]\n')
    (tmp_path / "binary.csv").write_bytes(os.urandom(2000) + b"\xff")
    (tmp_path / "nocolumn.tsv").write_text("a\tb\n1\t2\n")
    found, problems = resolve_videos(
        [str(tmp_path / n) for n in ("rows.jsonl", "binary.csv", "nocolumn.tsv")] + [corpus["good"]["reference"]]
    )
    assert [r.path for r in found] == [corpus["good"]["reference"]]
    assert [p for p, _ in problems] == [str(tmp_path / n) for n in ("rows.jsonl", "binary.csv", "nocolumn.tsv")]
    assert all(reason.startswith("unreadable manifest") for _, reason in problems), problems
    assert "must be a JSON object" in problems[0][1]


# --- s2i build ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(corpus, tmp_path_factory):
    """The uninterrupted reference build of the whole corpus (CLI, in this process)."""
    out = str(tmp_path_factory.mktemp("built") / "s2i-reliability")  # a base name of its own (datasets caches by it)
    assert cli_main(["build", *corpus["inputs"], "--output_dir", out, *BUILD_ARGS]) == 0
    return out


def test_build_reports_every_bad_file_and_keeps_every_good_one(corpus, built):
    scores = pq.read_table(os.path.join(built, TABLE_DIR), columns=["video_id", "split", "scores"]).to_pylist()
    ids = [r["video_id"] for r in scores]
    good_ids = {video_id_of(p) for p in corpus["good"].values()}
    assert len(ids) == len(set(ids)) == len(good_ids) and set(ids) == good_ids  # every good file once
    for r in scores:
        assert set(r["scores"]) == set(DIMENSION_IDS) and all(0.0 <= v <= 1.0 for v in r["scores"].values())
    train = {r["video_id"] for r in scores if r["split"] == "train"}
    bench = {r["video_id"] for r in scores if r["split"] == "bench"}
    assert bench and train | bench == good_ids
    for config, expected in (("stage1", train), ("stage2", train), ("bench", bench)):
        rows = load_dataset(built, config, split=CONFIG_SPLIT[config])
        assert sorted(rows["video_id"]) == sorted(expected), config  # each video once, in its own config
    assert sorted(table_ids(built, "train")) == sorted(train) and sorted(table_ids(built, "bench")) == sorted(bench)

    report = json.load(open(os.path.join(built, "build_report.json")))
    problems = {p["path"]: p["error"] for p in report["problems"]}
    assert len(problems) == len(report["problems"]) == len(corpus["bad"])  # each bad file once, under its own name
    for kind, (path, reason) in corpus["bad"].items():
        assert problems[path].startswith(f"{path}: ") and reason in problems[path], (kind, problems[path])
    assert report["counts"]["scores"]["videos"] == len(good_ids)
    assert not [d for d in os.listdir(built) if d.startswith(".build-")]


def test_same_seed_twice_gives_identical_parquet_bytes(corpus, built, tmp_path, capsys):
    again = str(tmp_path / "again")  # its own score cache: scoring is deterministic too
    assert cli_main(["build", *corpus["inputs"], "--output_dir", again, *BUILD_ARGS]) == 0
    assert "Generating" not in capsys.readouterr().err  # --quiet silences datasets' progress bars as well
    assert_same_parquet(built, again)
    assert problems_of(again) == problems_of(built)  # the reasons too


def _run_build(argv):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "s2i_hf", "build", *argv],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _cached_entries(cache_root):
    return sum(
        len([f for f in fs if f.endswith(".json") and f != "setup.json" and not f.startswith(".tmp-")])
        for _, _, fs in os.walk(cache_root)
    )


def _children(pid):
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry))
    return out


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads worker processes from /proc")
def test_build_killed_while_scoring_in_a_worker_pool_resumes_exactly(corpus, built, tmp_path):
    """SIGKILL during scoring with --workers 2: no orphaned workers; the resumed build equals the reference.

    (tests/test_build.py kills a single-process build while scoring; this adds the worker pool.)
    """
    out = str(tmp_path / "killed")
    cache = os.path.join(out, ".score_cache")
    proc = _run_build([*corpus["inputs"], "--output_dir", out, *BUILD_ARGS, "--workers", "2"])
    workers = []
    try:
        wait_for(lambda: _cached_entries(cache) >= 2, proc, "two videos were scored")
        workers = _children(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert workers, "the build runs a worker pool"
        deadline = time.time() + 10
        while time.time() < deadline and any(_alive(w) for w in workers):
            time.sleep(0.05)
        assert not any(_alive(w) for w in workers), "scoring workers outlived their killed parent"
    finally:
        for w in workers:  # never leave them behind, even when the test fails
            if _alive(w):
                os.kill(w, signal.SIGKILL)
    scored = _cached_entries(cache)
    total = len(
        {
            video_id_of(p)
            for p in [*corpus["good"].values(), *(p for p, _ in corpus["bad"].values() if os.path.exists(p))]
        }
    )
    assert 2 <= scored < total, scored
    assert not os.path.exists(os.path.join(out, TABLE_DIR))
    assert cli_main(["build", *corpus["inputs"], "--output_dir", out, *BUILD_ARGS]) == 0
    assert_same_parquet(built, out)
    assert _cached_entries(cache) == total  # nothing scored twice under another name, nothing lost
    # the same reasons, although FFmpeg ran with other thread counts in the pool's workers
    assert problems_of(out) == problems_of(built)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads worker processes from /proc")
def test_score_killed_with_two_workers_rescoring_only_what_is_missing(corpus, tmp_path):
    """SIGKILL during `s2i score --workers 2`: the rows written before the kill stay as they are, a re-run scores
    only the videos that are missing, and the result has every input's row, like an uninterrupted run."""
    out = tmp_path / "scores.jsonl"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    argv = ["score", *corpus["inputs"], "--output_dir", str(tmp_path), *SCORE_ARGS]
    proc = subprocess.Popen(
        [sys.executable, "-m", "s2i_hf", *argv, "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    workers = []
    try:
        wait_for(
            lambda: out.exists() and sum(not r.get("error") for r in read_rows(out)) >= 2,
            proc,
            "two videos were scored",
        )
        workers = _children(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.time() + 10
        while time.time() < deadline and any(_alive(w) for w in workers):
            time.sleep(0.05)
        assert not any(_alive(w) for w in workers), "scoring workers outlived their killed parent"
    finally:
        for w in workers:
            if _alive(w):
                os.kill(w, signal.SIGKILL)
    before = read_rows(out)
    reference = tmp_path / "reference" / "scores.jsonl"
    assert cli_main(["score", *corpus["inputs"], "--output_dir", str(reference.parent), *SCORE_ARGS]) == 0
    expected = {r["path"]: r for r in read_rows(reference)}
    assert sum(not r.get("error") for r in before) >= 2 and len(before) < len(expected), len(before)
    # mark what the killed run finished: a re-run that scored these again would drop the marks
    with open(out, "w", encoding="utf-8") as fh:
        for r in before:
            fh.write(json.dumps({**r, "marker": "killed run"}) + "\n")
    assert cli_main(argv) == 0
    after = read_rows(out)
    assert [r["path"] for r in after] == [r["path"] for r in read_rows(reference)]  # input order, nothing lost
    kept = {r["path"] for r in after if r.get("marker") == "killed run"}
    # finished rows (scores and recorded errors alike, same file content) are not redone
    assert kept == {r["path"] for r in before}, "finished rows were scored again"
    for r in after:
        want = expected[r["path"]]
        assert r.get("error") == want.get("error"), r["path"]
        if not want.get("error"):
            assert r["scores"] == pytest.approx(want["scores"], abs=1e-6), r["path"]


def _exit_on_victim(clip):
    """A scorer whose process dies (as a decoder crash would kill it) on the video named victim."""
    if "victim" in os.path.basename(clip.source):
        os._exit(3)
    return 0.5


def test_a_worker_dying_on_one_video_records_it_and_scores_the_rest(corpus, tmp_path):
    """The BrokenProcessPool path: a worker killed mid-video breaks the pool; only that video gets an error row
    (naming it and the crash), every other video in the pool is scored."""
    from s2i_hf.frames import FrameSampling
    from s2i_hf.scoring import VideoScorer, score_videos

    good = [corpus["good"][k] for k in ("reference", "odd_size", "grayscale")]
    victim = str(tmp_path / "victim.mp4")
    with open(corpus["good"]["reference"], "rb") as src, open(victim, "wb") as dst:
        dst.write(src.read())
    scorer = VideoScorer(scorers={"exposure": _exit_on_victim}, sampling=FrameSampling.windows(num_frames=8, window=4))
    rows = score_videos([good[0], victim, *good[1:]], tmp_path / "s.jsonl", scorer=scorer, workers=2, progress=False)
    by_path = {r["path"]: r for r in rows}
    assert set(by_path) == {*good, victim}
    assert "victim.mp4: the scoring process crashed on this video" in by_path[victim]["error"]
    for p in good:
        assert not by_path[p].get("error"), by_path[p]
        assert by_path[p]["scores"]["exposure"] == 0.5 and set(by_path[p]["scores"]) == set(DIMENSION_IDS)
    assert len(read_rows(tmp_path / "s.jsonl")) == 4


def test_build_killed_while_writing_parquet_resumes_exactly(corpus, built, tmp_path):
    """SIGKILL while datasets writes the Parquet table: the table is absent or whole, and the re-run repairs it."""
    out = str(tmp_path / "killed")
    # the reference's score cache: this build goes straight to writing
    argv = [*corpus["inputs"], "--output_dir", out, *BUILD_ARGS, "--cache_dir", os.path.join(built, ".score_cache")]
    proc = _run_build(argv)
    wait_for(
        lambda: glob.glob(os.path.join(out, ".build-*", "prepared*")), proc, "the Parquet files were being written"
    )
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    assert not os.path.exists(os.path.join(out, "build_report.json"))  # killed before the end...
    assert [d for d in os.listdir(out) if d.startswith(".build-")]  # ... with its work folder left behind
    assert parquet_files(out) in ([], parquet_files(built))  # the table is replaced in one rename: never half
    assert cli_main(["build", *argv]) == 0
    assert_same_parquet(built, out)
    assert not [d for d in os.listdir(out) if d.startswith(".build-")]


# --- no network -------------------------------------------------------------------------------------

_IMPORT_EVERYTHING = textwrap.dedent(
    """
    import importlib, json, os, pkgutil, socket, sys, tomllib

    attempts = []
    LOCAL = ("127.", "::1", "localhost", "0.0.0.0")

    def remote(address):
        if not isinstance(address, tuple):  # AF_UNIX
            return False
        host = address[0].decode() if isinstance(address[0], bytes) else str(address[0])
        return not host.startswith(LOCAL)

    def guard(name, real):
        def guarded(self, address, *rest):
            if remote(address):
                attempts.append(f"{name} {address!r}")
                raise OSError(f"network access at import: {name} {address!r}")
            return real(self, address, *rest)
        return guarded

    for name in ("connect", "connect_ex"):
        setattr(socket.socket, name, guard(name, getattr(socket.socket, name)))
    _sendto = socket.socket.sendto
    def sendto(self, data, *args):
        if remote(args[-1]):
            attempts.append(f"sendto {args[-1]!r}")
            raise OSError("network access at import: sendto")
        return _sendto(self, data, *args)
    socket.socket.sendto = sendto
    _getaddrinfo = socket.getaddrinfo
    def getaddrinfo(host, *args, **kwargs):
        if host is not None and not str(host).startswith(LOCAL):
            attempts.append(f"getaddrinfo {host!r}")
            raise OSError(f"network access at import: name lookup of {host!r}")
        return _getaddrinfo(host, *args, **kwargs)
    socket.getaddrinfo = getaddrinfo

    HEAVY = ("torch", "transformers", "trl", "datasets", "accelerate", "peft")
    import s2i_hf, s2i_hf.cli, s2i_hf.dimensions, s2i_hf.levels, s2i_hf.video
    heavy_at_start = sorted(m for m in HEAVY if m in sys.modules)

    # every package the distribution installs (s2i_hf and the siblings mapped into it), every module in them
    config = tomllib.load(open(sys.argv[1], "rb"))["tool"]["setuptools"]
    names = set()
    for package in config["packages"]:
        module = importlib.import_module(package)
        names.add(package)
        names.update(m.name for m in pkgutil.walk_packages(module.__path__, package + "."))
    failures = {}
    for name in sorted(names):
        if name.rsplit(".", 1)[-1] == "__main__":  # runs the CLI
            continue
        try:
            importlib.import_module(name)
        except Exception as exc:
            failures[name] = f"{type(exc).__name__}: {exc}"
    print(json.dumps({"modules": sorted(names), "attempts": attempts, "failures": failures, "heavy_at_start": heavy_at_start}))
    """
)


def test_importing_every_module_opens_no_connection(tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))
    }  # not offline: a module that phones home would try
    proc = subprocess.run(
        [sys.executable, "-c", _IMPORT_EVERYTHING, os.path.join(root, "pyproject.toml")],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(tmp_path),
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(report["modules"]) > 20 and "s2i_hf.dataset_builder.assemble" in report["modules"]
    assert report["attempts"] == [], report["attempts"]
    assert report["failures"] == {}, report["failures"]
    # bonus: the core (and the CLI's start) imports none of the heavy ML stack
    assert report["heavy_at_start"] == [], report["heavy_at_start"]
