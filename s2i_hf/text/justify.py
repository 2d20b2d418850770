"""The hierarchical chain-of-thought justification: each dimension's impact -> a rating per group -> overall.

Dimensions appear by their definitions; every rating sentence names one target and one level word, so
:func:`s2i_hf.text.ratings.extract_ratings` reads every level back (and rewrites can be verified).
"""

from __future__ import annotations

import random

from ..dimensions import DIMENSIONS, GROUPS
from ..levels import LEVEL_WORDS
from .templates import capitalise, definition, templates

__all__ = ["justification", "rng_for"]

_ORDER = {w: i for i, w in enumerate(LEVEL_WORDS)}


def rng_for(seed, video_id: str, task: str) -> random.Random:
    """The RNG of one (video, task): the same inputs and seed give the same text, on any machine."""
    return random.Random(f"{seed}:{video_id}:{task}")


def _dimension_sentence(rng: random.Random, dim: str, level: str) -> str:
    t = templates()
    tpl = rng.choice(t["dimension_statement"])
    impact = rng.choice(t["impact"][level])
    return tpl.format(Def=definition(dim, True), **{"def": definition(dim)}, level=level, impact=impact)


def justification(record: dict, seed=0) -> str:
    """The full justification of one scored video (``levels``, ``group_levels``, ``overall_level``,
    optional ``caption``)."""
    t = templates()
    rng = rng_for(seed, record["video_id"], "justification")
    parts = []
    caption = record.get("caption")
    if caption:
        parts.append(rng.choice(t["caption"]).format(caption=caption.strip().rstrip(".")))
    parts.append(rng.choice(t["intro"]))
    levels = record["levels"]
    for group in GROUPS:
        parts.append(rng.choice(t["group_intro"][group]))
        dims = [d.id for d in DIMENSIONS if d.group == group]
        rng.shuffle(dims)
        # the weakest aspects first: they drive the group's rating
        dims.sort(key=lambda d: _ORDER.get(levels[d], 2))
        parts.extend(_dimension_sentence(rng, d, levels[d]) for d in dims)
        phrase = t["group_phrase"][group]
        parts.append(rng.choice(t["group_statement"]).format(group=phrase, Group=capitalise(phrase), level=record["group_levels"][group]))
    parts.append(rng.choice(t["overall_statement"]).format(level=record["overall_level"]))
    return " ".join(parts)
