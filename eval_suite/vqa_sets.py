"""Standard VQA test sets from their official label files and a local folder of videos.

The sets, their label files, expected sizes and naming rules are data: ``vqa_sets.yaml`` (KoNViD-1k,
LIVE-VQC, LSVQ test, LSVQ-1080p, Maxwell validation). :func:`read_vqa_set` finds the label file in the video
folder (or its parent), reads it, matches every label to a video file and reports, by name, labelled videos
that are missing and video files that have no label. Missing videos, a label count that is not the release's
and unlabelled videos in a folder that holds only this set are errors unless ``allow_missing`` is set; then
the run goes on and the counts are recorded (:meth:`VQASet.summary`).

Maxwell labels are read with :func:`s2i_hf.label_files.read_maxwell_labels` (the reader the
dataset builder uses for training labels); videos come back as the builder's
:class:`~s2i_hf.label_files.LabeledVideo`. A set not in the manifest works with an explicit label
file (CSV with a name column and ``mos``, a MAT file, a ``labels.txt`` or a JSON list).
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass, field
from functools import lru_cache

from s2i_hf.catalog import read_yaml
from s2i_hf.label_files import NAME_COLUMNS, LabeledVideo, read_maxwell_labels
from s2i_hf.video import VIDEO_EXTENSIONS


__all__ = [
    "VQASet",
    "VQASetError",
    "VIDEO_EXTENSIONS",
    "load_manifest",
    "read_labels",
    "read_vqa_set",
    "vqa_set_names",
]

_MANIFEST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vqa_sets.yaml")
_SCORE_KEYS = ("mos", "gt_score", "score")
_JSON_NAME_KEYS = ("name", "video", "img_path", "path", "filename", "file_name", "file")
_SHOW = 20  # names listed in an error message


class VQASetError(ValueError):
    """A VQA set that does not match its release (missing or extra videos, a wrong label count)."""


@lru_cache(maxsize=None)
def load_manifest() -> dict:
    return read_yaml(_MANIFEST)


def vqa_set_names() -> list[str]:
    return list(load_manifest())


@dataclass
class VQASet:
    """A VQA set read from its labels: ``videos`` (found, with ``mos``), and what did not match."""

    name: str
    title: str
    video_dir: str
    labels_file: str
    labels_kind: str
    videos: list[LabeledVideo]
    n_labels: int
    expected: tuple[int, ...] = ()
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def paths(self) -> list[str]:
        return [v.path for v in self.videos]

    @property
    def mos(self) -> list[float]:
        return [float(v.mos) for v in self.videos]

    def __len__(self):
        return len(self.videos)

    def summary(self, max_names: int = 50) -> dict:
        """What a results file records about the set."""
        return {
            "labels_file": os.path.basename(self.labels_file),
            "labels_kind": self.labels_kind,
            "n_labels": self.n_labels,
            "expected": list(self.expected),
            "n_missing": len(self.missing),
            "missing": self.missing[:max_names],
            "n_extra": len(self.extra),
            "extra": self.extra[:max_names],
        }


def _listed(names: list[str]) -> str:
    shown = ", ".join(names[:_SHOW])
    return shown + (f" ... and {len(names) - _SHOW} more" if len(names) > _SHOW else "")


# --- label files ---------------------------------------------------------------------------------------


def _float(value, where: str) -> float:
    try:
        v = float(str(value).strip())
    except (TypeError, ValueError):
        raise ValueError(f"{where}: MOS {value!r} is not a number") from None
    if v != v:
        raise ValueError(f"{where}: MOS is NaN")
    return v


def _read_csv(path: str, spec: dict) -> list[tuple[str, float]]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = [(h or "").strip() for h in (reader.fieldnames or [])]
        lower = {h.lower(): h for h in header}
        name_col = (
            lower.get(str(spec["name"]).lower())
            if spec.get("name")
            else next((lower[c] for c in NAME_COLUMNS if c in lower), None)
        )
        mos_col = lower.get(str(spec.get("mos", "mos")).lower())
        if name_col is None or mos_col is None:
            want = spec.get("name") or "/".join(NAME_COLUMNS)
            raise ValueError(
                f"{path}: expected a name column ({want}) and a MOS column ({spec.get('mos', 'mos')}); "
                f"the header has {header}"
            )
        out = []
        for n, row in enumerate(reader, start=2):
            row = {(k or "").strip(): v for k, v in row.items()}
            name = (row.get(name_col) or "").strip()
            if not name:
                raise ValueError(f"{path}:{n}: empty video name")
            out.append((name, _float(row.get(mos_col), f"{path}:{n}")))
    return out


def _mat_strings(value) -> list[str]:
    """Names from a MAT variable: a cell array (object array of 1-element arrays) or a char/string array."""
    import numpy as np

    out = []
    for item in np.asarray(value).ravel():
        while isinstance(item, np.ndarray):
            item = item.ravel()[0] if item.size else ""
        if isinstance(item, bytes):
            item = item.decode("utf-8", errors="replace")
        out.append(str(item).strip())
    return out


def _read_mat(path: str, spec: dict) -> list[tuple[str, float]]:
    import numpy as np
    from scipy import io as sio

    try:
        data = sio.loadmat(path)
    except NotImplementedError:
        raise ValueError(
            f"{path}: a MATLAB v7.3 (HDF5) file, which scipy cannot read; save it as v7 or use a labels.txt"
        ) from None
    except Exception as err:
        raise ValueError(f"{path}: not a readable MAT file ({err})") from None
    name_key, mos_key = spec.get("name", "video_list"), spec.get("mos", "mos")
    keys = [k for k in data if not k.startswith("__")]
    if name_key not in data or mos_key not in data:
        raise ValueError(f"{path}: expected the variables {name_key!r} and {mos_key!r}; the file has {keys}")
    names = _mat_strings(data[name_key])
    mos = np.asarray(data[mos_key], dtype=np.float64).ravel()
    if len(names) != len(mos):
        raise ValueError(f"{path}: {len(names)} names in {name_key!r} but {len(mos)} values in {mos_key!r}")
    if not np.all(np.isfinite(mos)):
        raise ValueError(f"{path}: {mos_key!r} holds values that are not finite numbers")
    return [(n, float(m)) for n, m in zip(names, mos)]


def _read_labels_txt(path: str, spec: dict) -> list[tuple[str, float]]:
    out = []
    with open(path, encoding="utf-8-sig") as fh:
        for n, line in enumerate(fh, start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            fields = [f.strip() for f in line.split(",")]
            if len(fields) < 2:
                raise ValueError(f"{path}:{n}: expected 'name, ..., mos', got {line[:80]!r}")
            try:
                mos = float(fields[-1])
            except ValueError:
                if not out:  # a header line
                    continue
                raise ValueError(f"{path}:{n}: MOS {fields[-1]!r} is not a number") from None
            out.append((fields[0], mos))
    return out


def _read_json(path: str, spec: dict) -> list[tuple[str, float]]:
    with open(path, encoding="utf-8") as fh:
        try:
            data = json.load(fh)
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}: not JSON ({err})") from None
    if isinstance(data, dict):
        data = next((v for v in data.values() if isinstance(v, list)), None)
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of {{name, mos}} objects")
    out = []
    for i, row in enumerate(data):
        if not isinstance(row, dict):
            raise ValueError(f"{path}: item {i} is not an object")
        name_key = next((k for k in _JSON_NAME_KEYS if k in row), None)
        score_key = next((k for k in _SCORE_KEYS if k in row), None)
        if name_key is None or score_key is None:
            raise ValueError(
                f"{path}: item {i} needs a name ({'/'.join(_JSON_NAME_KEYS)}) and a score "
                f"({'/'.join(_SCORE_KEYS)}); has {sorted(row)}"
            )
        out.append((str(row[name_key]).strip(), _float(row[score_key], f"{path}: item {i}")))
    return out


def _read_maxwell(path: str, spec: dict) -> list[tuple[str, float]]:
    folder = os.path.dirname(os.path.abspath(path))
    names = next(
        (os.path.join(folder, f) for f in spec.get("names") or [] if os.path.isfile(os.path.join(folder, f))), None
    )
    # video_dir="" keeps the names as written in the labels: matching to files is done here
    return [(v.path, float(v.mos)) for v in read_maxwell_labels(path, video_dir="", names=names)]


_READERS = {
    "csv": _read_csv,
    "mat": _read_mat,
    "labels_txt": _read_labels_txt,
    "json": _read_json,
    "maxwell": _read_maxwell,
}


def _kind_from_file(path: str) -> dict:
    ext = os.path.splitext(path)[1].lower()
    if ext == ".mat":
        return {"kind": "mat", "name": "video_list", "mos": "mos"}
    if ext == ".json":
        return {"kind": "json"}
    if ext == ".txt":
        return {"kind": "labels_txt"}
    if ext == ".csv":
        with open(path, newline="", encoding="utf-8-sig") as fh:
            header = {h.strip() for h in (next(csv.reader(fh), None) or [])}
        if {"O", "T-1", "A-1"} <= header:
            return {"kind": "maxwell"}
        return {"kind": "csv", "name": None, "mos": "mos"}
    raise ValueError(f"{path}: unknown label file type {ext!r} (use .csv, .mat, .txt or .json)")


def read_labels(path: str, spec: dict | None = None) -> list[tuple[str, float]]:
    """``(name, mos)`` pairs of a label file, in file order. ``spec`` is a manifest entry of ``labels``
    (inferred from the file when None)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: label file not found")
    spec = dict(spec or _kind_from_file(path))
    reader = _READERS.get(spec.get("kind"))
    if reader is None:
        raise ValueError(f"{path}: unknown label kind {spec.get('kind')!r}; kinds: {', '.join(_READERS)}")
    return reader(path, spec)


def find_labels(name: str, video_dir: str) -> tuple[str, dict]:
    """The first label file of set ``name`` present in ``video_dir`` or its parent."""
    entry = load_manifest()[name]
    places = [video_dir, os.path.dirname(os.path.abspath(video_dir))]
    for spec in entry["labels"]:
        for place in places:
            path = os.path.join(place, spec["file"])
            if os.path.isfile(path):
                return path, spec
    wanted = ", ".join(s["file"] for s in entry["labels"])
    raise FileNotFoundError(
        f"{video_dir}: no label file of {entry['title']} found here or in the parent folder (looked for {wanted})"
    )


# --- matching labels to files ---------------------------------------------------------------------------


def _index(video_dir: str) -> list[str]:
    out = []
    for root, dirs, files in os.walk(video_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for f in sorted(files):
            if os.path.splitext(f)[1].lower() in VIDEO_EXTENSIONS:
                out.append(os.path.relpath(os.path.join(root, f), video_dir).replace(os.sep, "/"))
    return out


def _stem(rel: str) -> str:
    root, ext = os.path.splitext(rel)
    return root if ext.lower() in VIDEO_EXTENSIONS else rel


def read_vqa_set(
    name: str,
    video_dir: str,
    *,
    labels: str | None = None,
    allow_missing: bool = False,
    expected: int | list[int] | None = None,
    exclusive: bool | None = None,
) -> VQASet:
    """Read a VQA set: labels (found by the manifest, or ``labels``) matched to the videos in ``video_dir``.

    Raises :class:`VQASetError` naming the videos when labelled videos are missing, when the number of labels
    is not one of the release's sizes (``expected`` overrides the manifest), or when the folder of a set that
    has it to itself (``exclusive``) holds unlabelled videos; with ``allow_missing`` these are recorded in the
    returned set instead.
    """
    if not os.path.isdir(video_dir):
        raise FileNotFoundError(f"{video_dir}: video folder of {name} not found")
    manifest = load_manifest()
    entry = manifest.get(name)
    if entry is None and labels is None:
        raise ValueError(
            f"unknown VQA set {name!r} (known: {', '.join(manifest)}); for another set give its label file"
        )
    entry = entry or {"title": name, "expected": [], "exclusive": False, "labels": []}
    if labels is not None:
        base = os.path.basename(labels)
        spec = next((s for s in entry["labels"] if s["file"] == base), None) or _kind_from_file(labels)
        labels_path = labels
    else:
        labels_path, spec = find_labels(name, video_dir)
    pairs = read_labels(labels_path, spec)
    exp = (
        tuple(entry.get("expected") or ())
        if expected is None
        else tuple([expected] if isinstance(expected, int) else expected)
    )
    excl = bool(entry.get("exclusive")) if exclusive is None else exclusive
    problems = []
    seen, dupes = set(), []
    for n, _ in pairs:
        if n in seen:
            dupes.append(n)
        seen.add(n)
    if dupes:
        raise VQASetError(f"{labels_path}: videos labelled more than once: {_listed(dupes)}")
    if exp and len(pairs) not in exp:
        problems.append(
            f"{labels_path}: {len(pairs)} labelled videos, but {entry['title']} has {' or '.join(map(str, exp))}"
        )

    files = _index(video_dir)
    by_rel = {f: f for f in files}
    by_stem: dict[str, list[str]] = {}
    by_base: dict[str, list[str]] = {}
    for f in files:
        by_stem.setdefault(_stem(f), []).append(f)
        by_base.setdefault(os.path.basename(_stem(f)), []).append(f)
    suffix = spec.get("suffix") or ""
    videos, missing, used = [], [], set()
    for label_name, mos in pairs:
        key = label_name if os.path.isabs(label_name) else label_name.replace("\\", "/")
        while key.startswith("./"):
            key = key[2:]
        hit = None
        if os.path.isabs(key) and os.path.isfile(key):
            hit = key
        else:
            candidates = [key] + ([key + suffix] if suffix and _stem(key) == key else [])
            hit = next((by_rel[c] for c in candidates if c in by_rel), None)
            if hit is None:
                options = by_stem.get(_stem(key)) or by_base.get(os.path.basename(_stem(key))) or []
                hit = options[0] if len(options) == 1 else None
        if hit is None:
            missing.append(label_name)
            continue
        used.add(hit)
        path = hit if os.path.isabs(hit) else os.path.join(video_dir, hit)
        videos.append(LabeledVideo(path=path, mos=float(mos), source_file=labels_path))
    extra = [f for f in files if f not in used]
    if missing:
        problems.append(
            f"{video_dir}: {len(missing)} of {len(pairs)} labelled videos of {entry['title']} are missing: "
            f"{_listed(missing)}"
        )
    if extra and excl:
        problems.append(
            f"{video_dir}: {len(extra)} videos in the folder have no label in {os.path.basename(labels_path)}: "
            f"{_listed(extra)}"
        )
    if problems and not allow_missing:
        raise VQASetError(
            "\n".join(problems)
            + "\n(pass allow_missing / --allow-missing to evaluate what is there and record the counts)"
        )
    return VQASet(
        name=name,
        title=entry["title"],
        video_dir=video_dir,
        labels_file=labels_path,
        labels_kind=spec["kind"],
        videos=videos,
        n_labels=len(pairs),
        expected=exp,
        missing=missing,
        extra=extra,
    )
