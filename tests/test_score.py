"""`s2i score` and the Python function behind it, on the real sample clips and a corpus of bad files."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from s2i_hf import DIMENSION_IDS
from s2i_hf.cli import main as cli_main
from s2i_hf.frames import FrameSampling
from s2i_hf.levels import DEFAULT_SCALE
from s2i_hf.scoring import DimensionScores, VideoScorer, read_rows, register_scorer, score_videos
from s2i_hf.video import Clip


FAST = FrameSampling.windows(num_frames=16, window=4)


def check_row(row):
    assert row["error"] is None
    assert len(row["video_id"]) == 16
    assert set(row["scores"]) == set(DIMENSION_IDS) == set(row["levels"]) == set(row["scorers"])
    for dim, score in row["scores"].items():
        assert 0.0 <= score <= 1.0
        assert row["levels"][dim] == DEFAULT_SCALE.level(score)
    assert row["overall_level"] == DEFAULT_SCALE.level(row["overall_score"])
    again = DimensionScores.from_scores(row["scores"])
    assert again.overall_score == pytest.approx(row["overall_score"])
    assert again.group_levels == row["group_levels"]


@pytest.fixture(scope="module")
def scorer():
    return VideoScorer(sampling=FAST)


def test_good_and_bad_videos_in_one_run(tmp_path, sample_clips, bad_videos, scorer):
    good = [sample_clips["carphone_pristine"], sample_clips["bikes"]]
    bad = [bad_videos[k] for k in ("zero_bytes", "truncated", "random_bytes", "audio_only", "one_frame")]
    inputs = [good[0], *bad, good[1], str(tmp_path / "missing.mp4")]
    out = tmp_path / "scores.jsonl"
    rows = score_videos(inputs, out, scorer=scorer, progress=False)
    assert len(rows) == len(inputs)
    by_path = {r["path"]: r for r in rows}
    for path in good:
        check_row(by_path[path])
    reasons = {
        "zero_bytes": "empty",
        "truncated": "not a decodable video",
        "random_bytes": "not a decodable video",
        "audio_only": "no video stream",
        "one_frame": "1 frame",
    }
    for kind, reason in reasons.items():
        err = by_path[bad_videos[kind]]["error"]
        assert bad_videos[kind] in err and reason in err, err
    assert "no such file" in by_path[str(tmp_path / "missing.mp4")]["error"]
    assert [r["path"] for r in read_rows(out)] == [r["path"] for r in rows]  # the file holds every row, input order


def test_resume_skips_finished_videos_and_drops_torn_lines(tmp_path, sample_clips, scorer):
    inputs = [sample_clips["carphone_pristine"], sample_clips["carphone_distorted"]]
    out = tmp_path / "scores.jsonl"
    first = score_videos(inputs, out, scorer=scorer, progress=False)
    lines = out.read_text().splitlines()
    kept = json.loads(lines[0])
    kept["marker"] = "from the first run"
    # as if the run had been killed while writing the second row
    out.write_text(json.dumps(kept) + "\n" + lines[1][: len(lines[1]) // 2])
    second = score_videos(inputs, out, scorer=scorer, progress=False)
    assert second[0].get("marker") == "from the first run"  # not scored again
    assert "marker" not in second[1] and second[1]["scores"] == first[1]["scores"]
    assert len(read_rows(out)) == 2


def test_two_workers_give_the_same_rows(tmp_path, sample_clips, scorer):
    inputs = sorted(sample_clips.values())
    one = score_videos(inputs, None, scorer=scorer, progress=False)
    two = score_videos(inputs, tmp_path / "w2.jsonl", scorer=scorer, workers=2, progress=False)
    assert [r["path"] for r in two] == inputs
    for a, b in zip(one, two):
        assert a["scores"] == pytest.approx(b["scores"], abs=1e-6)


def test_custom_callable_scorer_replaces_a_dimension(sample_clips):
    def mean_brightness(clip):
        return float(clip.luma.mean())

    register_scorer("test_mean_brightness", mean_brightness, dimension="exposure", overwrite=True)
    vs = VideoScorer(scorers={"exposure": "test_mean_brightness", "lighting": lambda clip: 0.5}, sampling=FAST)
    res = vs.score(sample_clips["bikes"])
    assert vs.provenance["exposure"] == "test_mean_brightness@1"
    assert res.scores["lighting"] == 0.5
    assert res.scores["exposure"] == pytest.approx(float(vs.load(sample_clips["bikes"]).luma.mean()))
    with pytest.raises(ValueError, match="unknown dimensions"):
        VideoScorer(scorers={"blur": "x"})


def test_score_from_a_datasets_video_column(sample_clips, scorer):
    from datasets import Dataset, Video

    ds = Dataset.from_dict({"video": [sample_clips["carphone_pristine"]]}).cast_column("video", Video())
    rows = score_videos(ds, None, scorer=scorer, progress=False)
    check_row(rows[0])


def test_cli_end_to_end(tmp_path, sample_clips, bad_videos):
    out = tmp_path / "scores.jsonl"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "s2i_hf",
            "score",
            sample_clips["carphone_pristine"],
            bad_videos["random_bytes"],
            "--output_dir",
            str(tmp_path),
            "--frames",
            "16",
            "--window",
            "4",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    rows = read_rows(out)
    assert len(rows) == 2 and rows[0]["error"] is None and "not a decodable video" in rows[1]["error"]
    assert "scored 1 of 2 videos" in proc.stderr and bad_videos["random_bytes"] in proc.stderr
    assert "carphone_pristine.mp4" in proc.stdout  # the summary table


def test_cli_errors_are_clear(tmp_path, capsys):
    with pytest.raises(SystemExit):
        cli_main(["score", "--output_dir", str(tmp_path)])
    assert "--samples" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli_main(["score", "--samples", "--output_dir", str(tmp_path), "--scorer", "blur=foo"])
    assert "unknown dimension 'blur'" in capsys.readouterr().err
    assert cli_main(["nonsense"]) == 2


def test_cli_scorer_module_and_list(tmp_path, capsys, sample_clips):
    module = tmp_path / "my_scorers.py"
    module.write_text(
        "from s2i_hf.scoring import register_scorer\n"
        "register_scorer('always_fair', lambda clip: 0.5, dimension='content', overwrite=True)\n"
    )
    assert cli_main(["score", "--scorer_module", str(module), "--list_scorers"]) == 0
    listing = capsys.readouterr().out
    assert "always_fair" in listing and "(default for sharpness)" in listing
    out = tmp_path / "scores.jsonl"
    assert (
        cli_main(
            [
                "score",
                sample_clips["carphone_pristine"],
                "--output_dir",
                str(tmp_path),
                "--scorer_module",
                str(module),
                "--scorer",
                "content=always_fair",
                "--frames",
                "8",
                "--window",
                "4",
                "--quiet",
            ]
        )
        == 0
    )
    row = read_rows(out)[0]
    assert row["scores"]["content"] == 0.5 and row["scorers"]["content"] == "always_fair@1"


def test_pyiqa_adapter_offline(tmp_path, sample_clips, capsys):
    if os.environ.get("CI"):
        import pyiqa  # noqa: F401  (a test extra: on CI a broken install must fail, not skip)
    else:
        pytest.importorskip("pyiqa")
    from s2i_hf.scoring import ScorerError, create_scorer
    from s2i_hf.scoring.pyiqa_adapter import configure_pyiqa

    configure_pyiqa(weights_dir=str(tmp_path / "weights"), allow_download=False)
    piqe = create_scorer("pyiqa:piqe", dimension="noise")  # a metric with no weights
    clip = VideoScorer(sampling=FrameSampling.windows(num_frames=8, window=4)).load(sample_clips["carphone_pristine"])
    out = piqe(clip)
    assert 0.0 <= out.score <= 1.0 and 0 < out.raw < 100
    # PIQE is lower-is-better: heavy grain raises the raw value and must lower the score (the flip)
    rng = np.random.default_rng(0)
    noisy_frames = np.clip(clip.frames + rng.normal(0, 40, clip.frames.shape), 0, 255).astype(np.uint8)
    noisy = piqe(Clip.from_frames(noisy_frames, fps=clip.fps, window=4))
    assert noisy.raw > out.raw and noisy.score < out.score
    with pytest.raises(ScorerError, match="niqe_modelparameters.mat.*--allow_download"):
        create_scorer("pyiqa:niqe")  # needs a parameter file that is not there: no download attempt
    with pytest.raises(SystemExit):
        cli_main(
            [
                "score",
                sample_clips["bikes"],
                "--output_dir",
                str(tmp_path),
                "--scorer",
                "sharpness=pyiqa:niqe",
                "--pyiqa_weights",
                str(tmp_path / "weights"),
            ]
        )
    assert "niqe_modelparameters.mat" in capsys.readouterr().err
