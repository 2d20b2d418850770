"""The demo's run: :func:`run_demo` drives the seven steps (clips, build, tiny model, training, evaluation,
leaderboard, publishing dry run) and writes ``OUT/demo_summary.json``; see :mod:`s2i_hf.demo`."""

from __future__ import annotations

import contextlib
import functools
import json
import multiprocessing
import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from typing import Any

from ..eval_suite.ladders import ladder_metrics
from .clips import make_clips
from .config import HELDOUT_SET, MARKER, OFFLINE_ENV, DemoConfig


__all__ = ["run_demo"]

_PLACEHOLDERS = ("{{", "}}", "[More Information Needed]", "TODO", "TBD")
# the Arrow copies `datasets` makes of the demo's Parquet files (~1 GB a run) go here, not to the user's cache
_CACHE = ".datasets_cache"


def _card_problems(path: str) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    return [p for p in _PLACEHOLDERS if p in text]


class _Steps:
    """The demo's outer progress bar (one tick per step) and per-step wall times."""

    def __init__(self, names: list[str], progress: bool):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=len(names), desc="s2i demo", unit="step", disable=not progress, position=0, leave=True)
        self.times: dict[str, float] = {}
        self._t = None
        self._name = None

    def start(self, name: str, text: str):
        self._name, self._t = name, time.perf_counter()
        self.bar.set_postfix_str(text)
        if self.bar.disable:
            return
        self.bar.write(f"[s2i demo] {text}")

    def done(self):
        self.times[self._name] = round(time.perf_counter() - self._t, 1)
        self.bar.update(1)

    def close(self):
        self.bar.close()


def _prepare_out(out: str) -> None:
    if os.path.isdir(out) and os.listdir(out) and not os.path.exists(os.path.join(out, MARKER)):
        raise FileExistsError(
            f"{out}: the folder exists and was not written by `s2i demo`; give an empty or new --output_dir"
        )
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, MARKER), "w", encoding="utf-8") as fh:
        fh.write("written by `s2i demo`; the demo reuses and overwrites this folder\n")
    # what a rerun recomputes (clips, sources and the score cache are reused)
    for name in (
        "model",
        "train",
        "eval",
        "publish",
        "leaderboard.md",
        "leaderboard.png",
        "demo_summary.json",
        _CACHE,
    ):
        path = os.path.join(out, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        elif os.path.lexists(path):
            os.unlink(path)


def run_demo(config: DemoConfig | None = None) -> dict[str, Any]:
    """Run the demo (see :mod:`s2i_hf.demo`); returns the summary (also in ``OUT/demo_summary.json``)."""
    for var in OFFLINE_ENV:
        os.environ.setdefault(var, "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    cfg = (config or DemoConfig()).resolved()
    out = os.path.abspath(cfg.output_dir)
    progress = not cfg.quiet
    started = time.perf_counter()
    _prepare_out(out)

    import torch

    torch.set_num_threads(max(1, cfg.threads))
    import datasets
    import transformers

    if not progress:
        datasets.disable_progress_bars()
        transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()

    paths = {
        "clips": os.path.join(out, "clips"),
        "data": os.path.join(out, "data"),
        "base_model": os.path.join(out, "model", f"tiny-{cfg.model_family}"),
        "train": os.path.join(out, "train"),
        "tuned_model": os.path.join(out, "model", f"tiny-{cfg.model_family}-s2i"),
        "eval": os.path.join(out, "eval"),
        "leaderboard": os.path.join(out, "leaderboard.md"),
        "publish_dataset": os.path.join(out, "publish", "dataset"),
        "publish_model": os.path.join(out, "publish", "model"),
        "summary": os.path.join(out, "demo_summary.json"),
    }
    steps = _Steps(["clips", "build", "model", "train", "eval", "leaderboard", "publish"], progress)
    summary: dict[str, Any] = {"config": asdict(cfg), "figures": {}, "artifacts": {}, "seconds": {}}
    figures = summary["figures"]
    user_cache = datasets.config.HF_DATASETS_CACHE
    if "HF_DATASETS_CACHE" not in os.environ:  # a cache the user chose is kept
        datasets.config.HF_DATASETS_CACHE = os.path.join(out, _CACHE)
    stack = contextlib.ExitStack()  # the process evaluating the base model beside the training
    try:
        # 1. clips of known quality order
        steps.start(
            "clips", "1/7 generating distorted clips of real scenes (photographs and clips that ship in wheels)"
        )
        train_clips, held, labels = make_clips(cfg, paths["clips"], progress)
        figures["clips"] = {
            "training": len(train_clips),
            "held_out": len(held),
            "sources": len(cfg.sources),
            "held_out_sources": sum(1 for s in cfg.sources if s.heldout),
            "families": list(cfg.families),
            "steps_per_family": len(cfg.steps),
        }
        steps.done()

        # 2. score + build
        steps.start("build", f"2/7 scoring {len(train_clips)} clips on 14 dimensions and building the S2I configs")
        from ..cards.dataset_card import write_dataset_card
        from ..dataset_builder import build_dataset
        from ..dataset_builder.config import BuildArguments

        build_args = BuildArguments(
            output_dir=paths["data"],
            seed=cfg.seed,
            bench_size=cfg.bench_size,
            frames=16,
            window=4,
            workers=cfg.workers,
            stage1_dimensions=cfg.stage1_dimensions,
            content_from="folder",  # clips/train/<scene>/<variant>.mp4: the scene is each clip's content
            quiet=not progress,
        )
        built = build_dataset(train_clips, build_args, card_writer=write_dataset_card)
        levels: dict[str, int] = {}
        for r in built.records:
            levels[r["overall_level"]] = levels.get(r["overall_level"], 0) + 1
        figures["build"] = {
            "counts": dict(built.counts),
            "bytes": dict(built.bytes),
            "tasks": built.task_counts,
            "problems": len(built.problems),
            "overall_levels": dict(sorted(levels.items())),
            "bench_videos": sum(1 for r in built.records if r["split"] == "bench"),
        }
        steps.done()

        # 3. tiny model
        steps.start("model", f"3/7 building a tiny {cfg.model_family} model offline")
        from ..testing import make_tiny_model

        make_tiny_model(
            cfg.model_family,
            paths["base_model"],
            seed=cfg.seed,
            max_pixels=cfg.max_pixels,
            zero_query=cfg.zero_query,
        )
        # `s2i eval` of the untrained model then shows it what the demo shows both models (as `s2i train` records it
        # for the tuned one), so its figures can be reproduced outside the demo
        from ..artifacts import save_training_summary

        save_training_summary(
            paths["base_model"], {"frame_sampling": _model_frames(cfg).to_dict(), "stages": {}, "untrained": True}
        )
        steps.done()

        # 4. Stage I + Stage II
        steps.start(
            "train", f"4/7 training Stage I ({cfg.stage1_steps} steps) and Stage II ({cfg.stage2_steps} steps)"
        )
        from ..trainers import S2IModelConfig, S2IScriptArguments, S2ITrainConfig, run_training

        train_cfg = S2ITrainConfig(
            output_dir=paths["train"],
            num_frames=cfg.num_frames,
            frame_span=cfg.frame_span,
            fragments=cfg.fragments,
            fragment_size=cfg.fragment_size,
            fragment_jitter=cfg.fragment_jitter,
            per_device_train_batch_size=cfg.batch_size,
            stage1_max_steps=cfg.stage1_steps,
            stage2_max_steps=cfg.stage2_steps,
            stage1_learning_rate=cfg.stage1_learning_rate,
            stage2_learning_rate=cfg.stage2_learning_rate,
            train_vision=cfg.train_vision,
            train_projector=cfg.stage2_train_projector,
            train_lm_head=cfg.train_lm_head,
            label_smoothing_factor=cfg.label_smoothing_factor,
            level_score_sigma=cfg.level_score_sigma,
            score_head_weight=cfg.score_head_weight,
            content_batches=cfg.content_batches and cfg.score_head_weight > 0,
            weight_decay=cfg.weight_decay,
            render_cache_mb=cfg.render_cache_mb,
            # one process decodes and renders the next batches while the model trains on this one (the second core)
            dataloader_num_workers=1 if cfg.workers > 1 else 0,
            dataloader_persistent_workers=cfg.workers > 1,  # keeps its render cache from epoch to epoch
            lr_scheduler_type=cfg.lr_scheduler_type,
            warmup_steps=0,
            save_strategy="no",
            seed=cfg.seed,
            report_to="none",
            logging_steps=max(1, min(10, (cfg.stage1_steps or 1) // 10)),
            disable_tqdm=not progress,
            use_cpu=True,
        )
        import io

        # the base model's evaluation and the labels' own figures do not wait for the training: with --workers
        # above 1, a second process runs them on the core the training's data loader leaves idle once its render
        # cache is full
        reference = functools.partial(
            _reference_figures, cfg, paths, held, labels, build_args.frames, build_args.window
        )
        beside = None
        if cfg.workers > 1:
            background = stack.enter_context(ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")))
            beside = background.submit(reference, own_process=True)
        # with progress bars off, the Trainer prints its log dicts instead: keep them out of a quiet run
        with contextlib.redirect_stdout(io.StringIO()) if not progress else contextlib.nullcontext():
            summary_train = run_training(
                S2IScriptArguments(data=paths["data"]),
                train_cfg,
                S2IModelConfig(model_name_or_path=paths["base_model"]),
            )
        os.symlink(
            os.path.relpath(os.path.join(paths["train"], "merged"), os.path.dirname(paths["tuned_model"])),
            paths["tuned_model"],
        )
        figures["train"] = {
            name: {
                "rows": s["rows"],
                "items": s.get("items"),
                "steps": s["steps"],
                "first_loss": s["losses"][0][1] if s["losses"] else None,
                "last_loss": s["losses"][-1][1] if s["losses"] else None,
                "seconds": s["runtime_seconds"],
            }
            for name, s in summary_train["stages"].items()
        }
        steps.done()

        # 5. evaluation of the tuned model (the base model's ran beside the training, with --workers above 1):
        # known-order SRCC/PLCC on held-out clips, judge-free S2I-Bench
        steps.start("eval", f"5/7 evaluating the tuned model on {len(held)} held-out clips and the bench")
        figures["eval"] = {"base_model": None, "tuned_model": _evaluate_model(cfg, paths, "tuned_model", held, labels)}
        # the base model and the labels' ceiling
        figures["eval"].update(beside.result() if beside is not None else reference())
        steps.done()

        # 6. leaderboard of both models
        steps.start("leaderboard", "6/7 rendering the leaderboard of the base and the tuned model")
        from ..artifacts import load_results
        from ..cards.leaderboard import write_leaderboard

        lb_metrics = ["srcc", "plcc", "overall_accuracy", "dimension_accuracy", "dimension_ordinal_error"]
        write_leaderboard(load_results(paths["eval"]), paths["leaderboard"], metrics=lb_metrics)
        steps.done()

        # 7. publishing path, dry run (renders the dataset and model cards)
        steps.start(
            "publish", "7/7 staging the dataset and model repos (s2i push --dry-run): cards, eval.yaml, .eval_results"
        )
        from ..artifacts import results_filename
        from ..cards.publish import push_dataset, push_model

        tuned_results = [
            os.path.join(paths["eval"], results_filename(paths["tuned_model"], d)) for d in (HELDOUT_SET, "s2i_bench")
        ]
        try:
            push_dataset(paths["data"], cfg.dataset_repo, dry_run=paths["publish_dataset"])
            push_model(
                paths["train"],
                cfg.model_repo,
                dry_run=paths["publish_model"],
                results=tuned_results,
                benchmarks={"s2i_bench": cfg.dataset_repo},
            )
        except (FileNotFoundError, FileExistsError, ValueError) as err:
            raise RuntimeError(f"staging the dataset and model repos (push dry run) failed: {err}") from err
        cards = {
            "dataset_card": os.path.join(paths["publish_dataset"], "README.md"),
            "model_card": os.path.join(paths["publish_model"], "README.md"),
        }
        figures["cards"] = {name: {"placeholders": _card_problems(p)} for name, p in cards.items()}
        figures["publish"] = {
            "dataset_files": _count_files(paths["publish_dataset"]),
            "model_files": _count_files(paths["publish_model"]),
        }
        steps.done()
    finally:
        stack.close()
        steps.close()
        datasets.config.HF_DATASETS_CACHE = user_cache

    summary["seconds"] = {**steps.times, "total": round(time.perf_counter() - started, 1)}
    summary["artifacts"] = {
        "clips (training / held-out, labels)": paths["clips"],
        "held-out labels (known quality order)": labels,
        "dataset (scores/stage1/stage2/bench + README card)": paths["data"],
        "dataset card": os.path.join(paths["data"], "README.md"),
        "base model": paths["base_model"],
        "training output (stage1/, stage2/ adapter, merged/, training_summary.json)": paths["train"],
        "tuned model (merged)": os.path.join(paths["train"], "merged"),
        "results files, predictions, scatter plots, bench answers": paths["eval"],
        "leaderboard (Markdown + PNG)": paths["leaderboard"],
        "dataset repo, staged (dry run)": paths["publish_dataset"],
        "model repo, staged (dry run; README.md is the model card)": paths["publish_model"],
        "this summary": paths["summary"],
    }
    with open(paths["summary"], "w", encoding="utf-8") as fh:
        json.dump(summary, fh, indent=2)
        fh.write("\n")
    return summary


def _model_frames(cfg: DemoConfig):
    """The frames both models are shown in the demo's evaluation (the tuned one's training frames)."""
    from ..frames import FrameSampling

    return FrameSampling(
        num_frames=cfg.num_frames, span=cfg.frame_span, fragments=cfg.fragments, fragment_size=cfg.fragment_size
    )


def _evaluate_model(cfg: DemoConfig, paths: dict[str, str], key: str, held, labels: str) -> dict[str, Any]:
    """Evaluate ``paths[key]`` (the base or the tuned model) on the held-out clips and the bench."""
    from ..eval_suite.tasks import evaluate, read_predictions

    progress = not cfg.quiet and key == "tuned_model"  # the base model is evaluated in the background, quietly
    frames = _model_frames(cfg)
    res = evaluate(
        paths[key],
        output_dir=paths["eval"],
        vqa_sets={HELDOUT_SET: os.path.join(paths["clips"], "heldout")},
        vqa_labels={HELDOUT_SET: labels},
        bench=paths["data"],
        num_frames=frames.num_frames,
        span=frames.span,
        fragments=frames.fragments or 0,  # both models see what the tuned one was trained on
        fragment_size=frames.fragment_size,
        fragment_views=cfg.fragment_views,
        max_new_tokens=cfg.max_new_tokens,
        batch_size=8,
        progress=progress,
        **({} if progress else {"log": None}),
    )
    vqa, bench = res
    preds = read_predictions(res.files[HELDOUT_SET]["predictions"])
    return {
        "held_out_srcc": vqa.metrics.get("srcc"),
        "held_out_plcc": vqa.metrics.get("plcc"),
        "held_out_n": vqa.n,
        **ladder_metrics(held, preds),
        **_spread(preds.values()),
        "bench": dict(bench.metrics),
        "bench_n": bench.n,
    }


def _reference_figures(
    cfg: DemoConfig, paths: dict[str, str], held, labels: str, frames: int, window: int, own_process: bool = False
) -> dict[str, Any]:
    """The figures the tuned model is read against: the base model's evaluation, and the labels' ceiling (the
    weight-free estimators that labelled the data, on the same held-out clips, with the build's frame sampling).
    ``own_process``: in a process of its own beside the training, set up as the demo's main process."""
    if own_process:
        import datasets
        import torch
        import transformers

        torch.set_num_threads(max(1, cfg.threads))
        datasets.disable_progress_bars()
        transformers.utils.logging.disable_progress_bar()
        transformers.utils.logging.set_verbosity_error()
        if "HF_DATASETS_CACHE" not in os.environ:
            datasets.config.HF_DATASETS_CACHE = os.path.join(os.path.dirname(paths["summary"]), _CACHE)
    from ..frames import FrameSampling
    from ..scoring import VideoScorer

    base = _evaluate_model(cfg, paths, "base_model", held, labels)
    scorer = VideoScorer(sampling=FrameSampling.windows(num_frames=frames, window=window))
    held_root = os.path.join(paths["clips"], "heldout")
    estimated = {c.name: scorer.score(os.path.join(held_root, c.name)).overall_score for c in held}
    return {"base_model": base, "estimators": ladder_metrics(held, estimated)}


def _spread(values) -> dict[str, float | None]:
    """How much a model's held-out predictions vary: a model that ignores the video predicts one value."""
    v = sorted(float(x) for x in values)
    if not v:
        return {"prediction_std": None, "prediction_min": None, "prediction_max": None}
    mean = sum(v) / len(v)
    std = (sum((x - mean) ** 2 for x in v) / len(v)) ** 0.5
    return {"prediction_std": round(std, 4), "prediction_min": round(v[0], 4), "prediction_max": round(v[-1], 4)}


def _count_files(folder: str) -> int:
    return sum(len(files) for _, _, files in os.walk(folder))
