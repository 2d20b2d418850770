"""Results files -> the Hub's leaderboard formats and a comparison across models.

- :func:`eval_result_entries`: the current convention, ``.eval_results/*.yaml`` files in a model repo (one
  :class:`huggingface_hub.EvalResultEntry` per metric, each pointing at the benchmark dataset on the Hub; one file
  per dataset split). Results whose dataset has no Hub id are skipped (the Hub needs a benchmark dataset);
  give one with ``benchmarks={"konvid_1k": "org/konvid-1k"}``.
- :func:`legacy_eval_results`: the same numbers as ``model-index`` metadata (``huggingface_hub.EvalResult``).
- :func:`bench_eval_yaml`: the ``eval.yaml`` that declares a dataset with a ``bench`` config a benchmark; its
  task ids are the judge metrics (``ci``, ``cu``, ``do``, ``tu``) that the entries above use.
- :func:`comparison_table` / :func:`plot_comparison` / :func:`write_leaderboard`: Markdown + PNG across models.

Everything is computed from :class:`s2i_hf.artifacts.EvalRecord` objects (the results-file contract),
never typed by hand.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

from s2i_hf.artifacts import EvalRecord, load_results, slug


__all__ = [
    "HEADLINE_METRICS",
    "LOWER_IS_BETTER",
    "METRIC_LABELS",
    "bench_eval_yaml",
    "comparison_table",
    "dataset_hub_id",
    "eval_result_entries",
    "eval_results_files",
    "legacy_eval_results",
    "metric_order",
    "plot_comparison",
    "write_leaderboard",
]

METRIC_LABELS = {
    "srcc": "SRCC",
    "plcc": "PLCC",
    "krcc": "KRCC",
    "rmse": "RMSE",
    "plcc_raw": "raw PLCC (no logistic fit)",
    "ci": "CI (correctness of information)",
    "cu": "CU (contextual understanding)",
    "do": "DO (detail orientation)",
    "tu": "TU (temporal understanding)",
}
HEADLINE_METRICS = {"vqa": ("srcc", "plcc"), "s2i_bench": ("ci", "cu", "do", "tu")}
_ORDER = ("srcc", "plcc", "krcc", "rmse", "plcc_raw", "ci", "cu", "do", "tu")
LOWER_IS_BETTER = frozenset({"rmse"})
TASK_NAMES = {"vqa": "Video quality scoring", "s2i_bench": "S2I-Bench open-ended quality questions"}
BENCH_CONFIG = "bench"


def metric_order(metrics: Iterable[str]) -> list[str]:
    """Known metrics in their usual order, then the others alphabetically."""
    metrics = list(dict.fromkeys(metrics))
    return [m for m in _ORDER if m in metrics] + sorted(m for m in metrics if m not in _ORDER)


def _as_results(results) -> list[EvalRecord]:
    return load_results(results)


def dataset_hub_id(result: EvalRecord, benchmarks: dict[str, str] | None = None) -> str | None:
    """The Hub id of the dataset a result was measured on: ``benchmarks[name]`` first, then the file's own."""
    return (benchmarks or {}).get(result.dataset) or result.dataset_hub_id


def _notes(result: EvalRecord) -> str:
    bits = [f"split={result.split}", f"n={result.n}"]
    frames = (result.settings or {}).get("num_frames")
    if frames is not None:
        bits.append(f"frames={frames}")
    if result.judge:
        bits.append(f"judge={result.judge.get('id')}")
        if result.judge.get("parse_failures") is not None:
            bits.append(f"parse_failures={result.judge['parse_failures']}")
    if result.adapter:
        bits.append(f"adapter={result.adapter}")
    return "; ".join(bits)


def eval_result_entries(results, benchmarks: dict[str, str] | None = None, source_url: str | None = None):
    """``({filename: [EvalResultEntry, ...]}, skipped)``: one entry per metric, one file per dataset split.

    ``task_id`` is the metric id (the task ids of :func:`bench_eval_yaml`); ``date`` is the results file's
    timestamp; ``notes`` records split, n, frames and judge. ``skipped`` lists the results with no Hub dataset.
    """
    from huggingface_hub import EvalResultEntry

    files: dict[str, list] = {}
    skipped: list[EvalRecord] = []
    for r in _as_results(results):
        hub_id = dataset_hub_id(r, benchmarks)
        if not hub_id:
            skipped.append(r)
            continue
        name = f"{slug(r.dataset)}_{slug(r.split)}.yaml"
        entries = files.setdefault(name, [])
        for metric in metric_order(r.metrics):
            entries.append(
                EvalResultEntry(
                    dataset_id=hub_id,
                    task_id=metric,
                    value=float(r.metrics[metric]),
                    date=r.timestamp,
                    source_url=source_url,
                    source_name="s2i-hf results file" if source_url else None,
                    notes=_notes(r),
                )
            )
    return files, skipped


def eval_results_files(results, benchmarks: dict[str, str] | None = None, source_url: str | None = None):
    """``({".eval_results/<name>.yaml": yaml_text}, skipped)`` ready to upload."""
    import yaml
    from huggingface_hub import eval_result_entries_to_yaml

    files, skipped = eval_result_entries(results, benchmarks, source_url)
    out = {
        f".eval_results/{name}": yaml.safe_dump(
            eval_result_entries_to_yaml(entries), sort_keys=False, allow_unicode=True
        )
        for name, entries in files.items()
    }
    return out, skipped


def legacy_eval_results(results, benchmarks: dict[str, str] | None = None) -> list:
    """The results as ``huggingface_hub.EvalResult`` objects (``model-index`` metadata), one per metric."""
    from huggingface_hub import EvalResult as HubEvalResult

    out = []
    for r in _as_results(results):
        for metric in metric_order(r.metrics):
            out.append(
                HubEvalResult(
                    task_type="video-text-to-text",
                    task_name=TASK_NAMES.get(r.task, r.task),
                    dataset_type=dataset_hub_id(r, benchmarks) or r.dataset,
                    dataset_name=r.dataset,
                    dataset_split=r.split,
                    dataset_config=BENCH_CONFIG if r.task == "s2i_bench" else None,
                    metric_type=metric,
                    metric_name=METRIC_LABELS.get(metric, metric),
                    metric_value=float(r.metrics[metric]),
                )
            )
    return out


def bench_eval_yaml(
    repo_id: str, *, questions: int | None = None, config: str = BENCH_CONFIG, split: str = "test"
) -> str:
    """``eval.yaml`` of a dataset repo whose ``bench`` config holds S2I-Bench-style questions.

    One task per judge metric; ``.eval_results`` entries made by :func:`eval_result_entries` for a bench result
    use these task ids.
    """
    import yaml

    descriptions = {
        "ci": "correctness of information: the answer states the same quality levels as the reference",
        "cu": "contextual understanding: the answer fits the question and the video",
        "do": "detail orientation: the answer covers the quality dimensions the reference covers",
        "tu": "temporal understanding: the answer gets temporal aspects (flicker, stutter, shake) right",
    }
    size = f" ({questions} questions)" if questions else ""
    data = {
        "name": f"S2I-Bench: {repo_id}",
        "description": (
            "Open-ended video quality questions built with the Score2Instruct pipeline on videos held out of "
            f"training{size}. An LLM judge rates each answer against the reference on four 0-5 scales "
            "(Video-ChatGPT's judge metrics). Evaluate with `s2i eval` from s2i-hf."
        ),
        "evaluation_framework": "s2i-hf",
        "tasks": [
            {
                "id": metric,
                "name": METRIC_LABELS[metric],
                "description": descriptions[metric],
                "config": config,
                "split": split,
                "field_spec": {"input": "question", "target": "reference", "video": "video"},
                "metric": {"name": metric, "range": [0, 5], "higher_is_better": True},
            }
            for metric in HEADLINE_METRICS["s2i_bench"]
        ],
    }
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)


# --- comparison across models ---------------------------------------------------------------------------
def _model_label(r: EvalRecord) -> str:
    label = os.path.basename(r.model_id.rstrip("/")) if os.path.isabs(r.model_id) else r.model_id
    if r.adapter:
        label += f" + {os.path.basename(r.adapter.rstrip('/')) if os.path.isabs(r.adapter) else r.adapter}"
    return label


def _columns(results: Sequence[EvalRecord], metrics: Sequence[str] | None):
    cols = []
    for r in results:
        wanted = metrics or HEADLINE_METRICS.get(r.task) or metric_order(r.metrics)
        for m in wanted:
            if m in r.metrics and (r.dataset, r.split, m) not in cols:
                cols.append((r.dataset, r.split, m))
    return cols


def _grid(results: Sequence[EvalRecord], metrics: Sequence[str] | None):
    models = list(dict.fromkeys(_model_label(r) for r in results))
    cols = _columns(results, metrics)
    grid: dict[tuple[str, tuple], float] = {}
    for r in results:
        for m, v in r.metrics.items():
            grid[(_model_label(r), (r.dataset, r.split, m))] = v
    return models, cols, grid


def comparison_table(results, metrics: Sequence[str] | None = None, digits: int = 3) -> str:
    """A Markdown table: one row per model, one column per (dataset, split, metric); the best value in bold.

    Default columns: SRCC/PLCC for quality-scoring sets, CI/CU/DO/TU for S2I-Bench (``metrics`` overrides).
    """
    results = _as_results(results)
    if not results:
        raise ValueError("no results to compare")
    models, cols, grid = _grid(results, metrics)
    best = {}
    for col in cols:
        vals = [grid[(m, col)] for m in models if (m, col) in grid]
        if vals:
            best[col] = min(vals) if col[2] in LOWER_IS_BETTER else max(vals)
    head = "| model | " + " | ".join(f"{d} ({s}) {METRIC_LABELS.get(m, m).split(' (')[0]}" for d, s, m in cols) + " |"
    lines = [head, "|---|" + "---:|" * len(cols)]
    for model in models:
        cells = []
        for col in cols:
            v = grid.get((model, col))
            if v is None:
                cells.append("-")
            else:
                text = f"{v:.{digits}f}"
                cells.append(f"**{text}**" if len(models) > 1 and v == best[col] else text)
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot_comparison(results, path: str, metrics: Sequence[str] | None = None) -> str:
    """Grouped bars (one group per column of :func:`comparison_table`, one bar per model) into ``path``: a panel
    for quality scoring and one for S2I-Bench, drawn by :func:`s2i_hf.plots.plot_comparison`."""
    from s2i_hf import plots

    results = _as_results(results)
    models, cols, grid = _grid(results, metrics)
    panels = []
    for task in ("vqa", "s2i_bench"):
        pcols = [c for c in cols if any(r.task == task and (r.dataset, r.split) == c[:2] for r in results)]
        if not pcols:
            continue
        panels.append(
            {
                "title": TASK_NAMES.get(task, task),
                "ylabel": "judge score (0-5)" if task == "s2i_bench" else "correlation with MOS",
                "ylim": (0, 5) if task == "s2i_bench" else None,
                "labels": [f"{d}\n{METRIC_LABELS.get(m, m).split(' (')[0]}" for d, _, m in pcols],
                "values": {model: [grid.get((model, c), float("nan")) for c in pcols] for model in models},
            }
        )
    return plots.plot_comparison(panels, models, path)


def write_leaderboard(
    results, out: str, metrics: Sequence[str] | None = None, plot: bool = True
) -> tuple[str, str | None]:
    """Write the comparison table (with a short header and the plot linked) to ``out`` (Markdown).

    Returns ``(markdown_path, png_path or None)``; the PNG sits beside the Markdown file.
    """
    results = _as_results(results)
    png = None
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    if plot:
        png = os.path.splitext(out)[0] + ".png"
        plot_comparison(results, png, metrics)
    lines = [
        "# Leaderboard",
        "",
        f"{len(results)} results files, {len({_model_label(r) for r in results})} models.",
        "",
        comparison_table(results, metrics),
    ]
    if png:
        lines += [f"![comparison]({os.path.basename(png)})", ""]
    lines += ["| model | dataset | split | n | judge |", "|---|---|---|---:|---|"]
    for r in results:
        lines.append(f"| {_model_label(r)} | {r.dataset} | {r.split} | {r.n} | {(r.judge or {}).get('id') or '-'} |")
    with open(out, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    return out, png
