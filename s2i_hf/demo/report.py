"""The printed summary of a demo run (:func:`format_summary` of the dict :func:`run_demo` returns)."""

from __future__ import annotations

from typing import Any


__all__ = ["format_summary"]


def _f(v, digits: int = 3) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def _reading(ev: dict[str, Any]) -> list[str]:
    """What the held-out figures mean, in words: the gain over the untrained model, the distance to the labels'
    own ceiling, and whether the tuned model's scores vary with the video at all."""
    base, tuned, est = ev.get("base_model") or {}, ev.get("tuned_model") or {}, ev.get("estimators") or {}
    if tuned.get("ladder_srcc") is None:
        return []
    out = ["", "What this means:"]
    t = tuned["ladder_srcc"]
    if base.get("ladder_srcc") is not None:
        out.append(
            f"- On scenes it never saw, the tuned model orders each ladder (pristine > mild > ... > severe) with a "
            f"Spearman correlation of {t:.2f}; the untrained model, whose random features also react to some "
            f"distortions, scores {base['ladder_srcc']:.2f}: training changed it by {t - base['ladder_srcc']:+.2f}."
        )
    if est.get("ladder_srcc") is not None:
        share = t / max(est["ladder_srcc"], 1e-9)
        out.append(
            f"- The labels it learned from (the estimators' overall score) order the same ladders at "
            f"{est['ladder_srcc']:.2f}: that is the ceiling; the tuned model reaches {share:.0%} of it"
            " (1.0 is perfect order, 0 no relation, negative the reverse)."
        )
    std = tuned.get("prediction_std")
    if std is not None:
        verdict = (
            "nearly constant: the model gives every video about the same rating, so its order is mostly noise"
            if std < 0.01
            else "they vary with the video"
        )
        out.append(
            f"- The tuned model's held-out scores span {tuned['prediction_min']:.3f}-{tuned['prediction_max']:.3f} "
            f"(std {std:.3f}): {verdict}."
        )
    bench, base_bench = tuned.get("bench") or {}, base.get("bench") or {}
    if bench.get("overall_coverage") is not None:
        text = (
            f"- Bench: {bench['overall_coverage']:.0%} of the tuned model's open answers state an overall rating"
            + (
                f" (the untrained model's: {base_bench['overall_coverage']:.0%})"
                if "overall_coverage" in base_bench
                else ""
            )
            + f"; {bench['overall_accuracy']:.0%} state the reference's rating word"
        )
        err = bench.get("overall_ordinal_error")
        text += f", and the ratings they state are {err:.1f} levels off on average." if err is not None else "."
        out.append(text)
    return out


def format_summary(summary: dict[str, Any]) -> str:
    """The figures and artifact locations of a demo run, as text."""
    fg = summary["figures"]
    lines = ["", "s2i demo: summary", "=" * 17, ""]
    c = fg.get("clips", {})
    lines.append(
        f"Clips: {c.get('training')} training + {c.get('held_out')} held-out variants of "
        f"{c.get('sources')} short sources ({c.get('held_out_sources')} held out), "
        f"families {', '.join(c.get('families', []))} at {c.get('steps_per_family')} strengths"
    )
    b = fg.get("build", {})
    if b:
        rows = ", ".join(
            f"{k} {c['videos']} videos" + (f" / {c['turns']} turns" if "turns" in c else "")
            for k, c in b["counts"].items()
        )
        size = b.get("bytes") or {}
        if size.get("input_videos"):
            rows += f"; Parquet {size['parquet'] / size['input_videos']:.2f} x the clips' bytes"
        lines.append(
            f"Data: {rows}; {b['bench_videos']} bench videos held out of stage1/stage2; overall levels "
            + ", ".join(f"{k} {v}" for k, v in b["overall_levels"].items())
            + f"; {b['problems']} problems"
        )
    for name, s in fg.get("train", {}).items():
        lines.append(
            f"Training {name}: {s['rows']} videos, {s.get('items') or s['rows']} items, {s['steps']} steps, "
            f"loss {_f(s['first_loss'])} -> {_f(s['last_loss'])} ({_f(s['seconds'], 1)} s)"
        )
    ev = fg.get("eval", {})
    if ev:
        lines += ["", "Evaluation (held-out clips of known quality order; judge-free S2I-Bench on the bench):", ""]
        head = (
            f"{'model':<8} {'SRCC':>6} {'PLCC':>6} {'ladder SRCC':>11} {'pairs ok':>8} {'bench rated':>11} "
            f"{'bench overall acc':>17} {'bench dim acc':>13}"
        )
        lines.append(head)
        for key, label in (("base_model", "base"), ("tuned_model", "tuned")):
            e = ev.get(key)
            if not e:
                continue
            bm = e["bench"]
            lines.append(
                f"{label:<8} {_f(e['held_out_srcc']):>6} {_f(e['held_out_plcc']):>6} "
                f"{_f(e['ladder_srcc']):>11} {_f(e['pair_accuracy']):>8} {_f(bm.get('overall_coverage')):>11} "
                f"{_f(bm.get('overall_accuracy')):>17} {_f(bm.get('dimension_accuracy')):>13}"
            )
        est = ev.get("estimators")
        if est:
            lines.append(
                f"{'labels':<8} {'':>6} {'':>6} {_f(est['ladder_srcc']):>11} {_f(est['pair_accuracy']):>8}   "
                "<- the weight-free estimators' overall score that labelled the data"
            )
        t = ev.get("tuned_model", {})
        if t.get("per_family_srcc"):
            lines.append(
                "tuned model, SRCC within ladders per family: "
                + ", ".join(f"{k} {_f(v, 2)}" for k, v in t["per_family_srcc"].items())
            )
        lines.append(
            f"(SRCC/PLCC: Q-Align score vs known quality over all {t.get('held_out_n', '?')} held-out clips; "
            f"ladder SRCC: mean within each source x family ladder of {t.get('ladders', '?')}; "
            "bench rated: share of answers stating an overall rating; acc: the reference's rating word)"
        )
        lines += _reading(ev)
    cards = fg.get("cards", {})
    if cards:
        bad = {k: v["placeholders"] for k, v in cards.items() if v["placeholders"]}
        lines.append("")
        lines.append(
            "Cards: " + ("no placeholders left" if not bad else f"placeholders found: {bad}") + "; staged files: "
            f"dataset {fg.get('publish', {}).get('dataset_files')}, "
            f"model {fg.get('publish', {}).get('model_files')}"
        )
    secs = summary.get("seconds", {})
    lines.append("Time: " + ", ".join(f"{k} {v:.0f} s" for k, v in secs.items()))
    lines += ["", "Artifacts:"]
    width = max((len(k) for k in summary.get("artifacts", {})), default=0)
    for k, v in summary.get("artifacts", {}).items():
        lines.append(f"  {k:<{width}}  {v}")
    return "\n".join(lines)
