"""Procedural scenes for checks that no real content in the wheels covers.

A night sky is the case the exposure estimator must get right and the catalogue lacks (``catalog/real_content.yaml``
holds daylight photos and clips): a dark, nearly flat sky whose only bright things are stars a few pixels wide. A
page of text is its mirror: bright paper whose only dark things are letters a pixel or two thick.
"""

from __future__ import annotations

import numpy as np


__all__ = ["star_field", "text_page"]


def star_field(
    height: int,
    width: int,
    seed: int = 0,
    stars: int = 1000,
    sky: float = 3.0,
    glow: float = 0.0,
    grain: float = 2.0,
) -> np.ndarray:
    """A star field as an (height, width, 3) uint8 RGB image.

    ``stars`` stars at uniform random places, each a Gaussian spot (sigma 0.6-1.4 px) of peak 40 x (1 + Pareto(1.2))
    grey levels and a slightly random tint: many faint stars, few bright ones, the brightest clipped to white, as
    star counts rise steeply with magnitude. Over a sky of grey ``sky``, with ``glow`` grey levels of warm light
    rising towards the bottom edge (a horizon's light pollution) and Gaussian sensor grain of sigma ``grain``.
    """
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    img = np.full((height, width, 3), float(sky))
    if glow:
        img += glow * (yy[..., None] / height) ** 3 * np.array([1.0, 0.8, 0.55])
    peak = 40.0 * (rng.pareto(1.2, stars) + 1.0)
    ys, xs = rng.uniform(0, height, stars), rng.uniform(0, width, stars)
    sigma = rng.uniform(0.6, 1.4, stars)
    tint = rng.uniform(0.8, 1.2, (stars, 3))
    for y, x, a, s, t in zip(ys, xs, peak, sigma, tint):
        y0, y1 = int(max(y - 6, 0)), int(min(y + 7, height))
        x0, x1 = int(max(x - 6, 0)), int(min(x + 7, width))
        spot = np.exp(-((yy[y0:y1, x0:x1] - y) ** 2 + (xx[y0:y1, x0:x1] - x) ** 2) / (2 * s * s))
        img[y0:y1, x0:x1] += a * spot[..., None] * t
    img += rng.normal(0.0, grain, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


_WORDS = "the quick brown fox jumps over a lazy dog while quality assessment reads sharpness noise light".split()


def text_page(height: int, width: int, paper: int = 235, ink: int = 20, seed: int = 0, size: int = 14) -> np.ndarray:
    """A page of text as an (height, width, 3) uint8 RGB image: lines of random words (Pillow's default font at
    ``size`` px, anti-aliased, a line every ``size + 6`` px) in grey ``ink`` on paper of grey ``paper``."""
    from PIL import Image, ImageDraw, ImageFont

    rng = np.random.default_rng(seed)
    page = Image.new("RGB", (width, height), (paper,) * 3)
    draw, font = ImageDraw.Draw(page), ImageFont.load_default(size=size)
    step = size + 6
    for i in range(height // step):
        draw.text((16, 6 + step * i), " ".join(rng.choice(_WORDS, 10)), fill=(ink,) * 3, font=font)
    return np.asarray(page)
