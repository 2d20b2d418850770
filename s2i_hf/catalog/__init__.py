"""The packaged catalogues: data, not logic (dimensions, templates, estimator calibrations, distortion recipes,
model families, real content), and the one loader of YAML data files that every part of s2i-hf uses."""

from __future__ import annotations

import os
from functools import lru_cache
from importlib import resources
from typing import Any


__all__ = ["load_yaml", "read_yaml"]


@lru_cache(maxsize=None)
def load_yaml(name: str, package: str = "s2i_hf.catalog") -> Any:
    """A YAML file shipped inside ``package`` (default: this catalogue), parsed once per process.

    The result is shared between callers: treat it as read-only."""
    resource = resources.files(package).joinpath(name)
    if not resource.is_file():
        raise FileNotFoundError(f"{package}/{name}: not in the installed package")
    return _parse(resource.read_text(encoding="utf-8"), f"{package}/{name}")


def read_yaml(path: str | os.PathLike) -> Any:
    """A YAML file on disk (a user's config, prompts or manifest), with errors that name the file."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such file")
    with open(path, encoding="utf-8") as fh:
        return _parse(fh.read(), path)


def _parse(text: str, where: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ValueError(f"{where}: not valid YAML ({err})") from None
