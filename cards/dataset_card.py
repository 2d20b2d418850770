"""The dataset card of a built S2I folder: README.md with the YAML ``configs:`` that ``load_dataset`` reads,
counts per config and task, level distributions (table + plot), scorers and rewrite statistics."""

from __future__ import annotations

import os
from importlib import resources
from typing import Any

from s2i_hf.data_layout import CITATION, CONFIG_SPLIT, DESCRIPTIONS, card_config_entries
from s2i_hf.dimensions import DIMENSIONS


__all__ = ["write_dataset_card", "dataset_card_data"]

PLOT_FILE = "level_distribution.png"


def dataset_card_data(
    present: dict[str, bool], default: str = "stage2", pretty_name: str = "Score2Instruct video quality instructions"
):
    """Card metadata whose ``configs:`` are column views over the per-video table files in ``present``."""
    from huggingface_hub import DatasetCardData

    entries = card_config_entries(present, default)
    return DatasetCardData(
        license="other",
        license_name="s2i-mixed",
        license_details="Text and scores: CC-BY-4.0. Videos: the licences of their sources.",
        language=["en"],
        pretty_name=pretty_name,
        task_categories=["video-text-to-text"],
        tags=["video-quality-assessment", "score2instruct", "instruction-tuning"],
        configs=entries,
    )


def write_dataset_card(out: str, result, args, scorer, repo_id: str | None = None) -> str:
    """Render README.md (and the level plot) into ``out``; returns the README path."""
    from huggingface_hub import DatasetCard

    from s2i_hf import __version__
    from s2i_hf.plots import plot_level_distribution

    records = result.records
    words = scorer.scale.words
    configs = [name for name, n in result.counts.items() if n.get("rows")]
    present = {"train": "stage1" in configs, "bench": "bench" in configs}
    plot_level_distribution(records, os.path.join(out, PLOT_FILE), words)
    sources: dict[str, int] = {}
    for r in records:
        sources[r["source"]] = sources.get(r["source"], 0) + 1
    overall = [(w, sum(1 for r in records if r["overall_level"] == w)) for w in words]
    balance_note = None
    if args.balance_size is not None:
        balance_note = (
            f"Unlabeled pool quality-balanced to {args.balance_size} videos over {args.balance_bins} proxy-score bins "
            f"({result.dropped_by_balance} not sampled, {result.dropped_by_disagreement} dropped for proxy/score "
            f"disagreement > {args.max_disagreement})."
        )
    kwargs: dict[str, Any] = dict(
        pretty_name="Score2Instruct video quality instructions",
        package_version=__version__,
        repo_id=repo_id or os.path.basename(os.path.abspath(out)),
        configs_table=[
            {"name": n, "split": CONFIG_SPLIT[n], "description": DESCRIPTIONS[n], **result.counts[n]} for n in configs
        ],
        bytes=result.bytes,
        task_table=[
            {"config": c, "task": t, "rows": n} for c, tasks in result.task_counts.items() for t, n in tasks.items()
        ],
        sources_table=[{"source": s, "videos": n} for s, n in sorted(sources.items())],
        bench_videos=sum(1 for r in records if r.get("split") == "bench"),
        excluded=result.excluded,
        problems_count=len(result.problems),
        balance_note=balance_note,
        plot_file=PLOT_FILE,
        level_words=list(words),
        level_table=[
            {
                "name": d.name,
                "group": d.group,
                "counts": [sum(1 for r in records if r["levels"][d.id] == w) for w in words],
            }
            for d in DIMENSIONS
        ],
        overall_counts=overall,
        sampling=", ".join(f"{k}={v}" for k, v in scorer.setup()["sampling"].items()),
        bars=("black letterbox and pillarbox bars cut before scoring" if scorer.crop_bars else "whole frames scored")
        + "; HDR (PQ, HLG) tone-mapped to SDR BT.709",
        cutoffs=", ".join(f"{c:g}" for c in scorer.scale.cutoffs),
        min_weight=scorer.aggregation.min_weight,
        group_weights=" + ".join(f"{w:g} x {g}" for g, w in scorer.aggregation.group_weights.items()),
        scorer_table=[
            {"dimension": d.id, "scorer": ", ".join(sorted({r["scorers"][d.id] for r in records}))} for d in DIMENSIONS
        ],
        rewrite=result.rewrite or {"attempted": 0},
        rewrite_model=getattr(args, "rewrite_model", None),
        license_text="CC-BY-4.0",
        citation=CITATION,
    )
    template = resources.files("s2i_hf.cards").joinpath("templates/dataset_card.md").read_text(encoding="utf-8")
    card = DatasetCard.from_template(dataset_card_data(present), template_str=template, **kwargs)
    path = os.path.join(out, "README.md")
    card.save(path)
    return path
