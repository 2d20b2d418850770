"""S2I-Bench: open-ended answers about video quality judged against reference answers, as an `evaluate` metric.

A judge (``s2i_hf.eval_suite.judges``: a causal LM from the Hub or a folder, or any OpenAI-compatible chat
endpoint) grades each answer on four 0-5 scales, the judge metrics of Video-ChatGPT: CI correctness of
information, CU contextual understanding, DO detail orientation, TU temporal understanding. The prompts are
data (``judge_prompts.yaml``); the judge's id and the sha256 of the prompts are returned with the scores.
A reply with no readable score is a parse failure: excluded from the means (never scored 0) and counted.

Beside the judge, judge-free figures that need no model compare the level words (bad/poor/fair/good/
excellent) an answer states with those of its reference: per quality dimension and for the overall quality,
accuracy, coverage and mean ordinal error.
"""

import datasets
import evaluate

from s2i_hf.eval_suite.bench import rating_agreement
from s2i_hf.eval_suite.judges import CRITERIA, Judge, judge_answers, make_judge


_DESCRIPTION = __doc__

_KWARGS_DESCRIPTION = """
Args:
    predictions (list of str): the answers to judge.
    references (list of str): the reference answers.
    questions (list of str): the questions (needed when a judge is given).
    judge: None (judge-free figures only), a judge object from ``s2i_hf.eval_suite.judges``, or a string:
        a causal LM's Hub id or folder.
    judge_url (str): with ``judge`` as the served model name, use an OpenAI-compatible endpoint instead.
    prompts (str): a judge prompts YAML file (default: the shipped ``judge_prompts.yaml``).
    criteria (list of str): subset of ci, cu, do, tu.
    return_details (bool): also return per-item scores and replies.
Returns:
    ci, cu, do, tu (means over scored items, None when none could be scored), judge (id, kind, prompt_hash,
    parse_failures, parse_failure_rate, request_failures, attempts, scored), the judge-free
    dimension_accuracy, dimension_coverage, dimension_ordinal_error, dimension_n, overall_accuracy,
    overall_coverage, overall_ordinal_error, overall_n, and n.
Examples:
    >>> metric = evaluate.load("path/to/s2i_bench")
    >>> metric.compute(
    ...     predictions=["The overall quality is good."], references=["Overall, the quality is good."]
    ... )["overall_accuracy"]
    1.0
"""

_CITATION = """@inproceedings{xie2026score2instruct,
  title = {Score2Instruct: Scaling Up Video Quality-Centric Instructions via Automated Dimension Scoring},
  author = {Xie and Yuan and Qu and Gong and Wu and Sun and Zhou and Zhu},
  booktitle = {CVPR}, year = {2026}, note = {arXiv:2506.21011}
}
@inproceedings{maaz2024videochatgpt,
  title = {Video-ChatGPT: Towards Detailed Video Understanding via Large Vision and Language Models},
  author = {Maaz and Rasheed and Khan and Khan}, booktitle = {ACL}, year = {2024}
}"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class S2iBench(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
            ),
        )

    def _compute(
        self,
        predictions,
        references,
        questions=None,
        judge=None,
        judge_url=None,
        prompts=None,
        criteria=None,
        progress=False,
        return_details=False,
    ):
        predictions = ["" if p is None else str(p) for p in predictions]
        references = ["" if r is None else str(r) for r in references]
        out = {"n": len(predictions)}
        out.update(rating_agreement(predictions, references))
        if judge is None:
            out.update(dict.fromkeys(criteria or CRITERIA))
            out["judge"] = None
            return out
        if questions is None or len(questions) != len(predictions):
            raise ValueError(
                f"judging needs one question per prediction: got {0 if questions is None else len(questions)} "
                f"questions for {len(predictions)} predictions"
            )
        if not isinstance(judge, Judge):
            judge = make_judge(str(judge), url=judge_url)
        report = judge_answers(
            judge, list(questions), references, predictions, prompts=prompts, criteria=criteria, progress=progress
        )
        out.update(report.means())
        out["judge"] = report.judge_record()
        if report.failure_examples:
            out["judge"]["failure_examples"] = list(report.failure_examples)
        if return_details:
            out["details"] = [{"scores": s, "replies": r} for s, r in zip(report.scores, report.replies)]
        return out
