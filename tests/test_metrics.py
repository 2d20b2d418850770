import numpy as np
import pytest
from scipy import stats

from s2i_hf.eval_suite import load_metric, metric_path


@pytest.fixture(scope="module")
def metric():
    return load_metric("srcc_plcc")


def test_golden_vectors_against_scipy(metric):
    rng = np.random.default_rng(0)
    mos = rng.uniform(1, 5, 200)
    pred = 1 / (1 + np.exp(-(mos - 3))) + rng.normal(0, 0.05, 200)  # monotone but non-linear, noisy
    out = metric.compute(predictions=pred.tolist(), references=mos.tolist())
    assert out["n"] == 200
    assert out["srcc"] == pytest.approx(stats.spearmanr(pred, mos).statistic, abs=1e-9)
    assert out["krcc"] == pytest.approx(stats.kendalltau(pred, mos).statistic, abs=1e-9)
    assert out["plcc_raw"] == pytest.approx(stats.pearsonr(pred, mos).statistic, abs=1e-9)
    # the logistic mapping straightens a sigmoid relation: PLCC after the fit beats the raw one
    assert out["plcc"] > out["plcc_raw"] and out["plcc"] > 0.9
    assert out["rmse"] < np.std(mos) and len(out["logistic_params"]) == 4


def test_exact_cases(metric):
    out = metric.compute(predictions=[0.1, 0.4, 0.35, 0.8], references=[1.2, 2.9, 2.5, 4.1])
    assert out["srcc"] == 1.0 and out["krcc"] == 1.0
    out = metric.compute(predictions=[3, 2, 1], references=[1, 2, 3], fit_logistic=False)
    assert out["srcc"] == -1.0 and out["plcc"] == pytest.approx(-1.0) and out["logistic_params"] is None


def test_clear_errors(metric):
    with pytest.raises(ValueError, match="at least 3"):
        metric.compute(predictions=[1, 2], references=[1, 2])
    with pytest.raises(ValueError, match="predictions are constant"):
        metric.compute(predictions=[1, 1, 1], references=[1, 2, 3])
    with pytest.raises(ValueError, match="references are constant"):
        metric.compute(predictions=[1, 2, 3], references=[2, 2, 2])


def test_loads_with_evaluate_load_by_path():
    import evaluate

    m = evaluate.load(metric_path("srcc_plcc"))
    assert m.compute(predictions=[1, 2, 3, 4], references=[2, 1, 4, 3])["srcc"] == pytest.approx(0.6)
