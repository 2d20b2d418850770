"""The model card of a tuned model: rendered from ``training_summary.json`` and results files, never by hand.

The card (``cards/templates/model_card.md``, through :class:`huggingface_hub.ModelCard`) holds the base model,
each stage that ran with its data size and hyper-parameters (either stage may be absent), a training-loss plot,
the evaluation table, ``model-index`` metadata (``ModelCardData(eval_results=[...])``), how to score a video with
:class:`s2i_hf.eval_suite.qalign.QualityScorer` for the files the repo actually holds, and intended use and limits.

The evaluation table sits between ``<!-- s2i:evaluation:start -->`` and ``<!-- s2i:evaluation:end -->`` and is
rendered from the card's ``model-index``, so :func:`update_card_results` can add results to a published card and
the table and the metadata always agree.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from importlib import resources
from typing import Any

from s2i_hf.artifacts import is_hub_id


__all__ = [
    "EVAL_END",
    "EVAL_START",
    "LOSS_PLOT",
    "Layout",
    "STAGES",
    "STAGE_TITLES",
    "evaluation_markdown",
    "render_model_card",
    "update_card_results",
]

EVAL_START = "<!-- s2i:evaluation:start -->"
EVAL_END = "<!-- s2i:evaluation:end -->"
LOSS_PLOT = "training_loss.png"
STAGES = ("stage1", "stage2")
STAGE_TITLES = {"stage1": "Stage I (vision + projector)", "stage2": "Stage II (LoRA on the language model)"}


class Layout(dict):
    """What a model repo holds: ``root`` is ``"merged"``, ``"stage1"`` or ``"adapter"`` (the files at the repo's
    top level), ``adapter_subfolder`` the folder of the Stage II adapter when it is not at the root (or None),
    ``adapter_base`` the model the adapter applies to (a Hub id)."""

    def __init__(self, root: str, adapter_subfolder: str | None = None, adapter_base: str | None = None):
        super().__init__(root=root, adapter_subfolder=adapter_subfolder, adapter_base=adapter_base)


def _stages(summary: dict | None) -> dict[str, dict]:
    stages = (summary or {}).get("stages") or {}
    return {name: stages[name] for name in STAGES if isinstance(stages.get(name), dict)}


def _fmt_number(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _trainable(stage: dict) -> str:
    parts = stage.get("trainable_parameters") or {}
    named = [f"{k} {v:,}" for k, v in parts.items() if isinstance(v, int) and v]
    return ", ".join(named) if named else "-"


def _lora_text(stage: dict, key: str) -> str:
    lora = stage.get("lora") or {}
    value = lora.get(key)
    if value is None:
        return "-"
    if isinstance(value, (list, tuple)):
        return ", ".join(f"`{v}`" for v in value)
    if key == "target_modules":
        return f"`{value}`"
    return _fmt_number(value)


def _stage_rows(stages: dict[str, dict]) -> list[dict]:
    spec = [
        ("Training videos", lambda s: _fmt_number(s.get("rows"))),
        ("Training items (conversations)", lambda s: _fmt_number(s.get("items", s.get("rows")))),
        ("Optimizer steps", lambda s: _fmt_number(s.get("steps"))),
        ("Epochs", lambda s: _fmt_number(s.get("epochs"))),
        ("Learning rate", lambda s: _fmt_number(s.get("learning_rate"))),
        ("Batch size per device", lambda s: _fmt_number(s.get("per_device_train_batch_size"))),
        ("Gradient accumulation steps", lambda s: _fmt_number(s.get("gradient_accumulation_steps"))),
        ("Mean training loss", lambda s: _fmt_number(s.get("train_loss"))),
        ("Trainable parameters", _trainable),
        ("Total parameters", lambda s: _fmt_number(s.get("total_parameters"))),
    ]
    if any(s.get("lora") for s in stages.values()):
        spec += [
            ("LoRA rank r", lambda s: _lora_text(s, "r")),
            ("LoRA alpha", lambda s: _lora_text(s, "alpha")),
            ("LoRA dropout", lambda s: _lora_text(s, "dropout")),
            ("LoRA target modules", lambda s: _lora_text(s, "target_modules")),
        ]
    return [{"label": label, "cells": [fn(s) for s in stages.values()]} for label, fn in spec]


def evaluation_markdown(hub_eval_results: Sequence) -> str:
    """A table of ``huggingface_hub.EvalResult`` objects: one row per dataset split, one column per metric."""
    from .leaderboard import METRIC_LABELS, metric_order

    if not hub_eval_results:
        return (
            "No evaluation results yet: evaluate with `s2i eval` and add them to this card with "
            "`s2i push results RESULTS... REPO`."
        )
    rows: dict[tuple, dict[str, float]] = {}
    for e in hub_eval_results:
        rows.setdefault(
            (e.dataset_name or e.dataset_type, e.dataset_type, e.dataset_split or "-", e.task_name or e.task_type), {}
        )[e.metric_type] = e.metric_value
    metrics = metric_order(m for vals in rows.values() for m in vals)
    head = "| dataset | split | task | " + " | ".join(METRIC_LABELS.get(m, m).split(" (")[0] for m in metrics) + " |"
    lines = [head, "|---|---|---|" + "---:|" * len(metrics)]
    for (name, hub_id, split, task), vals in rows.items():
        shown = f"[{name}](https://huggingface.co/datasets/{hub_id})" if is_hub_id(hub_id) else name
        cells = [f"{vals[m]:.4f}" if m in vals else "-" for m in metrics]
        lines.append(f"| {shown} | {split} | {task} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _usage_code(repo_id: str, layout: Layout, sampling: str) -> str:
    """The card's code block; ``sampling`` is the frame-sampling arguments as written (:func:`_sampling_args`)."""
    score_lines = [
        'result = scorer.score(["my_video.mp4"])[0]',
        "print(result.score, result.probs)  # overall quality in [0, 1] and the probability of each level",
        'print(scorer.score(["my_video.mp4"], dimension="flicker")[0].score)  # one quality dimension',
    ]
    if layout["root"] == "adapter":
        head = [
            "from s2i_hf.eval_suite.qalign import QualityScorer",
            "",
            f'scorer = QualityScorer.from_pretrained("{layout["adapter_base"]}", adapter="{repo_id}", {sampling})',
        ]
    elif layout.get("adapter_subfolder"):
        head = [
            "from peft import PeftModel",
            "from transformers import AutoModelForImageTextToText, AutoProcessor",
            "",
            "from s2i_hf.eval_suite.qalign import QualityScorer",
            "",
            f'model = AutoModelForImageTextToText.from_pretrained("{repo_id}")',
            f'model = PeftModel.from_pretrained(model, "{repo_id}", subfolder="{layout["adapter_subfolder"]}")',
            f'scorer = QualityScorer(model, AutoProcessor.from_pretrained("{repo_id}"), {sampling})',
        ]
    else:
        head = [
            "from s2i_hf.eval_suite.qalign import QualityScorer",
            "",
            f'scorer = QualityScorer.from_pretrained("{repo_id}", {sampling})',
        ]
    return "\n".join(head + score_lines)


def _layout_text(layout: Layout) -> str:
    root = {
        "merged": "the merged model (Stage II LoRA folded into the weights) and its processor at the top level",
        "stage1": "the Stage I model and its processor at the top level",
        "adapter": (
            f"the Stage II LoRA adapter and the processor at the top level (base model `{layout['adapter_base']}`)"
        ),
    }[layout["root"]]
    if layout.get("adapter_subfolder"):
        root += f"; the Stage II LoRA adapter in `{layout['adapter_subfolder']}/` (it applies to the top-level model)"
    return root + "; `training_summary.json`"


def _card_data(repo_id: str, summary: dict | None, layout: Layout | None, hub_results: list):
    from huggingface_hub import ModelCardData

    summary = summary or {}
    base = summary.get("base_model")
    data = summary.get("data")
    tags = ["video-quality-assessment", "score2instruct", "s2i-hf"]
    if summary.get("family"):
        tags.append(str(summary["family"]))
    if layout is not None and (layout["root"] == "adapter" or layout.get("adapter_subfolder")):
        tags.append("lora")
    return ModelCardData(
        model_name=repo_id,
        base_model=base if is_hub_id(base) else None,
        datasets=[data] if is_hub_id(data) else None,
        library_name=("peft" if layout is not None and layout["root"] == "adapter" else "transformers")
        if summary
        else None,
        pipeline_tag="video-text-to-text",
        tags=tags,
        eval_results=hub_results or None,
    )


def render_model_card(
    repo_id: str,
    summary: dict | None = None,
    results: Sequence = (),
    *,
    layout: Layout | None = None,
    benchmarks: dict[str, str] | None = None,
    loss_plot: str | None = None,
    extra_eval_results: Sequence = (),
):
    """The :class:`huggingface_hub.ModelCard` of ``repo_id``.

    ``summary``: the parsed ``training_summary.json`` (None: a results-only card); ``results``: results files or
    :class:`~s2i_hf.artifacts.EvalRecord` objects; ``layout``: what the repo holds (:class:`Layout`);
    ``loss_plot``: file name of the training-loss plot in the repo; ``extra_eval_results``: model-index entries
    already on a published card (kept unless a new result replaces them).
    """
    from huggingface_hub import ModelCard

    from s2i_hf import __version__
    from s2i_hf.data_layout import CITATION

    from .leaderboard import legacy_eval_results

    hub_results = _merge_eval_results(extra_eval_results, legacy_eval_results(results, benchmarks))
    stages = _stages(summary)
    if summary is not None and layout is None:
        layout = Layout(
            "merged" if summary.get("outputs", {}).get("merged") else "stage1" if "stage1" in stages else "adapter",
            adapter_base=summary.get("base_model"),
        )
    kwargs: dict[str, Any] = dict(
        title=repo_id.split("/")[-1] if summary else f"Evaluation results: {repo_id}",
        repo_id=repo_id,
        package_version=__version__,
        summary=summary is not None,
        evaluation_md=evaluation_markdown(hub_results),
        citation=CITATION,
        usage_code=_usage_code(repo_id, layout or Layout("merged"), _sampling_args(summary)),
    )
    if summary is not None:
        base = summary.get("base_model") or "unknown"
        data = summary.get("data") or "unknown"
        kwargs.update(
            base_model_md=f"[{base}](https://huggingface.co/{base})"
            if is_hub_id(base)
            else f"`{os.path.basename(str(base).rstrip('/'))}` (a local folder)",
            family=summary.get("family") or "unknown",
            data_md=f"[{data}](https://huggingface.co/datasets/{data})"
            if is_hub_id(data)
            else f"`{os.path.basename(str(data).rstrip('/'))}` (a local S2I dataset folder)",
            frame_sampling=_sampling_text(summary.get("frame_sampling") or {}),
            layout_text=_layout_text(layout),
            trained_at=summary.get("timestamp") or "unknown",
            stages=[{"name": n, "title": STAGE_TITLES[n]} for n in stages],
            stages_summary=_stages_summary(stages),
            stage_rows=_stage_rows(stages),
            loss_plot=loss_plot,
        )
    template = resources.files("s2i_hf.cards").joinpath("templates/model_card.md").read_text(encoding="utf-8")
    card = ModelCard.from_template(_card_data(repo_id, summary, layout, hub_results), template_str=template, **kwargs)
    return card


def _sampling_args(summary: dict | None) -> str:
    """``num_frames=N`` as trained (8 when unknown), and the fragments when the model was trained on them: the
    frames the snippet shows the model must be the kind it learned from."""
    sampling = (summary or {}).get("frame_sampling") or {}
    n = sampling.get("num_frames")
    args = [f"num_frames={int(n) if isinstance(n, int) and n > 0 else 8}"]
    if sampling.get("fragments"):
        args += [f"fragments={int(sampling['fragments'])}", f"fragment_size={int(sampling.get('fragment_size', 32))}"]
    return ", ".join(args)


def _sampling_text(sampling: dict) -> str:
    bits = [f"{k} = {v}" for k, v in sampling.items() if v is not None]
    return ", ".join(bits) if bits else "the processor's defaults"


def _count(stage: dict, key: str) -> str:
    value = stage.get(key)
    return f"{value:,}" if isinstance(value, int) else "streamed"


def _stages_summary(stages: dict[str, dict]) -> str:
    text = []
    if "stage1" in stages:
        text.append(
            f"Stage I trains the vision encoder and the projector on {_count(stages['stage1'], 'rows')} "
            "videos, one multi-turn conversation each rating the 14 dimensions and the overall quality, with "
            "the language model frozen"
        )
    if "stage2" in stages:
        s2 = stages["stage2"]
        lora = s2.get("lora") or {}
        r = lora.get("r")
        also = [
            part
            for part, key in (("the vision encoder", "train_vision"), ("the projector", "train_projector"))
            if lora.get(key)
        ]
        text.append(
            f"Stage II tunes the language model with LoRA{f' (r = {r})' if r is not None else ''}"
            f"{' and trains ' + ' and '.join(also) + ' in full' if also else ''} on "
            f"{_count(s2, 'items')} justification and question-answer conversations over "
            f"{_count(s2, 'rows')} videos"
        )
    return "; ".join(text) if text else "no stage recorded"


def _key(e) -> tuple:
    return (e.dataset_name or e.dataset_type, e.dataset_config, e.dataset_split, e.task_type, e.metric_type)


def _merge_eval_results(old: Sequence, new: Sequence) -> list:
    merged = {_key(e): e for e in old}
    merged.update({_key(e): e for e in new})
    return list(merged.values())


def update_card_results(
    card_text: str | None, repo_id: str, results: Sequence, benchmarks: dict[str, str] | None = None
):
    """Add ``results`` to a published card (its text, or None when the repo has no README).

    The ``model-index`` keeps earlier entries unless a new result has the same dataset, split and metric; the
    evaluation table between the markers is rendered again from the merged metadata. A card without the markers
    gets an evaluation section appended; no card gives a results-only card.
    """
    from huggingface_hub import ModelCard

    from .leaderboard import legacy_eval_results

    if not card_text:
        return render_model_card(repo_id, None, results, benchmarks=benchmarks)
    card = ModelCard(card_text)
    old = list(card.data.eval_results or [])
    merged = _merge_eval_results(old, legacy_eval_results(results, benchmarks))
    card.data.eval_results = merged
    if not card.data.model_name:
        card.data.model_name = repo_id
    table = evaluation_markdown(merged)
    text = card.text
    if EVAL_START in text and EVAL_END in text:
        head, rest = text.split(EVAL_START, 1)
        _, tail = rest.split(EVAL_END, 1)
        text = f"{head}{EVAL_START}\n{table}\n{EVAL_END}{tail}"
    else:
        text = text.rstrip("\n") + f"\n\n## Evaluation\n\n{EVAL_START}\n{table}\n{EVAL_END}\n"
    return ModelCard(f"---\n{card.data.to_yaml()}\n---\n{text}")
