"""The tiny tokenizers: byte-level BPE trained with ``tokenizers`` on a small built-in corpus.

The corpus holds the words the project needs (the five level words, the quality vocabulary and the dimension
definitions of the catalogue, the words the processors write into prompts such as "seconds" or "Frame"), so
that e.g. `` good`` is one token, as in real vocabularies. Each family gets its own special tokens (listed in
``catalog/model_families.yaml``, with the BPE style and Qwen2's split regex); the named ones
(``image_token``, ``video_token``, InternVL's ``start_image_token`` ...) are stored as named extras in
``tokenizer_config.json`` and come back as attributes after ``from_pretrained``.

Qwen-family tokenizers are ``Qwen2Tokenizer`` (which rebuilds its pre-tokenizer on load, so the merges are
learnt on the same pre-tokens); SmolVLM and LLaVA-NeXT-Video get ``TokenizersBackend``, the class
``AutoTokenizer`` loads for them anyway (SmolVLM is registered so; a byte-level ``tokenizer.json`` declared as
``LlamaTokenizer`` is loaded as ``TokenizersBackend`` too).
"""

from __future__ import annotations

import json

from .families import FAMILY_INFO, TokenizerSpec


__all__ = ["build_tiny_tokenizer", "tiny_corpus", "train_tiny_bpe"]

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


_VOCAB_SIZE = 1024


def _spec(family: str) -> TokenizerSpec:
    return FAMILY_INFO[family].tokenizer


def train_tiny_bpe(family: str):
    """Train the byte-level BPE of ``family`` on :func:`tiny_corpus`; returns a ``tokenizers.Tokenizer``."""
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, trainers
    from tokenizers.models import BPE

    spec = _spec(family)
    tok = Tokenizer(BPE(unk_token=None, fuse_unk=False, byte_fallback=False))
    if spec.style == "qwen2":
        tok.normalizer = normalizers.NFC()
        tok.pre_tokenizer = pre_tokenizers.Sequence(
            [
                # Qwen2's split regex (Qwen2Tokenizer rebuilds this pipeline when it loads)
                pre_tokenizers.Split(
                    Regex(spec.style_facts()["pretokenize_regex"]), behavior="isolated", invert=False
                ),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
            ]
        )
    else:  # GPT-2 / SmolLM2 style byte-level BPE
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=_VOCAB_SIZE,
        min_frequency=2,
        special_tokens=spec.special_tokens(),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(tiny_corpus(), trainer=trainer)
    return tok


def build_tiny_tokenizer(family: str, chat_template: str):
    """The transformers tokenizer of ``family``: the trained BPE, its special tokens and ``chat_template``."""
    from tokenizers import AddedToken

    spec = _spec(family)
    bpe = train_tiny_bpe(family)
    special = {k: v for k, v in spec.special.items() if v is not None}
    common = dict(
        extra_special_tokens=dict(spec.named),
        chat_template=chat_template,
        model_max_length=32768,
        clean_up_tokenization_spaces=False,
        **special,
    )
    if spec.style == "qwen2":
        from transformers import Qwen2Tokenizer

        state = json.loads(bpe.to_str())
        vocab = state["model"]["vocab"]
        merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in state["model"]["merges"]]
        tokenizer = Qwen2Tokenizer(vocab=vocab, merges=merges, errors="replace", add_prefix_space=False, **common)
    else:
        from transformers import TokenizersBackend

        tokenizer = TokenizersBackend(tokenizer_object=bpe, add_prefix_space=False, **common)
    # Every family token is special: never split, kept out of BPE, skipped by decode(skip_special_tokens=True).
    added = [AddedToken(t, special=True, normalized=False) for t in spec.special_tokens()]
    tokenizer.add_tokens(added, special_tokens=True)
    return tokenizer
