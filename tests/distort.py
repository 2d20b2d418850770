"""Controlled distortions of short clips with ffmpeg, for the estimator validation tests.

``prepare_sources`` cuts the real sample clips short (and scales Big Buck Bunny down) and generates synthetic
clips; ``make_variants`` encodes a pristine copy of a source and each distortion family at increasing
strengths. Everything except the CRF family is re-encoded near-losslessly (x264 CRF 10), so the distortion
under test is the only thing that changes. Strengths are the family's base ladder jittered by a seeded
+-15 %, so each clip sees a slightly different ladder.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

__all__ = ["Family", "FAMILIES", "NEAR_LOSSLESS", "ffmpeg", "probe_size", "strengths", "prepare_sources", "make_variants"]

NEAR_LOSSLESS = ["-c:v", "libx264", "-crf", "10", "-preset", "veryfast", "-pix_fmt", "yuv420p"]


def ffmpeg(*args: str) -> None:
    """Run ffmpeg quietly; raise with its message on failure."""
    exe = shutil.which("ffmpeg")
    if exe is None:
        raise RuntimeError("ffmpeg is needed to generate the test clips (apt-get install ffmpeg)")
    proc = subprocess.run([exe, "-hide_banner", "-loglevel", "error", "-y", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"ffmpeg {' '.join(args)} failed: {proc.stderr.strip()}")


def probe_size(path: str) -> tuple[int, int]:
    """(width, height) of a video's first stream."""
    exe = shutil.which("ffprobe")
    out = subprocess.run([exe, "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0", path],
                         capture_output=True, text=True, check=True).stdout.strip().split(",")
    return int(out[0]), int(out[1])


@dataclass(frozen=True)
class Family:
    """A distortion family: the dimension it degrades, its ladder (mildest first) and how to apply it.

    ``vf(s, ctx)`` returns the ffmpeg filter for strength ``s``; ``ctx`` has the source's width ``w``, height
    ``h``, frame rate ``fps`` and a seeded ``rng`` for incidental parameters (flicker frequency, shake
    pattern). ``vf`` is None for the CRF family (the strength is the x264 CRF). ``integer`` rounds the
    jittered strengths; ``decreasing`` marks ladders whose values fall as the distortion grows.
    """

    dimension: str
    base: tuple[float, ...]
    vf: Callable[[float, dict], str] | None
    integer: bool = False
    decreasing: bool = False


def _shake(s: float, ctx: dict) -> str:
    # oscillating crop offsets (pixels, relative to a 480-px-wide frame), then scaled back to the frame size;
    # exact=1 keeps odd offsets (by default crop rounds x/y to the chroma grid of 2 px, which would quantise
    # small shakes to the same few positions)
    px = max(1, int(round(s * ctx["w"] / 480)))
    a, b, c = (round(ctx["rng"].uniform(lo, hi), 2) for lo, hi in ((1.7, 2.5), (0.5, 0.9), (1.1, 1.5)))
    return (f"crop=iw-{2 * px}:ih-{2 * px}:'{px}+{px}*sin(n*{a})*cos(n*{b})':'{px}+{px}*sin(n*{c}+1)':exact=1,"
            f"scale={ctx['w']}:{ctx['h']}")


def _flicker(s: float, ctx: dict) -> str:
    f = round(ctx["rng"].uniform(4.0, 9.0), 2)  # Hz
    return f"eq=brightness='{s:.4f}*sin(2*PI*t*{f})':eval=frame"


FAMILIES: dict[str, Family] = {
    "blur": Family("sharpness", (0.8, 1.6, 2.8, 4.5), lambda s, c: f"gblur=sigma={s:.3f}"),
    "noise": Family("noise", (6, 12, 22, 38), lambda s, c: f"noise=alls={int(round(s))}:allf=t"),
    "crf": Family("compression", (27, 34, 40, 47), None, integer=True),
    "brighten": Family("exposure", (0.12, 0.22, 0.33, 0.45), lambda s, c: f"eq=brightness={s:.3f}"),
    "darken": Family("exposure", (0.12, 0.22, 0.33, 0.45), lambda s, c: f"eq=brightness=-{s:.3f}"),
    "gain_up": Family("exposure", (1.25, 1.6, 2.1, 2.8), lambda s, c: f"lutyuv=y=val*{s:.3f}"),
    "gain_down": Family("exposure", (0.75, 0.55, 0.4, 0.28), lambda s, c: f"lutyuv=y=val*{s:.3f}", decreasing=True),
    "desaturate": Family("color", (0.7, 0.5, 0.3, 0.1), lambda s, c: f"eq=saturation={s:.3f}", decreasing=True),
    # frame-rate stutter: down to a fraction of the rate, back up by duplicating frames
    "stutter": Family("fluency", (0.8, 0.6, 0.42, 0.28), lambda s, c: f"fps=fps={c['fps'] * s:.4f},fps=fps={c['fps']}", decreasing=True),
    "flicker": Family("flicker", (0.03, 0.06, 0.1, 0.16), _flicker),
    "shake": Family("stability", (2, 4, 7, 12), _shake),
}


def strengths(family: str, seed: int) -> list[float]:
    """The family's base ladder, each value jittered by up to +-15 % (seeded), kept in order of severity."""
    fam = FAMILIES[family]
    rng = random.Random(f"{family}:{seed}")
    vals = [b * rng.uniform(0.85, 1.15) for b in fam.base]
    if fam.integer:
        vals = [min(51, max(1, int(round(v)))) for v in vals]
    vals = sorted(vals, reverse=fam.decreasing)
    if len(set(vals)) != len(vals):  # rounding collided: fall back to the base ladder
        vals = list(fam.base)
    return vals


SOURCES = ("bigbuckbunny", "bikes", "carphone_pristine", "mandelbrot", "pan")


def prepare_sources(sample_clips: dict[str, str], out_dir: str, seconds: float = 2.0) -> dict[str, tuple[str, float]]:
    """name -> (path, fps) of short near-lossless sources: three real sample clips and two generated clips.

    - ``bigbuckbunny``: the first ``seconds`` s, scaled to 640 x 360 (animation, static camera);
    - ``bikes``: ``seconds`` s from 3 s in (live action at dusk, moving objects);
    - ``carphone_pristine``: ``seconds`` s (QCIF talking head, moving background);
    - ``mandelbrot``: ffmpeg's zooming Mandelbrot set (synthetic detail and motion, 320 x 240);
    - ``pan``: a camera pan at constant speed (2 px/frame) over a still of the bikes clip (480 x 272).
    """
    os.makedirs(out_dir, exist_ok=True)

    def p(name):
        return os.path.join(out_dir, f"{name}.mp4")

    t = f"{seconds}"
    still = os.path.join(out_dir, "still.png")
    ffmpeg("-ss", "7", "-i", sample_clips["bikes"], "-frames:v", "1", still)
    jobs = [
        ["-i", sample_clips["bigbuckbunny"], "-t", t, "-vf", "scale=640:360", *NEAR_LOSSLESS, p("bigbuckbunny")],
        ["-ss", "3", "-i", sample_clips["bikes"], "-t", t, *NEAR_LOSSLESS, p("bikes")],
        ["-i", sample_clips["carphone_pristine"], "-t", t, *NEAR_LOSSLESS, p("carphone_pristine")],
        ["-f", "lavfi", "-i", "mandelbrot=size=320x240:rate=25", "-t", t, *NEAR_LOSSLESS, p("mandelbrot")],
        ["-loop", "1", "-framerate", "25", "-i", still, "-t", t, "-vf", "crop=480:272:'20+t*50':0", *NEAR_LOSSLESS, p("pan")],
    ]
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda a: ffmpeg(*a), jobs))
    fps = {"carphone_pristine": 30000 / 1001}
    return {name: (p(name), fps.get(name, 25.0)) for name in SOURCES}


def make_variants(src: str, out_dir: str, fps: float, seed: int = 0, families=None, workers: int = 2) -> dict[str, tuple[list[str], list[float]]]:
    """Encode ``src`` as a pristine copy plus each family's jittered strengths.

    Returns family -> ([pristine, mildest, ..., strongest] paths, strengths). The pristine file is shared.
    """
    os.makedirs(out_dir, exist_ok=True)
    pristine = os.path.join(out_dir, "pristine.mp4")
    ffmpeg("-i", src, *NEAR_LOSSLESS, pristine)
    w, h = probe_size(pristine)
    jobs, out = [], {}
    for family in families or FAMILIES:
        fam = FAMILIES[family]
        ctx = {"w": w, "h": h, "fps": fps, "rng": random.Random(f"{family}:{seed}:ctx")}
        vals = strengths(family, seed)
        paths = [pristine]
        for i, s in enumerate(vals):
            path = os.path.join(out_dir, f"{family}_{i}.mp4")
            if fam.vf is None:
                jobs.append(["-i", pristine, "-c:v", "libx264", "-crf", str(int(s)), "-preset", "veryfast", "-pix_fmt", "yuv420p", path])
            else:
                jobs.append(["-i", pristine, "-vf", fam.vf(s, ctx), *NEAR_LOSSLESS, path])
            paths.append(path)
        out[family] = (paths, vals)
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda a: ffmpeg(*a), jobs))
    return out
