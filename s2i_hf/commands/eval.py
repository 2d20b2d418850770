"""``s2i eval --model M [--vqa NAME=DIR ...] [--bench DIR_OR_HUB_ID] [--judge ...] --out DIR``.

Scores standard VQA sets with Q-Align-style scoring (SRCC/PLCC/KRCC/RMSE against MOS) and answers S2I-Bench
questions (judged on CI/CU/DO/TU, plus judge-free rating agreement). Writes one results JSON per (model,
dataset) (:class:`s2i_hf.artifacts.EvalRecord`), a scatter plot of predicted score vs MOS per VQA
set, the per-video predictions and the bench answers, and prints a table.

Options come from :class:`EvalArguments` (command line, or a YAML file given with ``--config``).
"""

from __future__ import annotations

import csv
import json
import math
import os
import sys
from dataclasses import dataclass, field

__all__ = ["EvalArguments", "main"]


@dataclass
class EvalArguments:
    model: str | None = field(default=None, metadata={"help": "Video LMM to evaluate: a Hub id or a local folder (base, Stage I, Stage II merged)."})
    adapter: str | None = field(default=None, metadata={"help": "A PEFT adapter folder to apply to --model (Stage II LoRA)."})
    vqa: list[str] = field(default_factory=list, metadata={"help": "VQA sets to score: NAME=DIR, NAME one of the standard sets or any name with --vqa_labels."})
    vqa_labels: list[str] = field(default_factory=list, metadata={"help": "NAME=FILE: the label file of a VQA set (instead of finding the official one in its folder)."})
    allow_missing: bool = field(default=False, metadata={"help": "Go on when videos are missing or extra, or the label count is not the release's; the counts are recorded."})
    bench: str | None = field(default=None, metadata={"help": "S2I-Bench: a folder built by `s2i build` (its bench Parquet files) or a Hub dataset id with a 'bench' config."})
    bench_split: str = field(default="test", metadata={"help": "Split of the bench config."})
    bench_limit: int | None = field(default=None, metadata={"help": "Use only the first N bench questions (quick checks)."})
    judge: str | None = field(default=None, metadata={"help": "Judge: a causal LM (Hub id or folder), or the model name served at --judge_url. Without it, only judge-free figures."})
    judge_url: str | None = field(default=None, metadata={"help": "OpenAI-compatible endpoint of the judge (e.g. http://127.0.0.1:8000/v1)."})
    judge_api_key_env: str | None = field(default=None, metadata={"help": "Environment variable holding the endpoint's key (default: S2I_JUDGE_API_KEY, then OPENAI_API_KEY)."})
    judge_prompts: str | None = field(default=None, metadata={"help": "Judge prompts YAML (default: the shipped judge_prompts.yaml); its hash is recorded."})
    judge_max_new_tokens: int = field(default=32, metadata={"help": "Tokens the judge may generate per reply."})
    max_new_tokens: int = field(default=256, metadata={"help": "Tokens the evaluated model may generate per bench answer."})
    num_frames: int | None = field(default=None, metadata={"help": "Frames sampled from each video (recorded with the results). Default: the sampling in the model's training_summary.json when there is one, else 8."})
    fps: float | None = field(default=None, metadata={"help": "Sample this many frames per second instead of --num_frames."})
    max_pixels: int | None = field(default=None, metadata={"help": "Cap on each frame's area (default: as in training when the model's training_summary.json says)."})
    batch_size: int = field(default=4, metadata={"help": "Videos per forward pass when scoring."})
    threads: int | None = field(default=None, metadata={"help": "CPU threads for torch (default: torch's choice; 1 is often fastest for small models on a shared machine)."})
    limit: int | None = field(default=None, metadata={"help": "Score only the first N videos of each VQA set (quick checks; recorded)."})
    trust_remote_code: bool = field(default=False, metadata={"help": "Allow model code from the Hub."})
    out: str | None = field(default=None, metadata={"help": "Folder for results JSON files, plots, predictions and answers."})
    quiet: bool = field(default=False, metadata={"help": "No progress bars."})


def build_parser():
    from trl import TrlParser

    return TrlParser([EvalArguments], prog="s2i eval", description="Evaluate a video LMM: SRCC/PLCC on VQA sets, S2I-Bench answers judged on CI/CU/DO/TU.")


def frame_sampling_for(args) -> tuple[dict, str]:
    """The frames to show the model, and where they come from: the command line when any of --num_frames, --fps,
    --max_pixels is given; else the ``training_summary.json`` that ``s2i train`` wrote beside the model (in the
    adapter or model folder or its parent, e.g. ``OUT/merged`` -> ``OUT``); else 8 frames."""
    if args.num_frames is not None or args.fps is not None or args.max_pixels is not None:
        num_frames = args.num_frames if args.num_frames is not None or args.fps is not None else 8
        return {"num_frames": num_frames, "fps": args.fps, "max_pixels": args.max_pixels}, "command line"
    from ..artifacts import SUMMARY_FILE, load_training_summary

    for folder in (args.adapter, args.model):
        if not folder or not os.path.isdir(folder):
            continue
        for candidate in (folder, os.path.dirname(os.path.abspath(folder))):
            path = os.path.join(candidate, SUMMARY_FILE)
            if os.path.isfile(path):
                recorded = load_training_summary(path).get("frame_sampling")
                if isinstance(recorded, dict):
                    keys = ("num_frames", "fps", "max_pixels", "max_frames")
                    return {k: recorded[k] for k in keys if k in recorded}, f"as trained: {path}"
    return {"num_frames": 8, "fps": None, "max_pixels": None}, "default"


def _pairs(items: list[str], option: str) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            raise ValueError(f"{option} expects NAME=PATH, got {item!r}")
        if name in out:
            raise ValueError(f"{option}: {name!r} given twice")
        out[name] = value
    return out


def _artifact(kind: str, model: str, dataset: str, ext: str, adapter: str | None = None) -> str:
    from ..artifacts import results_filename

    return kind + results_filename(model, dataset, adapter=adapter)[len("results"):-len(".json")] + ext


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    (args,) = parser.parse_args_and_config(argv)
    if not args.model:
        parser.error("--model is required (a Hub id or a local folder)")
    if not args.out:
        parser.error("--out DIR is required")
    if not args.vqa and not args.bench:
        parser.error("nothing to evaluate: give --vqa NAME=DIR (one or more) and/or --bench DIR_OR_HUB_ID")
    if args.threads is not None and args.threads < 1:
        parser.error(f"--threads must be >= 1, got {args.threads}")
    if args.judge_url and not args.judge:
        parser.error("--judge_url needs --judge MODEL_NAME (the model the endpoint serves)")
    try:
        vqa_dirs = _pairs(args.vqa, "--vqa")
        vqa_labels = _pairs(args.vqa_labels, "--vqa_labels")
    except ValueError as exc:
        parser.error(str(exc))
    unknown = sorted(set(vqa_labels) - set(vqa_dirs))
    if unknown:
        parser.error(f"--vqa_labels for sets not given with --vqa: {', '.join(unknown)}")

    from ..eval_suite.vqa_sets import read_vqa_set

    # read every label file first: a broken set fails before the model is loaded
    sets = []
    for name, folder in vqa_dirs.items():
        try:
            sets.append(read_vqa_set(name, folder, labels=vqa_labels.get(name), allow_missing=args.allow_missing))
        except (ValueError, FileNotFoundError) as exc:
            print(f"s2i eval: error: {exc}", file=sys.stderr)
            return 2
    for s in sets:
        note = f" ({len(s.missing)} missing, {len(s.extra)} unlabelled videos in the folder)" if s.missing or s.extra else ""
        print(f"{s.title}: {len(s)} videos with labels from {s.labels_file}{note}", file=sys.stderr)

    if args.judge and not args.bench:
        print("s2i eval: note: --judge is only used with --bench", file=sys.stderr)
    judge = None
    if args.bench and args.judge:
        from ..eval_suite.judges import JudgeError, make_judge

        try:
            judge = make_judge(args.judge, url=args.judge_url, api_key_env=args.judge_api_key_env,
                               max_new_tokens=args.judge_max_new_tokens, trust_remote_code=args.trust_remote_code)
        except (JudgeError, ValueError) as exc:
            print(f"s2i eval: error: {exc}", file=sys.stderr)
            return 2

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    from ..eval_suite.qalign import QualityScorer

    sampling, source = frame_sampling_for(args)
    print(f"frames: {', '.join(f'{k}={v}' for k, v in sampling.items() if v is not None)} ({source})", file=sys.stderr)
    scorer = QualityScorer.from_pretrained(args.model, adapter=args.adapter, trust_remote_code=args.trust_remote_code,
                                           batch_size=args.batch_size, **sampling)
    os.makedirs(args.out, exist_ok=True)
    results, status = [], 0
    for s in sets:
        try:
            results.append(_eval_vqa(scorer, s, args))
        except ValueError as exc:
            print(f"s2i eval: {s.name}: {exc}", file=sys.stderr)
            status = 1
    if args.bench:
        from ..eval_suite.judges import JudgeError

        try:
            results.append(_eval_bench(scorer, judge, args))
        except (ValueError, FileNotFoundError, JudgeError) as exc:
            print(f"s2i eval: bench: {exc}", file=sys.stderr)
            status = 1
    _print_table(results)
    return status


# --- VQA sets -------------------------------------------------------------------------------------------

def _score_all(scorer, paths: list[str], progress: bool, chunk: int = 64) -> tuple[list[float | None], dict[str, str]]:
    """Scores of ``paths``, a chunk of videos per :meth:`QualityScorer.score` call (bounded memory). A video that
    cannot be decoded is left out (None, with its error) and the rest of the set is scored as usual."""
    from tqdm.auto import tqdm

    out: list[float | None] = [None] * len(paths)
    failed: dict[str, str] = {}
    bar = tqdm(total=len(paths), desc="Scoring videos", unit="video", disable=not progress)
    for start in range(0, len(paths), chunk):
        part = paths[start: start + chunk]
        for i, r in enumerate(scorer.score(part, on_error="record")):
            if r.error is None:
                out[start + i] = r.score
            else:
                failed[part[i]] = r.error
        bar.update(len(part))
    bar.close()
    if paths and len(failed) == len(paths):
        raise ValueError(f"no video could be scored; first error: {next(iter(failed.values()))}")
    return out, failed


def _eval_vqa(scorer, vqa_set, args):
    from ..eval_suite import load_metric
    from ..artifacts import EvalRecord

    videos = vqa_set.videos[: args.limit] if args.limit else vqa_set.videos
    paths = [v.path for v in videos]
    preds, failed = _score_all(scorer, paths, progress=not args.quiet)
    for msg in failed.values():
        print(f"  error: {msg}", file=sys.stderr)
    keep = [i for i, p in enumerate(preds) if p is not None]
    x = [preds[i] for i in keep]
    y = [float(videos[i].mos) for i in keep]
    m = load_metric("srcc_plcc").compute(predictions=x, references=y)
    metrics = {k: m[k] for k in ("srcc", "plcc", "krcc", "rmse", "plcc_raw") if m.get(k) is not None and math.isfinite(m[k])}
    settings = {
        **_scorer_settings(scorer),
        "limit": args.limit,
        "set": vqa_set.summary(),
        "n_failed": len(failed),
        "failed": sorted(os.path.relpath(p, vqa_set.video_dir) for p in failed)[:50],
        "logistic_params": m.get("logistic_params"),
    }
    result = EvalRecord(model_id=args.model, adapter=args.adapter, dataset=vqa_set.name, task="vqa", n=len(x),
                        metrics=metrics, settings=settings)
    path = result.save(args.out)
    with open(os.path.join(args.out, _artifact("predictions", args.model, vqa_set.name, ".csv", args.adapter)), "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["video", "mos", "predicted"])
        for v, p in zip(videos, preds):
            w.writerow([os.path.relpath(v.path, vqa_set.video_dir), v.mos, "" if p is None else f"{p:.6f}"])
    plot = _scatter(x, y, m.get("logistic_params"), metrics, vqa_set.title, args.model,
                    os.path.join(args.out, _artifact("scatter", args.model, vqa_set.name, ".png", args.adapter)))
    print(f"{vqa_set.title}: results -> {path}; plot -> {plot}", file=sys.stderr)
    return result


def _scorer_settings(scorer) -> dict:
    return {**scorer.settings, "batch_size": scorer.batch_size}


def _scatter(x, y, params, metrics, title, model, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(5, 4.2), dpi=120)
    ax.scatter(x, y, s=12, alpha=0.7, edgecolors="none")
    if params:
        from scipy.special import expit

        b1, b2, b3, b4 = params
        grid = np.linspace(min(x), max(x), 200)
        ax.plot(grid, (b1 - b2) * expit((grid - b3) / (abs(b4) + 1e-12)) + b2, color="C3", lw=1.5, label="4-parameter logistic fit")
        ax.legend(loc="lower right", fontsize=8)
    ax.set_xlabel("predicted score (Q-Align expected level, 0-1)")
    ax.set_ylabel("MOS")
    short = os.path.basename(model.rstrip("/")) or model
    ax.set_title(f"{short} on {title}\nSRCC {metrics.get('srcc', float('nan')):.3f}  PLCC {metrics.get('plcc', float('nan')):.3f}  n={len(x)}", fontsize=9)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


# --- S2I-Bench ------------------------------------------------------------------------------------------

def _eval_bench(scorer, judge, args):
    from ..eval_suite import load_metric
    from ..eval_suite.bench import generate_answers, load_bench
    from ..eval_suite.judges import load_judge_prompts
    from ..artifacts import EvalRecord

    items, info = load_bench(args.bench, split=args.bench_split, cache_dir=os.path.join(args.out, ".bench_videos"), limit=args.bench_limit)
    if not items:
        raise ValueError(f"{args.bench}: the bench has no questions")
    prompts = load_judge_prompts(args.judge_prompts)  # checked even without a judge: a bad file fails early
    answers, failed = generate_answers(scorer.model, scorer.processor, items, sampling=scorer.sampling,
                                       max_new_tokens=args.max_new_tokens, progress=not args.quiet)
    for msg in failed.values():
        print(f"  error: {msg}", file=sys.stderr)
    keep = [i for i, a in enumerate(answers) if a is not None]
    if not keep:
        raise ValueError(f"{args.bench}: no bench video could be read")
    metric = load_metric("s2i_bench")
    out = metric.compute(
        predictions=[answers[i] for i in keep], references=[items[i].reference for i in keep],
        questions=[items[i].question for i in keep], judge=judge, prompts=prompts, progress=not args.quiet,
        return_details=judge is not None,
    )
    numeric = ("ci", "cu", "do", "tu", "dimension_accuracy", "dimension_coverage", "dimension_ordinal_error",
               "overall_accuracy", "overall_coverage", "overall_ordinal_error")
    metrics = {k: out[k] for k in numeric if out.get(k) is not None}
    judge_record = out.get("judge")
    if judge_record is not None:
        rate = judge_record["parse_failure_rate"]
        print(f"judge {judge_record['id']}: {judge_record['parse_failures']} of {judge_record['attempts']} replies unparseable "
              f"({rate:.1%}), {judge_record['request_failures']} requests failed; excluded from the means", file=sys.stderr)
    settings = {
        **_scorer_settings(scorer),
        "max_new_tokens": args.max_new_tokens,
        "bench": {k: v for k, v in info.items() if k != "files"},
        "bench_limit": args.bench_limit,
        "judge_prompts": os.path.basename(prompts.path),
        "judge_prompt_hash": prompts.hash,
        "dimension_n": out["dimension_n"],
        "overall_n": out["overall_n"],
        "n_failed": len(failed),
        "failed": sorted(failed)[:50],
    }
    result = EvalRecord(model_id=args.model, adapter=args.adapter, dataset="s2i_bench", split=args.bench_split,
                        dataset_hub_id=info.get("hub_id"), task="s2i_bench", n=len(keep), metrics=metrics,
                        judge=judge_record, settings=settings)
    path = result.save(args.out)
    details = out.get("details") or [None] * len(keep)
    with open(os.path.join(args.out, _artifact("answers", args.model, "s2i_bench", ".jsonl", args.adapter)), "w", encoding="utf-8") as fh:
        for i, d in zip(keep, details):
            it = items[i]
            row = {"video_id": it.video_id, "question_type": it.question_type, "question": it.question,
                   "reference": it.reference, "answer": answers[i]}
            if d is not None:
                row["judge_scores"], row["judge_replies"] = d["scores"], d["replies"]
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"S2I-Bench: results -> {path}", file=sys.stderr)
    return result


# --- table ----------------------------------------------------------------------------------------------

def _fmt(v) -> str:
    return "-" if v is None else f"{v:.3f}"


def _print_table(results) -> None:
    vqa = [r for r in results if r.task == "vqa"]
    bench = [r for r in results if r.task == "s2i_bench"]
    if vqa:
        w = max(len("dataset"), *(len(r.dataset) for r in vqa))
        print(f"{'dataset':<{w}}  {'n':>6}  {'SRCC':>6}  {'PLCC':>6}  {'KRCC':>6}  {'RMSE':>7}")
        for r in vqa:
            m = r.metrics
            print(f"{r.dataset:<{w}}  {r.n:>6}  {_fmt(m.get('srcc')):>6}  {_fmt(m.get('plcc')):>6}  {_fmt(m.get('krcc')):>6}  {_fmt(m.get('rmse')):>7}")
    for r in bench:
        m = r.metrics
        if vqa:
            print()
        fail = "-" if r.judge is None else f"{r.judge['parse_failure_rate']:.1%}"
        print(f"{'dataset':<9}  {'n':>5}  {'CI':>5}  {'CU':>5}  {'DO':>5}  {'TU':>5}  {'unparsed':>8}  {'dim acc':>7}  {'dim err':>7}  {'overall acc':>11}")
        print(f"{r.dataset:<9}  {r.n:>5}  {_fmt(m.get('ci')):>5}  {_fmt(m.get('cu')):>5}  {_fmt(m.get('do')):>5}  {_fmt(m.get('tu')):>5}  "
              f"{fail:>8}  {_fmt(m.get('dimension_accuracy')):>7}  {_fmt(m.get('dimension_ordinal_error')):>7}  {_fmt(m.get('overall_accuracy')):>11}")
