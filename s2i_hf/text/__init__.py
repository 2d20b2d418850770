"""Instruction text from quality levels (Score2Instruct): the hierarchical chain-of-thought justification,
Stage I / Stage II question-answer rows, S2I-Bench questions, and rating extraction / verification for
rating-protected rewriting. The templates and the vocabulary are data: ``s2i_hf/catalog/templates.yaml``.

Input: one record per scored video, ``{"video_id", "scores", "levels", "group_levels", "overall_level",
"caption"}`` (see :func:`record_from_scores`). Everything is deterministic in (seed, video_id, task).
"""

from .cot import justification, validate_record
from .qa import (
    TASKS,
    bench_items,
    conversation,
    record_from_scores,
    stage1_conversation,
    stage1_items,
    stage2_items,
    what_how_items,
    yes_no_items,
)
from .verify import (
    ParsedRatings,
    build_rewrite_prompt,
    check_templates,
    expected_ratings,
    extract_ratings,
    parse_ratings,
    verify_rewrite,
)


__all__ = [
    "TASKS",
    "ParsedRatings",
    "bench_items",
    "build_rewrite_prompt",
    "check_templates",
    "conversation",
    "expected_ratings",
    "extract_ratings",
    "justification",
    "parse_ratings",
    "record_from_scores",
    "stage1_conversation",
    "stage1_items",
    "stage2_items",
    "validate_record",
    "verify_rewrite",
    "what_how_items",
    "yes_no_items",
]
