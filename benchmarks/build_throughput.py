"""Text-generation throughput of the builder from stored scores, and its memory growth, in one run.

Prints rows/s of instruction rows (stage1 + stage2 + bench items) generated from synthetic score records
on one core (target >= 20,000 rows/s), and the peak traced Python memory of generating for 100 vs 1,000
records while streaming rows out (target: 1,000 within +10% of 100).

    python benchmarks/build_throughput.py [--records 2000]
"""

from __future__ import annotations

import argparse
import random
import time
import tracemalloc

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


def peak_memory(n_records: int) -> int:
    records = synthetic_records(n_records)
    tracemalloc.start()
    generate(records, lambda row: None)  # rows streamed to a writer, as the builder does
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=2000)
    args = ap.parse_args()
    records = list(synthetic_records(args.records))
    generate(records[:50], lambda row: None)  # warm-up
    t0 = time.perf_counter()
    n = generate(records, lambda row: None)
    dt = time.perf_counter() - t0
    print(f"{n} rows from {len(records)} score records in {dt:.3f} s: {n / dt:,.0f} rows/s on one core (target >= 20,000)")
    small, large = peak_memory(100), peak_memory(1000)
    print(f"peak traced memory: 100 records {small / 1e6:.3f} MB, 1,000 records {large / 1e6:.3f} MB, ratio {large / small:.3f} (target <= 1.10)")


if __name__ == "__main__":
    main()
