"""Publishing to the Hugging Face Hub: a built dataset, a trained model, results files.

Each push first *stages* the exact files of the upload in a folder (cards rendered from the artifacts, the
benchmark's ``eval.yaml``, ``.eval_results`` entries, weights, processor), then uploads that folder in one commit
with :meth:`huggingface_hub.HfApi.upload_folder` (after ``create_repo(exist_ok=True)``; a new ``--revision``
branch is created first). ``dry_run=DIR`` stages into ``DIR`` and uploads nothing, so ``DIR`` holds exactly
what would be uploaded.

Tokens come from huggingface_hub's usual places (``HF_TOKEN``, the token saved by ``hf auth login``); this
module never reads, prints or logs the token itself, it only checks that one is configured.

Model repo layout (``weights``):

- ``auto`` (default): the top level holds a complete model: the merged model if training wrote one, else the
  Stage I model, else the Stage II adapter (on a Hub base model). The adapter is added in ``adapter/`` when the
  top level is the Stage I model it applies to, or when no Stage I ran (its base is then the Hub base model). With
  a merged model *and* a Stage I model the adapter is left out (it needs the Stage I weights; the merged model
  already contains it).
- ``merged``: only the merged model.
- ``adapter``: the adapter plus what it needs: the Stage I model at the top level and the adapter in
  ``adapter/`` if Stage I ran, else the adapter at the top level.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field

from s2i_hf.artifacts import SUMMARY_FILE, EvalRecord, is_hub_id, is_repo_id, iter_results, load_training_summary
from s2i_hf.data_layout import table_files

from .model_card import LOSS_PLOT, STAGE_TITLES, STAGES, Layout, render_model_card, update_card_results


__all__ = [
    "PushOptions",
    "PushResult",
    "push_dataset",
    "push_model",
    "push_results",
    "stage_dataset",
    "stage_model",
    "stage_results",
]

WEIGHTS = ("auto", "merged", "adapter")
ADAPTER_SUBFOLDER = "adapter"
# Trainer state that sits beside saved weights and has no place in a published model.
_TRAINING_JUNK = (
    "optimizer.pt",
    "optimizer.bin",
    "scheduler.pt",
    "scaler.pt",
    "trainer_state.json",
    "training_args.bin",
)


@dataclass
class PushResult:
    """What a push did (or, with ``dry_run``, would do)."""

    repo_id: str
    repo_type: str
    files: list[str]
    dry_run_dir: str | None = None
    commit_url: str | None = None
    pr_url: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        from huggingface_hub import constants

        prefix = {"dataset": "datasets/", "space": "spaces/"}.get(self.repo_type, "")
        return f"{constants.ENDPOINT}/{prefix}{self.repo_id}"


@dataclass(frozen=True)
class PushOptions:
    """Where and how a push goes, the same for :func:`push_dataset`, :func:`push_model` and :func:`push_results`
    (their keyword arguments): ``private`` (a new repo), ``revision`` (a branch, created from main if missing),
    ``create_pr`` (a pull request against main), ``dry_run`` (stage into this folder, upload nothing), ``token``
    (default: huggingface_hub's), ``commit_message`` (default: one per kind of push)."""

    private: bool = False
    revision: str | None = None
    create_pr: bool = False
    dry_run: str | None = None
    token: str | None = None
    commit_message: str | None = None


# --- staging helpers ------------------------------------------------------------------------------------
def _place(src: str, dst: str) -> None:
    """Hard-link (cheap for multi-GB weights) or copy ``src`` to ``dst``."""
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _write(path: str, data: str | bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data.encode("utf-8") if isinstance(data, str) else data)


def _listing(folder: str) -> list[str]:
    out = []
    for root, _, files in os.walk(folder):
        out += [os.path.relpath(os.path.join(root, f), folder).replace(os.sep, "/") for f in files]
    return sorted(out)


def _prepare_staging(dry_run: str | None) -> tuple[str, bool]:
    """The folder to stage into: ``dry_run`` (must be empty or absent) or a temporary one (``True``: remove it)."""
    if dry_run is None:
        return tempfile.mkdtemp(prefix="s2i-push-"), True
    if os.path.exists(dry_run) and (not os.path.isdir(dry_run) or os.listdir(dry_run)):
        raise FileExistsError(
            f"--dry-run {dry_run}: the folder must be empty or absent (it receives exactly the files to upload)"
        )
    os.makedirs(dry_run, exist_ok=True)
    return dry_run, False


def _check_repo_id(repo_id: str) -> None:
    if not is_repo_id(repo_id):
        raise ValueError(f"{repo_id!r} is not a Hub repo id (expected 'namespace/name')")


# --- dataset ----------------------------------------------------------------------------------------------
def stage_dataset(folder: str, repo_id: str, staging: str) -> list[str]:
    """Stage a built S2I folder (``s2i build`` output) for ``repo_id``: Parquet configs, card, plot, report, and
    ``eval.yaml`` when it has a ``bench`` config. Hidden entries (score cache, build scratch) stay local."""
    from huggingface_hub import DatasetCard

    from .leaderboard import bench_eval_yaml

    readme = os.path.join(folder, "README.md")
    if not os.path.isfile(readme):
        raise FileNotFoundError(f"{folder}: no README.md (not a folder written by `s2i build`)")
    card = DatasetCard.load(readme)
    configs = [c.get("config_name") for c in (card.data.to_dict().get("configs") or [])]
    if not configs:
        raise ValueError(
            f"{readme}: the card declares no configs (YAML `configs:`), load_dataset could not read the upload"
        )
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if name.startswith(".") or name == "README.md":
                continue
            src = os.path.join(root, name)
            _place(src, os.path.join(staging, os.path.relpath(src, folder)))
    if os.path.isfile(os.path.join(staging, "build_report.json")):
        report_path = os.path.join(staging, "build_report.json")
        with open(report_path, encoding="utf-8") as fh:
            report = json.load(fh)
        if "out" in report:  # a local absolute path: not for publication
            os.unlink(report_path)  # a hard link: never write through it
            report["out"] = repo_id
            _write(report_path, json.dumps(report, indent=2, sort_keys=True))
    local_name = os.path.basename(os.path.abspath(folder))
    text = str(card).replace(f'load_dataset("{local_name}"', f'load_dataset("{repo_id}"')
    _write(os.path.join(staging, "README.md"), text)
    if "bench" in configs:
        _write(os.path.join(staging, "eval.yaml"), bench_eval_yaml(repo_id, questions=_bench_questions(folder)))
    return _listing(staging)


def _bench_questions(folder: str) -> int | None:
    """How many bench questions a build folder holds (the ``questions`` lists of its bench videos)."""
    files = table_files(folder, "bench")
    if not files:
        return None
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    return sum(
        int(pc.sum(pc.list_value_length(pq.read_table(f, columns=["questions"])["questions"])).as_py() or 0)
        for f in files
    )


# --- model ------------------------------------------------------------------------------------------------
def _existing(train_dir: str, summary: dict, name: str) -> str | None:
    rel = (summary.get("outputs") or {}).get(name) or name
    path = rel if os.path.isabs(rel) else os.path.join(train_dir, rel)
    return path if os.path.isdir(path) and os.listdir(path) else None


def _copy_saved(src: str, dst: str) -> None:
    """The files ``save_pretrained`` wrote (top level only: no checkpoints, no trainer state, no README)."""
    for name in sorted(os.listdir(src)):
        path = os.path.join(src, name)
        if (
            not os.path.isfile(path)
            or name.startswith((".", "rng_state"))
            or name == "README.md"
            or name in _TRAINING_JUNK
        ):
            continue
        _place(path, os.path.join(dst, name))


def _set_adapter_base(adapter_dir: str, base: str | None) -> None:
    path = os.path.join(adapter_dir, "adapter_config.json")
    with open(path, encoding="utf-8") as fh:
        config = json.load(fh)
    config["base_model_name_or_path"] = base
    os.unlink(path)  # may be a hard link to the training output: replace, never write through
    _write(path, json.dumps(config, indent=2, sort_keys=True) + "\n")


def _choose_layout(
    weights: str, have: dict[str, str | None], repo_id: str, base_model: str | None
) -> tuple[str, str | None, str | None]:
    """``(root, adapter_subfolder, adapter_base)`` for the ``weights`` rule (see the module docstring)."""
    merged, stage1, stage2 = have["merged"], have["stage1"], have["stage2"]
    hub_base = base_model if is_hub_id(base_model) else None
    if weights == "merged":
        if not merged:
            raise FileNotFoundError("--weights merged: the training output has no merged model")
        return "merged", None, None
    if weights == "adapter":
        if not stage2:
            raise FileNotFoundError("--weights adapter: the training output has no Stage II adapter")
        if stage1:
            return "stage1", ADAPTER_SUBFOLDER, repo_id
        if not hub_base:
            raise ValueError(
                f"--weights adapter: the adapter's base model {base_model!r} is not a Hub id; "
                "push the merged model instead"
            )
        return "adapter", None, hub_base
    if weights != "auto":
        raise ValueError(f"weights must be one of {WEIGHTS}, got {weights!r}")
    if merged:
        if stage2 and not stage1 and hub_base:
            return "merged", ADAPTER_SUBFOLDER, hub_base
        return "merged", None, None
    if stage1:
        return ("stage1", ADAPTER_SUBFOLDER, repo_id) if stage2 else ("stage1", None, None)
    if stage2:
        if not hub_base:
            raise ValueError(
                f"the adapter's base model {base_model!r} is not a Hub id and there is no merged model to push"
            )
        return "adapter", None, hub_base
    raise FileNotFoundError("the training output holds no model (no merged/, stage1/ or stage2/ folder)")


def stage_model(
    train_dir: str,
    repo_id: str,
    staging: str,
    *,
    weights: str = "auto",
    results: Sequence = (),
    benchmarks: dict[str, str] | None = None,
) -> tuple[list[str], Layout]:
    """Stage a training output folder (``s2i train``) for ``repo_id``: weights per ``weights``, processor,
    ``training_summary.json``, loss plot, model card; with ``results``, also ``results/*.json`` and
    ``.eval_results/*.yaml``. Returns the staged files and the :class:`Layout`."""
    summary = load_training_summary(train_dir)
    have = {name: _existing(train_dir, summary, name) for name in ("stage1", "stage2", "merged")}
    root, subfolder, adapter_base = _choose_layout(weights, have, repo_id, summary.get("base_model"))
    source = {"merged": have["merged"], "stage1": have["stage1"], "adapter": have["stage2"]}[root]
    _copy_saved(source, staging)
    if root == "adapter":
        _set_adapter_base(staging, adapter_base)
    if subfolder:
        sub = os.path.join(staging, subfolder)
        _copy_saved(have["stage2"], sub)
        _set_adapter_base(sub, adapter_base)
    _place(os.path.join(train_dir, SUMMARY_FILE), os.path.join(staging, SUMMARY_FILE))
    from s2i_hf.plots import plot_training_loss

    loss_path = os.path.join(staging, LOSS_PLOT)
    loss_plot = LOSS_PLOT if plot_training_loss(summary, loss_path, stages=STAGES, titles=STAGE_TITLES) else None
    results = list(iter_results(results))
    if results:
        _stage_results_files(results, staging, benchmarks, repo_id)
    layout = Layout(root, subfolder, adapter_base)
    card = render_model_card(
        repo_id, summary, [r for _, r in results], layout=layout, benchmarks=benchmarks, loss_plot=loss_plot
    )
    _write(os.path.join(staging, "README.md"), str(card))
    return _listing(staging), layout


# --- results ----------------------------------------------------------------------------------------------
def _stage_results_files(
    results: list[tuple[str | None, EvalRecord]], staging: str, benchmarks, repo_id: str
) -> list[str]:
    from .leaderboard import eval_results_files

    files, skipped = eval_results_files([r for _, r in results], benchmarks)
    for name, text in files.items():
        _write(os.path.join(staging, name), text)
    for path, r in results:
        dst = os.path.join(staging, "results", os.path.basename(path) if path else r.filename)
        if os.path.exists(dst):
            raise ValueError(
                f"two results files for results/{os.path.basename(dst)} (same model, dataset and split): give one"
            )
        if path:
            _place(path, dst)
        else:
            _write(dst, json.dumps(r.to_dict(), indent=2) + "\n")
    return [
        f"{r.dataset} ({r.split}): no Hub dataset id, kept in model-index only (give --benchmark {r.dataset}=org/name)"
        for r in skipped
    ]


def stage_results(
    results: Sequence,
    repo_id: str,
    staging: str,
    *,
    card_text: str | None = None,
    benchmarks: dict[str, str] | None = None,
) -> tuple[list[str], list[str]]:
    """Stage results files for a model repo: ``.eval_results/*.yaml``, ``results/*.json`` and README.md (the
    published card ``card_text`` with the results merged into its model-index and table, or a results-only
    card). Returns ``(files, notes)``."""
    loaded = list(iter_results(results))
    if not loaded:
        raise ValueError("no results files given")
    notes = _stage_results_files(loaded, staging, benchmarks, repo_id)
    card = update_card_results(card_text, repo_id, [r for _, r in loaded], benchmarks)
    _write(os.path.join(staging, "README.md"), str(card))
    return _listing(staging), notes


# --- upload -----------------------------------------------------------------------------------------------
def _api(token: str | None):
    from huggingface_hub import HfApi, get_token

    if token is None and get_token() is None:
        raise PermissionError("no Hugging Face token found: log in with `hf auth login` or set HF_TOKEN")
    return HfApi(token=token, library_name="s2i-hf")


def _upload(
    staging: str, repo_id: str, repo_type: str, options: PushOptions, commit_message: str
) -> tuple[str, str | None]:
    revision, create_pr = options.revision, options.create_pr
    if create_pr and revision not in (None, "main"):
        raise ValueError("--create-pr opens a pull request against main: do not combine it with --revision")
    api = _api(options.token)
    api.create_repo(repo_id, repo_type=repo_type, private=options.private, exist_ok=True)
    if revision not in (None, "main") and not create_pr:
        api.create_branch(repo_id, branch=revision, repo_type=repo_type, exist_ok=True)
    info = api.upload_folder(
        repo_id=repo_id,
        repo_type=repo_type,
        folder_path=staging,
        commit_message=commit_message,
        revision=None if create_pr else revision,
        create_pr=create_pr,
    )
    return info.commit_url, info.pr_url


def _push(repo_id: str, repo_type: str, stage, default_message: str, options: PushOptions) -> PushResult:
    """Stage with ``stage(staging)`` -> ``(files, notes)``, then upload (unless ``options.dry_run``)."""
    _check_repo_id(repo_id)
    staging, temporary = _prepare_staging(options.dry_run)
    try:
        files, notes = stage(staging)
        result = PushResult(
            repo_id=repo_id, repo_type=repo_type, files=files, dry_run_dir=options.dry_run, notes=notes
        )
        if options.dry_run is None:
            message = options.commit_message or default_message
            result.commit_url, result.pr_url = _upload(staging, repo_id, repo_type, options, message)
        return result
    finally:
        if temporary:
            shutil.rmtree(staging, ignore_errors=True)


def push_dataset(folder: str, repo_id: str, **options) -> PushResult:
    """Publish a built S2I folder as the dataset repo ``repo_id`` (``load_dataset(repo_id, "stage1")`` then works).
    ``options``: :class:`PushOptions`."""
    opts = PushOptions(**options)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{folder}: no such folder")
    return _push(
        repo_id,
        "dataset",
        lambda staging: (stage_dataset(folder, repo_id, staging), []),
        "Upload S2I dataset with s2i-hf",
        opts,
    )


def push_model(
    train_dir: str,
    repo_id: str,
    *,
    weights: str = "auto",
    results: Sequence = (),
    benchmarks: dict[str, str] | None = None,
    **options,
) -> PushResult:
    """Publish a training output folder as the model repo ``repo_id`` (layout: see the module docstring).
    ``options``: :class:`PushOptions`."""
    opts = PushOptions(**options)
    if not os.path.isdir(train_dir):
        raise FileNotFoundError(f"{train_dir}: no such folder")

    def stage(staging):
        files, layout = stage_model(
            train_dir, repo_id, staging, weights=weights, results=results, benchmarks=benchmarks
        )
        notes = [
            f"top level: {layout['root']}"
            + (
                f"; adapter in {layout['adapter_subfolder']}/ (base {layout['adapter_base']})"
                if layout["adapter_subfolder"]
                else ""
            )
        ]
        return files, notes

    return _push(repo_id, "model", stage, "Upload S2I-tuned model with s2i-hf", opts)


def _published_card(repo_id: str, revision: str | None, token: str | None) -> tuple[str | None, str | None]:
    """The README of ``repo_id`` (or None) and a note when it could not be read."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import (
        EntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    try:
        path = hf_hub_download(repo_id, "README.md", revision=revision, token=token)
    except (EntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError):
        return None, None
    except Exception as err:  # noqa: BLE001 - offline or unreachable: a dry run still works, with a fresh card
        return (
            None,
            f"could not read the published card ({type(err).__name__}): the staged README is a results-only card",
        )
    with open(path, encoding="utf-8") as fh:
        return fh.read(), None


def push_results(
    results: Sequence, repo_id: str, *, benchmarks: dict[str, str] | None = None, **options
) -> PushResult:
    """Add results files to the model repo ``repo_id``: ``.eval_results`` entries, the files themselves and the card's
    model-index/evaluation table (merged into the published card). ``options``: :class:`PushOptions`."""
    opts = PushOptions(**options)
    if not results:
        raise ValueError("no results files given")

    def stage(staging):
        card_text, note = _published_card(repo_id, None if opts.create_pr else opts.revision, opts.token)
        files, notes = stage_results(results, repo_id, staging, card_text=card_text, benchmarks=benchmarks)
        return files, ([note] if note else []) + notes

    return _push(repo_id, "model", stage, "Add evaluation results with s2i-hf", opts)
