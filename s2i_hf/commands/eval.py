"""``s2i eval --model M [--vqa NAME=DIR ...] [--bench DIR_OR_HUB_ID] [--judge ...] --output_dir DIR``.

Scores standard VQA sets with Q-Align-style scoring (SRCC/PLCC/KRCC/RMSE against MOS) and answers S2I-Bench
questions (judged on CI/CU/DO/TU, plus judge-free rating agreement). Writes one results JSON per (model,
dataset) (:class:`s2i_hf.artifacts.EvalRecord`), a scatter plot of predicted score vs MOS per VQA
set, the per-video predictions and the bench answers, and prints a table.

Options come from :class:`EvalArguments` (command line, or a YAML file given with ``--config``); the work is
:func:`s2i_hf.eval_suite.tasks.evaluate` (the tasks ``vqa`` and ``s2i_bench``, described in
``eval_suite/tasks/*.yaml``). ``--out DIR`` is the deprecated spelling of ``--output_dir DIR``.
"""

from __future__ import annotations

import sys

from ..eval_suite.config import EvalArguments
from ..options import warn_aliases


__all__ = ["EvalArguments", "main"]


def build_parser():
    from trl import TrlParser

    description = "Evaluate a video LMM: SRCC/PLCC on VQA sets, S2I-Bench answers judged on CI/CU/DO/TU."
    return TrlParser([EvalArguments], prog="s2i eval", description=description)


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


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        (args,) = parser.parse_args_and_config(argv)
    except ValueError as err:  # e.g. --out and --output_dir disagree
        parser.error(str(err))
    warn_aliases("s2i eval", args)
    if not args.model:
        parser.error("--model is required (a Hub id or a local folder)")
    if not args.output_dir:
        parser.error("--output_dir DIR is required")
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

    from ..eval_suite.judges import JudgeError
    from ..eval_suite.tasks import evaluate, load_task, read_vqa_sets, results_table

    try:  # every label file first: a broken set fails before the model is loaded
        sets = read_vqa_sets(vqa_dirs, vqa_labels, allow_missing=args.allow_missing)
    except (ValueError, FileNotFoundError) as exc:
        print(f"s2i eval: error: {exc}", file=sys.stderr)
        return 2
    for s in sets:
        note = f" ({len(s.missing)} missing, {len(s.extra)} unlabelled videos in the folder)"
        note = note if s.missing or s.extra else ""
        print(f"{s.title}: {len(s)} videos with labels from {s.labels_file}{note}", file=sys.stderr)

    if args.judge and not args.bench:
        print("s2i eval: note: --judge is only used with --bench", file=sys.stderr)
    judge = None
    if args.bench and args.judge:
        try:
            judge = load_task("s2i_bench").make_judge(
                args.judge,
                url=args.judge_url,
                api_key_env=args.judge_api_key_env,
                max_new_tokens=args.judge_max_new_tokens,
                trust_remote_code=args.trust_remote_code,
            )
        except (JudgeError, ValueError) as exc:
            print(f"s2i eval: error: {exc}", file=sys.stderr)
            return 2
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    results = evaluate(
        args.model,
        adapter=args.adapter,
        output_dir=args.output_dir,
        vqa_sets=sets,
        limit=args.limit,
        bench=args.bench,
        bench_split=args.bench_split,
        bench_limit=args.bench_limit,
        judge=judge,
        judge_prompts=args.judge_prompts,
        max_new_tokens=args.max_new_tokens,
        num_frames=args.num_frames,
        fps=args.fps,
        max_pixels=args.max_pixels,
        fragments=args.fragments,
        fragment_size=args.fragment_size,
        span=args.frame_span,
        fragment_views=args.fragment_views,
        batch_size=args.batch_size,
        trust_remote_code=args.trust_remote_code,
        progress=not args.quiet,
        on_error="record",
    )
    for name, message in results.errors.items():
        print(f"s2i eval: {name}: {message}", file=sys.stderr)
    table = results_table(results)
    if table:
        print(table)
    return 1 if results.errors else 0
