"""The video collator: rows of the ``stage1``/``stage2`` configs -> a padded batch with assistant-only labels.

Each row (``messages`` + ``video``) is rendered on its own with the model's processor and chat template, its
``{"type": "video"}`` placeholder filled with frames chosen by a :class:`~.frames.FrameSampling`; the rows are
then padded and their visual tensors joined. Rendering rows one at a time is what lets rows with a video and
text-only rows share a batch, and keeps one processor quirk from leaking into another row (SmolVLM describes
frame counts from the padded batch).

Labels are the input ids of the assistant's tokens (its end-of-turn token included), ``-100`` elsewhere. They
come from the template's ``{% generation %}`` markers; a template without markers is replaced by TRL's training
version of it when TRL knows the template; otherwise the spans are derived from the marker-less template by
prefix renders (:mod:`.assistant_spans`), and a template for which that is unsound is refused before training,
because the loss would silently cover the prompt or nothing. ``label_source`` records which way was taken.
"""

from __future__ import annotations

import copy
import logging
import os
from typing import Any, Sequence

import numpy as np

from s2i_hf.frames import FrameSampling, decode_sampled_frames, frames_for_model, mosaic_resampling, sample_frames
from s2i_hf.video import VideoError

from .assistant_spans import UnsoundTemplateError, assistant_char_spans, check_template, token_mask
from .render_cache import RenderCache


logger = logging.getLogger(__name__)

__all__ = ["S2IVideoCollator", "resolve_chat_template"]

# Outputs with one entry per token: padded along the sequence.
_TOKEN_KEYS = ("input_ids", "attention_mask", "mm_token_type_ids", "token_type_ids")


def resolve_chat_template(
    processor, chat_template: str | None = None, model_name: str | None = None
) -> tuple[str, str]:
    """The chat template to train with and how its assistant-only labels are made (a key of
    :data:`~.assistant_spans.LABEL_SOURCES`).

    In order: ``chat_template`` or the processor's template when it has ``{% generation %}`` markers
    (``template_markers``); TRL's training version of the processor's template when TRL knows it
    (``trl_training_template``); otherwise the marker-less template itself, with spans derived by prefix renders
    (``derived_spans``) when it is prefix-preserving. Raises ``ValueError`` naming the model, why, and the fix
    otherwise."""
    from trl.chat_template_utils import get_training_chat_template, has_generation_markers

    name = model_name or _model_name(processor)
    template = chat_template or processor.chat_template
    if isinstance(template, dict):
        template = template.get("default")
    if not template:
        raise ValueError(
            f"{name} has no chat template: pass one with --chat_template_path (a .jinja file with "
            "{% generation %} markers)"
        )
    if has_generation_markers(template):
        return template, "template_markers"
    if chat_template is None:
        try:
            patched = get_training_chat_template(processor)
        except Exception:  # noqa: BLE001 - TRL raises for templates it does not know
            patched = None
        if patched:
            return patched, "trl_training_template"
    try:
        check_template(_renderer(processor, template), _special_tokens(processor))
    except UnsoundTemplateError as err:
        raise ValueError(
            f"{name}: its chat template has no {{% generation %}} markers, TRL has no training version of it, and the "
            f"assistant tokens cannot be derived from it: {err}. Without them the assistant-only loss cannot be "
            "masked. Pass a template with markers: --chat_template_path path/to/template.jinja"
        ) from None
    return template, "derived_spans"


def _model_name(processor) -> str:
    tokenizer = getattr(processor, "tokenizer", processor)
    return getattr(tokenizer, "name_or_path", None) or type(processor).__name__


def _renderer(processor, template: str):
    def render(messages: list, add_generation_prompt: bool) -> str:
        return processor.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=add_generation_prompt, chat_template=template
        )

    return render


def _special_tokens(processor) -> list[str]:
    tokenizer = getattr(processor, "tokenizer", processor)
    tokens = set(tokenizer.all_special_tokens)
    tokens |= {t.content for t in getattr(tokenizer, "added_tokens_decoder", {}).values() if t.special}
    return sorted(tokens)


class S2IVideoCollator:
    """Collate S2I conversation rows for a video LMM.

    Args:
        processor: the model's processor (``AutoProcessor.from_pretrained``).
        sampling: which frames the model sees (:class:`FrameSampling`; default 8 frames).
        chat_template: the template to train with (default: the processor's); see :func:`resolve_chat_template`
            for how the assistant tokens are found (``label_source`` says which way was taken).
        video_column / messages_column: column names of the rows.
        model_name: named in errors (default: the processor's ``name_or_path``).
        cache_mb: keep up to this many MB of rendered rows in memory (:class:`~.render_cache.RenderCache`), so that
            a row seen again (the next epoch) is not decoded again; 0: render every time.
        level_targets: a :class:`~.level_targets.LevelTargets`: the batch then carries ``level_scores`` (the score
            each rating turn's level word stands for at that word's label position, NaN elsewhere) for the
            score-aware loss of Stage I.
        score_column: a column holding each row's score (e.g. ``overall_score``): the batch then carries
            ``row_scores`` ((B,) float, NaN for a row without one) for Stage I's score head.
        fragment_jitter: with ``sampling.fragments``, cut each fragment at a random place inside its grid cell every
            time a row is rendered (FAST-VQA's training-time sampling: every epoch shows other pixels of a video;
            evaluation scores fixed placements). The cache then also keeps each video's decoded frames, and a cached
            row only runs the processor's video part again.
        seed: seeds the fragments' places (with the data-loading worker's id).
    """

    def __init__(
        self,
        processor,
        sampling: FrameSampling | None = None,
        chat_template: str | None = None,
        video_column: str = "video",
        messages_column: str = "messages",
        model_name: str | None = None,
        cache_mb: float = 0.0,
        level_targets=None,
        score_column: str | None = None,
        fragment_jitter: bool = False,
        seed: int = 0,
    ):
        self.processor = processor
        self.score_column = score_column
        self.level_targets = level_targets
        self.cache = RenderCache(cache_mb)
        self.sampling = sampling or FrameSampling()
        self.fragment_jitter = bool(fragment_jitter and self.sampling.fragments is not None)
        self.seed = int(seed)
        self._rng, self._rng_pid = None, None
        self.chat_template, self.label_source = resolve_chat_template(processor, chat_template, model_name)
        self._special_tokens = _special_tokens(processor) if self.label_source == "derived_spans" else []
        self.video_column = video_column
        self.messages_column = messages_column
        tokenizer = getattr(processor, "tokenizer", processor)
        self.pad_token_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        if self.pad_token_id is None:
            raise ValueError(f"{type(tokenizer).__name__} has neither a pad nor an eos token to pad with")
        resampled = mosaic_resampling(processor, self.sampling)
        if resampled:
            logger.warning("%s: %s", model_name or _model_name(processor), resampled)

    # --- one row ------------------------------------------------------------------------------------------
    def render(self, row: dict[str, Any]) -> dict[str, Any]:
        """Processor outputs of one row plus ``labels`` (a (1, L) batch of one)."""
        import torch

        messages = copy.deepcopy(row[self.messages_column])
        video_blocks = [
            b
            for m in messages
            for b in (m["content"] if isinstance(m["content"], list) else [])
            if b.get("type") == "video"
        ]
        kwargs: dict[str, Any] = {}
        if video_blocks:
            video = row.get(self.video_column)
            if video is None:
                raise ValueError(
                    f"row {row.get('video_id', '?')}: the conversation has a video block but the row has no video"
                )
            frames, metadata = self._frames(row, video)
            for block in video_blocks:
                block.clear()
                block.update({"type": "video", "video": frames})
            kwargs = {"do_sample_frames": False, "video_metadata": [metadata] * len(video_blocks)}
        if self.label_source == "derived_spans":
            out, mask = self._render_derived(messages, kwargs)
        else:
            out = self.processor.apply_chat_template(
                messages,
                tokenize=True,
                return_dict=True,
                return_tensors="pt",
                return_assistant_tokens_mask=True,
                chat_template=self.chat_template,
                processor_kwargs=kwargs,
            )
            mask = torch.as_tensor(out.pop("assistant_masks")).bool().reshape(out["input_ids"].shape)
        if not bool(mask.any()):
            raise ValueError(
                f"row {row.get('video_id', '?')}: the chat template marks no assistant token (no answer to learn); "
                "check the template's {% generation %} markers"
            )
        labels = out["input_ids"].clone()
        labels[~mask] = -100
        out = dict(out)
        out["labels"] = labels
        if self.level_targets is not None:
            out["level_scores"] = self.level_targets.positions(row, labels)
        if self.score_column is not None:
            score = row.get(self.score_column)
            out["row_scores"] = torch.tensor([float("nan") if score is None else float(score)])
        return out

    def _frames(self, row: dict[str, Any], video):
        """The row's frames as the model sees them; with ``fragment_jitter``, decoded once (kept in the cache) and
        cut into fragments at new random places each time."""
        if not self.fragment_jitter:
            return sample_frames(video, self.sampling)
        if self._rng_pid != os.getpid():  # a data-loading worker draws its own places
            import torch.utils.data

            worker = torch.utils.data.get_worker_info()
            self._rng, self._rng_pid = np.random.default_rng([self.seed, worker.id if worker else 0]), os.getpid()
        key = f"{row['video_id']}\x00{self.sampling!r}" if row.get("video_id") else None
        decoded = self.cache.get_or_render(
            key, lambda: dict(zip(("frames", "metadata"), decode_sampled_frames(video, self.sampling)))
        )
        return frames_for_model(decoded["frames"], decoded["metadata"], self.sampling, rng=self._rng)

    def _new_fragments(self, row: dict[str, Any], part: dict[str, Any]) -> dict[str, Any]:
        """A cached render with its video pixels cut anew (fragment jitter): only the processor's video part runs
        again, since the tokens do not change; a full render where the model's processor has no separate video
        processor or its output would not fit the cached tokens."""
        video_processor = getattr(self.processor, "video_processor", None)
        if video_processor is None or "pixel_values_videos" not in part:
            return self.render(row)
        frames, metadata = self._frames(row, row.get(self.video_column))
        fresh = video_processor(
            videos=[frames], video_metadata=[metadata], do_sample_frames=False, return_tensors="pt"
        )
        pixels = fresh.get("pixel_values_videos")
        if pixels is None or pixels.shape != part["pixel_values_videos"].shape:  # e.g. a row with two video blocks
            return self.render(row)
        for name, value in fresh.items():  # grids and the like: what the tokens were laid out for
            if name != "pixel_values_videos" and name in part and not _same(value, part[name]):
                return self.render(row)
        return {**part, "pixel_values_videos": pixels}

    def _render_derived(self, messages: list, kwargs: dict[str, Any]):
        """Processor outputs and the assistant mask from spans derived by prefix renders (a marker-less template)."""
        import torch

        _, spans = assistant_char_spans(_renderer(self.processor, self.chat_template), messages, self._special_tokens)
        out = self.processor.apply_chat_template(
            messages,
            tokenize=True,
            return_dict=True,
            return_tensors="pt",
            chat_template=self.chat_template,
            processor_kwargs={**kwargs, "return_offsets_mapping": True, "return_text_replacement_offsets": True},
        )
        out = dict(out)
        offsets = torch.as_tensor(out.pop("offset_mapping")).reshape(-1, 2).tolist()
        replacements = out.pop("text_replacement_offsets", None)  # per text; an empty tensor when none were made
        replacements = replacements[0] if replacements is not None and len(replacements) else []
        mask = torch.tensor(token_mask(spans, offsets, replacements), dtype=torch.bool)
        return out, mask.reshape(out["input_ids"].shape)

    # --- a batch ------------------------------------------------------------------------------------------
    def __call__(self, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """A batch of ``rows``. A row whose video cannot be decoded is left out with a warning naming it (a
        corrupt file must not end a long run); a batch with no usable row raises the first row's error. Rows are
        taken from the render cache where it holds them."""
        parts, errors = [], []
        for row in rows:
            try:
                # no key (a JSON dump of the messages) is made for a cache that is off
                key = self.cache.key(row, self.messages_column, self.sampling) if self.cache.enabled else None
                misses = self.cache.misses
                part = self.cache.get_or_render(key, lambda: self.render(row))
                if self.fragment_jitter and key is not None and self.cache.misses == misses:  # an earlier render
                    part = self._new_fragments(row, part)
                parts.append(part)
            except VideoError as err:
                errors.append(err)
                logger.warning("skipping row %s: %s", row.get("video_id", "?"), err)
        if not parts:
            raise errors[0]
        return self.merge(parts)

    def merge(self, parts: list[dict[str, Any]]) -> dict[str, Any]:
        """Right-pad the token outputs of single-row renders and join their visual tensors."""
        import torch

        length = max(p["input_ids"].shape[1] for p in parts)
        batch: dict[str, Any] = {}
        pad_values = {"input_ids": self.pad_token_id, "labels": -100, "level_scores": float("nan")}
        for key in (*_TOKEN_KEYS, "labels", "level_scores"):
            present = [p for p in parts if key in p]
            if not present:
                continue
            if len(present) != len(parts):
                if key != "mm_token_type_ids":
                    raise ValueError(f"only some rows produced {key!r}")
                # text-only rows of Qwen: every token is text (type 0)
                for p in parts:
                    p.setdefault(key, torch.zeros_like(p["input_ids"]))
            value = pad_values.get(key, 0)
            batch[key] = torch.cat(
                [
                    torch.nn.functional.pad(
                        torch.as_tensor(p[key]), (0, length - p["input_ids"].shape[1]), value=value
                    )
                    for p in parts
                ]
            )
        visual_keys = sorted({k for p in parts for k in p} - set(batch))
        for key in visual_keys:
            values = [p[key] for p in parts if key in p]
            batch[key] = _join(key, values)
        return batch


def _same(a, b) -> bool:
    import torch

    return torch.equal(torch.as_tensor(a), torch.as_tensor(b))


def _join(key: str, values: list) -> Any:
    """Concatenate per-row visual outputs along their first axis (videos / frames / patches); per-row image stacks
    of different lengths (SmolVLM's ``pixel_values`` (1, N, C, H, W)) are zero-padded along N first, which the
    model drops as padding images."""
    import torch

    if not all(isinstance(v, torch.Tensor) for v in values):
        flat = []
        for v in values:
            flat += list(v) if isinstance(v, (list, tuple)) else [v]
        return torch.as_tensor(flat) if all(isinstance(x, (int, float)) for x in flat) else flat
    if len({tuple(v.shape[1:]) for v in values}) > 1:
        if len({v.dim() for v in values}) > 1 or any(v.dim() < 2 for v in values):
            raise ValueError(f"cannot join {key!r} of shapes {[tuple(v.shape) for v in values]}")
        target = [max(v.shape[d] for v in values) for d in range(1, values[0].dim())]
        padded = []
        for v in values:
            pad = []
            for d in reversed(range(1, v.dim())):
                pad += [0, target[d - 1] - v.shape[d]]
            padded.append(torch.nn.functional.pad(v, pad, value=0))
        values = padded
    return torch.cat(values)
