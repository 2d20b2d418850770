"""Controlled distortions of a clip with ffmpeg, at increasing strengths (for the validation tests)."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

# family -> (target dimension, ffmpeg -vf template with {s}, base strengths mildest first)
FAMILIES = {
    "blur": ("sharpness", "gblur=sigma={s}", [1.0, 2.0, 3.2, 5.0]),
    "noise": ("noise", "noise=alls={s}:allf=t", [8, 16, 28, 45]),
    "crf": ("compression", None, [30, 37, 43, 50]),
    "brighten": ("exposure", "eq=brightness={s}", [0.1, 0.2, 0.32, 0.45]),
    "darken": ("exposure", "eq=brightness=-{s}", [0.1, 0.2, 0.32, 0.45]),
    "gain_up": ("exposure", "lutyuv=y=val*{s}", [1.3, 1.7, 2.2, 3.0]),
    "desaturate": ("color", "eq=saturation={s}", [0.7, 0.5, 0.3, 0.1]),
    "stutter": ("fluency", "fps=fps={fps}*{s},fps=fps={fps}", [0.8, 0.6, 0.4, 0.25]),
    "flicker": ("flicker", "eq=brightness='{s}*sin(2*PI*t*{f})':eval=frame", [0.03, 0.06, 0.1, 0.16]),
    "shake": ("stability", "crop=iw-2*{s}:ih-2*{s}:{s}+{s}*sin(n*{a})*cos(n*{b}):{s}+{s}*sin(n*{c}+1),scale=iw+2*{s}:ih+2*{s}", [3, 6, 10, 16]),
}

NEAR_LOSSLESS = ["-c:v", "libx264", "-crf", "10", "-preset", "veryfast", "-pix_fmt", "yuv420p"]


def _ffmpeg(*args):
    proc = subprocess.run([shutil.which("ffmpeg"), "-hide_banner", "-loglevel", "error", "-y", *args], capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"ffmpeg {' '.join(args)}: {proc.stderr.strip()}")


def strengths(family: str, seed: int) -> list[float]:
    """The family's strengths jittered by up to +-15 % (seeded), kept in increasing severity."""
    rng = random.Random(f"{family}:{seed}")
    base = FAMILIES[family][2]
    vals = [b * rng.uniform(0.85, 1.15) for b in base]
    if family in ("crf", "shake"):  # whole numbers (CRF at most 51; shake offsets in pixels)
        return sorted(min(51, max(1, int(round(v)))) for v in vals)
    if family in ("desaturate", "stutter"):
        return sorted(vals, reverse=True)
    return sorted(vals)


def make_variants(src: str, out_dir: str, fps: float, seed: int = 0, families=None, workers: int = 2) -> dict[str, list[str]]:
    """Encode ``src`` (trimmed/scaled already) as pristine + each family's strengths.

    Returns family -> [pristine, mild, ..., strong] paths (the pristine is the same file for all).
    """
    os.makedirs(out_dir, exist_ok=True)
    pristine = os.path.join(out_dir, "pristine.mp4")
    _ffmpeg("-i", src, *NEAR_LOSSLESS, pristine)
    rng = random.Random(seed)
    jobs, out = [], {}
    for family in families or FAMILIES:
        _, template, _ = FAMILIES[family]
        paths = [pristine]
        for i, s in enumerate(strengths(family, seed)):
            path = os.path.join(out_dir, f"{family}_{i}.mp4")
            if family == "crf":
                args = ["-i", pristine, "-c:v", "libx264", "-crf", str(s), "-preset", "veryfast", "-pix_fmt", "yuv420p", path]
            else:
                vf = template.format(s=round(s, 4), fps=fps, f=round(rng.uniform(5, 9), 2), a=round(rng.uniform(1.7, 2.5), 2), b=round(rng.uniform(0.5, 0.9), 2), c=round(rng.uniform(1.1, 1.5), 2))
                args = ["-i", pristine, "-vf", vf, *NEAR_LOSSLESS, path]
            jobs.append(args)
            paths.append(path)
        out[family] = paths
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda a: _ffmpeg(*a), jobs))
    return out
