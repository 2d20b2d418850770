"""The instruction-text templates (``catalog/text.yaml``), loaded once and prepared for fast formatting."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml

from ..dimensions import DIMENSIONS

__all__ = ["templates", "definition", "Definition"]


@lru_cache(maxsize=None)
def templates() -> dict:
    text = resources.files("s2i_hf.catalog").joinpath("text.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


DEFINITIONS = {d.id: d.definition for d in DIMENSIONS}
CAPITALISED = {d: _cap(t) for d, t in DEFINITIONS.items()}


def definition(dim: str, capital: bool = False) -> str:
    return CAPITALISED[dim] if capital else DEFINITIONS[dim]


def capitalise(s: str) -> str:
    return _cap(s)
