"""Reading ratings back out of text, and rating protection for rewrites.

A sentence states a rating when it names exactly one *target* (a dimension by its definition or an alias,
a group, or the overall quality; ``catalog/text.yaml``) and exactly one level word. A sentence that names
the overall quality is about the overall quality, one that names a group is about that group.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..dimensions import DIMENSIONS, GROUPS
from ..levels import LEVEL_WORDS
from .templates import templates

__all__ = ["extract_ratings", "rating_sentences", "verify_rewrite", "build_rewrite_prompt"]

_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")
_LEVEL = re.compile(r"\b(" + "|".join(LEVEL_WORDS) + r")\b")


@lru_cache(maxsize=None)
def _patterns() -> tuple[tuple[str, re.Pattern], ...]:
    aliases = templates()["aliases"]
    out = []
    for target in ["overall", *GROUPS, *(d.id for d in DIMENSIONS)]:
        names = list(aliases.get(target, []))
        dim = next((d for d in DIMENSIONS if d.id == target), None)
        if dim is not None:
            names.append(dim.definition)
        names = sorted({n.lower() for n in names}, key=len, reverse=True)
        out.append((target, re.compile(r"\b(?:" + "|".join(re.escape(n) for n in names) + r")")))
    return tuple(out)


def _targets(sentence: str) -> list[str]:
    found = [t for t, pat in _patterns() if pat.search(sentence)]
    if "overall" in found:
        return ["overall"]
    groups = [t for t in found if t in GROUPS]
    if groups:
        return groups
    return found


def rating_sentences(text: str) -> tuple[list[tuple[str, str]], int]:
    """(target, level) for every sentence that states one rating, and the number of sentences whose level
    words cannot be attributed (no target, several targets or several level words)."""
    found, unattributed = [], 0
    for sentence in _SENTENCE.split(text.lower()):
        levels = _LEVEL.findall(sentence)
        if not levels:
            continue
        targets = _targets(sentence)
        if len(targets) == 1 and len(set(levels)) == 1:
            found.append((targets[0], levels[0]))
        else:
            unattributed += 1
    return found, unattributed


def extract_ratings(text: str) -> dict[str, str]:
    """target -> level stated in ``text`` (targets: dimension ids, ``distortion``, ``aesthetic``, ``overall``).
    A target stated with two different levels maps to the last one; :func:`verify_rewrite` rejects that."""
    return dict(rating_sentences(text)[0])


def verify_rewrite(original: str, rewritten: str) -> tuple[bool, list[str]]:
    """Is ``rewritten`` faithful to every rating of ``original``? Returns (ok, reasons)."""
    if not rewritten or not rewritten.strip():
        return False, ["empty: the rewrite is empty"]
    orig_pairs, orig_unattr = rating_sentences(original)
    new_pairs, new_unattr = rating_sentences(rewritten)
    orig = dict(orig_pairs)
    reasons = []
    stated: dict[str, set[str]] = {}
    for target, level in new_pairs:
        stated.setdefault(target, set()).add(level)
    for target, level in orig.items():
        got = stated.get(target)
        if not got:
            reasons.append(f"missing: the rating of {target} ({level}) is not stated")
        elif got != {level}:
            reasons.append(f"changed: {target} is {level} in the original, {'/'.join(sorted(got))} in the rewrite")
    for target in stated:
        if target not in orig:
            reasons.append(f"added: the rewrite rates {target}, which the original does not")
    if new_unattr > orig_unattr:
        reasons.append(f"unattributed: {new_unattr - orig_unattr} sentence(s) use a level word without one clear aspect")
    return not reasons, reasons


def build_rewrite_prompt(text: str) -> str:
    """The rating-protection prompt given to the rewriting LLM."""
    return templates()["rewrite_prompt"].format(text=text)
