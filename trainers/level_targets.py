"""Score-aware targets for the level word of a rating turn (Stage I, ``--level_score_sigma``).

A ``stage1`` turn answers with one level word ("... is good."), which stands for a continuous score of the
scorers. Trained as one word, every video in the same level gets the same target: a pristine clip and a mildly
damaged copy that both read "good" teach nothing about which is better. With ``sigma`` > 0 the level word's
position is trained instead towards a distribution over the five level words, a Gaussian of width ``sigma`` (score
units; the anchors are 0.25 apart) around the turn's score, so that the Q-Align expected score the evaluation reads
(sum of p(level) x anchor) is what training targets. Score distributions as targets for LMM quality scoring:
cf. Q-Align (Wu et al. 2024, level words) and DeQA-Score (You et al. 2025, score distributions).

The targets need each level word to be one token after the answer's text (true of Hub tokenizers and of the tiny
models); the turn's score comes from the row's ``scores`` / ``overall_score`` columns (the ``stage1`` view carries
them), matched to the turns through ``dimensions``.
"""

from __future__ import annotations

import logging
from typing import Any, Mapping

from s2i_hf.data_layout import OVERALL
from s2i_hf.levels import DEFAULT_SCALE, LevelScale, level_token_ids


logger = logging.getLogger(__name__)

__all__ = ["LevelTargets"]

# the text a rating answer puts before its level word (the Q-Align prompt's; only the word's tokens are used)
_PREFIX = "The overall quality of this video is"


class LevelTargets:
    """The level words' token ids and the Gaussian targets over them (see module docs).

    Args:
        tokenizer: the model's tokenizer.
        sigma: the Gaussian's width in score units (> 0).
        scale: the level scale (words and anchors; default the catalogue's).
    """

    def __init__(self, tokenizer, sigma: float, scale: LevelScale = DEFAULT_SCALE):
        if not sigma > 0:
            raise ValueError(f"level_score_sigma must be > 0, got {sigma}")
        ids = level_token_ids(tokenizer, _PREFIX, scale.words)
        if any(len(i) != 1 for i in ids) or len({i[0] for i in ids}) != len(ids):
            pieces = {w: len(i) for w, i in zip(scale.words, ids)}
            raise ValueError(
                f"--level_score_sigma needs each level word to be one distinct token of this tokenizer; tokens per "
                f"word: {pieces}. Train without it (the answers' words are learned as they are)."
            )
        self.sigma = float(sigma)
        self.scale = scale
        self.token_ids = [i[0] for i in ids]
        self.anchors = [scale.score(w) for w in scale.words]

    def distribution(self, scores):
        """(N, 5) targets over the level words (the scale's order) for a (N,) tensor of scores."""
        import torch

        anchors = torch.tensor(self.anchors, dtype=torch.float32, device=scores.device)
        return torch.softmax(-((scores[:, None].float() - anchors) ** 2) / (2 * self.sigma**2), dim=-1)

    def turn_scores(self, row: Mapping[str, Any]) -> list[float] | None:
        """The score each assistant turn of ``row`` states (its ``dimensions[i]``: a dimension id or "overall"),
        or None when the row does not carry them."""
        dims, scores = row.get("dimensions"), row.get("scores")
        if not dims or scores is None:
            return None
        out = []
        for dim in dims:
            value = row.get("overall_score") if dim == OVERALL else scores.get(dim)
            if value is None:
                return None
            out.append(float(value))
        return out

    def positions(self, row: Mapping[str, Any], labels) -> "Any":
        """A (1, L) float tensor: at the level word of each assistant turn the turn's score, NaN elsewhere. A turn
        whose answer holds no level word, or another one than its score's level, gets no target."""
        import torch

        out = torch.full(labels.shape, float("nan"))
        scores = self.turn_scores(row)
        if scores is None:
            return out
        flat = labels.reshape(-1).tolist()
        spans, start = [], None
        for i, t in enumerate(flat + [-100]):
            if t != -100 and start is None:
                start = i
            elif t == -100 and start is not None:
                spans.append((start, i))
                start = None
        if len(spans) != len(scores):
            logger.warning(
                "row %s: %d assistant spans for %d rated turns: no level targets",
                row.get("video_id", "?"),
                len(spans),
                len(scores),
            )
            return out
        wanted = dict(zip(self.token_ids, self.scale.words))
        for (a, b), score in zip(spans, scores):
            at = next((i for i in range(a, b) if flat[i] in wanted), None)
            if at is not None and wanted[flat[at]] == self.scale.level(score):
                out.view(-1)[at] = score
        return out
