"""A registry of named scorers (pyiqa/timm style): create by name, list by dimension, plug in your own.

Every registered name is a :class:`ScorerEntry`: its factory plus metadata (dimension, version) read at
registration, so listing and filtering never build a scorer. Names under a registered prefix (``pyiqa:<metric>``)
are resolved on demand by the prefix's resolver (:func:`register_scorer_prefix`).

Built-in estimators register themselves when ``s2i_hf.scoring.estimators`` is imported; their
calibrations and the default scorer of each dimension are data in ``catalog/estimators.yaml``.

Third-party scorers come from plugins: the entry points of the group ``s2i_hf.scorers`` are loaded once, on
the first registry lookup. Each is a module (importing it registers its scorers), a :class:`Scorer` subclass or
instance (registered under the entry point's name) or a callable taking no arguments that registers scorers.
A package declares one in its ``pyproject.toml``::

    [project.entry-points."s2i_hf.scorers"]
    my_scorers = "my_package.scorers"

:func:`load_scorer_plugins` imports a module by dotted name or a ``.py`` file (``s2i score --scorer_module``).
"""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata
import importlib.util
import os
import threading
from dataclasses import dataclass, field
from functools import lru_cache, partial
from types import ModuleType
from typing import Any, Callable

from ..catalog import load_yaml
from ..dimensions import DIMENSION_IDS
from .base import CallableScorer, Scorer
from .calibration import Calibration, calibration_from_dict


__all__ = [
    "ENTRY_POINT_GROUP",
    "ScorerEntry",
    "ScorerPluginError",
    "register_scorer",
    "register_scorer_prefix",
    "create_scorer",
    "scorer_entry",
    "list_scorers",
    "list_scorer_prefixes",
    "describe_scorers",
    "parse_scorer_overrides",
    "default_scorer_names",
    "scorer_calibration",
    "load_scorer_plugins",
    "load_plugin_entry_points",
]

ENTRY_POINT_GROUP = "s2i_hf.scorers"


@dataclass(frozen=True)
class ScorerEntry:
    """A registered scorer: ``factory(**kwargs) -> Scorer`` and what is known of it without building one.

    ``kind`` is how it was registered: ``"class"`` (a :class:`Scorer` subclass), ``"instance"`` (a ready
    scorer, returned as is), ``"callable"`` (a ``clip -> [0, 1]`` function) or ``"prefix"`` (resolved from a
    registered prefix such as ``pyiqa:``). ``module`` is where the registered object was defined, ``obj`` the
    object given to :func:`register_scorer` (the resolver for a prefixed name).
    """

    name: str
    factory: Callable[..., Scorer]
    dimension: str | None = None
    version: str | None = None
    kind: str = "class"
    module: str | None = None
    obj: Any = field(default=None, repr=False, compare=False)

    @property
    def id(self) -> str:
        return f"{self.name}@{self.version}" if self.version is not None else self.name


class ScorerPluginError(ImportError):
    """A scorer plugin (an ``s2i_hf.scorers`` entry point or a scorer module) could not be loaded."""


_REGISTRY: dict[str, ScorerEntry] = {}
# prefix (ending in ":") -> (resolver(rest, **kwargs) -> Scorer, version of what it builds or None)
_PREFIXES: dict[str, tuple[Callable[..., Scorer], str | None]] = {}

_LOCK = threading.RLock()
_PLUGINS_SCANNED = False  # the entry points were all loaded once (a failure leaves this False: retried next time)
_PLUGINS_LOADED: set[str] = set()  # "name = value" of the entry points already loaded
_PLUGINS_LOADING = False  # re-entrancy guard: a plugin that looks the registry up while it loads


# --- catalogue ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _estimator_catalog() -> dict:
    return load_yaml("estimators.yaml") or {}


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


# --- registration ------------------------------------------------------------------------------------------


def _check_dimension(dimension: str | None):
    if dimension is not None and dimension not in DIMENSION_IDS:
        raise ValueError(f"unknown dimension {dimension!r}; known: {', '.join(DIMENSION_IDS)}")


def _callable_factory(fn: Callable, name: str, dimension: str | None, version: str) -> Callable[..., Scorer]:
    def make(**kwargs) -> Scorer:
        return CallableScorer(fn, **{"name": name, "dimension": dimension, "version": version, **kwargs})

    return make


def _instance_factory(scorer: Scorer) -> Callable[..., Scorer]:
    def make(**kwargs) -> Scorer:  # a ready instance: options (and catalogue calibrations) do not apply
        return scorer

    return make


def register_scorer(
    name: str,
    obj: Callable | type[Scorer] | Scorer | None = None,
    *,
    dimension: str | None = None,
    version: str | None = None,
    overwrite: bool = False,
):
    """Register a scorer under ``name``.

    ``obj`` may be a :class:`Scorer` subclass, a ready :class:`Scorer` instance, or any callable
    ``clip -> float in [0, 1]``. Used without ``obj`` it is a class decorator. ``dimension`` and ``version``
    default to the class's (or instance's) attributes; a callable's version defaults to ``"1"``.
    Re-registering a name raises unless ``overwrite=True``.
    """
    _check_dimension(dimension)

    def add(target):
        if name in _REGISTRY and not overwrite:
            raise ValueError(f"a scorer named {name!r} is already registered (pass overwrite=True to replace it)")
        if isinstance(target, type) and issubclass(target, Scorer):
            target.name = name
            if dimension is not None:
                target.dimension = dimension
            if version is not None:
                target.version = version
            dim, ver, kind, factory = target.dimension, target.version, "class", target
        elif isinstance(target, Scorer):
            dim = dimension if dimension is not None else target.dimension
            ver = version if version is not None else target.version
            kind, factory = "instance", _instance_factory(target)
        elif callable(target):
            dim, ver, kind = dimension, version if version is not None else "1", "callable"
            factory = _callable_factory(target, name, dim, ver)
        else:
            raise TypeError(f"cannot register {target!r} as a scorer: give a Scorer subclass, instance or callable")
        _check_dimension(dim)
        module = getattr(target, "__module__", None) or getattr(type(target), "__module__", None)
        _REGISTRY[name] = ScorerEntry(
            name=name, factory=factory, dimension=dim, version=ver, kind=kind, module=module, obj=target
        )
        return target

    return add if obj is None else add(obj)


def register_scorer_prefix(
    prefix: str, resolver: Callable[..., Scorer], *, version: str | None = None, overwrite: bool = False
):
    """Resolve every name ``<prefix><rest>`` with ``resolver(rest, **kwargs) -> Scorer`` (e.g. ``pyiqa:``).

    Names registered exactly take precedence over a prefix. ``version`` is the version of the scorers it builds
    when known without building one. Re-registering the same resolver is a no-op; another one raises unless
    ``overwrite=True``. Returns ``resolver``.
    """
    if not prefix.endswith(":") or len(prefix) < 2:
        raise ValueError(f"a scorer prefix ends with ':' (e.g. 'pyiqa:'), got {prefix!r}")
    if not callable(resolver):
        raise TypeError(f"a scorer prefix resolver must be callable, got {resolver!r}")
    if prefix in _PREFIXES and not overwrite and _PREFIXES[prefix][0] is not resolver:
        raise ValueError(f"the scorer prefix {prefix!r} is already registered (pass overwrite=True to replace it)")
    _PREFIXES[prefix] = (resolver, version)
    return resolver


# --- plugins -----------------------------------------------------------------------------------------------


def _ensure_builtins():
    from . import (
        estimators,  # noqa: F401  (registers the weight-free defaults)
        pyiqa_adapter,  # noqa: F401  (registers the pyiqa: prefix; pyiqa itself is imported on use)
    )


def _entry_point_key(ep) -> str:
    return f"{ep.name} = {ep.value}"


def _scorer_entry_points() -> list:
    unique = {}
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        unique.setdefault(_entry_point_key(ep), ep)  # a distribution seen twice on sys.path lists it twice
    return list(unique.values())


def _apply_plugin(name: str, obj):
    if isinstance(obj, ModuleType):
        return  # importing it registered its scorers
    if (isinstance(obj, type) and issubclass(obj, Scorer)) or isinstance(obj, Scorer):
        if not any(e.obj is obj for e in _REGISTRY.values()):  # not registered already by its own module
            register_scorer(name, obj)
        return
    if callable(obj):
        obj()
        return
    raise TypeError(f"expected a module, a Scorer subclass or instance, or a callable; got {type(obj).__name__}")


def load_plugin_entry_points() -> list[str]:
    """Load the ``s2i_hf.scorers`` entry points not loaded yet; the names of those loaded now.

    Lookups do this once by themselves; call it again after installing a plugin in a running process.
    Raises :class:`ScorerPluginError`, naming the entry point and its distribution, when one fails to load.
    """
    global _PLUGINS_SCANNED, _PLUGINS_LOADING
    with _LOCK:
        if _PLUGINS_LOADING:
            return []
        _ensure_builtins()
        _PLUGINS_LOADING = True
        try:
            loaded = []
            for ep in _scorer_entry_points():
                key = _entry_point_key(ep)
                if key in _PLUGINS_LOADED:
                    continue
                try:
                    _apply_plugin(ep.name, ep.load())
                except Exception as exc:
                    dist = getattr(ep, "dist", None)
                    origin = f" (distribution {dist.name} {dist.version})" if dist is not None else ""
                    raise ScorerPluginError(
                        f"scorer plugin entry point {key!r} in group {ENTRY_POINT_GROUP!r}{origin} failed to load: "
                        f"{type(exc).__name__}: {exc}"
                    ) from exc
                _PLUGINS_LOADED.add(key)
                loaded.append(ep.name)
            _PLUGINS_SCANNED = True
            return loaded
        finally:
            _PLUGINS_LOADING = False


def _ensure_loaded():
    _ensure_builtins()
    if not _PLUGINS_SCANNED:
        load_plugin_entry_points()


def _is_path(spec: str) -> bool:
    return spec.endswith(".py") or os.path.sep in spec or (os.path.altsep is not None and os.path.altsep in spec)


def load_scorer_plugins(spec: str) -> ModuleType:
    """Import a module that registers scorers: a dotted module name, or the path of a ``.py`` file (executed
    as a module named after the file). The built-ins are registered first, so a clash is reported here."""
    _ensure_builtins()
    if not _is_path(spec):
        return importlib.import_module(spec)
    if not os.path.isfile(spec):
        raise FileNotFoundError(f"scorer module {spec}: no such file")
    mod_spec = importlib.util.spec_from_file_location(os.path.splitext(os.path.basename(spec))[0], spec)
    if mod_spec is None or mod_spec.loader is None:
        raise ScorerPluginError(f"scorer module {spec}: not a Python source file")
    module = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(module)
    return module


# --- lookup ------------------------------------------------------------------------------------------------


def _split_prefix(name: str) -> tuple[str, str] | None:
    head, sep, rest = name.partition(":")
    return (head + sep, rest) if sep else None


def _suggestions(name: str) -> list[str]:
    names = sorted(_REGISTRY)
    found = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    default = default_scorer_names().get(name)  # a dimension's name: its default scorer first
    if default in _REGISTRY:
        found = [default] + [f for f in found if f != default]
    if not found:  # a word of a name, e.g. 'sharpnes' -> crete_roffet_sharpness
        for n in names:
            words = n.split("_")
            if difflib.get_close_matches(name, words, n=1, cutoff=0.75) and n not in found:
                found.append(n)
        found = found[:3]
    split = _split_prefix(name)
    if split is not None and split[0] not in _PREFIXES:
        found += [p + split[1] for p in difflib.get_close_matches(split[0], sorted(_PREFIXES), n=1, cutoff=0.6)]
    return found


def _unknown(name: str) -> KeyError:
    found = _suggestions(name)
    prefixes = ", ".join(f"{p}<name>" for p in sorted(_PREFIXES))
    if found:
        hint = "did you mean " + " or ".join(repr(f) for f in found) + "?"
    else:
        hint = f"registered: {', '.join(sorted(_REGISTRY))}"
        if prefixes:
            hint += f"; or a prefixed name: {prefixes}"
    return KeyError(f"no scorer named {name!r}; {hint}")


def scorer_entry(name: str) -> ScorerEntry:
    """The registry entry of ``name`` (nothing is built). Raises ``KeyError`` with close matches if unknown."""
    _ensure_loaded()
    entry = _REGISTRY.get(name)
    if entry is not None:
        return entry
    split = _split_prefix(name)
    if split is not None and split[0] in _PREFIXES and split[1]:
        resolver, version = _PREFIXES[split[0]]
        module = getattr(resolver, "__module__", None)
        factory = partial(resolver, split[1])
        return ScorerEntry(name=name, factory=factory, version=version, kind="prefix", module=module, obj=resolver)
    raise _unknown(name)


def create_scorer(name: str, **kwargs) -> Scorer:
    """A scorer instance by registry name; built-in estimators get their catalogue calibration."""
    entry = scorer_entry(name)
    if "calibration" not in kwargs:
        cal = scorer_calibration(name)
        if cal is not None:
            kwargs["calibration"] = cal
    return entry.factory(**kwargs)


def list_scorers(dimension: str | None = None) -> list[str]:
    """Registered scorer names, optionally only those meant for ``dimension`` (from entry metadata: no scorer
    is built). Prefixed names (``pyiqa:<metric>``) are not listed: see :func:`list_scorer_prefixes`."""
    _ensure_loaded()
    return sorted(n for n, e in _REGISTRY.items() if dimension is None or e.dimension == dimension)


def list_scorer_prefixes() -> list[str]:
    """The registered name prefixes, e.g. ``['pyiqa:']``."""
    _ensure_loaded()
    return sorted(_PREFIXES)


def describe_scorers() -> list[str]:
    """One line per registered scorer (with the dimensions it is the default for) and per name prefix."""
    defaults = default_scorer_names()
    lines = []
    for name in list_scorers():
        dims = [d for d, n in defaults.items() if n == name]
        lines.append(f"{name}{'  (default for ' + ', '.join(dims) + ')' if dims else ''}")
    return lines + [f"{prefix}<name>  (any name under this prefix)" for prefix in list_scorer_prefixes()]


def parse_scorer_overrides(items: list[str]) -> dict[str, str]:
    """``["DIM=NAME", ...]`` (``s2i score --scorer``) as ``{dimension: scorer name}``; a clear error otherwise."""
    out = {}
    for item in items:
        dim, sep, name = item.partition("=")
        if not sep or not name:
            raise ValueError(f"--scorer expects DIM=NAME, got {item!r}")
        if dim not in DIMENSION_IDS:
            raise ValueError(f"--scorer {item!r}: unknown dimension {dim!r}; known: {', '.join(DIMENSION_IDS)}")
        out[dim] = name
    return out
