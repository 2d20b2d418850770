"""Scoring throughput on the sample clips, measured in one run.

Prints: decode-only time of the sampled frames, decode + scoring time, their ratio (target <= 2.0, the budget of issue #17), the
per-dimension scoring cost, and the speed-up of 2 worker processes over 1 (target >= 1.8 on 2 cores).

    python benchmarks/score_throughput.py [--repeats 3] [--jobs 16]
"""

from __future__ import annotations

import argparse
import os
import time

from s2i_hf.scoring import VideoScorer, score_videos
from s2i_hf.video import VideoRef, load_clip, sample_video_paths


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3, help="passes over the sample clips for the ratio")
    ap.add_argument("--jobs", type=int, default=16, help="videos per run in the workers comparison")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(1)
    paths = sample_video_paths()
    scorer = VideoScorer()
    scorer.num_threads = 1
    for p in paths:  # warm-up: library loading, first-call costs
        scorer.score(p)

    decode = score = 0.0
    per_dim: dict[str, float] = {}
    print(f"{'clip':<24} {'frames':>6} {'decode s':>9} {'decode+score s':>15} {'ratio':>6}")
    for p in paths:
        d_clip = s_clip = 0.0
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            clip = load_clip(p, scorer.sampling, num_threads=1)
            t1 = time.perf_counter()
            result = scorer.score_clip(clip)
            t2 = time.perf_counter()
            d_clip += t1 - t0
            s_clip += t2 - t0
            for dim, sec in result.timings.items():
                per_dim[dim] = per_dim.get(dim, 0.0) + sec
        decode += d_clip
        score += s_clip
        print(
            f"{os.path.basename(p):<24} {len(clip.frames):>6} {d_clip / args.repeats:>9.3f} {s_clip / args.repeats:>15.3f} {s_clip / d_clip:>6.2f}"
        )
    print(f"{'all clips':<24} {'':>6} {decode:>9.3f} {score:>15.3f} {score / decode:>6.2f}   (target <= 2.0)")
    print("scoring cost per dimension, share of decode time:")
    for dim, sec in sorted(per_dim.items(), key=lambda kv: -kv[1]):
        print(f"  {dim:<12} {sec / decode:6.3f}")

    refs = [VideoRef(name=f"{os.path.basename(p)}#{i}", path=p) for i in range(args.jobs) for p in paths][: args.jobs]
    times = {}
    for workers in (1, 2):
        t0 = time.perf_counter()
        rows = score_videos(refs, None, scorer=scorer, workers=workers, progress=False)
        times[workers] = time.perf_counter() - t0
        assert all(r["error"] is None for r in rows)
        print(
            f"{workers} worker(s): {len(refs)} videos in {times[workers]:.2f} s ({len(refs) / times[workers]:.2f} videos/s)"
        )
    print(f"speed-up of 2 workers over 1: {times[1] / times[2]:.2f}x on {os.cpu_count()} cores   (target >= 1.8)")


if __name__ == "__main__":
    main()
