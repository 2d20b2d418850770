"""`s2i eval` end to end on a tiny model: a small VQA set of real clips and a small bench folder judged by an
OpenAI-compatible judge on loopback -> valid results files, a scatter plot, predictions and answers."""

import csv
import json
import os

import pytest
from conftest import ffmpeg, json_endpoint
from scipy.stats import kendalltau, pearsonr, spearmanr

from s2i_hf import DIMENSION_IDS
from s2i_hf.artifacts import EvalRecord, load_results
from s2i_hf.commands.eval import main
from s2i_hf.eval_suite.judges import load_judge_prompts
from s2i_hf.testing import make_tiny_model


MOS = [1.6, 2.9, 3.7, 4.4]


@pytest.fixture(scope="module")
def konvid(tmp_path_factory, sample_clips):
    """Four short real clips in KoNViD-1k's layout, a broken file, labels for all and one video that is missing."""
    d = tmp_path_factory.mktemp("konvid")
    ids = []
    for i, name in enumerate(sorted(sample_clips)):
        fid = str(5000 + i)
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
            str(d / f"{fid}.mp4"),
        )
        ids.append(fid)
    (d / "5004.mp4").write_text("not a video\n" * 50)
    with open(d / "KoNViD_1k_attributes.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["flickr_id", "MOS", "SD", "n"])
        for fid, m in zip(ids + ["5004", "5999"], MOS + [2.0, 3.0]):
            w.writerow([fid, m, 0.5, 100])
    return str(d)


@pytest.fixture(scope="module")
def bench(tmp_path_factory, konvid):
    """A bench folder as `s2i build` writes it: videos/bench-*.parquet, one row per bench video with its bytes
    and its questions."""
    import datasets

    from s2i_hf.data_layout import table_file, video_table_features
    from s2i_hf.text import bench_items, record_from_scores

    out = tmp_path_factory.mktemp("s2i")
    features = video_table_features()
    videos, questions = [], []
    for i, fid in enumerate(["5000", "5001"]):
        rec = record_from_scores(f"vid{i}", {d: (0.1 + 0.3 * i + 0.04 * j) % 1 for j, d in enumerate(DIMENSION_IDS)})
        with open(os.path.join(konvid, f"{fid}.mp4"), "rb") as fh:
            data = fh.read()
        items = [
            {k: item[k] for k in ("question", "reference", "question_type", "dimensions")}
            for item in bench_items(rec, 0, n=2)
        ]
        questions += [{"video_id": f"vid{i}", **item} for item in items]
        videos.append(
            {
                **dict.fromkeys(features),
                "messages": [],
                "dimensions": [],
                "conversations": [],
                "video_id": f"vid{i}",
                "split": "bench",
                "video": {"bytes": data, "path": f"{fid}.mp4"},
                "questions": items,
            }
        )
    path = out / table_file("bench", 0, 1)
    os.makedirs(path.parent)
    datasets.Dataset.from_list(videos, features=features).to_parquet(str(path))
    return str(out), questions


@pytest.fixture
def judge_url():
    """A fake judge endpoint: score 3 on every criterion but temporal understanding, whose reply is unparseable."""

    def respond(path, headers, body):
        user = body["messages"][-1]["content"]
        content = "no idea" if "Criterion: temporal understanding." in user else '{"score": 3}'
        return 200, {"choices": [{"message": {"role": "assistant", "content": content}}]}

    with json_endpoint(respond) as srv:
        yield f"http://127.0.0.1:{srv.server_port}/v1"


def test_eval_end_to_end(tmp_path, konvid, bench, judge_url, capsys):
    model = make_tiny_model("qwen2_5_vl", tmp_path / "tiny")
    out = tmp_path / "out"
    bench_dir, rows = bench
    code = main(
        [
            "--model",
            str(model),
            "--vqa",
            f"konvid_1k={konvid}",
            "--allow-missing",
            "--bench",
            bench_dir,
            "--judge",
            "judge-model",
            "--judge_url",
            judge_url,
            "--num-frames",
            "4",
            "--max_new_tokens",
            "8",
            "--output_dir",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    printed = capsys.readouterr()
    results = {r.dataset: r for r in load_results(str(out))}
    assert set(results) == {"konvid_1k", "s2i_bench"}

    vqa = EvalRecord.load(str(out / "results_tiny_konvid_1k_test.json"))
    assert vqa.task == "vqa" and vqa.n == 4 and vqa.model_id == str(model)
    assert set(vqa.metrics) >= {"srcc", "plcc", "krcc", "rmse"} and all(
        -1 <= vqa.metrics[k] <= 1 for k in ("srcc", "plcc", "krcc")
    )
    s = vqa.settings
    assert s["num_frames"] == 4 and s["set"]["n_labels"] == 6 and s["set"]["missing"] == ["5999"]
    assert s["n_failed"] == 1 and s["failed"] == ["5004.mp4"]  # the broken file is left out, the rest scored
    assert os.path.getsize(out / "scatter_tiny_konvid_1k_test.png") > 1000
    with open(out / "predictions_tiny_konvid_1k_test.csv") as fh:
        preds = list(csv.DictReader(fh))
    assert [float(p["mos"]) for p in preds] == MOS + [2.0] and preds[-1]["predicted"] == ""
    assert all(0 <= float(p["predicted"]) <= 1 for p in preds[:4])
    # the correlations recomputed with scipy from the predictions file and the labels
    x, y = [float(p["predicted"]) for p in preds[:4]], MOS
    assert vqa.metrics["srcc"] == pytest.approx(spearmanr(x, y)[0], abs=1e-6)
    assert vqa.metrics["krcc"] == pytest.approx(kendalltau(x, y)[0], abs=1e-6)
    assert vqa.metrics["plcc_raw"] == pytest.approx(pearsonr(x, y)[0], abs=1e-4)

    b = results["s2i_bench"]
    assert b.task == "s2i_bench" and b.n == len(rows) == 4
    # the judge answers 3 on CI/CU/DO and nothing readable on TU: TU is excluded, not 0
    assert b.metrics["ci"] == b.metrics["cu"] == b.metrics["do"] == 3.0 and "tu" not in b.metrics
    assert (
        b.judge["id"] == f"judge-model@{judge_url}/chat/completions"
        and b.judge["prompt_hash"] == load_judge_prompts().hash
    )
    assert b.judge["parse_failures"] == 4 and b.judge["parse_failure_rate"] == pytest.approx(0.25)
    assert "dimension_accuracy" in b.metrics and b.settings["dimension_n"] > 0
    with open(out / "answers_tiny_s2i_bench_test.jsonl") as fh:
        answers = [json.loads(line) for line in fh]
    assert [a["question"] for a in answers] == [r["question"] for r in rows]
    assert all(a["judge_scores"]["tu"] is None and a["judge_scores"]["ci"] == 3.0 for a in answers)
    # the table
    assert "konvid_1k" in printed.out and "SRCC" in printed.out and "s2i_bench" in printed.out
    assert "4 of 16 replies unparseable" in printed.err and "error: 5004.mp4" in printed.err


def test_eval_refuses_an_incomplete_set_before_loading_the_model(tmp_path, konvid, capsys):
    code = main(
        [
            "--model",
            str(tmp_path / "no-model-here"),
            "--vqa",
            f"konvid_1k={konvid}",
            "--output_dir",
            str(tmp_path / "o"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "KoNViD_1k_attributes.csv: 6 labelled videos, but KoNViD-1k has 1200" in err
    assert "are missing: 5999" in err and not os.path.exists(tmp_path / "o")
    with pytest.raises(SystemExit):
        main(["--model", "m", "--output_dir", str(tmp_path / "o")])  # nothing to evaluate
    assert "nothing to evaluate" in capsys.readouterr().err


def test_eval_uses_the_frame_sampling_the_model_was_trained_with(tmp_path, konvid):
    run = tmp_path / "run"  # the layout `s2i train` writes: OUT/merged + OUT/training_summary.json
    model = make_tiny_model("qwen2_5_vl", run / "merged")
    recorded = {"num_frames": 2, "fps": None, "max_pixels": 64 * 48, "max_frames": 64, "span": 0.5}
    (run / "training_summary.json").write_text(json.dumps({"frame_sampling": recorded, "stages": {}}))
    assert (
        main(
            [
                "--model",
                str(model),
                "--vqa",
                f"konvid_1k={konvid}",
                "--allow-missing",
                "--output_dir",
                str(tmp_path / "a"),
                "--quiet",
            ]
        )
        == 0
    )
    s = EvalRecord.load(str(tmp_path / "a" / "results_merged_konvid_1k_test.json")).settings
    assert {k: s[k] for k in recorded} == recorded
    # the command line wins over the record
    assert (
        main(
            [
                "--model",
                str(model),
                "--vqa",
                f"konvid_1k={konvid}",
                "--allow-missing",
                "--num_frames",
                "3",
                "--output_dir",
                str(tmp_path / "b"),
                "--quiet",
            ]
        )
        == 0
    )
    s = EvalRecord.load(str(tmp_path / "b" / "results_merged_konvid_1k_test.json")).settings
    assert s["num_frames"] == 3 and s["max_pixels"] is None and "fragments" not in s and "span" not in s


def test_eval_keeps_the_fragments_the_model_was_trained_on(tmp_path, konvid):
    """Fragments change what the model was taught to look at, not how much: a model trained on them is shown them
    even when the command line sets the frame count; --fragments 0 turns them off."""
    run = tmp_path / "run"
    model = make_tiny_model("qwen2_5_vl", run / "merged")
    recorded = {
        "num_frames": 2,
        "fps": None,
        "max_pixels": None,
        "max_frames": 64,
        "fragments": 2,
        "fragment_size": 28,
    }
    (run / "training_summary.json").write_text(json.dumps({"frame_sampling": recorded, "stages": {}}))
    common = ["--model", str(model), "--vqa", f"konvid_1k={konvid}", "--allow-missing", "--quiet"]
    for name, extra, expected in (
        ("a", [], recorded),
        ("b", ["--num_frames", "1"], {**recorded, "num_frames": 1}),
        ("c", ["--num_frames", "1", "--fragments", "0"], {"num_frames": 1, "max_pixels": None}),
        ("d", ["--fragment_size", "16"], {**recorded, "fragment_size": 16}),
    ):
        assert main([*common, *extra, "--output_dir", str(tmp_path / name)]) == 0, name
        s = EvalRecord.load(str(tmp_path / name / "results_merged_konvid_1k_test.json")).settings
        assert {k: s.get(k) for k in expected} == expected, (name, s)
        if name == "c":
            assert "fragments" not in s


def test_threads_must_be_positive(tmp_path, konvid, capsys):
    with pytest.raises(SystemExit):
        main(["--model", "m", "--vqa", f"konvid_1k={konvid}", "--threads", "0", "--output_dir", str(tmp_path)])
    assert "--threads must be >= 1" in capsys.readouterr().err


def test_tasks_are_data_and_run_through_the_library(tmp_path, konvid, bench):
    """The shipped task files, a task file of one's own (fewer outputs), and `evaluate` without the CLI: the records
    it returns are the files it wrote; a bench that cannot be read is recorded and the VQA set still scored."""
    import yaml

    from s2i_hf.artifacts import artifact_filename, results_filename
    from s2i_hf.eval_suite.qalign import QualityScorer
    from s2i_hf.eval_suite.tasks import evaluate, load_task, results_table, task_names

    assert {"vqa", "s2i_bench"} <= set(task_names())
    vqa_task, bench_task = load_task("vqa"), load_task("s2i_bench")
    assert vqa_task.metric == "srcc_plcc" and set(vqa_task.outputs) == {"predictions", "scatter"}
    assert bench_task.criteria == ("ci", "cu", "do", "tu") and bench_task.max_new_tokens == 256
    assert load_judge_prompts(bench_task.judge_prompts).hash == load_judge_prompts().hash
    assert (
        artifact_filename("scatter", "org/m", "konvid_1k", ".png", adapter="a/b")
        == "scatter" + results_filename("org/m", "konvid_1k", adapter="a/b")[len("results") : -len(".json")] + ".png"
    )

    with open(vqa_task.path) as fh:
        config = yaml.safe_load(fh)
    mine = tmp_path / "vqa_predictions_only.yaml"
    mine.write_text(yaml.safe_dump({**config, "outputs": {"predictions": ".csv"}}))
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump({**config, "outputs": {"histogram": ".png"}}))
    with pytest.raises(ValueError, match="cannot write"):
        load_task(str(broken))
    broken.write_text(yaml.safe_dump({**config, "extra": {}}))
    with pytest.raises(ValueError, match="unknown section"):
        load_task(str(broken))

    model = make_tiny_model("qwen2_5_vl", tmp_path / "tiny")
    scorer = QualityScorer.from_pretrained(str(model), num_frames=4, batch_size=4)
    out, lines = tmp_path / "out", []
    results = evaluate(
        scorer,
        model_id=str(model),
        output_dir=str(out),
        vqa_sets={"konvid_1k": konvid},
        allow_missing=True,
        vqa_task=str(mine),
        bench=str(tmp_path / "no-bench"),
        on_error="record",
        progress=False,
        log=lines.append,
    )
    assert [r.dataset for r in results] == ["konvid_1k"] and "bench" in results.errors
    (vqa,) = results
    assert vqa.to_dict() == load_results(str(out))[0].to_dict() and vqa.settings["task"] == "vqa_predictions_only"
    assert set(results.files["konvid_1k"]) == {"results", "predictions"}
    assert not list(out.glob("scatter_*")) and os.path.isfile(out / "predictions_tiny_konvid_1k_test.csv")
    assert any("error: 5004.mp4" in line for line in lines)

    bench_dir, rows = bench
    results = evaluate(
        scorer,
        model_id=str(model),
        output_dir=str(out),
        bench=bench_dir,
        bench_limit=2,
        max_new_tokens=4,
        progress=False,
        log=None,
    )
    (b,) = results
    assert b.task == "s2i_bench" and b.n == 2 and b.judge is None and b.settings["max_new_tokens"] == 4
    with open(results.files["s2i_bench"]["answers"]) as fh:
        answers = [json.loads(line) for line in fh]
    assert [a["question"] for a in answers] == [r["question"] for r in rows[:2]] and "judge_scores" not in answers[0]
    table = results_table([vqa, b])
    assert "SRCC" in table and "konvid_1k" in table and "s2i_bench" in table


def test_eval_reads_the_recorded_sampling_of_a_hub_model(tmp_path):
    """A model pushed to the Hub carries its training_summary.json: eval shows it the frames it was trained on, as
    it does for a local folder; a repo without the file, an unknown repo and no Hub at all leave the default."""
    from huggingface_hub import HfApi

    from s2i_hf.eval_suite.tasks import frame_sampling_for
    from s2i_hf.testing import HubServer

    recorded = {
        "num_frames": 2,
        "fps": None,
        "max_pixels": None,
        "max_frames": 64,
        "fragments": 5,
        "fragment_size": 28,
    }
    with HubServer() as server, server.activate(cache_dir=str(tmp_path / "cache")):
        api = HfApi(token="hf_s2i_test")  # the test Hub takes any token for writes
        for repo, files in (("tester/tuned", {"training_summary.json": recorded}), ("tester/bare", {"x.json": {}})):
            api.create_repo(repo)
            for name, content in files.items():
                summary = {"frame_sampling": content, "stages": {}}
                data = json.dumps(summary if name.startswith("training") else content).encode()
                api.upload_file(path_or_fileobj=data, path_in_repo=name, repo_id=repo)
        sampling, source = frame_sampling_for("tester/tuned")
        assert sampling == recorded and "on the Hub" in source
        sampling, _ = frame_sampling_for("tester/tuned", num_frames=4)  # the frame count given, fragments kept
        assert (sampling["num_frames"], sampling["fragments"], sampling["fragment_size"]) == (4, 5, 28)
        assert frame_sampling_for("tester/bare") == ({"num_frames": 8, "fps": None, "max_pixels": None}, "default")
        assert frame_sampling_for("tester/missing")[1] == "default"
    assert frame_sampling_for(str(tmp_path / "no-such-folder"))[1] == "default"
