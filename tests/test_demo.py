"""`s2i demo --quick`: every artifact is written, results files load, figures agree across files, cards are complete."""

from __future__ import annotations

import csv
import glob
import json
import os

import numpy as np
import pyarrow.parquet as pq
import pytest
from datasets import load_dataset
from scipy.stats import pearsonr, spearmanr

from s2i_hf.data_layout import CONFIG_SPLIT, TABLE_DIR, TABLE_SPLITS


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """The quick demo, run as for a user who has not chosen a `datasets` cache (the tests' own is set aside)."""
    import datasets

    from s2i_hf.cli import main

    out = tmp_path_factory.mktemp("demo") / "s2i_demo"
    user_cache = tmp_path_factory.mktemp("user_datasets_cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("HF_DATASETS_CACHE", raising=False)
        mp.setattr(datasets.config, "HF_DATASETS_CACHE", str(user_cache))
        assert main(["demo", "--output_dir", str(out), "--quick", "--quiet"]) == 0
        cache_after = datasets.config.HF_DATASETS_CACHE
    with open(out / "demo_summary.json", encoding="utf-8") as fh:
        summary = json.load(fh)
    return {"out": str(out), "summary": summary, "user_cache": user_cache, "cache_after": cache_after}


@pytest.fixture(scope="module")
def demo(demo_run):
    return demo_run["out"], demo_run["summary"]


def test_the_arrow_copies_of_the_data_stay_in_the_output_folder(demo_run):
    """`datasets` copies each Parquet file it loads into its cache (~1 GB a full demo): the demo keeps them in its
    own folder, which a rerun clears, and leaves the user's cache and setting as they were."""
    own = os.path.join(demo_run["out"], ".datasets_cache")
    assert os.listdir(demo_run["user_cache"]) == []
    assert sum(len(files) for _, _, files in os.walk(own)) > 0
    assert demo_run["cache_after"] == str(demo_run["user_cache"])


def test_every_artifact_exists(demo):
    out, summary = demo
    for what, path in summary["artifacts"].items():
        assert os.path.exists(path), f"{what}: {path} is missing"
    for split in TABLE_SPLITS:  # the one per-video table that the four configs view
        assert glob.glob(os.path.join(out, "data", TABLE_DIR, f"{split}-*.parquet")), split
    for name in (
        "stage1/config.json",
        "stage2/adapter_config.json",
        "merged/model.safetensors",
        "training_summary.json",
    ):
        assert os.path.isfile(os.path.join(out, "train", name)), name
    assert os.path.isfile(os.path.join(out, "leaderboard.png"))
    assert os.path.isfile(os.path.join(out, "publish", "dataset", "eval.yaml"))
    assert glob.glob(os.path.join(out, "publish", "model", "results", "results_*.json"))


def test_results_files_load_and_match_the_summary(demo):
    from s2i_hf.artifacts import load_results

    out, summary = demo
    results = load_results(os.path.join(out, "eval"))
    models = {os.path.basename(r.model_id) for r in results}
    assert models == {"tiny-qwen2_5_vl", "tiny-qwen2_5_vl-s2i"}
    assert {(r.dataset, r.task) for r in results} == {("demo_heldout", "vqa"), ("s2i_bench", "s2i_bench")}
    with open(os.path.join(out, "clips", "heldout_labels.csv"), newline="") as fh:
        labels = list(csv.DictReader(fh))
    figures = summary["figures"]
    assert figures["clips"]["held_out"] == len(labels)
    bench_questions = sum(
        len(q)
        for f in glob.glob(os.path.join(out, "data", TABLE_DIR, "bench-*.parquet"))
        for q in pq.read_table(f, columns=["questions"]).column("questions").to_pylist()
    )
    mos = {l["name"]: float(l["mos"]) for l in labels}
    for r in results:
        key = "tuned_model" if r.model_id.endswith("-s2i") else "base_model"
        fig = figures["eval"][key]
        if r.task == "vqa":
            assert r.n == len(labels) == fig["held_out_n"]
            # recomputed with scipy from the predictions file and the labels, not through the package's metrics
            preds = _predictions(out, os.path.basename(r.model_id))
            assert set(preds) == set(mos)
            x = np.array([preds[n] for n in sorted(mos)])
            y = np.array([mos[n] for n in sorted(mos)])
            assert (
                r.metrics["srcc"]
                == pytest.approx(spearmanr(x, y)[0], abs=1e-4)
                == pytest.approx(fig["held_out_srcc"], abs=1e-4)
            )
            assert r.metrics["plcc_raw"] == pytest.approx(pearsonr(x, y)[0], abs=1e-4)  # before the logistic mapping
            assert r.metrics["plcc"] == pytest.approx(fig["held_out_plcc"])
            # the ladder figure: Spearman within each source's pristine clip + one family's variants, averaged
            rhos = []
            for source in {l["source"] for l in labels}:
                rows = [l for l in labels if l["source"] == source]
                for family in sorted({l["family"] for l in rows} - {"pristine"}):
                    ladder = [l for l in rows if l["family"] in ("pristine", family)]
                    px = [preds[l["name"]] for l in ladder]
                    rhos.append(0.0 if max(px) == min(px) else spearmanr(px, [float(l["mos"]) for l in ladder])[0])
            assert fig["ladder_srcc"] == pytest.approx(float(np.mean(rhos)), abs=1e-6)
            assert fig["ladders"] == len(rhos) > 0
            # the spread the summary reads as "the model ignores the video" or not
            assert fig["prediction_std"] == pytest.approx(float(np.std(x)), abs=1e-4)
            assert (fig["prediction_min"], fig["prediction_max"]) == pytest.approx((x.min(), x.max()), abs=1e-4)
        else:
            assert r.n == bench_questions == fig["bench_n"] and r.judge is None
            assert r.metrics == pytest.approx(fig["bench"])


def test_s2i_eval_alone_reproduces_both_models_predictions(demo, tmp_path):
    """`s2i eval MODEL` with no frame options shows each model what the demo showed it (the tuned model's
    training_summary.json; the one the demo writes beside the untrained model), so an independent run reproduces the
    demo's predictions for both."""
    from s2i_hf.cli import main

    out, _ = demo
    labels = os.path.join(out, "clips", "heldout_labels.csv")
    for name in ("tiny-qwen2_5_vl", "tiny-qwen2_5_vl-s2i"):  # the untrained model, and the link to OUT/train/merged
        args = ["eval", "--model", os.path.join(out, "model", name), "--vqa", f"demo_heldout={out}/clips/heldout"]
        again = str(tmp_path / name)
        assert main([*args, "--vqa_labels", f"demo_heldout={labels}", "--output_dir", again, "--quiet"]) == 0
        assert _predictions(again, name, folder="") == pytest.approx(_predictions(out, name), abs=1e-5), name


def _predictions(out: str, model: str, folder: str = "eval") -> dict[str, float]:
    with open(os.path.join(out, folder, f"predictions_{model}_demo_heldout_test.csv"), newline="") as fh:
        return {row["video"]: float(row["predicted"]) for row in csv.DictReader(fh)}


@pytest.mark.parametrize("quick", [False, True])
def test_held_out_scenes_are_other_scenes(quick):
    """The held-out sources are other pictures and clips than the training ones (not other seconds or settings of
    the same file), so the demo's held-out figures are about scenes the model never saw."""
    from s2i_hf.demo import DemoConfig
    from s2i_hf.real_content import SOURCES

    sources = DemoConfig(quick=quick).sources
    files = {h: {SOURCES[s.content].file for s in sources if s.heldout == h} for h in (False, True)}
    assert files[False] and files[True] and not files[False] & files[True]


def test_no_colour_family_on_a_greyscale_scene():
    """A greyscale photograph has no colour to take away, and a ladder of unchanged clips has no quality order: the
    catalogue's ``grey`` flag matches the pixels (a photograph's three channels are equal exactly where it is set;
    the backdrop or sky a scene adds around it is not the photograph), and ``families_for`` leaves the colour family
    out for those sources only (the demo's clips and the calibration corpus both go through it)."""
    from dataclasses import replace

    from s2i_hf.distortions import DEMO_FAMILIES, FAMILIES
    from s2i_hf.real_content import SOURCES, _read_image, families_for

    colour = {f for f in DEMO_FAMILIES if FAMILIES[f].dimension == "color"}
    assert colour
    photos = [name for name, src in SOURCES.items() if src.kind == "photo"]
    flagged = 0
    for name in photos:
        img = _read_image(replace(SOURCES[name], scene=None))
        grey = bool((img[..., 0] == img[..., 1]).all() and (img[..., 1] == img[..., 2]).all())
        assert grey == SOURCES[name].grey, name
        families = families_for(name, DEMO_FAMILIES)
        assert set(families) == (set(DEMO_FAMILIES) - colour if grey else set(DEMO_FAMILIES)), name
        flagged += grey
    assert 0 < flagged < len(photos)


def test_the_summary_says_what_the_figures_mean(demo):
    from s2i_hf.demo.report import format_summary

    _, summary = demo
    text = format_summary(summary)
    ev = summary["figures"]["eval"]
    gain = ev["tuned_model"]["ladder_srcc"] - ev["base_model"]["ladder_srcc"]
    assert f"training changed it by {gain:+.2f}" in text
    assert f"order the same ladders at {ev['estimators']['ladder_srcc']:.2f}: that is the ceiling" in text
    assert f"(std {ev['tuned_model']['prediction_std']:.3f})" in text


def test_held_out_clips_never_train(demo):
    from s2i_hf.video import video_id_of

    out, _ = demo
    train_ids = set()
    for config in ("stage1", "stage2"):
        train_ids |= set(load_dataset(os.path.join(out, "data"), config, split=CONFIG_SPLIT[config])["video_id"])
    held = {video_id_of(p) for p in glob.glob(os.path.join(out, "clips", "heldout", "**", "*.mp4"), recursive=True)}
    bench = set(load_dataset(os.path.join(out, "data"), "bench", split=CONFIG_SPLIT["bench"])["video_id"])
    assert held and bench and train_ids
    assert not held & train_ids and not bench & train_ids


def test_cards_and_leaderboard_are_complete(demo):
    out, summary = demo
    assert all(not v["placeholders"] for v in summary["figures"]["cards"].values())
    model_card = open(os.path.join(out, "publish", "model", "README.md"), encoding="utf-8").read()
    dataset_card = open(os.path.join(out, "publish", "dataset", "README.md"), encoding="utf-8").read()
    for text in (model_card, dataset_card):
        assert "{{" not in text and "[More Information Needed]" not in text
    assert "Stage I" in model_card and "Stage II" in model_card and "demo_heldout" in model_card
    assert 'load_dataset("s2i-demo/s2i-demo-data"' in dataset_card
    train = summary["figures"]["train"]
    assert set(train) == {"stage1", "stage2"} and all(s["steps"] == 2 for s in train.values())
    board = open(os.path.join(out, "leaderboard.md"), encoding="utf-8").read()
    assert "| tiny-qwen2_5_vl |" in board and "| tiny-qwen2_5_vl-s2i |" in board


def test_refuses_a_folder_it_did_not_write(tmp_path):
    from s2i_hf.demo import DemoConfig, run_demo

    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("not a demo folder")
    with pytest.raises(FileExistsError, match="not written by `s2i demo`"):
        run_demo(DemoConfig(output_dir=str(foreign), quick=True, quiet=True))


def test_views_add_training_scenes_with_a_few_strengths_each(tmp_path):
    """--views: windows of each training source become scenes of their own (other pixels than the source's clip),
    each with --view_steps strengths per family; held-out sources get no windows."""
    from s2i_hf.demo import DemoConfig, make_clips
    from s2i_hf.frames import FrameSampling, sample_frames

    cfg = DemoConfig(output_dir=str(tmp_path), quick=True, views=1, view_steps=1).resolved()
    train, held, _ = make_clips(cfg, str(tmp_path / "clips"), progress=False)
    scenes = {}
    for p in train:
        scenes.setdefault(os.path.basename(os.path.dirname(p)), []).append(os.path.basename(p))
    trained = [s.name for s in cfg.sources if not s.heldout]
    assert set(scenes) == set(trained) | {f"{n}_view0" for n in trained}
    for n in trained:
        assert len(scenes[n]) == 1 + len(cfg.families) * len(cfg.steps)
        window = scenes[f"{n}_view0"]
        assert "pristine.mp4" in window and len(window) == 1 + len(cfg.families)
        assert {w.rsplit("_", 1)[0] for w in window if w != "pristine.mp4"} == set(cfg.families)
        # the window is another picture: its first frame differs clearly from the whole source's
        a, _ = sample_frames(str(tmp_path / "clips" / "train" / n / "pristine.mp4"), FrameSampling(num_frames=1))
        b, _ = sample_frames(
            str(tmp_path / "clips" / "train" / f"{n}_view0" / "pristine.mp4"), FrameSampling(num_frames=1)
        )
        assert a.shape == b.shape and float((a.float() - b.float()).abs().mean()) > 10
    assert {c.source for c in held} == {s.name for s in cfg.sources if s.heldout}
