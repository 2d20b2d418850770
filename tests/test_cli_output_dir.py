"""One output flag for every `s2i` command, `--output_dir`; the old spellings (`--out DIR`, `--out FILE`, `s2i train
--output`) still work and say, with a FutureWarning, which flag to use instead.

The work behind each command is replaced by a recorder where it is slow (building, evaluating, training, the demo):
what is checked is where the command's output goes."""

from __future__ import annotations

import os
import types
import warnings

import pytest

from s2i_hf.cli import main as s2i


def _run(argv):
    """Run ``s2i ARGV``; returns (exit code, the FutureWarnings it raised)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code = s2i(argv)
    return code, [str(w.message) for w in caught if issubclass(w.category, FutureWarning)]


def _check(code, future, old: str | None):
    assert code == 0
    if old is None:
        assert not [m for m in future if "deprecated" in m], future
    else:
        assert any(f"--{old}" in m and "deprecated" in m and "--output_dir" in m for m in future), future


@pytest.fixture
def recorded(monkeypatch):
    """Replace the slow work of build, eval, train and demo by recorders of the output folder they were given."""
    seen = {}

    def build_dataset(videos, args, **kwargs):
        seen["build"] = args.output_dir
        return types.SimpleNamespace(out=args.output_dir, counts={}, bytes={}, rewrite={}, problems=[])

    def evaluate(model, output_dir, **kwargs):
        seen["eval"] = output_dir
        return types.SimpleNamespace(errors={})

    def run_training(script_args, config, model_args):
        seen["train"] = (script_args.output or config.output_dir, config.stage_config(1, "x").output_dir)
        return {"stages": {}, "outputs": {}}

    def run_demo(config):
        seen["demo"] = config.output_dir
        return {}

    monkeypatch.setattr("s2i_hf.dataset_builder.build_dataset", build_dataset)
    monkeypatch.setattr("s2i_hf.eval_suite.tasks.evaluate", evaluate)
    monkeypatch.setattr("s2i_hf.eval_suite.tasks.read_vqa_sets", lambda *a, **k: [])
    monkeypatch.setattr("s2i_hf.eval_suite.tasks.results_table", lambda results: "")
    monkeypatch.setattr("s2i_hf.trainers.run.run_training", run_training)
    monkeypatch.setattr("s2i_hf.demo.run_demo", run_demo)
    monkeypatch.setattr("s2i_hf.demo.format_summary", lambda summary: "")
    return seen


@pytest.mark.parametrize("old", [None, "out"])
def test_build_eval_demo_write_into_output_dir(recorded, tmp_path, old):
    flag = f"--{old or 'output_dir'}"
    target = str(tmp_path / "o")
    _check(*_run(["build", "clip.mp4", flag, target]), old)
    _check(*_run(["eval", "--model", "m", "--vqa", "konvid_1k=/videos", flag, target]), old)
    _check(*_run(["demo", flag, target, "--quick"]), old)
    assert recorded == {"build": target, "eval": target, "demo": target}


@pytest.mark.parametrize("old", [None, "output"])
def test_train_output_dir_is_the_one_flag(recorded, tmp_path, old):
    """`s2i train --output_dir` is SFTConfig's own option and the output folder; each stage's checkpoints go to
    OUTPUT_DIR/checkpoints/stage{1,2}/ as before."""
    target = str(tmp_path / "run")
    code, future = _run(["train", "--model", "m", "--data", "d", f"--{old or 'output_dir'}", target])
    _check(code, future, old)
    out, _ = recorded["train"]
    assert out == target
    from s2i_hf.trainers.config import S2ITrainConfig

    config = S2ITrainConfig(output_dir=target)
    stage = config.stage_config(2, os.path.join(config.output_dir, "checkpoints", "stage2"))
    assert stage.output_dir == os.path.join(target, "checkpoints", "stage2")


def test_old_and_new_spelling_together(recorded, tmp_path, capsys):
    with pytest.raises(SystemExit):
        s2i(["build", "clip.mp4", "--out", str(tmp_path / "a"), "--output_dir", str(tmp_path / "b")])
    assert "disagree" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        s2i(["train", "--model", "m", "--data", "d", "--output", str(tmp_path / "a"), "--output_dir", "b"])
    assert "disagree" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        s2i(["train", "--model", "m", "--data", "d"])
    assert "--output_dir" in capsys.readouterr().err
    # the same folder twice is no conflict
    assert s2i(["demo", "--out", str(tmp_path / "a"), "--output_dir", str(tmp_path / "a")]) == 0
    assert recorded["demo"] == str(tmp_path / "a")


def test_python_callers_keep_the_old_keyword():
    from s2i_hf.dataset_builder import BuildArguments
    from s2i_hf.demo import DemoConfig

    with pytest.warns(DeprecationWarning, match="output_dir"):
        args = BuildArguments(out="folder")
    assert args.output_dir == "folder" and args.out is None
    with pytest.warns(DeprecationWarning, match="output_dir"):
        cfg = DemoConfig(out="demo-folder").resolved()
    assert cfg.output_dir == "demo-folder" and cfg.out is None
    assert DemoConfig().output_dir == "s2i_demo"


def test_score_writes_scores_jsonl_in_output_dir(monkeypatch, tmp_path, capsys):
    written = []

    def score_videos(videos, out, **kwargs):
        written.append(out)
        return [{"path": videos[0], "error": "not scored in this test"}]

    monkeypatch.setattr("s2i_hf.scoring.score_videos", score_videos)
    _run(["score", "clip.mp4", "--output_dir", str(tmp_path)])
    code, future = _run(["score", "clip.mp4", "--out", str(tmp_path / "mine.jsonl")])
    assert written == [str(tmp_path / "scores.jsonl"), str(tmp_path / "mine.jsonl")]
    assert any("--out FILE is deprecated, use --output_dir DIR" in m for m in future), future
    with pytest.raises(SystemExit):  # a file name given as the folder
        s2i(["score", "clip.mp4", "--output_dir", str(tmp_path / "scores.jsonl")])
    assert "is a folder" in capsys.readouterr().err


def test_leaderboard_writes_leaderboard_md_in_output_dir(tmp_path):
    from s2i_hf.artifacts import EvalRecord

    results = tmp_path / "results"
    results.mkdir()
    for model, srcc in (("org/a", 0.5), ("org/b", 0.7)):
        EvalRecord(model_id=model, dataset="konvid_1k", task="vqa", n=10, metrics={"srcc": srcc, "plcc": srcc}).save(
            str(results)
        )
    code, future = _run(["leaderboard", str(results), "--output_dir", str(tmp_path / "board"), "--no_plot"])
    _check(code, future, None)
    assert "| org/b |" in (tmp_path / "board" / "leaderboard.md").read_text()
    code, future = _run(["leaderboard", str(results), "--out", str(tmp_path / "old.md")])
    assert code == 0 and any("--out FILE is deprecated" in m for m in future), future
    assert (tmp_path / "old.md").is_file() and (tmp_path / "old.png").is_file()
