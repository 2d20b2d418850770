"""Instruction text from quality levels: the hierarchical justification, QA items, bench questions, and
rating extraction / verification for rating-protected rewriting. Templates are data: ``catalog/text.yaml``."""

from .justify import justification
from .questions import bench_items, conversation, stage1_items, stage2_items
from .ratings import build_rewrite_prompt, extract_ratings, rating_sentences, verify_rewrite

__all__ = [
    "bench_items",
    "build_rewrite_prompt",
    "conversation",
    "extract_ratings",
    "justification",
    "rating_sentences",
    "stage1_items",
    "stage2_items",
    "verify_rewrite",
]
