"""Leakage guards of `s2i build` (``--exclude`` lists, Maxwell ``*val*`` labels, the README's Maxwell command) checked
on every Parquet table of real builds, and `s2i eval --adapter`: a base model + LoRA adapter scores exactly as the
merged model does (issue #15)."""

import csv
import glob
import json
import os
import shutil

import pyarrow.parquet as pq
import pytest
from conftest import build_cli_args, build_with_card, ffmpeg
from test_build import (
    FAST,
    MAXWELL_HEADER,
    MAXWELL_MEANING,
    _maxwell_row,
)  # fast build settings; the release's columns

from s2i_hf.dataset_builder import BuildArguments, collect_candidates
from s2i_hf.video import video_id_of


def _maxwell_csv(path, rows, names=None):
    """A Maxwell-format labels CSV: with a ``name`` column when ``names`` are given, else the release's columns only."""
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow((["name"] if names else []) + MAXWELL_HEADER)
        for i, r in enumerate(rows):
            w.writerow(([names[i]] if names else []) + [r[c] for c in MAXWELL_HEADER])
    return str(path)


def read_json(path):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def load(out, config):
    from datasets import load_dataset

    split = "test" if config == "bench" else "train"
    return load_dataset(out, config, split=split)


def fresh_out(tmp_path) -> str:
    """An output folder named after the test: ``load_dataset`` (datasets 5.2) caches a local folder with README
    ``configs:`` under its base name and config, not its files, so two builds into folders of one name would read
    the first build's cached tables."""
    return str(tmp_path / tmp_path.name)


def table_rows(out) -> list[tuple[str, str, str]]:
    """(Parquet file, video id, stored video file name) of every row of every Parquet file of the build."""
    files = sorted(glob.glob(os.path.join(out, "**", "*.parquet"), recursive=True))
    assert files, out
    rows = []
    for f in files:
        t = pq.read_table(f, columns=["video_id", "video"])
        for vid, video in zip(t.column("video_id").to_pylist(), t.column("video").to_pylist()):
            assert video_id_of(video["bytes"]) == vid, f  # the id is the hash of the bytes stored with it
            rows.append((os.path.relpath(f, out), vid, video["path"]))
    return rows


def config_videos(out) -> dict[str, set[tuple[str, str]]]:
    """config -> {(video id, stored file name)} of each config present, as ``load_dataset`` returns it."""
    from datasets import Video

    present = read_json(os.path.join(out, "build_report.json"))["counts"]
    return {
        config: {
            (r["video_id"], r["video"]["path"]) for r in load(out, config).cast_column("video", Video(decode=False))
        }
        for config in present
    }


def assert_kept_out(out, paths):
    """None of ``paths`` (by content id and by file name) is in any Parquet table or any config of the build."""
    ids = {video_id_of(p) for p in paths}
    names = {os.path.basename(p) for p in paths}
    rows = table_rows(out)
    leaked = [r for r in rows if r[1] in ids or r[2] in names]
    assert not leaked, leaked
    for config, videos in config_videos(out).items():
        assert not {v for v, _ in videos} & ids and not {n for _, n in videos} & names, config
    return rows


def assert_counted(out, result, excluded: int, rows: int):
    report = read_json(os.path.join(out, "build_report.json"))
    assert result.excluded == report["excluded"] == excluded
    assert result.counts["scores"]["rows"] == report["counts"]["scores"]["rows"] == rows
    with open(os.path.join(out, "README.md"), encoding="utf-8") as fh:
        card = " ".join(fh.read().split())
    assert f"Videos kept out as test-set videos (exclusion lists, Maxwell val): {excluded}." in card


@pytest.fixture(scope="module")
def score_cache(tmp_path_factory, mini_corpus):
    """One score cache for every build of this module (same sampling: each video is scored once)."""
    return str(tmp_path_factory.mktemp("cache") / "scores")


# --- A1: --exclude lists ------------------------------------------------------------------------------------


def _write_exclusion(kind: str, folder, paths) -> str:
    names = [os.path.basename(p) for p in paths]
    if kind == "name_list":  # one name per line; folders in a name and comment lines are allowed
        path = folder / "test_names.txt"
        path.write_text("# the test set\n" + f"testset/{names[0]}\n" + "".join(f"{n}\n" for n in names[1:]))
    elif kind == "labels_txt":  # FAST-VQA / DOVER labels.txt: "name, ..., mos"
        path = folder / "labels.txt"
        path.write_text("".join(f"{n}, 0, 0, {2.5 + i}\n" for i, n in enumerate(names)))
    elif kind == "mos_csv":  # a test set's "filename, mos" manifest
        path = folder / "test_manifest.csv"
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["filename", "mos"])
            w.writerows([[f"testset/{n}", 3.0 + i] for i, n in enumerate(names)])
    else:  # a Maxwell-format labels CSV of a test set, with a name column
        path = _maxwell_csv(
            folder / "other_test_labels.csv", [_maxwell_row(0.01 * i) for i in range(len(names))], names
        )
    return str(path)


@pytest.mark.parametrize(
    "kind,picked",
    [("name_list", (0, 3, 6)), ("labels_txt", (1, 4, 7)), ("mos_csv", (2, 5, 6)), ("maxwell_csv", (0, 1, 2))],
)
def test_exclude_keeps_videos_out_of_every_config(tmp_path, mini_corpus, score_cache, kind, picked):
    test_set = [mini_corpus[i] for i in picked]
    exclude = _write_exclusion(kind, tmp_path, test_set)
    out = fresh_out(tmp_path)
    result = build_with_card(
        mini_corpus, BuildArguments(output_dir=out, exclude=[exclude], cache_dir=score_cache, seed=0, **FAST)
    )
    rows = assert_kept_out(out, test_set)
    kept = [p for p in mini_corpus if p not in test_set]
    assert sorted({r[1] for r in rows}) == sorted(video_id_of(p) for p in kept)  # the rest are all there
    assert {r[0].split(os.sep)[-1].split("-")[0] for r in rows} == {"train", "bench"}  # bench files written too
    assert_counted(out, result, excluded=3, rows=5)


def test_several_exclusion_files_add_up(tmp_path, mini_corpus, score_cache):
    lists = [
        _write_exclusion("name_list", tmp_path, mini_corpus[:2]),
        _write_exclusion("mos_csv", tmp_path, mini_corpus[5:6]),
    ]
    out = fresh_out(tmp_path)
    result = build_with_card(
        mini_corpus, BuildArguments(output_dir=out, exclude=lists, cache_dir=score_cache, seed=0, **FAST)
    )
    assert_kept_out(out, mini_corpus[:2] + mini_corpus[5:6])
    assert_counted(out, result, excluded=3, rows=5)


def test_an_exclusion_csv_without_a_name_column_is_refused(tmp_path, mini_corpus):
    bad = tmp_path / "KoNViD_1k_attributes.csv"  # KoNViD names its videos by flickr_id: not a name column
    bad.write_text("flickr_id,MOS\n5000,3.1\n")
    with pytest.raises(ValueError, match="KoNViD_1k_attributes.csv: an exclusion CSV needs a name column"):
        build_with_card(mini_corpus[:2], BuildArguments(output_dir=str(tmp_path / "o"), exclude=[str(bad)], **FAST))


def test_exclude_with_lsvq_style_names_without_extension(tmp_path, mini_corpus):
    test_set = mini_corpus[:2]
    manifest = tmp_path / "LSVQ_whole_test.csv"
    manifest.write_text(
        "name,mos\n"
        + "".join(f"yfcc-batch1/{os.path.splitext(os.path.basename(p))[0]},{50 + i}\n" for i, p in enumerate(test_set))
    )
    cands, _, excluded = collect_candidates(
        mini_corpus, BuildArguments(output_dir=str(tmp_path / "o"), exclude=[str(manifest)])
    )
    assert excluded == 2 and not {c.video_id for c in cands} & {video_id_of(p) for p in test_set}


# --- A2: Maxwell *val* labels ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def maxwell_labels(tmp_path_factory, mini_corpus):
    """MaxWell_train.csv labelling corpus video 0, MaxWell_val.csv labelling videos 1 and 2 (name columns)."""
    d = tmp_path_factory.mktemp("maxwell")
    train = _maxwell_csv(d / "MaxWell_train.csv", [_maxwell_row(0.0)], [os.path.basename(mini_corpus[0])])
    val_rows = [_maxwell_row(0.04), _maxwell_row(0.08)]
    val = _maxwell_csv(d / "MaxWell_val.csv", val_rows, [os.path.basename(p) for p in mini_corpus[1:3]])
    return train, val, val_rows


def test_maxwell_val_is_kept_out_of_every_config_by_default(tmp_path, mini_corpus, score_cache, maxwell_labels):
    train, val, _ = maxwell_labels
    out = fresh_out(tmp_path)
    # the val videos are in the unlabeled pool too: they are kept out all the same
    result = build_with_card(
        mini_corpus,
        BuildArguments(
            output_dir=out,
            labeled=[train, val],
            video_dir=os.path.dirname(mini_corpus[0]),
            cache_dir=score_cache,
            seed=0,
            **FAST,
        ),
    )
    rows = assert_kept_out(out, mini_corpus[1:3])
    assert {r[0].split(os.sep)[-1].split("-")[0] for r in rows} == {"train", "bench"}
    assert_counted(out, result, excluded=2, rows=6)
    sources = {r["video_id"]: r["source"] for r in load(out, "scores").remove_columns("video")}
    assert sources[video_id_of(mini_corpus[0])] == "labeled" and list(sources.values()).count("labeled") == 1


def test_use_val_for_training_trains_on_val_with_its_labels(tmp_path, mini_corpus, score_cache, maxwell_labels):
    from s2i_hf.text import extract_ratings

    train, val, val_rows = maxwell_labels
    out = fresh_out(tmp_path)
    args = BuildArguments(
        output_dir=out,
        labeled=[train, val],
        use_val_for_training=True,
        video_dir=os.path.dirname(mini_corpus[0]),
        cache_dir=score_cache,
        seed=0,
        **{**FAST, "bench_size": 0},
    )
    result = build_with_card(mini_corpus, args)
    assert_counted(out, result, excluded=0, rows=8)
    scores = {r["video_id"]: r for r in load(out, "scores").remove_columns("video")}
    configs = config_videos(out)
    assert set(configs) == {"scores", "stage1", "stage2"}
    justifications = {}
    for row in load(out, "stage2").remove_columns("video"):
        for conv in row["conversations"]:
            if conv["task"] == "justification":
                justifications[row["video_id"]] = "".join(
                    b["text"]
                    for m in conv["messages"]
                    if m["role"] == "assistant"
                    for b in m["content"]
                    if b["type"] == "text"
                )
    for path, want in zip(mini_corpus[1:3], val_rows):
        vid = video_id_of(path)
        for config in ("scores", "stage1", "stage2"):
            assert (vid, os.path.basename(path)) in configs[config], (config, path)
        r = scores[vid]
        assert r["source"] == "labeled" and r["mos"] == pytest.approx(want["O"])
        for column, dim in MAXWELL_MEANING.items():
            assert r["scores"][dim] == pytest.approx((want[column] + 1) / 2, abs=1e-6), (column, dim)
            assert r["scorers"][dim] == "maxwell-label"
        stated = extract_ratings(justifications[vid])  # the text trains on the label's levels
        assert all(stated[dim] == r["levels"][dim] for dim in MAXWELL_MEANING.values())


def test_a_renamed_copy_of_a_val_video_is_kept_out(tmp_path, mini_corpus, maxwell_labels):
    _, val, _ = maxwell_labels
    copy = tmp_path / "pool" / "renamed.mp4"
    copy.parent.mkdir()
    shutil.copy(mini_corpus[1], copy)
    cands, _, excluded = collect_candidates(
        [str(copy), *mini_corpus[3:]],
        BuildArguments(output_dir=str(tmp_path / "o"), labeled=[val], video_dir=os.path.dirname(mini_corpus[0])),
    )
    assert video_id_of(mini_corpus[1]) not in {c.video_id for c in cands} and excluded == 1


# --- A3: the README's Maxwell command with --exclude ---------------------------------------------------------


def test_readme_maxwell_command_with_an_exclusion_list(tmp_path, mini_corpus, score_cache):
    """``s2i build videos/ --labeled MaxWell_train.csv MaxWell_val.csv --labeled_names train_labels.txt val_labels.txt
    --video_dir maxwell/ --exclude test_names.txt --output_dir s2i``: release-format labels (no name column, names in
    ``0001.mp4, -1, -1, 1.213`` lines); excluded names and val never train, the other labels do."""
    from s2i_hf.commands.build import main

    videos, maxwell = tmp_path / "videos", tmp_path / "maxwell"
    videos.mkdir()
    maxwell.mkdir()
    pool = [str(shutil.copy(p, videos)) for p in mini_corpus[:4]]
    clips = {
        "0001.mp4": mini_corpus[4],
        "0002.mp4": mini_corpus[5],
        "0003.mp4": mini_corpus[6],
        "0101.mp4": mini_corpus[7],
    }
    for name, src in clips.items():
        shutil.copy(src, maxwell / name)
    train_rows = [_maxwell_row(0.02 * i) for i in range(3)]
    train_csv = _maxwell_csv(tmp_path / "MaxWell_train.csv", train_rows)
    val_csv = _maxwell_csv(tmp_path / "MaxWell_val.csv", [_maxwell_row(0.07)])
    (tmp_path / "train_labels.txt").write_text(
        "0001.mp4, -1, -1, 1.213\n0002.mp4, -1, -1, 0.873\n0003.mp4, -1, -1, 1.02\n"
    )
    (tmp_path / "val_labels.txt").write_text("0101.mp4, -1, -1, 0.5\n")
    # a test set that names a Maxwell training video and a pool video
    (tmp_path / "test_names.txt").write_text(f"0002.mp4\n{os.path.basename(pool[1])}\n")
    out = fresh_out(tmp_path)
    code = main(
        [
            str(videos),
            "--labeled",
            train_csv,
            val_csv,
            "--labeled_names",
            str(tmp_path / "train_labels.txt"),
            str(tmp_path / "val_labels.txt"),
            "--video_dir",
            str(maxwell),
            "--exclude",
            str(tmp_path / "test_names.txt"),
            "--output_dir",
            out,
            "--cache_dir",
            score_cache,
            *build_cli_args(seed=0),
        ]
    )
    assert code == 0
    kept_out = [str(maxwell / "0002.mp4"), pool[1], str(maxwell / "0101.mp4")]
    rows = assert_kept_out(out, kept_out)
    report = read_json(os.path.join(out, "build_report.json"))
    assert (
        report["excluded"] == 2 and report["counts"]["scores"]["rows"] == 5
    )  # 0002 and the pool video; val never entered
    assert sorted({r[2] for r in rows}) == sorted(
        ["0001.mp4", "0003.mp4"] + [os.path.basename(p) for p in pool if p != pool[1]]
    )
    labeled = {r["video_id"]: r for r in load(out, "scores").remove_columns("video") if r["source"] == "labeled"}
    assert set(labeled) == {video_id_of(maxwell / "0001.mp4"), video_id_of(maxwell / "0003.mp4")}
    for name, want in (("0001.mp4", train_rows[0]), ("0003.mp4", train_rows[2])):  # names pair with their rows
        r = labeled[video_id_of(maxwell / name)]
        assert r["mos"] == pytest.approx(want["O"]) and r["scores"]["noise"] == pytest.approx(
            (want["T-3"] + 1) / 2, abs=1e-6
        )


# --- B: s2i eval --adapter ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def vqa_set(tmp_path_factory, sample_clips):
    """Four 1 s real clips at 96x64 and a ``name, mos`` labels file."""
    d = tmp_path_factory.mktemp("tinyvqa")
    rows = []
    for i, name in enumerate(sorted(sample_clips)[:4]):
        ffmpeg(
            "-i",
            sample_clips[name],
            "-t",
            "1",
            "-vf",
            "scale=96:64",
            "-pix_fmt",
            "yuv420p",
            "-c:v",
            "libx264",
            str(d / f"clip{i}.mp4"),
        )
        rows.append([f"clip{i}.mp4", 1.5 + i])
    with open(d / "labels.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["name", "mos"])
        w.writerows(rows)
    return str(d), str(d / "labels.csv")


@pytest.fixture(scope="module")
def lora_models(tmp_path_factory):
    """(base, adapter, merged) folders: a tiny Qwen2.5-VL, a Stage II-style LoRA adapter on its language model (the
    projector in modules_to_save) with non-zero lora_B and a perturbed projector copy, and the merged model."""
    import torch
    from peft import get_peft_model
    from transformers import AutoModelForImageTextToText, AutoProcessor

    from s2i_hf.testing import make_tiny_model
    from s2i_hf.trainers import S2IModelConfig, S2IStage2Config, lora_config_for

    d = tmp_path_factory.mktemp("lora")
    base = str(make_tiny_model("qwen2_5_vl", d / "base"))
    processor = AutoProcessor.from_pretrained(base)
    model = AutoModelForImageTextToText.from_pretrained(base)
    config = lora_config_for(
        model, S2IStage2Config(output_dir=str(d / "unused")), S2IModelConfig(lora_r=4, lora_alpha=8, lora_dropout=0.0)
    )
    peft_model = get_peft_model(model, config)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        n_b = 0
        for name, p in peft_model.named_parameters():
            if "lora_B" in name:
                p.copy_(torch.randn(p.shape, generator=g) * 0.5)
                n_b += 1
            elif "modules_to_save" in name:
                p.add_(torch.randn(p.shape, generator=g) * 0.1)
    assert n_b > 0
    adapter, merged = str(d / "adapter"), str(d / "merged")
    peft_model.save_pretrained(adapter)
    processor.save_pretrained(adapter)  # as `s2i train` saves Stage II: adapter + processor
    peft_model.merge_and_unload().save_pretrained(merged)
    processor.save_pretrained(merged)
    return base, adapter, merged


def _eval(model, out, vqa_set, adapter=None):
    from s2i_hf.commands.eval import main

    folder, labels = vqa_set
    argv = [
        "--model",
        model,
        *(["--adapter", adapter] if adapter else []),
        "--vqa",
        f"tiny={folder}",
        "--vqa_labels",
        f"tiny={labels}",
        "--num_frames",
        "4",
        "--threads",
        "1",
        "--output_dir",
        str(out),
        "--quiet",
    ]
    assert main(argv) == 0


def _predictions(out) -> dict[str, float]:
    (path,) = glob.glob(os.path.join(str(out), "predictions_*.csv"))
    with open(path) as fh:
        return {r["video"]: float(r["predicted"]) for r in csv.DictReader(fh)}


def _result(out):
    from s2i_hf.artifacts import load_results

    (result,) = load_results(str(out))
    return result


@pytest.fixture(scope="module")
def eval_runs(tmp_path_factory, lora_models, vqa_set):
    base, adapter, merged = lora_models
    d = tmp_path_factory.mktemp("evals")
    _eval(base, d / "base", vqa_set)
    _eval(base, d / "adapter", vqa_set, adapter=adapter)
    _eval(merged, d / "merged", vqa_set)
    return d


def test_eval_with_adapter_equals_the_merged_model(eval_runs, lora_models):
    base, adapter, _ = lora_models
    with_adapter, as_merged, alone = (_predictions(eval_runs / k) for k in ("adapter", "merged", "base"))
    assert sorted(with_adapter) == sorted(as_merged) == sorted(alone) == [f"clip{i}.mp4" for i in range(4)]
    for video in with_adapter:
        assert with_adapter[video] == pytest.approx(as_merged[video], abs=1e-4), video
    # the adapter was really applied: the base model alone scores otherwise
    assert max(abs(with_adapter[v] - alone[v]) for v in alone) > 1e-3
    # the results record what was evaluated
    r = _result(eval_runs / "adapter")
    assert r.model_id == base and r.adapter == adapter and r.n == 4
    raw = read_json(glob.glob(str(eval_runs / "adapter" / "results_*.json"))[0])
    assert raw["model"] == {"id": base, "revision": None, "adapter": adapter}
    assert _result(eval_runs / "merged").adapter is None and _result(eval_runs / "base").adapter is None
    assert _result(eval_runs / "merged").metrics["srcc"] == pytest.approx(r.metrics["srcc"], abs=1e-6)


def test_base_and_adapter_results_can_share_a_folder(eval_runs, lora_models, vqa_set):
    from s2i_hf.artifacts import load_results

    base, adapter, _ = lora_models
    shared = eval_runs / "shared"
    shutil.copytree(eval_runs / "base", shared)
    _eval(base, shared, vqa_set, adapter=adapter)
    assert sorted(str(r.adapter) for r in load_results(str(shared))) == sorted([str(None), adapter])


def test_srcc_plcc_accepts_three_items():
    from s2i_hf.eval_suite import load_metric

    m = load_metric("srcc_plcc").compute(predictions=[0.2, 0.5, 0.7], references=[1.5, 2.5, 4.0])
    assert m["srcc"] == pytest.approx(1.0) and m["n"] == 3
