"""Tiny random video LMMs, built offline, for tests and examples.

:func:`make_tiny_model` writes a folder that ``AutoProcessor.from_pretrained(folder)`` and
``AutoModelForImageTextToText.from_pretrained(folder)`` load with no network: the family's real model,
processor, image processor and video processor classes from transformers, a few-layer model with a tiny vision
tower and random weights, a byte-level BPE tokenizer trained with ``tokenizers`` on a small built-in corpus
(the five level words, the quality vocabulary, the family's special tokens) and a chat template in the family's
style with ``{% generation %}`` markers around the assistant answer *and* its end-of-turn token, so that
``apply_chat_template(..., return_assistant_tokens_mask=True)`` marks exactly what the model must learn to say.

>>> from s2i_hf.testing import make_tiny_model, TINY_FAMILIES
>>> path = make_tiny_model("qwen2_5_vl", "/tmp/tiny-qwen2_5_vl")  # doctest: +SKIP

:data:`FAMILY_INFO` documents, per family, the end-of-turn token, what the assistant mask starts with, where the
vision tower / projector / language model live in the loaded model and how to hand pre-sampled frames to the
processor (:meth:`TinyFamily.frames_kwargs`) or let it sample a file (:meth:`TinyFamily.sampling_kwargs`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

__all__ = ["TINY_FAMILIES", "FAMILY_INFO", "TinyFamily", "make_tiny_model", "tiny_corpus", "get_module"]

TINY_FAMILIES: tuple[str, ...] = ("qwen2_5_vl", "qwen3_vl", "llava_onevision", "llava_next_video", "smolvlm", "internvl")


@dataclass(frozen=True)
class TinyFamily:
    """What a trainer or a test needs to know about one family (true of the tiny models and of the real ones).

    ``assistant_prefix`` is the text the assistant mask starts with before the answer: families whose template
    puts the answer right after ``Assistant:`` / ``ASSISTANT:`` (SmolVLM, LLaVA-NeXT-Video) start the answer
    with a space, which belongs to the first answer token in a byte-level BPE, so the mask covers it.
    Module paths are dotted attribute paths from the ``...ForConditionalGeneration`` object.
    """

    name: str
    model_type: str
    end_of_turn: str
    assistant_prefix: str
    vision: str
    projector: tuple[str, ...]
    language: str
    video_token: str
    # Extra processor kwargs needed with a video, beyond the frames / sampling ones (SmolVLM: the template).
    needs_explicit_template: bool = False
    # Saved default that must be cleared to sample by fps instead ("num_frames") or by count ("fps").
    conflicting_default: str | None = None

    def expected_assistant_text(self, answer: str) -> str:
        """What the assistant tokens of a one-answer conversation decode to."""
        return f"{self.assistant_prefix}{answer}{self.end_of_turn}"

    def frames_kwargs(self, metadata: dict | None = None) -> dict[str, Any]:
        """``processor_kwargs`` for a pre-sampled (T, C, H, W) uint8 tensor or a list of frames.

        ``metadata`` (keys of ``transformers.video_utils.VideoMetadata``: ``total_num_frames``, ``fps``,
        ``frames_indices``, ``duration``, ...) gives the frames their true timestamps (Qwen3-VL and SmolVLM
        print them in the prompt; Qwen2.5-VL derives its temporal position ids from the sampled fps).
        """
        kwargs: dict[str, Any] = {"do_sample_frames": False}
        if metadata is not None:
            kwargs["video_metadata"] = [dict(metadata)]
        return kwargs

    def sampling_kwargs(self, num_frames: int | None = None, fps: float | None = None) -> dict[str, Any]:
        """``processor_kwargs`` to let the processor decode a video file and sample ``num_frames`` or ``fps``."""
        if (num_frames is None) == (fps is None):
            raise ValueError("give exactly one of num_frames and fps")
        kwargs: dict[str, Any] = {"do_sample_frames": True}
        if num_frames is not None:
            kwargs["num_frames"] = int(num_frames)
            kwargs["fps"] = None
        else:
            kwargs["fps"] = float(fps)
            kwargs["num_frames"] = None
        return kwargs


FAMILY_INFO: dict[str, TinyFamily] = {
    "qwen2_5_vl": TinyFamily(
        name="qwen2_5_vl",
        model_type="qwen2_5_vl",
        end_of_turn="<|im_end|>",
        assistant_prefix="",
        vision="model.visual",
        projector=("model.visual.merger",),
        language="model.language_model",
        video_token="<|video_pad|>",
        conflicting_default="fps",
    ),
    "qwen3_vl": TinyFamily(
        name="qwen3_vl",
        model_type="qwen3_vl",
        end_of_turn="<|im_end|>",
        assistant_prefix="",
        vision="model.visual",
        projector=("model.visual.merger", "model.visual.deepstack_merger_list"),
        language="model.language_model",
        video_token="<|video_pad|>",
        conflicting_default="fps",
    ),
    "llava_onevision": TinyFamily(
        name="llava_onevision",
        model_type="llava_onevision",
        end_of_turn="<|im_end|>",
        assistant_prefix="",
        vision="model.vision_tower",
        projector=("model.multi_modal_projector",),
        language="model.language_model",
        video_token="<video>",
        conflicting_default="num_frames",
    ),
    "llava_next_video": TinyFamily(
        name="llava_next_video",
        model_type="llava_next_video",
        end_of_turn="</s>",
        assistant_prefix=" ",
        vision="model.vision_tower",
        projector=("model.multi_modal_projector",),
        language="model.language_model",
        video_token="<video>",
        conflicting_default="num_frames",
    ),
    "smolvlm": TinyFamily(
        name="smolvlm",
        model_type="smolvlm",
        end_of_turn="<end_of_utterance>",
        assistant_prefix=" ",
        vision="model.vision_model",
        projector=("model.connector",),
        language="model.text_model",
        video_token="<video>",
        needs_explicit_template=True,
        conflicting_default="num_frames",
    ),
    "internvl": TinyFamily(
        name="internvl",
        model_type="internvl",
        end_of_turn="<|im_end|>",
        assistant_prefix="",
        vision="model.vision_tower",
        projector=("model.multi_modal_projector",),
        language="model.language_model",
        video_token="<video>",
        conflicting_default="num_frames",
    ),
}


def get_module(model, dotted: str):
    """``get_module(model, "model.visual")`` -> the sub-module at that attribute path."""
    obj = model
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


# --------------------------------------------------------------------------------------------------- corpus

LEVEL_WORDS_FALLBACK = ("bad", "poor", "fair", "good", "excellent")

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
    lines = [line for line in _BASE_CORPUS.splitlines() if line.strip()]
    try:
        from .dimensions import DIMENSIONS
        from .levels import LEVEL_WORDS
    except Exception:  # pragma: no cover - the catalogue is part of the package
        DIMENSIONS, LEVEL_WORDS = (), LEVEL_WORDS_FALLBACK
    words = tuple(LEVEL_WORDS) or LEVEL_WORDS_FALLBACK
    for dim in DIMENSIONS:
        lines.append(f"The {dim.name} is {dim.definition}.")
        lines.append(f"How is {dim.definition} in this video?")
        for word in words:
            lines.append(f"The {dim.name} of the video is {word}.")
    for word in words:
        # Level words after a space, after "is", at a sentence start and alone: they must merge to one token.
        lines.extend([f"The rating is {word}.", f"It is {word}", f" {word}", f"{word.capitalize()} quality."] * 4)
    return lines


# ------------------------------------------------------------------------------------------------ templates

# ChatML (Qwen2.5-VL): default system prompt, media as <|vision_start|><|video_pad|><|vision_end|>.
_QWEN2_5_VL_TEMPLATE = (
    "{%- set image_count = namespace(value=0) %}{%- set video_count = namespace(value=0) %}"
    "{%- for message in messages %}"
    "{%- if loop.first and message['role'] != 'system' %}{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{%- endif %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' }}"
    "{%- if message['role'] == 'assistant' %}{%- generation %}"
    "{%- if message['content'] is string %}{{- message['content'] }}{%- else %}"
    "{%- for content in message['content'] %}{%- if 'text' in content %}{{- content['text'] }}{%- endif %}{%- endfor %}"
    "{%- endif %}{{- '<|im_end|>' }}{%- endgeneration %}{{- '\\n' }}"
    "{%- else %}"
    "{%- if message['content'] is string %}{{- message['content'] }}{%- else %}"
    "{%- for content in message['content'] %}"
    "{%- if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{%- set image_count.value = image_count.value + 1 %}{%- if add_vision_id %}Picture {{ image_count.value }}: {% endif -%}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{%- elif content['type'] == 'video' or 'video' in content %}"
    "{%- set video_count.value = video_count.value + 1 %}{%- if add_vision_id %}Video {{ video_count.value }}: {% endif -%}"
    "<|vision_start|><|video_pad|><|vision_end|>"
    "{%- elif 'text' in content %}{{- content['text'] }}{%- endif %}"
    "{%- endfor %}{%- endif %}{{- '<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)

# ChatML (Qwen3-VL): no default system prompt.
_QWEN3_VL_TEMPLATE = (
    "{%- set image_count = namespace(value=0) %}{%- set video_count = namespace(value=0) %}"
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' }}"
    "{%- if message['role'] == 'assistant' %}{%- generation %}"
    "{%- if message['content'] is string %}{{- message['content'] }}{%- else %}"
    "{%- for content in message['content'] %}{%- if 'text' in content %}{{- content['text'] }}{%- endif %}{%- endfor %}"
    "{%- endif %}{{- '<|im_end|>' }}{%- endgeneration %}{{- '\\n' }}"
    "{%- else %}"
    "{%- if message['content'] is string %}{{- message['content'] }}{%- else %}"
    "{%- for content in message['content'] %}"
    "{%- if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{%- set image_count.value = image_count.value + 1 %}{%- if add_vision_id %}Picture {{ image_count.value }}: {% endif -%}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{%- elif content['type'] == 'video' or 'video' in content %}"
    "{%- set video_count.value = video_count.value + 1 %}{%- if add_vision_id %}Video {{ video_count.value }}: {% endif -%}"
    "<|vision_start|><|video_pad|><|vision_end|>"
    "{%- elif 'text' in content %}{{- content['text'] }}{%- endif %}"
    "{%- endfor %}{%- endif %}{{- '<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)

# LLaVA-OneVision (llava-hf style ChatML: "<|im_start|>user <video>\ntext<|im_end|>").
_LLAVA_ONEVISION_TEMPLATE = (
    "{%- for message in messages %}"
    "{%- if message['role'] == 'assistant' %}"
    "{{- '<|im_start|>assistant\\n' }}{%- generation %}"
    "{%- if message['content'] is string %}{{- message['content'] }}{%- else %}"
    "{%- for content in message['content'] | selectattr('type', 'equalto', 'text') %}{{- content['text'] }}{%- endfor %}"
    "{%- endif %}{{- '<|im_end|>' }}{%- endgeneration %}{{- '\\n' }}"
    "{%- else %}"
    "{{- '<|im_start|>' + message['role'] + ' ' }}"
    "{%- if message['content'] is string %}{{- '\\n' + message['content'] }}{%- else %}"
    "{%- for content in message['content'] | selectattr('type', 'equalto', 'image') %}{{- '<image>' }}{%- endfor %}"
    "{%- for content in message['content'] | selectattr('type', 'equalto', 'video') %}{{- '<video>' }}{%- endfor %}"
    "{%- for content in message['content'] | selectattr('type', 'equalto', 'text') %}{{- '\\n' + content['text'] }}{%- endfor %}"
    "{%- endif %}{{- '<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)

# LLaVA-NeXT-Video (Vicuna style: "USER: <video>\ntext ASSISTANT: answer</s>").
_LLAVA_NEXT_VIDEO_TEMPLATE = (
    "{{- bos_token }}"
    "{%- for message in messages %}"
    "{%- if message['role'] == 'assistant' %}"
    "{{- 'ASSISTANT:' }}{%- generation %}{{- ' ' }}"
    "{%- if message['content'] is string %}{{- message['content'] }}{%- else %}"
    "{%- for content in message['content'] | selectattr('type', 'equalto', 'text') %}{{- content['text'] }}{%- endfor %}"
    "{%- endif %}{{- eos_token }}{%- endgeneration %}"
    "{%- else %}"
    "{%- if message['role'] != 'system' %}{{- message['role'].upper() + ': ' }}{%- endif %}"
    "{%- if message['content'] is string %}{{- message['content'] }}{%- else %}"
    "{%- for content in message['content'] | selectattr('type', 'equalto', 'image') %}{{- '<image>\\n' }}{%- endfor %}"
    "{%- for content in message['content'] | selectattr('type', 'equalto', 'video') %}{{- '<video>\\n' }}{%- endfor %}"
    "{%- for content in message['content'] | selectattr('type', 'equalto', 'text') %}{{- content['text'] }}{%- endfor %}"
    "{%- endif %}{{- ' ' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- 'ASSISTANT:' }}{%- endif %}"
)

# SmolVLM / SmolVLM2 ("<|im_start|>User:<video>text<end_of_utterance>\nAssistant: answer<end_of_utterance>\n").
_SMOLVLM_TEMPLATE = (
    "<|im_start|>"
    "{%- for message in messages %}"
    "{%- if message['role'] == 'assistant' %}"
    "{{- 'Assistant:' }}{%- generation %}"
    "{%- if message['content'] is string %}{{- ' ' + message['content'] }}{%- else %}"
    "{%- if message['content'][0]['type'] not in ['image', 'video'] %}{{- ' ' }}{%- endif %}"
    "{%- for line in message['content'] %}"
    "{%- if line['type'] == 'text' %}{{- line['text'] }}{%- elif line['type'] == 'image' %}{{- '<image>' }}"
    "{%- elif line['type'] == 'video' %}{{- '<video>' }}{%- endif %}"
    "{%- endfor %}{%- endif %}{{- '<end_of_utterance>' }}{%- endgeneration %}{{- '\\n' }}"
    "{%- else %}"
    "{{- message['role'] | capitalize }}"
    "{%- if message['content'] is string %}{{- ': ' + message['content'] }}{%- else %}"
    "{%- if message['content'][0]['type'] in ['image', 'video'] %}{{- ':' }}{%- else %}{{- ': ' }}{%- endif %}"
    "{%- for line in message['content'] %}"
    "{%- if line['type'] == 'text' %}{{- line['text'] }}{%- elif line['type'] == 'image' %}{{- '<image>' }}"
    "{%- elif line['type'] == 'video' %}{{- '<video>' }}{%- endif %}"
    "{%- endfor %}{%- endif %}{{- '<end_of_utterance>\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- 'Assistant:' }}{%- endif %}"
)

# InternVL3 (-hf): ChatML, images as <IMG_CONTEXT>, videos as <video> (expanded to "Frame1: <img>...</img>").
_INTERNVL_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' }}"
    "{%- if message['role'] == 'assistant' %}{%- generation %}"
    "{%- if message['content'] is string %}{{- message['content'] }}{%- else %}"
    "{%- for content in message['content'] %}{%- if content['type'] == 'text' %}{{- content['text'] }}{%- endif %}{%- endfor %}"
    "{%- endif %}{{- '<|im_end|>' }}{%- endgeneration %}{{- '\\n' }}"
    "{%- else %}"
    "{%- if message['content'] is string %}{{- message['content'] }}{%- else %}"
    "{%- for content in message['content'] %}"
    "{%- if content['type'] == 'image' %}{{- '<IMG_CONTEXT>\\n' }}"
    "{%- elif content['type'] == 'video' %}{{- '<video>\\n' }}"
    "{%- elif content['type'] == 'text' %}{{- content['text'] }}{%- endif %}"
    "{%- endfor %}{%- endif %}{{- '<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


# ----------------------------------------------------------------------------------------------- tokenizers

# The regex Qwen2's tokenizer splits with (Qwen2Tokenizer rebuilds this pipeline when it loads, so the BPE merges
# have to be learnt on the same pre-tokens).
_QWEN2_PRETOKENIZE_REGEX = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
)

# family -> (style, named special tokens, other special tokens, bos, eos, pad, unk)
_TOKENS: dict[str, dict[str, Any]] = {
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
    spec = _TOKENS[family]
    out: list[str] = []
    for tok in [*spec["other"], *spec["named"].values()]:
        if tok not in out:
            out.append(tok)
    return out


def _train_bpe(family: str):
    """Train the byte-level BPE of ``family`` on :func:`tiny_corpus`; returns a ``tokenizers.Tokenizer``."""
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, trainers
    from tokenizers.models import BPE

    style = _TOKENS[family]["style"]
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


def _build_tokenizer(family: str, chat_template: str):
    from tokenizers import AddedToken

    spec = _TOKENS[family]
    bpe = _train_bpe(family)
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


# ----------------------------------------------------------------------------------------------- the models

_TEXT = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2)
_TEXT_HEAD_DIM = 16  # 64 / 4
FRAME_SIZE = 32  # side of a frame after the video processor (LLaVA-*, SmolVLM, InternVL); Qwen: <= 64x64 pixels
PATCH = 8
DEFAULT_NUM_FRAMES = 8


def _ids(tokenizer, family: str) -> dict[str, int | None]:
    spec = _TOKENS[family]
    out = {name: tokenizer.convert_tokens_to_ids(tok) for name, tok in spec["named"].items()}
    for name in ("bos_token", "eos_token", "pad_token"):
        tok = spec["special"].get(name)
        out[name] = tokenizer.convert_tokens_to_ids(tok) if tok is not None else None
    return out


def _text_common(tokenizer, ids, **extra):
    return dict(
        vocab_size=len(tokenizer),
        max_position_embeddings=4096,
        bos_token_id=ids["bos_token"],
        eos_token_id=ids["eos_token"],
        pad_token_id=ids["pad_token"],
        tie_word_embeddings=False,
        **_TEXT,
        **extra,
    )


def _qwen2_5_vl(tokenizer, ids):
    from transformers import (
        Qwen2_5_VLConfig,
        Qwen2_5_VLForConditionalGeneration,
        Qwen2_5_VLProcessor,
        Qwen2VLImageProcessor,
        Qwen2VLVideoProcessor,
    )

    config = Qwen2_5_VLConfig(
        text_config=_text_common(
            tokenizer,
            ids,
            rope_parameters={"rope_type": "default", "rope_theta": 1000000.0, "mrope_section": [2, 3, 3]},
        ),
        vision_config=dict(
            depth=2,
            hidden_size=32,
            intermediate_size=64,
            num_heads=2,
            patch_size=PATCH,
            temporal_patch_size=2,
            spatial_merge_size=2,
            window_size=2 * 2 * PATCH,
            fullatt_block_indexes=[1],
            out_hidden_size=_TEXT["hidden_size"],
            tokens_per_second=2,
        ),
        image_token_id=ids["image_token"],
        video_token_id=ids["video_token"],
        vision_start_token_id=ids["vision_start_token"],
        vision_end_token_id=ids["vision_end_token"],
        tie_word_embeddings=False,
    )
    pix = dict(patch_size=PATCH, temporal_patch_size=2, merge_size=2)
    image_processor = Qwen2VLImageProcessor(size={"shortest_edge": 16 * 16, "longest_edge": 64 * 64}, **pix)
    video_processor = Qwen2VLVideoProcessor(
        size={"shortest_edge": 16 * 16, "longest_edge": 64 * 64},
        min_frames=2,
        max_frames=DEFAULT_NUM_FRAMES,
        fps=2,
        do_sample_frames=True,
        cap_pixels_per_frame=False,
        **pix,
    )
    processor = Qwen2_5_VLProcessor(image_processor=image_processor, tokenizer=tokenizer, video_processor=video_processor)
    return config, Qwen2_5_VLForConditionalGeneration, processor


def _qwen3_vl(tokenizer, ids):
    from transformers import Qwen2VLImageProcessor, Qwen3VLConfig, Qwen3VLForConditionalGeneration, Qwen3VLProcessor, Qwen3VLVideoProcessor

    config = Qwen3VLConfig(
        text_config=_text_common(
            tokenizer,
            ids,
            head_dim=_TEXT_HEAD_DIM,
            rope_parameters={"rope_type": "default", "rope_theta": 5000000.0, "mrope_section": [4, 2, 2], "mrope_interleaved": True},
        ),
        vision_config=dict(
            depth=2,
            hidden_size=32,
            intermediate_size=64,
            num_heads=2,
            patch_size=PATCH,
            temporal_patch_size=2,
            spatial_merge_size=2,
            out_hidden_size=_TEXT["hidden_size"],
            num_position_embeddings=64,  # an 8x8 grid, interpolated to the frame's patch grid
            deepstack_visual_indexes=[0],
        ),
        image_token_id=ids["image_token"],
        video_token_id=ids["video_token"],
        vision_start_token_id=ids["vision_start_token"],
        vision_end_token_id=ids["vision_end_token"],
        tie_word_embeddings=False,
    )
    pix = dict(patch_size=PATCH, temporal_patch_size=2, merge_size=2)
    image_processor = Qwen2VLImageProcessor(size={"shortest_edge": 16 * 16, "longest_edge": 64 * 64}, **pix)
    video_processor = Qwen3VLVideoProcessor(
        # Qwen3-VL budgets pixels over the whole clip (frames x height x width)
        size={"shortest_edge": 2 * 16 * 16, "longest_edge": DEFAULT_NUM_FRAMES * 64 * 64},
        min_frames=2,
        max_frames=DEFAULT_NUM_FRAMES,
        fps=2,
        do_sample_frames=True,
        cap_pixels_per_frame=False,
        **pix,
    )
    processor = Qwen3VLProcessor(image_processor=image_processor, tokenizer=tokenizer, video_processor=video_processor)
    return config, Qwen3VLForConditionalGeneration, processor


def _siglip_vision(**extra):
    return dict(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        image_size=FRAME_SIZE,
        patch_size=PATCH,
        **extra,
    )


_PINPOINTS = [[FRAME_SIZE, FRAME_SIZE], [FRAME_SIZE, 2 * FRAME_SIZE], [2 * FRAME_SIZE, FRAME_SIZE], [2 * FRAME_SIZE, 2 * FRAME_SIZE]]


def _llava_onevision(tokenizer, ids):
    from transformers import (
        LlavaOnevisionConfig,
        LlavaOnevisionForConditionalGeneration,
        LlavaOnevisionImageProcessor,
        LlavaOnevisionProcessor,
        LlavaOnevisionVideoProcessor,
    )

    config = LlavaOnevisionConfig(
        vision_config={"model_type": "siglip_vision_model", **_siglip_vision(vision_use_head=False)},
        text_config={"model_type": "qwen2", **_text_common(tokenizer, ids)},
        image_token_index=ids["image_token"],
        video_token_index=ids["video_token"],
        vision_feature_select_strategy="full",
        vision_feature_layer=-1,
        image_grid_pinpoints=_PINPOINTS,
        vision_aspect_ratio="anyres_max_9",
        tie_word_embeddings=False,
    )
    size = {"height": FRAME_SIZE, "width": FRAME_SIZE}
    image_processor = LlavaOnevisionImageProcessor(size=size, image_grid_pinpoints=_PINPOINTS)
    video_processor = LlavaOnevisionVideoProcessor(size=size, num_frames=DEFAULT_NUM_FRAMES, do_sample_frames=True)
    processor = LlavaOnevisionProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=video_processor,
        num_image_tokens=(FRAME_SIZE // PATCH) ** 2,
        vision_feature_select_strategy="full",
        vision_aspect_ratio="anyres_max_9",
    )
    return config, LlavaOnevisionForConditionalGeneration, processor


def _llava_next_video(tokenizer, ids):
    from transformers import (
        LlavaNextImageProcessor,
        LlavaNextVideoConfig,
        LlavaNextVideoForConditionalGeneration,
        LlavaNextVideoProcessor,
        LlavaNextVideoVideoProcessor,
    )

    patches = (FRAME_SIZE // PATCH) ** 2
    config = LlavaNextVideoConfig(
        vision_config={"model_type": "clip_vision_model", "projection_dim": 32, **_siglip_vision()},
        text_config={"model_type": "llama", **_text_common(tokenizer, ids)},
        image_token_index=ids["image_token"],
        video_token_index=ids["video_token"],
        vision_feature_select_strategy="default",
        vision_feature_layer=-2,
        image_grid_pinpoints=_PINPOINTS,
        spatial_pool_mode="average",
        spatial_pool_stride=2,
        image_seq_length=patches,
        video_seq_length=patches // 4,
        tie_word_embeddings=False,
    )
    image_processor = LlavaNextImageProcessor(
        size={"shortest_edge": FRAME_SIZE},
        crop_size={"height": FRAME_SIZE, "width": FRAME_SIZE},
        image_grid_pinpoints=_PINPOINTS,
    )
    video_processor = LlavaNextVideoVideoProcessor(
        size={"shortest_edge": FRAME_SIZE},
        crop_size={"height": FRAME_SIZE, "width": FRAME_SIZE},
        num_frames=DEFAULT_NUM_FRAMES,
        do_sample_frames=True,
    )
    processor = LlavaNextVideoProcessor(
        video_processor=video_processor,
        image_processor=image_processor,
        tokenizer=tokenizer,
        patch_size=PATCH,
        vision_feature_select_strategy="default",
        num_additional_image_tokens=1,  # CLIP's CLS token
    )
    return config, LlavaNextVideoForConditionalGeneration, processor


def _smolvlm(tokenizer, ids):
    from transformers import SmolVLMConfig, SmolVLMForConditionalGeneration, SmolVLMImageProcessor, SmolVLMProcessor, SmolVLMVideoProcessor

    scale_factor = 2
    config = SmolVLMConfig(
        vision_config=dict(
            hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, image_size=FRAME_SIZE, patch_size=PATCH
        ),
        text_config={"model_type": "llama", **_text_common(tokenizer, ids)},
        image_token_id=ids["image_token"],
        scale_factor=scale_factor,
        pad_token_id=ids["pad_token"],
        tie_word_embeddings=False,
    )
    image_processor = SmolVLMImageProcessor(
        size={"longest_edge": 2 * FRAME_SIZE},
        max_image_size={"longest_edge": FRAME_SIZE},
        do_image_splitting=False,
    )
    video_processor = SmolVLMVideoProcessor(
        size={"longest_edge": FRAME_SIZE},
        max_image_size={"longest_edge": FRAME_SIZE},
        num_frames=DEFAULT_NUM_FRAMES,
        fps=1,
        do_sample_frames=True,
    )
    processor = SmolVLMProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=video_processor,
        image_seq_len=(FRAME_SIZE // PATCH) ** 2 // scale_factor**2,
    )
    return config, SmolVLMForConditionalGeneration, processor


def _internvl(tokenizer, ids):
    from transformers import GotOcr2ImageProcessor, InternVLConfig, InternVLForConditionalGeneration, InternVLProcessor, InternVLVideoProcessor

    downsample = 0.5
    seq = int((FRAME_SIZE // PATCH) ** 2 * downsample**2)
    config = InternVLConfig(
        vision_config=dict(
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=2,
            image_size=[FRAME_SIZE, FRAME_SIZE],
            patch_size=[PATCH, PATCH],
        ),
        text_config={"model_type": "qwen2", **_text_common(tokenizer, ids)},
        image_token_id=ids["context_image_token"],
        image_seq_length=seq,
        downsample_ratio=downsample,
        vision_feature_layer=-1,
        vision_feature_select_strategy="default",
        tie_word_embeddings=False,
    )
    size = {"height": FRAME_SIZE, "width": FRAME_SIZE}
    image_processor = GotOcr2ImageProcessor(size=size, crop_to_patches=False, min_patches=1, max_patches=4)
    video_processor = InternVLVideoProcessor(size=size, num_frames=DEFAULT_NUM_FRAMES, do_sample_frames=True)
    processor = InternVLProcessor(
        image_processor=image_processor, tokenizer=tokenizer, video_processor=video_processor, image_seq_length=seq
    )
    return config, InternVLForConditionalGeneration, processor


_BUILDERS = {
    "qwen2_5_vl": (_qwen2_5_vl, _QWEN2_5_VL_TEMPLATE),
    "qwen3_vl": (_qwen3_vl, _QWEN3_VL_TEMPLATE),
    "llava_onevision": (_llava_onevision, _LLAVA_ONEVISION_TEMPLATE),
    "llava_next_video": (_llava_next_video, _LLAVA_NEXT_VIDEO_TEMPLATE),
    "smolvlm": (_smolvlm, _SMOLVLM_TEMPLATE),
    "internvl": (_internvl, _INTERNVL_TEMPLATE),
}


def make_tiny_model(family: str, path: str | os.PathLike, *, seed: int = 0) -> str:
    """Build a tiny random video LMM of ``family`` (one of :data:`TINY_FAMILIES`) into the folder ``path``.

    The folder holds ``config.json``, ``model.safetensors``, ``generation_config.json``, the tokenizer files,
    the processor / image processor / video processor configs and ``chat_template.jinja``; load it with
    ``AutoProcessor.from_pretrained(path)`` and ``AutoModelForImageTextToText.from_pretrained(path)``.
    Works offline, never uses remote code; the same ``seed`` gives the same weights and files. Returns ``path``.
    """
    if family not in _BUILDERS:
        raise ValueError(f"unknown tiny model family {family!r}; choose one of {', '.join(TINY_FAMILIES)}")
    import torch

    path = os.fspath(path)
    os.makedirs(path, exist_ok=True)
    builder, template = _BUILDERS[family]
    tokenizer = _build_tokenizer(family, template)
    ids = _ids(tokenizer, family)
    config, model_cls, processor = builder(tokenizer, ids)
    processor.chat_template = template

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = model_cls(config)
    model.eval()
    gen = model.generation_config
    gen.eos_token_id = ids["eos_token"]
    gen.pad_token_id = ids["pad_token"]
    if ids["bos_token"] is not None:
        gen.bos_token_id = ids["bos_token"]
    gen.do_sample = False

    model.save_pretrained(path)
    processor.save_pretrained(path)
    return path
