"""Tiny random video LMMs, built offline, for tests and examples.

:func:`make_tiny_model` writes a folder that ``AutoProcessor.from_pretrained(folder)`` and
``AutoModelForImageTextToText.from_pretrained(folder)`` load with no network: the family's real model,
processor, image processor and video processor classes from transformers, a few-layer model with a tiny vision
tower and random weights, a byte-level BPE tokenizer trained with ``tokenizers`` on a small built-in corpus
(the five level words, the quality vocabulary, the family's special tokens) and a chat template in the family's
style with ``{% generation %}`` markers around the assistant answer *and* its end-of-turn token, so that
``apply_chat_template(..., return_assistant_tokens_mask=True)`` marks exactly what the model must learn to say.

>>> from s2i_hf.testing import FAMILY_INFO, TINY_FAMILIES, make_tiny_model
>>> path = make_tiny_model("qwen2_5_vl", "/tmp/tiny-qwen2_5_vl")  # doctest: +SKIP
>>> FAMILY_INFO["smolvlm"].end_of_turn
'<end_of_utterance>'

:data:`FAMILY_INFO` holds, per family, the end-of-turn token, what the assistant mask starts with, where the
vision tower / projector / language model live in the loaded model, and how to give the processor pre-sampled
frames (:meth:`TinyFamily.frames_kwargs`) or let it sample a file (:meth:`TinyFamily.sampling_kwargs`). These
facts, and what the tiny models are built from (class names, special tokens, tokenizer style), are data in
``s2i_hf/catalog/model_families.yaml``; the chat templates are whole files in ``s2i_hf/catalog/chat_templates/``
(:data:`CHAT_TEMPLATES`: family -> template text).
Importing this package is cheap: torch and transformers load when a model is built.

:class:`HubServer` is a small in-memory Hub on 127.0.0.1 (repo creation, preupload, commit, LFS, file
resolution, tree listing) for testing publishing end to end; ``HubServer().activate()`` points the HF stack at it.

:func:`star_field` draws a night sky and :func:`text_page` a page of text, the scenes the exposure checks need and no
real content in the wheels holds.
"""

from .families import CHAT_TEMPLATES, FAMILY_INFO, TINY_FAMILIES, TinyFamily, get_module, get_modules, get_parameters
from .hub_server import HubServer
from .models import DEFAULT_NUM_FRAMES, FRAME_SIZE, PATCH_SIZE, make_tiny_model
from .scenes import star_field, text_page
from .tokenization import tiny_corpus


__all__ = [
    "CHAT_TEMPLATES",
    "DEFAULT_NUM_FRAMES",
    "FAMILY_INFO",
    "FRAME_SIZE",
    "HubServer",
    "PATCH_SIZE",
    "TINY_FAMILIES",
    "TinyFamily",
    "get_module",
    "get_modules",
    "get_parameters",
    "make_tiny_model",
    "star_field",
    "text_page",
    "tiny_corpus",
]
