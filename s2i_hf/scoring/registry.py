"""A registry of named scorers (pyiqa/timm style): create by name, list by dimension, plug in your own.

Built-in estimators register themselves when ``s2i_hf.scoring.estimators`` is imported; their
calibrations and the default scorer of each dimension are data in ``catalog/estimators.yaml``.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Callable

import yaml

from ..dimensions import DIMENSION_IDS
from .base import CallableScorer, Scorer
from .calibration import Calibration, calibration_from_dict

__all__ = ["register_scorer", "create_scorer", "list_scorers", "default_scorer_names", "scorer_calibration"]

_REGISTRY: dict[str, Callable[..., Scorer]] = {}


@lru_cache(maxsize=None)
def _estimator_catalog() -> dict:
    text = resources.files("s2i_hf.catalog").joinpath("estimators.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text) or {}


def scorer_calibration(name: str) -> Calibration | None:
    spec = (_estimator_catalog().get("calibrations") or {}).get(name)
    return calibration_from_dict(spec) if spec is not None else None


def default_scorer_names() -> dict[str, str]:
    """dimension id -> the name of its default (weight-free) scorer."""
    defaults = dict(_estimator_catalog().get("defaults") or {})
    missing = [d for d in DIMENSION_IDS if d not in defaults]
    if missing:
        raise RuntimeError(f"catalog/estimators.yaml names no default scorer for {missing}")
    return {d: defaults[d] for d in DIMENSION_IDS}


def register_scorer(name: str, obj: Callable | type[Scorer] | Scorer | None = None, *, dimension: str | None = None, version: str = "1", overwrite: bool = False):
    """Register a scorer under ``name``.

    ``obj`` may be a :class:`Scorer` subclass, a ready :class:`Scorer` instance, or any callable
    ``clip -> float in [0, 1]``. Used without ``obj`` it is a class decorator. Re-registering a name
    raises unless ``overwrite=True``.
    """
    if dimension is not None and dimension not in DIMENSION_IDS:
        raise ValueError(f"unknown dimension {dimension!r}; known: {', '.join(DIMENSION_IDS)}")

    def add(target):
        if name in _REGISTRY and not overwrite:
            raise ValueError(f"a scorer named {name!r} is already registered (pass overwrite=True to replace it)")
        if isinstance(target, type) and issubclass(target, Scorer):
            target.name = name
            if dimension is not None:
                target.dimension = dimension
            _REGISTRY[name] = target
        elif isinstance(target, Scorer):
            _REGISTRY[name] = lambda _t=target, **kw: _t
        elif callable(target):
            _REGISTRY[name] = lambda _f=target, **kw: CallableScorer(_f, name=name, dimension=dimension, version=version, **kw)
        else:
            raise TypeError(f"cannot register {target!r} as a scorer: give a Scorer subclass, instance or callable")
        return target

    return add if obj is None else add(obj)


def _ensure_builtins():
    from . import estimators  # noqa: F401  (registers the weight-free defaults)


def create_scorer(name: str, **kwargs) -> Scorer:
    """A scorer instance by registry name; built-in estimators get their catalogue calibration."""
    _ensure_builtins()
    if name.startswith("pyiqa:") and name not in _REGISTRY:
        from .pyiqa_adapter import PyiqaScorer

        return PyiqaScorer(name[len("pyiqa:"):], **kwargs)
    if name not in _REGISTRY:
        raise KeyError(f"no scorer named {name!r}; registered: {', '.join(sorted(_REGISTRY))}")
    if "calibration" not in kwargs:
        cal = scorer_calibration(name)
        if cal is not None:
            kwargs["calibration"] = cal
    return _REGISTRY[name](**kwargs)


def list_scorers(dimension: str | None = None) -> list[str]:
    """Registered scorer names, optionally only those meant for ``dimension``."""
    _ensure_builtins()
    names = sorted(_REGISTRY)
    if dimension is None:
        return names
    out = []
    for n in names:
        factory = _REGISTRY[n]
        dim = getattr(factory, "dimension", None)
        if dim is None and not isinstance(factory, type):
            dim = getattr(factory(), "dimension", None)
        if dim == dimension:
            out.append(n)
    return out
