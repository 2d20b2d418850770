"""Text-generation throughput of the builder from stored scores, and its memory growth, in one run.

Prints rows/s of instruction rows (stage1 + stage2 + bench items) generated from synthetic score records
on one core (target >= 20,000 rows/s), and the peak resident memory of a fresh process that runs the
builder's text stage (records in memory as the builder holds them, rows streamed to the plan files) for
100 vs 1,000 records (target: 1,000 within +10% of 100).

    python benchmarks/build_throughput.py [--records 2000]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time

from s2i_hf import DIMENSION_IDS
from s2i_hf.scoring import DimensionScores
from s2i_hf.text import bench_items, stage1_items, stage2_items


def synthetic_records(n: int, seed: int = 0):
    rng = random.Random(seed)
    for i in range(n):
        ds = DimensionScores.from_scores({d: rng.random() for d in DIMENSION_IDS})
        yield {"video_id": f"{i:016x}", "scores": ds.scores, "levels": ds.levels, "group_levels": ds.group_levels,
               "overall_score": ds.overall_score, "overall_level": ds.overall_level, "caption": None}


def generate(records, sink):
    n = 0
    for r in records:
        for row in stage1_items(r, 0):
            sink(row)
            n += 1
        for row in stage2_items(r, 0):
            sink(row)
            n += 1
        for row in bench_items(r, 0, n=2):
            sink(row)
            n += 1
    return n


def child(n_records: int) -> None:
    """Run the builder's text stage for ``n_records`` and print this process's peak RSS in kB."""
    from s2i_hf.dataset_builder.assemble import PlanWriter

    records = list(synthetic_records(n_records))
    with tempfile.TemporaryDirectory() as tmp:
        plan = PlanWriter(tmp)
        generate(records, lambda row: plan.add("stage2", row, task=row.get("task")))
        plan.close()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def peak_memory(n_records: int) -> int:
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", str(n_records)], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) * 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=2000)
    ap.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        return child(args.child)
    records = list(synthetic_records(args.records))
    generate(records[:50], lambda row: None)  # warm-up
    t0 = time.perf_counter()
    n = generate(records, lambda row: None)
    dt = time.perf_counter() - t0
    print(f"{n} rows from {len(records)} score records in {dt:.3f} s: {n / dt:,.0f} rows/s on one core (target >= 20,000)")
    small, large = peak_memory(100), peak_memory(1000)
    print(f"peak RSS of the text stage: 100 records {small / 1e6:.1f} MB, 1,000 records {large / 1e6:.1f} MB, ratio {large / small:.3f} (target <= 1.10)")


if __name__ == "__main__":
    main()
