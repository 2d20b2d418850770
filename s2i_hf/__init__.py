"""s2i-hf: Score2Instruct on the Hugging Face stack.

Score videos on 14 quality dimensions, turn the scores into instruction data, tune and evaluate video LMMs.
Importing the package is cheap and touches no network; heavy parts load when used.
"""

__version__ = "0.1.0.dev0"

from .dimensions import AGGREGATION, DIMENSION_IDS, DIMENSIONS, GROUPS, get_dimension  # noqa: E402
from .levels import DEFAULT_SCALE, LEVEL_WORDS, LevelScale, expected_score, level_to_score, score_to_level  # noqa: E402


__all__ = [
    "__version__",
    "AGGREGATION",
    "DIMENSIONS",
    "DIMENSION_IDS",
    "GROUPS",
    "get_dimension",
    "DEFAULT_SCALE",
    "LEVEL_WORDS",
    "LevelScale",
    "expected_score",
    "level_to_score",
    "score_to_level",
]
