"""Clips of known quality order: controlled ffmpeg distortions at increasing strengths.

The recipes are data (``catalog/distortions.yaml``): per family the dimension it degrades, a ladder of strengths
from mildest to strongest and an ffmpeg filter template. :func:`make_variants` encodes a pristine copy of a source
clip and each family's ladder (jittered per clip by a seeded share, kept in order), so within a family's ladder
the quality order is known: pristine > step 0 > step 1 > ... :func:`cut_source` makes a short, small source
from a longer clip through :func:`encode_clip`, the one re-encoder of a clip or a cut of it (the benchmarks' too).
ffmpeg (Debian's ``ffmpeg`` package) must be on the ``PATH``; it runs through :func:`s2i_hf.ffmpeg.ffmpeg`.

This is the only implementation of the recipes: ``s2i demo``, the benchmarks and the estimator validation tests
(``tests/test_distortions.py``: every family of the catalogue lowers its dimension on real and generated clips)
all encode through :func:`make_variants`.

>>> from s2i_hf.distortions import FAMILIES, strengths
>>> FAMILIES["blur"].dimension
'sharpness'
>>> len(strengths("noise", seed=0))
4
"""

from __future__ import annotations

import os
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Mapping, Sequence

from .catalog import load_yaml
from .dimensions import DIMENSION_IDS
from .ffmpeg import ffmpeg, ffprobe, pinned_encoder


__all__ = [
    "Family",
    "FAMILIES",
    "DEMO_FAMILIES",
    "CALIBRATION_FAMILIES",
    "CALIBRATION_LADDERS",
    "CODEC_FAMILIES",
    "NEAR_LOSSLESS",
    "Variant",
    "cut_source",
    "encode_clip",
    "encoder_options",
    "ffmpeg",
    "filter_for",
    "make_variants",
    "probe",
    "probe_duration",
    "strengths",
]

_CATALOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "catalog", "distortions.yaml")


@dataclass(frozen=True)
class Family:
    """A distortion family of the catalogue (see ``catalog/distortions.yaml``)."""

    name: str
    dimension: str
    ladder: tuple[float, ...]
    filter: str | None = None
    crf: bool = False
    encoder: tuple[str, ...] = ()
    max_crf: int = 51
    severe: bool = True
    integer: bool = False
    decreasing: bool = False
    params: dict = field(default_factory=dict)


@lru_cache(maxsize=None)
def _catalog() -> dict:
    raw = load_yaml("distortions.yaml")
    families = {}
    for name, spec in raw["families"].items():
        crf = bool(spec.get("crf", False))
        fam = Family(
            name=name,
            dimension=spec["dimension"],
            ladder=tuple(float(v) for v in spec["ladder"]),
            filter=spec.get("filter"),
            crf=crf,
            encoder=tuple(spec.get("encoder") or (raw["crf_encoder"] if crf else ())),
            max_crf=int(spec.get("max_crf", 51)),
            severe=bool(spec.get("severe", True)),
            integer=bool(spec.get("integer", False)),
            decreasing=bool(spec.get("decreasing", False)),
            params={k: (float(lo), float(hi)) for k, (lo, hi) in (spec.get("params") or {}).items()},
        )
        if fam.crf == (fam.filter is not None):
            raise ValueError(f"{_CATALOG}: family {name!r} needs exactly one of 'filter' and 'crf: true'")
        if fam.crf and not any("{s}" in a for a in fam.encoder):
            raise ValueError(f"{_CATALOG}: family {name!r}: its encoder options {list(fam.encoder)} never use {{s}}")
        if spec.get("encoder") and not fam.crf:
            raise ValueError(f"{_CATALOG}: family {name!r} has an encoder but no 'crf: true'")
        if fam.dimension not in DIMENSION_IDS:
            raise ValueError(
                f"{_CATALOG}: family {name!r} degrades {fam.dimension!r}, not one of {list(DIMENSION_IDS)}"
            )
        if list(fam.ladder) != sorted(set(fam.ladder), reverse=fam.decreasing):
            order = "falling" if fam.decreasing else "rising"
            raise ValueError(
                f"{_CATALOG}: family {name!r}: the ladder {list(fam.ladder)} must be strictly {order} (mildest first)"
            )
        families[name] = fam
    unknown = [f for f in raw.get("demo_families", []) if f not in families]
    if unknown:
        raise ValueError(f"{_CATALOG}: demo_families names unknown families {unknown}")
    calibration = raw.get("calibration") or {}
    unknown = [f for key in ("families", "codec_families") for f in calibration.get(key, []) if f not in families]
    if unknown:
        raise ValueError(f"{_CATALOG}: calibration names unknown families {unknown}")
    ladders = {f: tuple(float(v) for v in lad) for f, lad in (calibration.get("ladders") or {}).items()}
    return {
        "families": families,
        "near_lossless": list(raw["near_lossless"]),
        "jitter": float(raw.get("jitter", 0.0)),
        "demo_families": tuple(raw.get("demo_families", families)),
        "calibration_families": tuple(calibration.get("families", ())),
        "codec_families": tuple(calibration.get("codec_families", ())),
        "calibration_ladders": ladders,
    }


FAMILIES: dict[str, Family] = _catalog()["families"]
NEAR_LOSSLESS: list[str] = _catalog()["near_lossless"]
DEMO_FAMILIES: tuple[str, ...] = _catalog()["demo_families"]
CALIBRATION_FAMILIES: tuple[str, ...] = _catalog()["calibration_families"]
CALIBRATION_LADDERS: dict[str, tuple[float, ...]] = _catalog()["calibration_ladders"]
CODEC_FAMILIES: tuple[str, ...] = _catalog()["codec_families"]


def strengths(family: str, seed: int = 0, ladder: Sequence[float] | None = None) -> list[float]:
    """The family's ladder (or ``ladder``), each value jittered by up to +-``jitter`` (seeded), kept in order of
    severity."""
    fam = FAMILIES[family]
    jitter = _catalog()["jitter"]
    rng = random.Random(f"{family}:{seed}")
    base = tuple(float(v) for v in ladder) if ladder is not None else fam.ladder
    vals = [b * rng.uniform(1 - jitter, 1 + jitter) for b in base]
    if fam.integer:
        vals = [float(min(fam.max_crf, max(1, int(round(v))))) for v in vals]
    vals = sorted(vals, reverse=fam.decreasing)
    if len(set(vals)) != len(vals):  # rounding collided: the plain ladder
        vals = list(base)
    return vals


def filter_for(family: str, s: float, *, w: int, h: int, fps: float, seed: int = 0) -> str | None:
    """The ffmpeg ``-vf`` filter of ``family`` at strength ``s`` for a ``w`` x ``h`` source at ``fps``
    (None for CRF)."""
    fam = FAMILIES[family]
    if fam.filter is None:
        return None
    rng = random.Random(f"{family}:{seed}:params")
    px = max(1, int(round(s * w / 480)))
    values = {"s": s, "w": w, "h": h, "fps": _fps_text(fps), "px": px, "px2": 2 * px, "rate": fps * s}
    values.update({k: rng.uniform(lo, hi) for k, (lo, hi) in sorted(fam.params.items())})
    return fam.filter.format(**values)


def _fps_text(fps: float) -> str:
    return f"{fps:.6g}"


def probe(path: str) -> tuple[int, int, float]:
    """(width, height, frame rate) of a video's first stream."""
    out = ffprobe(
        "-select_streams", "v:0", "-show_entries", "stream=width,height,r_frame_rate", "-of", "csv=p=0", path
    ).split(",")
    num, _, den = out[2].partition("/")
    return int(out[0]), int(out[1]), float(num) / float(den or 1)


def probe_duration(path: str) -> float:
    """Duration of a video file in seconds (its container's)."""
    return float(ffprobe("-show_entries", "format=duration", "-of", "csv=p=0", path))


def encode_clip(
    src: str,
    out: str,
    *,
    start: float | None = None,
    seconds: float | None = None,
    vf: str | None = None,
    crf: int | None = None,
) -> str:
    """Re-encode ``src`` into ``out`` without audio: from ``start`` seconds (default: the beginning), ``seconds``
    long (default: to the end), through the ffmpeg filter ``vf``; H.264 4:2:0 at ``crf``, or near-lossless
    (:data:`NEAR_LOSSLESS`) without one. Returns ``out``."""
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    args = (["-ss", f"{start}"] if start is not None else []) + ["-i", src]
    args += (["-t", f"{seconds}"] if seconds is not None else []) + (["-vf", vf] if vf else [])
    encode = NEAR_LOSSLESS if crf is None else ["-c:v", "libx264", "-crf", str(crf), "-pix_fmt", "yuv420p"]
    ffmpeg(*args, "-an", *pinned_encoder(encode), out)
    return out


def cut_source(src: str, out: str, *, start: float = 0.0, seconds: float = 2.0, width: int = 160) -> str:
    """A near-lossless ``seconds``-long cut of ``src`` from ``start``, scaled to ``width`` pixels wide (even sizes)."""
    return encode_clip(src, out, start=start, seconds=seconds, vf=f"scale={width}:-2")


@dataclass
class Variant:
    """One generated clip: ``step`` -1 is the pristine copy, 0 .. n-1 the family's ladder (mildest first)."""

    path: str
    source: str
    family: str | None
    step: int
    strength: float | None

    @property
    def severity(self) -> int:
        """0 for the pristine copy, k + 1 for ladder step k: higher is worse (the known order)."""
        return self.step + 1


def make_variants(
    src: str,
    out_dir: str,
    *,
    source: str | None = None,
    families: Sequence[str] | None = None,
    steps: Sequence[int] | Mapping[str, Sequence[int]] | None = None,
    seed: int = 0,
    workers: int = 2,
    ladders: Mapping[str, Sequence[float]] | None = None,
) -> list[Variant]:
    """Encode a pristine copy of ``src`` and each family's jittered ladder into ``out_dir``.

    ``steps`` picks ladder steps (default all), for every family or per family (a mapping; a family it leaves out
    gets every step); ``ladders`` replaces some families' ladders (e.g.
    :data:`CALIBRATION_LADDERS`). Files are named ``pristine.mp4`` and ``<family>_<step>.mp4``;
    existing files are kept (a rerun only encodes what is missing). Returns the pristine variant first.
    """
    os.makedirs(out_dir, exist_ok=True)
    source = source or os.path.splitext(os.path.basename(src))[0]
    pristine = os.path.join(out_dir, "pristine.mp4")
    if not os.path.isfile(pristine):
        ffmpeg("-i", src, "-an", *pinned_encoder(NEAR_LOSSLESS), pristine + ".tmp.mp4")
        os.replace(pristine + ".tmp.mp4", pristine)
    w, h, fps = probe(pristine)
    variants = [Variant(pristine, source, None, -1, None)]
    todo = []  # (path, filter or None, encoder options or None)
    for family in families or DEMO_FAMILIES:
        fam = FAMILIES[family]
        for i, s in enumerate(strengths(family, seed, (ladders or {}).get(family))):
            picked = steps.get(family) if isinstance(steps, Mapping) else steps
            if picked is not None and i not in picked:
                continue
            path = os.path.join(out_dir, f"{family}_{i}.mp4")
            variants.append(Variant(path, source, family, i, s))
            if not os.path.isfile(path):
                todo.append(
                    (
                        path,
                        None if fam.crf else filter_for(family, s, w=w, h=h, fps=fps, seed=seed),
                        encoder_options(family, s) if fam.crf else None,
                    )
                )
    # one ffmpeg process per chunk of variants: the pristine copy is decoded once and split into every recipe
    chunks = [todo[i :: max(1, workers)] for i in range(max(1, workers))]
    with ThreadPoolExecutor(max(1, workers)) as pool:
        list(pool.map(lambda chunk: _encode_many(pristine, chunk), [c for c in chunks if c]))
    return variants


def encoder_options(family: str, s: float) -> list[str]:
    """The ffmpeg output options that encode a CRF family at strength ``s`` (its ``encoder``, or x264's)."""
    return [a.replace("{s}", str(int(s))) for a in FAMILIES[family].encoder]


def _encode_many(src: str, jobs: list[tuple[str, str | None, list[str] | None]]) -> None:
    """Encode each (path, filter, encoder options) of ``jobs`` from ``src`` in one ffmpeg run (written atomically;
    near-lossless x264 without options)."""
    branches = [f"[b{i}]" for i in range(len(jobs))]
    graph = [f"[0:v]split={len(jobs)}{''.join(branches)}" if len(jobs) > 1 else "[0:v]null[b0]"]
    args: list[str] = ["-i", src]
    outputs: list[str] = []
    for i, (path, vf, encode) in enumerate(jobs):
        graph.append(f"[b{i}]{vf or 'null'}[o{i}]")
        outputs += ["-map", f"[o{i}]", "-an", *pinned_encoder(encode or NEAR_LOSSLESS), path + ".tmp.mp4"]
    ffmpeg(*args, "-filter_complex", ";".join(graph), *outputs)
    for path, _, _ in jobs:
        os.replace(path + ".tmp.mp4", path)
