"""The tiny tokenizers: byte-level BPE trained with ``tokenizers`` on a small built-in corpus.

The corpus holds the words the project needs (the five level words, the quality vocabulary and the dimension
definitions of the catalogue, the words the processors write into prompts such as "seconds" or "Frame"), so
that e.g. `` good`` is one token, as in real vocabularies. Each family gets its own special tokens; the named ones
(``image_token``, ``video_token``, InternVL's ``start_image_token`` ...) are stored as named extras in
``tokenizer_config.json`` and come back as attributes after ``from_pretrained``.

Qwen-family tokenizers are ``Qwen2Tokenizer`` (which rebuilds its pre-tokenizer on load, so the merges are
learnt on the same pre-tokens); SmolVLM and LLaVA-NeXT-Video get ``TokenizersBackend``, the class
``AutoTokenizer`` loads for them anyway (SmolVLM is registered so; a byte-level ``tokenizer.json`` declared as
``LlamaTokenizer`` is loaded as ``TokenizersBackend`` too).
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["SPECIAL_TOKENS", "build_tiny_tokenizer", "tiny_corpus", "train_tiny_bpe"]

_LEVEL_WORDS_ITU = ("bad", "poor", "fair", "good", "excellent")

_BASE_CORPUS = """\
The quality of the video is good.
The quality of this video is excellent.
The quality of the video is fair.
The quality of the video is poor.
The quality of the video is bad.
How would you rate the quality of this video?
How is the quality of this video?
Rate the quality of the video as bad, poor, fair, good or excellent.
The rating is excellent. The rating is good. The rating is fair. The rating is poor. The rating is bad.
Overall, the video quality is good, the sharpness is fair and the noise is poor.
How is the sharpness of this video? The sharpness is good.
How is the noise of this video? The noise is bad.
How is the exposure of this video? The exposure is excellent.
Is the video sharp? Yes, it is. Is the video noisy? No, it is not.
What is the worst aspect of the video? The noise is the worst aspect.
What is the best aspect of the video? The color is the best aspect.
The sharpness, focus, noise, motion blur, stability, exposure, compression, fluency and flicker are distortions.
The content, composition, color, lighting and trajectory are aesthetic dimensions.
Because the frames are blurry and noisy, the overall quality is poor.
Because the camera is steady and the details are clear, the overall quality is excellent.
The video has good sharpness, fair noise, poor stability and excellent color.
The distortion quality is fair and the aesthetic quality is good.
Describe the quality of this video in detail.
Please rate the video. Answer with one word.
You are a helpful assistant.
You are provided the following series of eight frames from a 0:00:04 [H:MM:SS] video.
Frame from 00:01: Frame from 00:02: Frame1: Frame2: Frame3: Frame4: Frame5: Frame6: Frame7: Frame8:
<0.5 seconds> <1.0 seconds> <1.5 seconds> <2.0 seconds> <2.5 seconds> <3.0 seconds> <3.5 seconds>
one two three four five six seven eight nine ten sixteen thirty two
0 1 2 3 4 5 6 7 8 9 10 16 24 25 30 32 64 100
User: Assistant: USER: ASSISTANT: system user assistant
bad poor fair good excellent Bad Poor Fair Good Excellent
"""


def tiny_corpus() -> list[str]:
    """The sentences the tiny tokenizers are trained on (built in, plus the dimension catalogue)."""
    from ..dimensions import DIMENSIONS
    from ..levels import LEVEL_WORDS

    lines = [line for line in _BASE_CORPUS.splitlines() if line.strip()]
    words = tuple(dict.fromkeys((*LEVEL_WORDS, *_LEVEL_WORDS_ITU)))
    for dim in DIMENSIONS:
        lines.append(f"The {dim.name} is {dim.definition}.")
        lines.append(f"How is {dim.definition} in this video?")
        for word in words:
            lines.append(f"The {dim.name} of the video is {word}.")
    for word in words:
        # Level words after a space, after "is", at a sentence start and alone: they must merge to one token.
        lines.extend([f"The rating is {word}.", f"It is {word}", f" {word}", f"{word.capitalize()} quality."] * 4)
    return lines


# The regex Qwen2's tokenizer splits with (Qwen2Tokenizer rebuilds this pipeline when it loads, so the BPE merges
# have to be learnt on the same pre-tokens).
_QWEN2_PRETOKENIZE_REGEX = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
)

# family -> style of the BPE ("qwen2": Qwen2's split regex; "bytelevel": GPT-2 / SmolLM2), the named special
# tokens the processor reads off the tokenizer, the other special tokens, and bos / eos / pad / unk.
SPECIAL_TOKENS: dict[str, dict[str, Any]] = {
    "qwen2_5_vl": {
        "style": "qwen2",
        "named": {
            "image_token": "<|image_pad|>",
            "video_token": "<|video_pad|>",
            "vision_start_token": "<|vision_start|>",
            "vision_end_token": "<|vision_end|>",
        },
        "other": ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        "special": {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "unk_token": None, "bos_token": None},
    },
    "qwen3_vl": {
        "style": "qwen2",
        "named": {
            "image_token": "<|image_pad|>",
            "video_token": "<|video_pad|>",
            "vision_start_token": "<|vision_start|>",
            "vision_end_token": "<|vision_end|>",
        },
        "other": ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        "special": {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "unk_token": None, "bos_token": None},
    },
    "llava_onevision": {
        "style": "qwen2",
        "named": {"image_token": "<image>", "video_token": "<video>"},
        "other": ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        "special": {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "unk_token": None, "bos_token": None},
    },
    "internvl": {
        "style": "qwen2",
        "named": {
            "start_image_token": "<img>",
            "end_image_token": "</img>",
            "context_image_token": "<IMG_CONTEXT>",
            "video_token": "<video>",
        },
        "other": ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        "special": {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "unk_token": None, "bos_token": None},
    },
    "llava_next_video": {
        "style": "bytelevel",
        "named": {"image_token": "<image>", "video_token": "<video>"},
        "other": ["<unk>", "<s>", "</s>"],
        "special": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<unk>"},
    },
    "smolvlm": {
        "style": "bytelevel",
        "named": {
            "image_token": "<image>",
            "video_token": "<video>",
            "fake_image_token": "<fake_token_around_image>",
            "global_image_token": "<global-img>",
            "end_of_utterance_token": "<end_of_utterance>",
        },
        "other": ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
        + [f"<row_{r}_col_{c}>" for r in range(1, 4) for c in range(1, 4)],
        "special": {
            "bos_token": "<|im_start|>",
            "eos_token": "<end_of_utterance>",
            "unk_token": "<|endoftext|>",
            "pad_token": "<|im_end|>",
        },
    },
}

_VOCAB_SIZE = 1024


def _special_tokens(family: str) -> list[str]:
    spec = SPECIAL_TOKENS[family]
    out: list[str] = []
    for tok in [*spec["other"], *spec["named"].values()]:
        if tok not in out:
            out.append(tok)
    return out


def train_tiny_bpe(family: str):
    """Train the byte-level BPE of ``family`` on :func:`tiny_corpus`; returns a ``tokenizers.Tokenizer``."""
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, trainers
    from tokenizers.models import BPE

    style = SPECIAL_TOKENS[family]["style"]
    tok = Tokenizer(BPE(unk_token=None, fuse_unk=False, byte_fallback=False))
    if style == "qwen2":
        tok.normalizer = normalizers.NFC()
        tok.pre_tokenizer = pre_tokenizers.Sequence(
            [
                pre_tokenizers.Split(Regex(_QWEN2_PRETOKENIZE_REGEX), behavior="isolated", invert=False),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
            ]
        )
    else:  # GPT-2 / SmolLM2 style byte-level BPE
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=_VOCAB_SIZE,
        min_frequency=2,
        special_tokens=_special_tokens(family),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(tiny_corpus(), trainer=trainer)
    return tok


def build_tiny_tokenizer(family: str, chat_template: str):
    """The transformers tokenizer of ``family``: the trained BPE, its special tokens and ``chat_template``."""
    from tokenizers import AddedToken

    spec = SPECIAL_TOKENS[family]
    bpe = train_tiny_bpe(family)
    special = {k: v for k, v in spec["special"].items() if v is not None}
    common = dict(
        extra_special_tokens=dict(spec["named"]),
        chat_template=chat_template,
        model_max_length=32768,
        clean_up_tokenization_spaces=False,
        **special,
    )
    if spec["style"] == "qwen2":
        from transformers import Qwen2Tokenizer

        state = json.loads(bpe.to_str())
        vocab = state["model"]["vocab"]
        merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in state["model"]["merges"]]
        tokenizer = Qwen2Tokenizer(vocab=vocab, merges=merges, errors="replace", add_prefix_space=False, **common)
    else:
        from transformers import TokenizersBackend

        tokenizer = TokenizersBackend(tokenizer_object=bpe, add_prefix_space=False, **common)
    # Every family token is special: never split, kept out of BPE, skipped by decode(skip_special_tokens=True).
    tokenizer.add_tokens([AddedToken(t, special=True, normalized=False) for t in _special_tokens(family)], special_tokens=True)
    return tokenizer
