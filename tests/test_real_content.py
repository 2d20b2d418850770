"""The real-content catalogue (catalog/real_content.yaml): every source is installed, and none is a reserved image."""

from __future__ import annotations

import dataclasses
import glob
import os

import numpy as np
import pytest

from s2i_hf.real_content import ROLES, SOURCES, _read_image


def test_every_source_of_a_role_or_of_the_demo_is_installed():
    from s2i_hf.demo.config import DEMO_SOURCES

    uses = [(role, name) for role, names in ROLES.items() for name in names]
    uses += [("demo", s.content) for s in DEMO_SOURCES]
    for use, name in uses:
        assert os.path.isfile(SOURCES[name].path()), (use, name)


def test_no_photograph_is_one_of_scikit_images_reserved_samples():
    # scikit-image's sample images are reserved for an independent check of the scorers; other wheels carry copies
    # of some of them under other names (PyWavelets' `camera` is scikit-image's `camera`, pixel for pixel)
    skimage = pytest.importorskip("skimage")
    from PIL import Image

    data = os.path.join(os.path.dirname(skimage.__file__), "data")
    reserved = {}
    for path in glob.glob(os.path.join(data, "*.png")) + glob.glob(os.path.join(data, "*.jp*g")):
        with Image.open(path) as im:
            reserved[os.path.basename(path)] = np.asarray(im.convert("RGB"))
    assert "camera.png" in reserved
    for name, src in SOURCES.items():
        if src.kind != "photo":
            continue
        img = _read_image(dataclasses.replace(src, scene=None))
        same = [f for f, r in reserved.items() if r.shape == img.shape and np.array_equal(r, img)]
        assert same == [], (name, same)
