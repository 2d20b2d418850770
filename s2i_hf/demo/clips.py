"""The demo's clips of known quality order: short clips of real content (:mod:`s2i_hf.real_content`: photographs
panned into clips, segments of real clips) and their distorted variants (:mod:`s2i_hf.distortions`), split by
scene into training clips and held-out clips with a labels CSV."""

from __future__ import annotations

import csv
import os
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Sequence

from .config import VIEW_CENTRE_X, VIEW_CENTRE_Y, VIEW_ZOOM, DemoConfig, DemoSource


__all__ = ["HeldOutClip", "make_clips", "write_labels"]


@dataclass
class HeldOutClip:
    """A held-out clip of known quality: ``severity`` 0 is pristine, k + 1 step k of ``family``'s ladder."""

    name: str  # path relative to the held-out folder
    source: str
    family: str | None
    severity: int
    strength: float | None

    @property
    def quality(self) -> float:
        """The known quality on a 1-5 scale (5 pristine, one point less per ladder step): the 'MOS' of the set."""
        return 5.0 - self.severity


def _view(seed: int, source: str, k: int):
    from ..real_content import View

    rng = random.Random(f"{seed}:{source}:view{k}")
    return View(
        zoom=rng.uniform(*VIEW_ZOOM),
        cx=rng.uniform(*VIEW_CENTRE_X),
        cy=rng.uniform(*VIEW_CENTRE_Y),
        mirror=rng.random() < 0.5,
    )


def _view_steps(cfg: DemoConfig, source: str, k: int) -> dict[str, list[int]]:
    rng = random.Random(f"{cfg.seed}:{source}:view{k}:steps")
    n = max(1, min(cfg.view_steps, len(cfg.steps)))
    return {f: sorted(rng.sample(list(cfg.steps), n)) for f in cfg.families}


def make_clips(
    cfg: DemoConfig, folder: str, progress: bool = True, sources: Sequence[DemoSource] | None = None
) -> tuple[list[str], list[HeldOutClip], str]:
    """Make a clip of each source (default ``cfg.sources``; :class:`~s2i_hf.demo.config.DemoSource`) from the real
    content of :mod:`s2i_hf.real_content` and encode its variants under ``folder``; with ``cfg.views``, also that many
    windows of each training source (``<source>_view<k>``), each with ``cfg.view_steps`` strengths per family.

    Returns ``(training clip paths, held-out clips, labels CSV)``; training variants go to ``folder/train/<source>/``,
    held-out ones to ``folder/heldout/<source>/`` with ``folder/heldout_labels.csv`` (name, mos = known quality,
    severity, family, source, strength)."""
    from tqdm.auto import tqdm

    from ..distortions import CALIBRATION_LADDERS, make_variants
    from ..real_content import families_for, make_source_clip

    train, held = [], []
    plan = [(s, None) for s in sources or cfg.sources]
    plan += [(s, k) for s in sources or cfg.sources if not s.heldout for k in range(cfg.views)]
    scenes = []  # (name, content, heldout, start, view, steps)
    for (name, content, heldout, start), k in plan:
        view, steps = None, cfg.steps
        if k is not None:  # another scene: a window of a training source, a few strengths per family
            name, view, steps = f"{name}_view{k}", _view(cfg.seed, name, k), _view_steps(cfg, name, k)
        scenes.append((name, content, heldout, start, view, steps))

    def source_clip(scene) -> str:
        name, content, _, start, view, _ = scene
        out = os.path.join(folder, "sources", f"{name}.mp4")
        return make_source_clip(content, out, seconds=cfg.seconds, size=cfg.size, start=start, view=view)

    def scene_variants(scene):
        name, content, heldout, _, _, steps = scene
        return make_variants(
            source_clip(scene),
            os.path.join(folder, "heldout" if heldout else "train", name),
            source=name,
            families=families_for(content, cfg.families),  # no colour family on a greyscale scene
            steps=steps,
            seed=cfg.seed,
            workers=1,
            ladders=CALIBRATION_LADDERS,
        )

    # each encoder runs on one thread (bytes that do not depend on the machine): the scenes are made side by side,
    # each in one ffmpeg run per step (source clip, pristine copy, every variant), so no core waits for another
    with ThreadPoolExecutor(max(1, cfg.workers)) as pool:
        made = list(
            tqdm(
                pool.map(scene_variants, scenes),
                total=len(scenes),
                desc="Generating distorted clips",
                unit="scene",
                disable=not progress,
            )
        )
    for (name, _, heldout, _, _, _), variants in zip(scenes, made):
        for v in variants:
            if heldout:
                held.append(
                    HeldOutClip(
                        os.path.relpath(v.path, os.path.join(folder, "heldout")).replace(os.sep, "/"),
                        name,
                        v.family,
                        v.severity,
                        v.strength,
                    )
                )
            else:
                train.append(v.path)
    return train, held, write_labels(held, os.path.join(folder, "heldout_labels.csv"))


def write_labels(held: Sequence[HeldOutClip], path: str) -> str:
    """Write the labels CSV of held-out clips (name, mos = known quality, severity, family, source, strength), which
    ``s2i eval --vqa_labels`` reads; returns ``path``."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["name", "mos", "severity", "family", "source", "strength"])
        for c in held:
            w.writerow(
                [
                    c.name,
                    c.quality,
                    c.severity,
                    c.family or "pristine",
                    c.source,
                    "" if c.strength is None else f"{c.strength:.4g}",
                ]
            )
    return path
