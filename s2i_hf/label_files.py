"""Where videos and labels come from: unlabeled pools, Maxwell-format labels, MOS manifests, exclusions.

Maxwell (Wu et al., ACM MM 2023) ships ``MaxWell_train.csv`` / ``MaxWell_val.csv`` with columns
``O, A-1..A-5, A-all, T-1..T-8, T-all``: sub-dimensions in [-1, 1], ``O``/``A-all``/``T-all`` MOS-like (~1-5).
The public CSVs carry no file names; the row order follows the release's name list. So a labels file is
read with a name column when it has one (``name``/``filename``/``path``/``video``/``file``), or else with a
name list given beside it (one name per line; ``name, ...`` lines as in the release's ``*_labels.txt``).
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field

from .dimensions import DIMENSIONS


__all__ = [
    "LabeledVideo",
    "read_maxwell_labels",
    "read_mos_manifest",
    "read_name_list",
    "maxwell_to_score",
    "ExclusionList",
    "NAME_COLUMNS",
]

NAME_COLUMNS = ("name", "filename", "file_name", "path", "video", "file")
MAXWELL_COLUMNS = {d.maxwell: d.id for d in DIMENSIONS if d.maxwell}


@dataclass
class LabeledVideo:
    """Labels of one video: ``scores`` (dimension id -> [0, 1]) replace the scorers for those dimensions."""

    path: str
    scores: dict[str, float] = field(default_factory=dict)
    mos: float | None = None
    source_file: str | None = None


def maxwell_to_score(value: float) -> float:
    """A Maxwell sub-dimension label in [-1, 1] -> a score in [0, 1] (linear)."""
    v = float(value)
    if not -1.0 - 1e-6 <= v <= 1.0 + 1e-6:
        raise ValueError(f"Maxwell sub-dimension labels lie in [-1, 1], got {v}")
    return min(1.0, max(0.0, (v + 1.0) / 2.0))


def read_name_list(path: str) -> list[str]:
    """Names, one per line; ``name, a, b`` lines keep the first field."""
    with open(path, encoding="utf-8") as fh:
        return [line.split(",")[0].strip() for line in fh if line.strip() and not line.startswith("#")]


def _resolve(name: str, video_dir: str | None, labels_path: str) -> str:
    if os.path.isabs(name):
        return name
    base = video_dir if video_dir is not None else os.path.dirname(os.path.abspath(labels_path))
    return os.path.join(base, name)


def read_maxwell_labels(
    path: str, video_dir: str | None = None, names: str | list[str] | None = None
) -> list[LabeledVideo]:
    """Labeled videos from a Maxwell-format CSV (see the module docstring for how names are found)."""
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in (reader.fieldnames or [])]
        rows = [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader]
    missing = [c for c in ["O", *MAXWELL_COLUMNS] if c not in header]
    if missing:
        raise ValueError(f"{path}: not a Maxwell label file, missing columns {missing} (has {header})")
    name_col = next((c for c in NAME_COLUMNS if c in header), None)
    if name_col is None:
        if names is None:
            raise ValueError(
                f"{path}: the file has no name column ({', '.join(NAME_COLUMNS)}); "
                "give the release's name list beside it"
            )
        name_list = read_name_list(names) if isinstance(names, str) else list(names)
        if len(name_list) != len(rows):
            raise ValueError(f"{path}: {len(rows)} label rows but the name list has {len(name_list)} names")
    else:
        name_list = [r[name_col] for r in rows]
    out = []
    for n, (name, row) in enumerate(zip(name_list, rows), start=2):
        try:
            scores = {dim: maxwell_to_score(float(row[col])) for col, dim in MAXWELL_COLUMNS.items()}
            mos = float(row["O"])
        except ValueError as exc:
            raise ValueError(f"{path}:{n}: {exc}") from None
        out.append(LabeledVideo(path=_resolve(name, video_dir, path), scores=scores, mos=mos, source_file=path))
    return out


def read_mos_manifest(path: str, video_dir: str | None = None) -> list[LabeledVideo]:
    """A generic ``name, mos`` manifest (CSV with a header naming a name column and ``mos``/``MOS``)."""
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in (reader.fieldnames or [])]
        name_col = next((c for c in NAME_COLUMNS if c in header), None)
        mos_col = next((c for c in header if c.lower() == "mos"), None)
        if name_col is None or mos_col is None:
            raise ValueError(
                f"{path}: a MOS manifest needs a name column ({', '.join(NAME_COLUMNS)}) "
                f"and a 'mos' column; has {header}"
            )
        out = []
        for n, row in enumerate(reader, start=2):
            try:
                mos = float(row[mos_col])
            except (TypeError, ValueError):
                raise ValueError(f"{path}:{n}: mos {row.get(mos_col)!r} is not a number") from None
            out.append(LabeledVideo(path=_resolve(row[name_col].strip(), video_dir, path), mos=mos, source_file=path))
    return out


class ExclusionList:
    """Videos kept out of training (test sets): matched by file name (without folders) or by content id."""

    def __init__(self, names: list[str] | None = None, video_ids: list[str] | None = None):
        self.names = {os.path.basename(n) for n in (names or [])}
        # lists that name videos without their extension (LSVQ's `yfcc-batch1/1234`) match the file's stem
        self.stems = {n for n in self.names if not os.path.splitext(n)[1]}
        self.video_ids = set(video_ids or [])

    @classmethod
    def from_files(cls, paths: list[str]) -> "ExclusionList":
        names: list[str] = []
        for p in paths:
            if p.lower().endswith(".csv"):
                with open(p, newline="", encoding="utf-8") as fh:
                    reader = csv.DictReader(fh)
                    col = next((c for c in NAME_COLUMNS if c in (reader.fieldnames or [])), None)
                    if col is None:
                        raise ValueError(f"{p}: an exclusion CSV needs a name column ({', '.join(NAME_COLUMNS)})")
                    names += [row[col] for row in reader]
            else:
                names += read_name_list(p)
        return cls(names=names)

    def __contains__(self, item: tuple[str, str | None]) -> bool:
        path, video_id = item
        name = os.path.basename(path)
        return (
            name in self.names
            or os.path.splitext(name)[0] in self.stems
            or (video_id is not None and video_id in self.video_ids)
        )

    def __len__(self):
        return len(self.names) + len(self.video_ids)
