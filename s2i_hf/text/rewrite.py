"""Optional language diversity: an LLM rewrites justifications with rating protection; a video LMM captions.

Both load any Hub id or local folder through the Auto classes (``trust_remote_code`` only when asked); the rewriter
generates with :class:`s2i_hf.generation.LocalLM`, the captioner sees frames from :func:`s2i_hf.frames.sample_frames`.
A rewrite is *verified* (:func:`s2i_hf.text.verify.verify_rewrite`): every level the original states must be
stated unchanged, nothing may be added. A rewrite that fails is rejected and the templated text is kept.
"""

from __future__ import annotations

import hashlib
from typing import Any, Callable

from ..generation import ContextTooLong, LocalLM


__all__ = ["Rewriter", "make_rewriter", "make_captioner", "CAPTION_PROMPT"]

CAPTION_PROMPT = "Describe the content of this video in one short sentence."


def _seed_of(*parts: str) -> int:
    return int(hashlib.sha256(":".join(parts).encode()).hexdigest()[:8], 16)


class Rewriter:
    """Callable ``(text, record) -> (text, accepted)``; counts what it accepted and rejected."""

    def __init__(self, model, tokenizer, *, model_id: str, max_new_tokens: int = 256, temperature: float = 0.7):
        self.lm = LocalLM(model, tokenizer, model_id=model_id)
        self.model_id = model_id
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self.stats = {"attempted": 0, "accepted": 0, "rejected": 0}
        self.rejections: dict[str, int] = {}

    @property
    def model(self):
        return self.lm.model

    @property
    def tokenizer(self):
        return self.lm.tokenizer

    def generate(self, prompt: str, seed: int) -> str | None:
        """The model's rewrite, or None when the prompt plus the token budget does not fit its context."""
        try:
            return self.lm.generate(
                prompt, max_new_tokens=self.max_new_tokens, temperature=self.temperature, seed=seed
            )
        except ContextTooLong:
            return None

    def __call__(self, text: str, record: dict[str, Any]) -> tuple[str, bool]:
        from .verify import build_rewrite_prompt, verify_rewrite

        self.stats["attempted"] += 1
        candidate = self.generate(
            build_rewrite_prompt(text), _seed_of(self.model_id, record.get("video_id", ""), text)
        )
        if candidate is None:
            ok, reasons = False, ["too long: the prompt and the token budget exceed the model's context"]
        else:
            ok, reasons = verify_rewrite(text, candidate)
        if ok:
            self.stats["accepted"] += 1
            return candidate, True
        self.stats["rejected"] += 1
        for reason in reasons[:1]:
            key = reason.split(":")[0]
            self.rejections[key] = self.rejections.get(key, 0) + 1
        return text, False


def make_rewriter(
    model_id: str,
    *,
    max_new_tokens: int = 256,
    temperature: float = 0.7,
    trust_remote_code: bool = False,
    device: str | None = None,
) -> Rewriter:
    lm = LocalLM.from_pretrained(model_id, trust_remote_code=trust_remote_code, device=device)
    return Rewriter(lm.model, lm.tokenizer, model_id=model_id, max_new_tokens=max_new_tokens, temperature=temperature)


def make_captioner(
    model_id: str,
    *,
    num_frames: int = 8,
    max_new_tokens: int = 48,
    prompt: str = CAPTION_PROMPT,
    trust_remote_code: bool = False,
) -> Callable[[dict], str]:
    """A callable ``record -> caption`` backed by a video LMM (Auto classes); it sees ``num_frames`` frames spread
    evenly over the video (:func:`s2i_hf.frames.sample_frames`, the frames models see in training and scoring)."""
    import torch
    from transformers import AutoModelForImageTextToText, AutoProcessor

    from ..frames import FrameSampling, sample_frames

    processor = AutoProcessor.from_pretrained(model_id, trust_remote_code=trust_remote_code)
    model = AutoModelForImageTextToText.from_pretrained(model_id, trust_remote_code=trust_remote_code).eval()
    sampling = FrameSampling(num_frames=num_frames)

    def caption(record: dict) -> str:
        frames, metadata = sample_frames(record["video_path"], sampling)
        messages = [{"role": "user", "content": [{"type": "video"}, {"type": "text", "text": prompt}]}]
        text = processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        inputs = processor(
            text=text, videos=[frames], video_metadata=[metadata], return_tensors="pt", do_sample_frames=False
        )
        with torch.no_grad():
            out = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False)
        words = processor.batch_decode(out[:, inputs["input_ids"].shape[1] :], skip_special_tokens=True)[0].strip()
        return " ".join(words.split())

    return caption
