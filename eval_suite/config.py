"""The options of an evaluation run (``s2i eval``), as a dataclass that ``TrlParser`` reads from the command line
or a YAML file."""

from __future__ import annotations

from dataclasses import dataclass, field

from s2i_hf.options import take_alias


__all__ = ["EvalArguments"]


@dataclass
class EvalArguments:
    model: str | None = field(
        default=None,
        metadata={"help": "Video LMM to evaluate: a Hub id or a local folder (base, Stage I, Stage II merged)."},
    )
    adapter: str | None = field(
        default=None, metadata={"help": "A PEFT adapter folder to apply to --model (Stage II LoRA)."}
    )
    vqa: list[str] = field(
        default_factory=list,
        metadata={"help": "VQA sets to score: NAME=DIR, NAME one of the standard sets or any name with --vqa_labels."},
    )
    vqa_labels: list[str] = field(
        default_factory=list,
        metadata={
            "help": "NAME=FILE: the label file of a VQA set (instead of finding the official one in its folder)."
        },
    )
    allow_missing: bool = field(
        default=False,
        metadata={
            "help": "Go on when videos are missing or extra, or the label count is not the release's; "
            "the counts are recorded."
        },
    )
    bench: str | None = field(
        default=None,
        metadata={
            "help": "S2I-Bench: a folder built by `s2i build` (its bench Parquet files) "
            "or a Hub dataset id with a 'bench' config."
        },
    )
    bench_split: str = field(default="test", metadata={"help": "Split of the bench config."})
    bench_limit: int | None = field(
        default=None, metadata={"help": "Use only the first N bench questions (quick checks)."}
    )
    judge: str | None = field(
        default=None,
        metadata={
            "help": "Judge: a causal LM (Hub id or folder), or the model name served at --judge_url. "
            "Without it, only judge-free figures."
        },
    )
    judge_url: str | None = field(
        default=None, metadata={"help": "OpenAI-compatible endpoint of the judge (e.g. http://127.0.0.1:8000/v1)."}
    )
    judge_api_key_env: str | None = field(
        default=None,
        metadata={
            "help": "Environment variable holding the endpoint's key "
            "(default: S2I_JUDGE_API_KEY, then OPENAI_API_KEY)."
        },
    )
    judge_prompts: str | None = field(
        default=None,
        metadata={"help": "Judge prompts YAML (default: the shipped judge_prompts.yaml); its hash is recorded."},
    )
    judge_max_new_tokens: int | None = field(
        default=None, metadata={"help": "Tokens the judge may generate per reply (default: the s2i_bench task's, 32)."}
    )
    max_new_tokens: int | None = field(
        default=None,
        metadata={
            "help": "Tokens the evaluated model may generate per bench answer (default: the s2i_bench task's, 256)."
        },
    )
    num_frames: int | None = field(
        default=None,
        metadata={
            "help": "Frames sampled from each video (recorded with the results). "
            "Default: the sampling in the model's training_summary.json when there is one, else 8."
        },
    )
    fps: float | None = field(
        default=None, metadata={"help": "Sample this many frames per second instead of --num_frames."}
    )
    max_pixels: int | None = field(
        default=None,
        metadata={
            "help": "Cap on each frame's area (default: as in training when the model's training_summary.json says)."
        },
    )
    fragments: int | None = field(
        default=None,
        metadata={
            "help": "Show each frame as a FRAGMENTS x FRAGMENTS mosaic of native-resolution patches; 0: whole frames. "
            "Default: as in training when the model's training_summary.json records fragments, else whole frames."
        },
    )
    fragment_size: int | None = field(
        default=None, metadata={"help": "Side of each fragment in pixels (default: as recorded, else 32)."}
    )
    frame_span: float | None = field(
        default=None,
        metadata={
            "help": "With --num_frames: the frames cover this many seconds around each video's middle instead of the "
            "whole video. Default: as in training when the model's training_summary.json records it and neither "
            "--num_frames, --fps nor --max_pixels is given."
        },
    )
    fragment_views: int = field(
        default=8,
        metadata={
            "help": "With fragments: score each video from this many placements of its fragments and average "
            "(the cells' centres, then seeded places inside the cells, the same for every video of a size; "
            "FAST-VQA's multi-view testing); 1: the centres alone."
        },
    )
    batch_size: int = field(default=4, metadata={"help": "Videos per forward pass when scoring."})
    threads: int | None = field(
        default=None,
        metadata={
            "help": "CPU threads for torch "
            "(default: torch's choice; 1 is often fastest for small models on a shared machine)."
        },
    )
    limit: int | None = field(
        default=None, metadata={"help": "Score only the first N videos of each VQA set (quick checks; recorded)."}
    )
    trust_remote_code: bool = field(default=False, metadata={"help": "Allow model code from the Hub."})
    output_dir: str | None = field(
        default=None, metadata={"help": "Folder for results JSON files, plots, predictions and answers."}
    )
    quiet: bool = field(default=False, metadata={"help": "No progress bars."})
    out: str | None = field(default=None, metadata={"help": "Deprecated spelling of --output_dir."})

    def __post_init__(self):
        take_alias(self, "out")
