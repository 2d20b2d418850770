"""SRCC, KRCC and PLCC between predicted quality scores and MOS, as an `evaluate` metric.

PLCC and RMSE follow the VQEG convention: predictions are first mapped to the MOS scale by the
four-parameter logistic f(x) = (b1 - b2) / (1 + exp(-(x - b3) / |b4|)) + b2 fitted by least squares;
``plcc_raw`` is the Pearson correlation before that mapping. SRCC and KRCC are rank correlations and need
no mapping.
"""

import datasets
import evaluate
import numpy as np
from scipy import optimize, stats


_DESCRIPTION = __doc__

_KWARGS_DESCRIPTION = """
Args:
    predictions (list of float): predicted quality scores.
    references (list of float): subjective scores (MOS) of the same videos.
    fit_logistic (bool): map predictions with the 4-parameter logistic before PLCC/RMSE (default True).
Returns:
    srcc, krcc, plcc, plcc_raw, rmse (after the logistic mapping), n, and logistic_params.
Examples:
    >>> metric = evaluate.load("path/to/srcc_plcc")
    >>> metric.compute(predictions=[0.1, 0.4, 0.35, 0.8], references=[1.2, 2.9, 2.5, 4.1])["srcc"]
    1.0
"""

_CITATION = (
    "@techreport{vqeg2003frtv2,\n"
    "  title = {Final Report from the Video Quality Experts Group on the Validation of Objective Models of "
    "Video Quality Assessment, Phase II},\n"
    "  institution = {VQEG}, year = {2003}\n"
    "}"
)


def logistic4(x, b1, b2, b3, b4):
    z = np.clip(-(x - b3) / (abs(b4) + 1e-12), -60.0, 60.0)
    return (b1 - b2) / (1.0 + np.exp(z)) + b2


def fit_logistic4(x, y):
    """Least-squares fit of the 4-parameter logistic; falls back to a linear map if it does not converge or when
    there are fewer than five points (four parameters cannot be fitted to four or fewer)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.size < 5:
        slope, intercept = np.polyfit(x, y, 1)
        return slope * x + intercept, None
    p0 = [float(np.max(y)), float(np.min(y)), float(np.mean(x)), float(np.std(x)) or 1.0]
    try:
        params, _ = optimize.curve_fit(logistic4, x, y, p0=p0, maxfev=20000)
        fitted = logistic4(x, *params)
        if np.all(np.isfinite(fitted)):
            return fitted, [float(p) for p in params]
    except (RuntimeError, optimize.OptimizeWarning, ValueError):
        pass
    slope, intercept = np.polyfit(x, y, 1)
    return slope * x + intercept, None


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class SrccPlcc(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("float64"), "references": datasets.Value("float64")}
            ),
        )

    def _compute(self, predictions, references, fit_logistic=True):
        x = np.asarray(predictions, dtype=np.float64)
        y = np.asarray(references, dtype=np.float64)
        if x.shape != y.shape:
            raise ValueError(f"predictions and references differ in length: {x.size} vs {y.size}")
        if x.size < 3:
            raise ValueError(f"SRCC/PLCC need at least 3 items, got {x.size}")
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
            raise ValueError("predictions and references must be finite numbers")
        if np.ptp(x) == 0:
            raise ValueError("predictions are constant: correlations are undefined")
        if np.ptp(y) == 0:
            raise ValueError("references are constant: correlations are undefined")
        fitted, params = fit_logistic4(x, y) if fit_logistic else (x, None)
        return {
            "srcc": float(stats.spearmanr(x, y).statistic),
            "krcc": float(stats.kendalltau(x, y).statistic),
            "plcc": float(stats.pearsonr(fitted, y).statistic) if np.ptp(fitted) > 0 else float("nan"),
            "plcc_raw": float(stats.pearsonr(x, y).statistic),
            "rmse": float(np.sqrt(np.mean((fitted - y) ** 2))),
            "n": int(x.size),
            "logistic_params": params,
        }
