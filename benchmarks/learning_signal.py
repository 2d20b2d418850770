"""Learning signal: does a tiny video LMM trained from scratch on S2I data learn to rank held-out clips by quality?

Clips of known quality order are generated from real content, as the demo does (``s2i_hf.demo.make_clips``: short
clips of photographs and real clips, each with a pristine copy and four strengths of the nine label-calibration
families: blur, noise, compression, brightening, darkening, desaturation, stutter, flicker and shake). Whole scenes
are held out: their clips never enter the data. The training clips are scored and
built into the S2I configs (``s2i build``), a tiny random model is built offline, its Q-Align scores of the held-out
clips are measured before and after training (``s2i train``), and the script prints:

- **ladder SRCC** (the target figure): Spearman's correlation of the Q-Align score with the known quality within each
  held-out ladder (a source's pristine clip + one family's variants), averaged over ladders. The quality order is only
  known within a ladder: a strong flicker and a mild blur have no known order;
- pooled SRCC over all held-out clips against the known quality (pristine 5, one point less per step), the share of
  correctly ordered pairs within ladders, per-family ladder SRCC, the spread of the predictions (a model that ignores
  the video predicts a constant) and the same ladder SRCC on the *training* clips (fit vs generalisation);
- the teacher's ceiling: the ladder SRCC of the weight-free estimators' overall score (the labels the model learns
  from, before they are cut into five level words);
- wall times.

    python benchmarks/learning_signal.py [--out DIR] [--stage2_data overall|stage2|stage2-multiturn|stage1+overall|stage2+overall]
        [--fragments 5 --fragment_size 28] [--stage1_steps 0] [--stage2_steps 300] [--stage2_lr 2e-3] [--train_vision] [--num_frames 2] [--max_edge 64]
        [--segments --seconds 1] [--families ...] [--views 3] [--stage1_dimensions none] [--train_lm_head]
        [--label_smoothing 0.1] [--weight_decay 0.1] [--scheduler cosine] [--render_cache_mb 1024] [--run_dir DIR]
        [--zero_query] [--score_head_weight 10] [--content_batches] [--level_score_sigma 0.1] [--model_seed N]

Clips, scores and the build are cached in ``--out`` (default /tmp/s2i-learning-signal) and reused by later runs with
the same clip settings; the model and training are redone each run. Target: ladder SRCC after >= 0.6, before ~0.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time


for _var in (
    "HF_HUB_OFFLINE",
    "HF_DATASETS_OFFLINE",
    "HF_EVALUATE_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "HF_HUB_DISABLE_TELEMETRY",
):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

STAGE2_DATA = ("overall", "stage2", "stage2-multiturn", "stage1+overall", "stage2+overall")


def add_clip_args(ap: argparse.ArgumentParser) -> None:
    """The options that choose the clips and the build (shared with ``vision_probe.py``)."""
    ap.add_argument("--out", default="/tmp/s2i-learning-signal", help="work folder (clips and build are reused)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--families", nargs="*", default=None, help="distortion families (default: the demo's eight)")
    ap.add_argument("--width", type=int, default=480, help="clip width in pixels (height 272/480 of it)")
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument(
        "--views",
        type=int,
        default=0,
        help="more training scenes: this many zoomed, mirrored windows of each training source (s2i demo --views)",
    )
    ap.add_argument("--view_steps", type=int, default=2, help="ladder steps per family in a window's clips")
    ap.add_argument(
        "--segments",
        action="store_true",
        help="other sources: cut the real clips into consecutive --seconds-long segments (the last of each "
        "clip held out: other seconds of the training scenes) instead of the demo's 12 scenes (8 training, 4 held out)",
    )


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_clip_args(ap)
    ap.add_argument("--model_family", default="qwen2_5_vl")
    ap.add_argument(
        "--zero_query",
        action="store_true",
        help="the tiny model's language-model queries start at zero (make_tiny_model)",
    )
    ap.add_argument(
        "--model_seed",
        type=int,
        default=None,
        help="seed of the tiny model's initialisation and of training (default: --seed, which also draws the clips)",
    )
    ap.add_argument("--num_frames", type=int, default=2, help="frames the model sees per video")
    ap.add_argument(
        "--max_edge",
        type=int,
        default=64,
        help="the tiny Qwen processor's pixel budget per frame is max_edge^2 (its default 64: ~80x48 frames)",
    )
    ap.add_argument(
        "--fragments",
        type=int,
        default=None,
        help="show each frame as a FRAGMENTS x FRAGMENTS mosaic of native-resolution patches (s2i train --fragments)",
    )
    ap.add_argument("--fragment_size", type=int, default=32, help="side of each fragment in pixels")
    ap.add_argument(
        "--no_fragment_jitter",
        action="store_true",
        help="train on the fragments at their cells' centres (as evaluated) instead of at random places inside them",
    )
    ap.add_argument("--stage1_steps", type=int, default=0, help="Stage I steps (0: Stage II only)")
    ap.add_argument("--stage2_steps", type=int, default=300)
    ap.add_argument("--stage1_lr", type=float, default=2e-3)
    ap.add_argument("--stage2_lr", type=float, default=2e-3)
    ap.add_argument("--batch_size", type=int, default=4)
    ap.add_argument(
        "--train_vision",
        action="store_true",
        help="Stage II also trains the vision encoder in full (S2IStage2Config.train_vision); the default keeps it as Stage I left it",
    )
    ap.add_argument(
        "--stage2_data",
        choices=STAGE2_DATA,
        default="overall",
        help="Stage II rows: 'stage2' the builder's stage2 config as is; 'overall' one overall-rating "
        "conversation per training video (the Q-Align question); 'stage1+overall' the stage1 "
        "dimension ratings plus those overall rows; 'stage2+overall' the stage2 config plus those overall rows; "
        "'stage2-multiturn' each video's stage2 conversations joined into one multi-turn conversation "
        "(the alternative to the builder's separate items: later answers can copy earlier turns)",
    )
    ap.add_argument(
        "--stage1_dimensions",
        nargs="*",
        default=["all"],
        help="dimensions of the stage1 conversations (s2i build --stage1_dimensions): all, none (the overall "
        "rating alone) or ids",
    )
    ap.add_argument("--train_lm_head", action="store_true", help="train the output layer in both stages")
    ap.add_argument("--label_smoothing", type=float, default=0.0, help="label smoothing of the answer tokens")
    ap.add_argument(
        "--level_score_sigma", type=float, default=0.0, help="Stage I score-aware level targets (s2i train option)"
    )
    ap.add_argument("--score_head_weight", type=float, default=0.0, help="Stage I score head (s2i train option)")
    ap.add_argument(
        "--content_batches",
        action="store_true",
        help="Stage I batches of one scene's versions, the score head fitting their differences (s2i train option)",
    )
    ap.add_argument("--weight_decay", type=float, default=0.0)
    ap.add_argument("--scheduler", default="constant", help="learning-rate schedule (lr_scheduler_type)")
    ap.add_argument(
        "--render_cache_mb", type=float, default=1024, help="rendered rows kept in memory across epochs (0: off)"
    )
    ap.add_argument("--run_dir", default=None, help="model and training folder (default OUT/run; redone each run)")
    ap.add_argument("--no_teacher", action="store_true", help="skip scoring the held-out clips with the estimators")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest for the tiny model)")
    ap.add_argument("--json", default=None, help="also write the figures to this JSON file")
    return ap.parse_args(argv)


def segment_sources(seconds: float, clips=("bunny_a", "bikes_cut")) -> list:
    """Every real clip of ``clips`` (sources of ``s2i_hf.real_content``) cut into consecutive non-overlapping
    ``seconds``-long segments, the last one of each clip held out: more sources than the demo's, as
    ``s2i_hf.demo.DemoSource``s. The held-out segments are other seconds of the training scenes."""
    from s2i_hf.demo import DemoSource
    from s2i_hf.distortions import probe_duration
    from s2i_hf.real_content import SOURCES

    out = []
    for clip in clips:
        n = int(probe_duration(SOURCES[clip].path()) // seconds)
        out += [DemoSource(f"{clip}_{i:02d}", clip, i == n - 1, round(i * seconds, 3)) for i in range(n)]
    return out


def derived_data(data: str, mode: str, seed: int, folder: str) -> str:
    """A data folder whose stage1 is the build's and whose stage2 conversations are the ones ``mode`` names."""
    if mode == "stage2":
        return data
    import datasets

    from s2i_hf.data_layout import table_file, table_files, video_table_features
    from s2i_hf.text import stage1_items

    def conversations(row):
        if mode == "stage2-multiturn":
            turns = []
            for c in row["conversations"]:
                for m in c["messages"]:
                    if turns and m["role"] == "user":  # the clip once, in the first user turn
                        m = {**m, "content": [b for b in m["content"] if b.get("type") != "video"]}
                    turns.append(m)
            dims = [d for c in row["conversations"] for d in c["dimensions"]]
            return {"conversations": [{"messages": turns, "task": "multiturn", "dimensions": dims}]}
        items = stage1_items(row, seed, include_overall=True)
        extra = [
            {k: it[k] for k in ("messages", "task", "dimensions")}
            for it in (items if mode == "stage1+overall" else items[-1:])
        ]
        return {"conversations": (row["conversations"] if mode == "stage2+overall" else []) + extra}

    shutil.rmtree(folder, ignore_errors=True)
    files = table_files(data, "train")
    table = datasets.Dataset.from_parquet(files, features=video_table_features())
    table = table.map(conversations, features=video_table_features())
    os.makedirs(os.path.join(folder, "videos"))
    table.to_parquet(os.path.join(folder, table_file("train", 0, 1)))
    return folder


def clip_info(path: str, root: str):
    from s2i_hf.demo import HeldOutClip

    rel = os.path.relpath(path, root).replace(os.sep, "/")
    source, name = rel.split("/")[-2], os.path.splitext(os.path.basename(rel))[0]
    family, step = (None, -1) if name == "pristine" else (name.rsplit("_", 1)[0], int(name.rsplit("_", 1)[1]))
    return HeldOutClip(rel, source, family, step + 1, None)


def figures(clips, scores: list[float]) -> dict:
    import numpy as np
    from scipy.stats import spearmanr

    from s2i_hf.eval_suite.ladders import ladder_metrics

    m = ladder_metrics(clips, {c.name: s for c, s in zip(clips, scores)})
    x, y = np.asarray(scores, float), np.asarray([c.quality for c in clips], float)
    m["pooled_srcc"] = 0.0 if np.ptp(x) == 0 else float(spearmanr(x, y)[0])
    m["prediction_std"] = float(np.std(x))
    return m


def qalign(
    model_dir: str, clips, root: str, num_frames: int, fragments: int | None, fragment_size: int
) -> list[float]:
    from s2i_hf.eval_suite.qalign import QualityScorer

    scorer = QualityScorer.from_pretrained(
        model_dir, num_frames=num_frames, fragments=fragments, fragment_size=fragment_size, batch_size=8
    )
    return [r.score for r in scorer.score([os.path.join(root, c.name) for c in clips])]


def prepare(args) -> dict:
    """Clips (cached in ``args.out``), their scores and the S2I build (cached): what both this benchmark and
    ``vision_probe.py`` train on. Keys: cfg, train_root, held_root, held (held-out clips), fit_clips (training clips in
    stage1/stage2), data (the build's folder), built (its report), seconds."""
    import datasets
    import transformers

    datasets.disable_progress_bars()
    transformers.utils.logging.set_verbosity_error()
    from s2i_hf.dataset_builder import build_dataset
    from s2i_hf.dataset_builder.config import BuildArguments
    from s2i_hf.demo import DemoConfig, make_clips
    from s2i_hf.video import video_id_of

    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    times = {}
    t = time.perf_counter()
    cfg = DemoConfig(
        output_dir=out,
        seed=args.seed,
        width=args.width,
        seconds=args.seconds,
        families=args.families or [],
        views=args.views,
        view_steps=args.view_steps,
    ).resolved()
    clip_dir = os.path.join(
        out,
        f"clips-w{cfg.width}-s{cfg.seconds:g}-seed{cfg.seed}{'-segments' if args.segments else ''}"
        + (f"-views{cfg.views}x{cfg.view_steps}" if cfg.views else ""),
    )
    sources = segment_sources(cfg.seconds) if args.segments else None
    train_clips, held, _ = make_clips(cfg, clip_dir, progress=False, sources=sources)
    train_root, held_root = os.path.join(clip_dir, "train"), os.path.join(clip_dir, "heldout")
    fit_clips = [clip_info(p, train_root) for p in train_clips]
    times["clips"] = time.perf_counter() - t

    t = time.perf_counter()
    dims = getattr(args, "stage1_dimensions", ["all"])
    data = os.path.join(
        out, f"data-{os.path.basename(clip_dir)}" + ("" if dims == ["all"] else "-s1" + "-".join(dims))
    )
    built = build_dataset(
        train_clips,
        BuildArguments(
            output_dir=data,
            seed=args.seed,
            bench_size=24,
            frames=16,
            window=4,
            workers=2,
            stage1_dimensions=dims,
            content_from="folder",  # clips/train/<scene>/: each clip's scene is its content (--content_batches)
            quiet=True,
        ),
    )
    bench_ids = {r["video_id"] for r in built.records if r["split"] == "bench"}
    fit_clips = [c for c in fit_clips if video_id_of(os.path.join(train_root, c.name)) not in bench_ids]
    times["score + build"] = time.perf_counter() - t
    print(
        f"clips: {len(train_clips)} training ({len(fit_clips)} in stage1/stage2, {len(bench_ids)} bench), {len(held)} held-out "
        f"in {len({c.source for c in held})} unseen sources; families {', '.join(cfg.families)}"
    )
    print(
        "data: "
        + ", ".join(
            f"{k} {c['videos']} videos" + (f" / {c['turns']} turns" if "turns" in c else "")
            for k, c in built.counts.items()
        )
    )
    return {
        "cfg": cfg,
        "train_root": train_root,
        "held_root": held_root,
        "held": held,
        "fit_clips": fit_clips,
        "data": data,
        "built": built,
        "seconds": times,
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch

    torch.set_num_threads(max(1, args.threads))
    from s2i_hf.testing import make_tiny_model
    from s2i_hf.trainers import S2IModelConfig, S2IScriptArguments, S2ITrainConfig, run_training

    prepared = prepare(args)
    out, data, times = os.path.abspath(args.out), prepared["data"], prepared["seconds"]
    train_root, held_root, held, fit_clips = (prepared[k] for k in ("train_root", "held_root", "held", "fit_clips"))
    print(f"Stage II data: {args.stage2_data}")

    teacher = teacher_levels = None
    if not args.no_teacher:
        t = time.perf_counter()
        from s2i_hf.frames import FrameSampling
        from s2i_hf.scoring import VideoScorer

        scorer = VideoScorer(sampling=FrameSampling.windows(num_frames=16, window=4))
        scored = [scorer.score(os.path.join(held_root, c.name)) for c in held]
        teacher = figures(held, [r.overall_score for r in scored])
        # what the training targets keep of it: the overall level word (0 bad .. 4 excellent), ties included
        words = list(scorer.scale.words)
        teacher_levels = figures(held, [float(words.index(r.overall_level)) for r in scored])
        times["teacher scoring"] = time.perf_counter() - t

    t = time.perf_counter()
    run_dir = os.path.abspath(args.run_dir) if args.run_dir else os.path.join(out, "run")
    model_seed = args.seed if args.model_seed is None else args.model_seed
    shutil.rmtree(run_dir, ignore_errors=True)
    base = make_tiny_model(
        args.model_family,
        os.path.join(run_dir, "base"),
        seed=model_seed,
        zero_query=args.zero_query,
        max_pixels=None if args.max_edge == 64 else args.max_edge**2,
    )
    frames = (args.num_frames, args.fragments, args.fragment_size)
    train_data = derived_data(data, args.stage2_data, args.seed, os.path.join(run_dir, "data"))
    before = figures(held, qalign(base, held, held_root, *frames))
    before_fit = figures(fit_clips, qalign(base, fit_clips, train_root, *frames))
    times["model + scoring before"] = time.perf_counter() - t

    t = time.perf_counter()
    if args.stage1_steps <= 0 and args.stage2_steps <= 0:
        raise SystemExit("nothing to train: give --stage1_steps and/or --stage2_steps")
    stage = "both" if args.stage1_steps > 0 and args.stage2_steps > 0 else ("1" if args.stage1_steps > 0 else "2")
    config = S2ITrainConfig(
        output_dir=os.path.join(run_dir, "train"),
        num_frames=args.num_frames,
        fragments=args.fragments,
        fragment_size=args.fragment_size,
        fragment_jitter=not args.no_fragment_jitter,
        per_device_train_batch_size=args.batch_size,
        stage1_max_steps=args.stage1_steps or None,
        stage2_max_steps=args.stage2_steps,
        stage1_learning_rate=args.stage1_lr,
        stage2_learning_rate=args.stage2_lr,
        train_vision=args.train_vision,
        train_lm_head=args.train_lm_head,
        label_smoothing_factor=args.label_smoothing,
        level_score_sigma=args.level_score_sigma,
        score_head_weight=args.score_head_weight,
        content_batches=args.content_batches,
        weight_decay=args.weight_decay,
        render_cache_mb=args.render_cache_mb,
        lr_scheduler_type=args.scheduler,
        save_strategy="no",
        seed=model_seed,
        report_to="none",
        logging_steps=10,
        disable_tqdm=False,
        use_cpu=True,
    )
    summary = run_training(
        S2IScriptArguments(data=train_data, stage=stage),
        config,
        S2IModelConfig(model_name_or_path=base),
    )
    times["training"] = time.perf_counter() - t

    t = time.perf_counter()
    tuned = os.path.join(run_dir, "train", "stage1" if stage == "1" else "merged")
    after = figures(held, qalign(tuned, held, held_root, *frames))
    after_fit = figures(fit_clips, qalign(tuned, fit_clips, train_root, *frames))
    times["scoring after"] = time.perf_counter() - t

    def row(name, m, fit):
        return (
            f"{name:<10} {m['ladder_srcc']:>11.3f} {m['pooled_srcc']:>11.3f} {m['pair_accuracy']:>8.3f} {m['prediction_std']:>9.4f} "
            f"{'-' if fit is None else format(fit['ladder_srcc'], '.3f'):>16}"
        )

    print()
    for name, s in summary["stages"].items():
        print(
            f"{name}: {s['rows']} videos, {s.get('items')} items, {s['steps']} steps at lr {s['learning_rate']:g}, loss {s['losses'][0][1]:.3f} -> "
            f"{s['losses'][-1][1]:.3f}, {s['runtime_seconds']:.0f} s"
        )
    print(
        f"settings: {args.model_family} tiny model from scratch, {args.num_frames} frames"
        + (f" as {args.fragments}x{args.fragments} fragments of {args.fragment_size} px" if args.fragments else "")
        + f", pixel budget {args.max_edge}^2 per frame, "
        f"batch {args.batch_size}, seed {args.seed}"
    )
    print()
    print(
        f"{'':<10} {'ladder SRCC':>11} {'pooled SRCC':>11} {'pairs ok':>8} {'score std':>9} {'fit (train clips)':>16}"
    )
    print(row("before", before, before_fit))
    print(row("after", after, after_fit))
    if teacher:
        print(row("teacher", teacher, None) + "   <- the estimators' overall score (the labels' ceiling)")
        print(
            row("  levels", teacher_levels, None) + "   <- the same cut into the five level words the model is taught"
        )
    print()
    print("ladder SRCC per family:  " + "  ".join(f"{f}" for f in after["per_family_srcc"]))
    for name, m in (("before", before), ("after", after)) + (
        (("teacher", teacher), ("levels", teacher_levels)) if teacher else ()
    ):
        print(f"  {name:<8} " + "  ".join(f"{v:+.2f}" for v in m["per_family_srcc"].values()))
    total = sum(times.values())
    print()
    print("wall time: " + ", ".join(f"{k} {v:.0f} s" for k, v in times.items()) + f"; total {total:.0f} s")
    target = after["ladder_srcc"] >= 0.6
    print(
        f"target (ladder SRCC after >= 0.6): {'met' if target else 'NOT met'} ({after['ladder_srcc']:.3f}; before {before['ladder_srcc']:.3f})"
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(
                {
                    "args": vars(args),
                    "before": before,
                    "after": after,
                    "before_fit": before_fit,
                    "after_fit": after_fit,
                    "teacher": teacher,
                    "teacher_levels": teacher_levels,
                    "training": summary["stages"],
                    "seconds": times,
                },
                fh,
                indent=2,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
