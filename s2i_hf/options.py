"""The one output option of every ``s2i`` command, ``--output_dir``, and the spellings it replaced.

``s2i build``, ``eval`` and ``demo`` took ``--out DIR``, ``s2i train`` took ``--output DIR``, ``s2i score`` and
``leaderboard`` took ``--out FILE``. Each argument dataclass keeps its old spelling as a deprecated field, so old
command lines, YAML files and Python calls still work:

- :func:`take_alias` (in a dataclass's ``__post_init__``) moves a value given under the old name to
  ``output_dir`` (a :class:`DeprecationWarning` for Python callers) and remembers that it did;
- :func:`warn_aliases` / :func:`deprecated_flag` tell a command's user, with a :class:`FutureWarning`, which flag
  to use instead.

A command that writes one file (``s2i score``: ``scores.jsonl``, ``s2i leaderboard``: ``leaderboard.md``) writes it
under that name inside ``--output_dir``; its old ``--out FILE`` still names the file itself (:func:`output_file`).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import MISSING, fields


__all__ = ["OUTPUT_DIR", "deprecated_flag", "output_file", "take_alias", "warn_aliases"]

OUTPUT_DIR = "output_dir"
_USED = "_deprecated_options"  # instance attribute: {old name: new name} of the aliases a value came through


def take_alias(obj, old: str, new: str = OUTPUT_DIR) -> None:
    """Move the value of ``obj``'s deprecated field ``old`` (when set) to ``new`` and clear ``old``.

    ``new`` keeps its own value when it was given (not its default) and equals ``old``'s; a different one is a
    :class:`ValueError` naming both flags."""
    value = getattr(obj, old)
    if value is None:
        return
    default = next((f.default for f in fields(obj) if f.name == new), MISSING)
    current = getattr(obj, new)
    if current is not None and current != default and current != value:
        raise ValueError(f"--{old} {value} and --{new} {current} disagree: give --{new} only (--{old} is deprecated)")
    setattr(obj, new, value)
    setattr(obj, old, None)
    obj.__dict__.setdefault(_USED, {})[old] = new
    # stacklevel: this function, __post_init__, the dataclass's __init__, then whoever built the object
    warnings.warn(f"{type(obj).__name__}({old}=...) is deprecated: use {new}=...", DeprecationWarning, stacklevel=4)


def deprecated_flag(prog: str, old: str, new: str = OUTPUT_DIR, note: str = "") -> None:
    """A :class:`FutureWarning` that ``prog``'s flag ``--old`` is deprecated in favour of ``--new``."""
    warnings.warn(f"{prog}: --{old} is deprecated, use --{new}{note}", FutureWarning, stacklevel=3)


def warn_aliases(prog: str, *objs) -> None:
    """:func:`deprecated_flag` for each deprecated spelling that :func:`take_alias` took a value from in ``objs``."""
    for obj in objs:
        for old, new in getattr(obj, _USED, {}).items():
            deprecated_flag(prog, old, new)


def output_file(prog: str, output_dir: str | None, out: str | None, name: str) -> str:
    """The file a single-file command writes: ``output_dir/name``, or ``out`` (the deprecated ``--out FILE``,
    with a :class:`FutureWarning`). A :class:`ValueError` when neither or both are given, or when ``output_dir``
    is a file (or is named like one: it ends with ``name``'s extension)."""
    if out is not None:
        if output_dir is not None:
            raise ValueError(f"give --{OUTPUT_DIR} DIR only (--out FILE is its deprecated spelling)")
        deprecated_flag(prog, "out FILE", f"{OUTPUT_DIR} DIR", f" (the file is then DIR/{name})")
        return out
    if output_dir is None:
        raise ValueError(f"--{OUTPUT_DIR} DIR is required (the output goes to DIR/{name})")
    if os.path.isfile(output_dir) or output_dir.endswith(os.path.splitext(name)[1]):
        raise ValueError(f"--{OUTPUT_DIR} is a folder (the output goes to DIR/{name}), got the file {output_dir}")
    return os.path.join(output_dir, name)
