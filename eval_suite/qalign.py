"""Q-Align-style quality scoring with any video LMM loadable by the Auto classes.

The model is asked for a rating; the assistant turn is started with an answer prefix (``prompts.yaml``),
and the probabilities of the five level words as the continuation give the score
``sum_i p(level_i) * anchor_i`` (anchors of the level scale: 0, .25, .5, .75, 1 by default). A level word
that is several tokens is scored exactly by summing its teacher-forced token log-probabilities.
Batched and alone give the same scores: right padding, logits read at each row's last real token, and
videos batched only with others whose decoded frames have the same shape (so the same prompt length and
visual-token count: some processors describe frame counts from the padded batch).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Sequence

import numpy as np

from s2i_hf.catalog import load_yaml
from s2i_hf.dimensions import get_dimension
from s2i_hf.levels import DEFAULT_SCALE, LevelScale, level_token_ids


__all__ = ["QualityScorer", "QualityScore"]

_VIEW_SEED = 20260  # seeds the fragment placements of views 1.. (view 0: the cells' centres)


def _failed(video, exc: BaseException) -> "QualityScore":
    """The record of a video that could not be scored: NaN, no probabilities, the file and the reason."""
    name = os.path.basename(video) if isinstance(video, str) else type(video).__name__
    return QualityScore(score=float("nan"), probs={}, error=f"{name}: {type(exc).__name__}: {str(exc)[:200]}")


@lru_cache(maxsize=None)
def _prompts() -> dict:
    return load_yaml("prompts.yaml", package="s2i_hf.eval_suite")


@dataclass
class QualityScore:
    """A video's expected score and the level probabilities (renormalised over the five level words; with several
    fragment views, their mean over the views, and ``log_probs`` the mean of the views' log-probabilities).

    A video that could not be decoded or scored (``QualityScorer.score(..., on_error="record")``) has ``score`` NaN,
    no probabilities and ``error`` naming the file and the reason.
    """

    score: float
    probs: dict[str, float]
    log_probs: dict[str, float] = field(default_factory=dict)
    error: str | None = None


class QualityScorer:
    """Scores videos with a (tuned or base) video LMM.

    Args:
        model, processor: a model from ``AutoModelForImageTextToText`` (or a ``PeftModel`` around one) and its
            processor.
        num_frames / fps / max_pixels / max_frames / fragments / fragment_size / span: the frames the model sees
            (:class:`s2i_hf.frames.FrameSampling`, the same sampling the trainers use; a recorded setting). Each
            video is decoded once per :meth:`score` call; a window of ``max(8 * batch_size, 32)`` decoded videos
            is held in memory at a time.
        fragment_views: with ``fragments``, score each video from this many placements of its fragments and
            average the level probabilities (FAST-VQA's multi-view testing): the cells' centres, then places drawn
            inside the cells from a fixed seed, the same for every video of one frame size (so the videos of one
            scene are compared on the same pixels). A tiny model's score of one placement depends much on which
            pixels it happens to see; 1: the centres alone.
        scale: the level scale whose words and anchors are used.
        batch_size: videos per forward pass.
    """

    def __init__(
        self,
        model,
        processor,
        *,
        num_frames: int | None = 8,
        fps: float | None = None,
        max_pixels: int | None = None,
        max_frames: int = 64,
        fragments: int | None = None,
        fragment_size: int = 32,
        span: float | None = None,
        fragment_views: int = 8,
        scale: LevelScale = DEFAULT_SCALE,
        batch_size: int = 4,
    ):
        from s2i_hf.frames import FrameSampling

        self.model = model.eval()
        self.processor = processor
        self.sampling = FrameSampling(
            num_frames=None if fps is not None else num_frames,
            fps=fps,
            max_pixels=max_pixels,
            max_frames=max_frames,
            fragments=fragments or None,
            fragment_size=fragment_size,
            span=span,
        )
        self.num_frames = self.sampling.num_frames
        if fragment_views < 1:
            raise ValueError(f"fragment_views must be at least 1, got {fragment_views}")
        self.views = fragment_views if self.sampling.fragments is not None else 1
        self.scale = scale
        self.batch_size = batch_size
        self.tokenizer = getattr(processor, "tokenizer", processor)
        self.tokenizer.padding_side = "right"
        self._decoded: dict = {}  # video -> frames as decoded
        self._shown: dict = {}  # (video, view) -> frames as the model sees them

    @classmethod
    def from_pretrained(
        cls, model_id: str, *, adapter: str | None = None, trust_remote_code: bool = False, **kwargs
    ) -> "QualityScorer":
        """Load a Hub id or local folder (optionally with a PEFT adapter folder) through the Auto classes."""
        from transformers import AutoModelForImageTextToText, AutoProcessor

        processor = AutoProcessor.from_pretrained(adapter or model_id, trust_remote_code=trust_remote_code)
        model = AutoModelForImageTextToText.from_pretrained(model_id, trust_remote_code=trust_remote_code)
        if adapter is not None:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, adapter)
        return cls(model, processor, **kwargs)

    @property
    def settings(self) -> dict:
        views = {"fragment_views": self.views} if self.sampling.fragments is not None else {}
        return {**self.sampling.to_dict(), **views, "scale": self.scale.to_dict(), "prompts": _prompts()}

    # --- prompts and level tokens --------------------------------------------------------------------
    def _prompt(self, dimension: str | None) -> tuple[str, str]:
        p = _prompts()["overall" if dimension is None else "dimension"]
        if dimension is None:
            return p["question"], p["answer_prefix"]
        definition = get_dimension(dimension).definition
        return p["question"].format(definition=definition), p["answer_prefix"].format(definition=definition)

    def level_token_ids(self, answer_prefix: str, separator: str = " ") -> list[list[int]]:
        """Token ids that each level word of the scale adds after ``answer_prefix`` + ``separator``
        (:func:`s2i_hf.levels.level_token_ids`)."""
        return level_token_ids(self.tokenizer, answer_prefix, self.scale.words, separator)

    def _frames(self, video, view: int = 0):
        """(frames, metadata) of a video as the model sees them in fragment placement ``view`` (0: the cells'
        centres); decoded once per :meth:`score` window."""
        from s2i_hf.frames import decode_sampled_frames, frames_for_model

        key = video if isinstance(video, str) else id(video)
        if (key, view) not in self._shown:
            if key not in self._decoded:
                self._decoded[key] = decode_sampled_frames(video, self.sampling)
            rng = np.random.default_rng([_VIEW_SEED, view]) if view else None
            self._shown[(key, view)] = frames_for_model(*self._decoded[key], self.sampling, rng=rng)
        return self._shown[(key, view)]

    def _inputs(self, videos: Sequence[str], question: str, answer_prefix: str, view: int = 0):
        decoded = [self._frames(v, view) for v in videos]
        conversations = [
            [
                {"role": "user", "content": [{"type": "video", "video": frames}, {"type": "text", "text": question}]},
                {"role": "assistant", "content": [{"type": "text", "text": answer_prefix}]},
            ]
            for frames, _ in decoded
        ]
        return self.processor.apply_chat_template(
            conversations,
            tokenize=True,
            return_dict=True,
            return_tensors="pt",
            continue_final_message=True,
            processor_kwargs={"do_sample_frames": False, "video_metadata": [md for _, md in decoded], "padding": True},
        )

    # --- scoring -----------------------------------------------------------------------------------------
    def _view_probs(
        self, videos: Sequence[str], question: str, answer_prefix: str, word_ids: list[list[int]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """(probabilities over the level words averaged over the views, mean log-probabilities), each (n, words)."""
        lp = np.stack(
            [self._log_probs(videos, question, answer_prefix, word_ids, view) for view in range(self.views)]
        )  # (views, n, words)
        probs = np.exp(lp - lp.max(axis=2, keepdims=True))
        probs /= probs.sum(axis=2, keepdims=True)
        return probs.mean(axis=0), lp.mean(axis=0)

    def _log_probs(
        self, videos: Sequence[str], question: str, answer_prefix: str, word_ids: list[list[int]], view: int = 0
    ) -> np.ndarray:
        import torch

        inputs = self._inputs(videos, question, answer_prefix, view)
        last = inputs["attention_mask"].sum(-1) - 1
        with torch.no_grad():
            logits = self.model(**inputs).logits
        first = torch.log_softmax(logits[torch.arange(len(videos)), last].float(), dim=-1)
        out = np.zeros((len(videos), len(word_ids)))
        for j, ids in enumerate(word_ids):
            if len(ids) == 1:
                out[:, j] = first[:, ids[0]].numpy()
            else:  # a multi-token word: all its tokens teacher-forced in one pass, one video at a time
                for i, v in enumerate(videos):
                    out[i, j] = self._word_log_prob(v, question, answer_prefix, ids, view)
        return out

    def _word_log_prob(self, video: str, question: str, answer_prefix: str, ids: list[int], view: int = 0) -> float:
        """log p(ids | prompt): the sum of the word's teacher-forced token log-probabilities."""
        import torch

        inputs = self._inputs([video], question, answer_prefix, view)
        n0 = inputs["input_ids"].shape[1]
        extra = torch.tensor([ids[:-1]], dtype=inputs["input_ids"].dtype)
        inputs["input_ids"] = torch.cat([inputs["input_ids"], extra], dim=1)
        inputs["attention_mask"] = torch.cat([inputs["attention_mask"], torch.ones_like(extra)], dim=1)
        if "mm_token_type_ids" in inputs:
            inputs["mm_token_type_ids"] = torch.cat([inputs["mm_token_type_ids"], torch.zeros_like(extra)], dim=1)
        with torch.no_grad():
            logits = self.model(**inputs).logits[0].float()
        logp = torch.log_softmax(logits[n0 - 1 : n0 - 1 + len(ids)], dim=-1)  # positions predicting ids
        return float(sum(logp[k, t] for k, t in enumerate(ids)))

    def score(
        self, videos: Sequence[str], dimension: str | None = None, progress: bool = False, on_error: str = "raise"
    ) -> list[QualityScore]:
        """Scores of ``videos`` (paths) for the overall quality, or for one dimension.

        ``on_error``: ``"raise"`` stops at the first video that cannot be decoded or scored; ``"record"`` gives that
        video a :class:`QualityScore` with ``error`` set (score NaN) and scores the others as usual (a batch that
        fails is retried one video at a time).
        """
        from tqdm.auto import tqdm

        if on_error not in ("raise", "record"):
            raise ValueError(f"on_error must be 'raise' or 'record', got {on_error!r}")

        question, prefix = self._prompt(dimension)
        word_ids = self.level_token_ids(prefix)
        results: list[QualityScore | None] = [None] * len(videos)
        bar = tqdm(total=len(videos), desc="Scoring with the model", unit="video", disable=not progress)
        window = max(8 * self.batch_size, 32)  # videos decoded and held in memory at a time
        for lo in range(0, len(videos), window):
            self._decoded, self._shown = {}, {}
            groups: dict[tuple[int, ...], list[int]] = {}
            for i in range(lo, min(lo + window, len(videos))):
                try:
                    key = self._batch_key(videos[i])
                except Exception as exc:
                    if on_error == "raise":
                        raise
                    results[i] = _failed(videos[i], exc)
                    bar.update(1)
                    continue
                groups.setdefault(key, []).append(i)
            for idx in groups.values():
                for start in range(0, len(idx), self.batch_size):
                    chunk = idx[start : start + self.batch_size]
                    try:
                        probs, lp = self._view_probs([videos[i] for i in chunk], question, prefix, word_ids)
                    except Exception:
                        if on_error == "raise":
                            raise
                        # find the video(s) at fault: each alone, the others still scored
                        probs, lp = (np.full((len(chunk), len(word_ids)), np.nan) for _ in range(2))
                        for row, i in enumerate(chunk):
                            try:
                                one = self._view_probs([videos[i]], question, prefix, word_ids)
                                probs[row], lp[row] = one[0][0], one[1][0]
                            except Exception as exc_alone:
                                results[i] = _failed(videos[i], exc_alone)
                        kept = [row for row, i in enumerate(chunk) if results[i] is None]
                        bar.update(len(chunk) - len(kept))
                        chunk, probs, lp = [chunk[row] for row in kept], probs[kept], lp[kept]
                        if not chunk:
                            continue
                    scores = self.scale.expected_score(probs)
                    for row, i in enumerate(chunk):
                        results[i] = QualityScore(
                            score=float(np.atleast_1d(scores)[row]),
                            probs=dict(zip(self.scale.words, map(float, probs[row]))),
                            log_probs=dict(zip(self.scale.words, map(float, lp[row]))),
                        )
                    bar.update(len(chunk))
        bar.close()
        self._decoded, self._shown = {}, {}
        return results

    def _batch_key(self, video: str) -> tuple[int, ...]:
        """Videos with equal keys can share a batch: the decoded frames' shape (the processor gets these frames as
        they are, so equal shapes give equal visual-token counts and prompt lengths)."""
        frames, _ = self._frames(video)
        return tuple(frames.shape)
