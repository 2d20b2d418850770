"""S2I-Bench judging: an OpenAI-compatible judge on a loopback server (canned and malformed replies), a tiny
offline causal-LM judge (parse failures counted, never zeros), judge-free rating agreement with hand-computed
values, and the prompt hash recorded."""

import hashlib
import json
from types import SimpleNamespace

import pytest
import yaml
from conftest import json_endpoint, tiny_text_lm

from s2i_hf.eval_suite import load_metric
from s2i_hf.eval_suite.bench import rating_agreement
from s2i_hf.eval_suite.judges import (
    DEFAULT_PROMPTS,
    JudgeError,
    LocalLMJudge,
    OpenAICompatibleJudge,
    judge_answers,
    load_judge_prompts,
    parse_score,
)


KEY = "sk-test-not-a-real-key-1234"

# what the fake endpoint replies, by a marker in the predicted answer and the criterion asked for
CANNED = {
    "ANSWER_A": {
        "correctness of information": '{"score": 4}',
        "contextual understanding": '{"score": 4}',
        "detail orientation": '{"score": 4}',
        "temporal understanding": "Score: 2",
    },
    "ANSWER_B": dict.fromkeys(
        ("correctness of information", "contextual understanding", "detail orientation", "temporal understanding"),
        "I am not able to grade this answer.",
    ),
    "ANSWER_C": {
        "correctness of information": '{"score": 9}',
        "contextual understanding": '```json\n{"score": 5}\n```',
        "detail orientation": "{'score': 5}",
        "temporal understanding": "5",
    },
}


@pytest.fixture
def server():
    """A fake OpenAI-compatible endpoint: canned replies by answer marker and criterion; ``mode`` switches it to
    401 or 500 replies; every request is recorded."""
    state = SimpleNamespace(requests=[], mode="ok")

    def respond(path, headers, body):
        state.requests.append({"path": path, "auth": headers.get("Authorization"), "body": body})
        if state.mode == "unauthorized":
            return 401, None
        if state.mode == "error":
            return 500, None
        user = next(m["content"] for m in body["messages"] if m["role"] == "user")
        marker = next(
            k for k in ("ANSWER_A", "ANSWER_B", "ANSWER_C", "ANSWER_D") if k in user.split("Predicted answer:")[1]
        )
        if marker == "ANSWER_D":
            return 200, {"error": "no choices here"}
        criterion = next(c for c in CANNED[marker] if f"Criterion: {c}." in user)
        return 200, {"choices": [{"index": 0, "message": {"role": "assistant", "content": CANNED[marker][criterion]}}]}

    with json_endpoint(respond) as srv:
        state.server_port = srv.server_port
        yield state


QUESTIONS = ["How is the quality of this video?"] * 3
REFERENCES = ["The noise is poor, so the overall quality is poor."] * 3
PREDICTIONS = ["ANSWER_A: the noise is poor and the overall quality is poor.", "ANSWER_B", "ANSWER_C"]


def test_openai_compatible_judge_parses_scores_and_excludes_malformed_replies(server, monkeypatch):
    monkeypatch.setenv("S2I_JUDGE_API_KEY", KEY)
    url = f"http://127.0.0.1:{server.server_port}/v1"
    judge = OpenAICompatibleJudge(url, "judge-model", max_retries=0)
    out = load_metric("s2i_bench").compute(
        predictions=PREDICTIONS, references=REFERENCES, questions=QUESTIONS, judge=judge, return_details=True
    )
    # A: 4,4,4,2; B: nothing parseable; C: 9 is out of range (a failure), then 5,5,5
    assert out["ci"] == pytest.approx(4.0)  # (4) -- not (4 + 0 + 0) / 3
    assert out["cu"] == pytest.approx(4.5) and out["do"] == pytest.approx(4.5) and out["tu"] == pytest.approx(3.5)
    j = out["judge"]
    assert j["parse_failures"] == 5 and j["attempts"] == 12 and j["parse_failure_rate"] == pytest.approx(5 / 12)
    assert j["request_failures"] == 0 and j["scored"] == {"ci": 1, "cu": 2, "do": 2, "tu": 2}
    assert j["id"] == f"judge-model@{url}/chat/completions"
    assert out["details"][1]["scores"] == {"ci": None, "cu": None, "do": None, "tu": None}
    # one request per item and criterion, to the chat-completions path, with the key, the prompts filled in
    assert len(server.requests) == 12
    assert all(r["path"] == "/v1/chat/completions" and r["auth"] == f"Bearer {KEY}" for r in server.requests)
    first = server.requests[0]["body"]
    assert first["model"] == "judge-model" and first["temperature"] == 0.0
    assert [m["role"] for m in first["messages"]] == ["system", "user"]
    assert QUESTIONS[0] in first["messages"][1]["content"] and REFERENCES[0] in first["messages"][1]["content"]
    # the key is never shown or recorded
    assert KEY not in repr(judge) and KEY not in json.dumps(out, default=str)
    # judge-free figures ride along: answer A states both ratings of the reference
    assert out["dimension_n"] == 3 and out["dimension_accuracy"] == pytest.approx(1 / 3)


def test_openai_judge_reply_without_message_is_a_parse_failure_and_errors_are_request_failures(server):
    url = f"http://127.0.0.1:{server.server_port}/v1/chat/completions"
    judge = OpenAICompatibleJudge(url, "m", max_retries=0)
    report = judge_answers(judge, ["q"], ["r"], ["ANSWER_D"])
    assert report.parse_failures == 4 and report.means() == {"ci": None, "cu": None, "do": None, "tu": None}
    server.mode = "error"
    report = judge_answers(judge, ["q"], ["r"], ["ANSWER_A"])
    assert report.request_failures == 4 and report.parse_failures == 0
    server.mode = "unauthorized"
    with pytest.raises(JudgeError, match="HTTP 401"):
        judge_answers(judge, ["q"], ["r"], ["ANSWER_A"])


def test_openai_judge_retries_busy_endpoints_with_backoff(monkeypatch):
    """HTTP 503 (and 429, 5xx, timeouts) is tried again after 0.5 s, 1 s, ...; HTTP 400 is not."""
    import s2i_hf.eval_suite.judges as judges

    sleeps, replies = [], []
    monkeypatch.setattr(judges.time, "sleep", sleeps.append)

    def respond(path, headers, body):
        status = replies.pop(0)
        return status, (
            {"choices": [{"index": 0, "message": {"role": "assistant", "content": "4"}}]} if status == 200 else None
        )

    with json_endpoint(respond) as srv:
        url = f"http://127.0.0.1:{srv.server_port}/v1"
        replies[:] = [503, 503, 200]
        assert OpenAICompatibleJudge(url, "m", max_retries=2).reply([{"role": "user", "content": "q"}]) == "4"
        assert sleeps == [0.5, 1.0] and not replies
        replies[:], sleeps[:] = [503, 503], []
        report = judge_answers(OpenAICompatibleJudge(url, "m", max_retries=1), ["q"], ["r"], ["p"], criteria=["ci"])
        assert report.request_failures == 1 and "HTTP 503" in report.failure_examples[0] and sleeps == [0.5]
        replies[:], sleeps[:] = [400], []
        report = judge_answers(OpenAICompatibleJudge(url, "m", max_retries=3), ["q"], ["r"], ["p"], criteria=["ci"])
        assert report.request_failures == 1 and "HTTP 400" in report.failure_examples[0] and not sleeps


def test_unreachable_endpoint_fails_clearly():
    import socket

    with socket.socket() as s:  # a free loopback port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    judge = OpenAICompatibleJudge(f"http://127.0.0.1:{port}/v1", "m", max_retries=0, timeout=5)
    with pytest.raises(JudgeError, match="cannot be reached"):
        judge.reply([{"role": "user", "content": "hi"}])


def _tiny_causal_lm(path, n_positions=4096, chat_template=None):
    corpus = [
        "the answer states the noise is poor and the overall quality is fair",
        "grade the predicted answer from zero to five",
    ] * 10
    return tiny_text_lm(path, corpus, vocab_size=320, n_positions=n_positions, chat_template=chat_template)


def test_local_lm_judge_counts_parse_failures_not_zeros(tmp_path):
    path = _tiny_causal_lm(tmp_path / "lm")
    judge = LocalLMJudge(path, max_new_tokens=6)
    assert judge.id == path and judge.describe()["kind"] == "causal_lm"
    report = judge_answers(judge, QUESTIONS[:1], REFERENCES[:1], PREDICTIONS[:1])
    failures = [(i, c) for i, s in enumerate(report.scores) for c, v in s.items() if v is None]
    assert report.parse_failures == len(failures) > 0 and report.request_failures == 0
    for scores, replies in zip(report.scores, report.replies):  # a score only where the reply states one
        for c, v in scores.items():
            assert v == parse_score(replies[c])
    # every excluded item is excluded, not averaged in as 0
    for c, mean in report.means().items():
        vals = [s[c] for s in report.scores if s[c] is not None]
        assert mean == (sum(vals) / len(vals) if vals else None)
    # a prompt that does not fit the model's context is a request failure, not a parse failure
    short = LocalLMJudge(_tiny_causal_lm(tmp_path / "short", n_positions=64), max_new_tokens=4)
    report = judge_answers(short, QUESTIONS[:1], REFERENCES[:1], PREDICTIONS[:1])
    assert report.request_failures == 4 and report.parse_failures == 0
    assert "exceeds the judge's context" in report.failure_examples[0]


def test_local_lm_judge_through_the_metric_records_judge_and_hash(tmp_path):
    template = "{% for m in messages %}<{{ m['role'] }}> {{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}"
    path = _tiny_causal_lm(tmp_path / "lm", chat_template=template)
    judge = LocalLMJudge(path, max_new_tokens=4)
    prompt = judge.tokenizer.decode(judge._encode(load_judge_prompts().messages("tu", "q", "r", "p"))["input_ids"][0])
    assert prompt.startswith("<system> You are a careful grader") and prompt.endswith(
        "<assistant>"
    )  # the chat template is used
    out = load_metric("s2i_bench").compute(
        predictions=PREDICTIONS[:1], references=REFERENCES[:1], questions=QUESTIONS[:1], judge=judge
    )
    assert out["judge"]["id"] == path and out["judge"]["prompt_hash"] == load_judge_prompts().hash
    assert out["judge"]["attempts"] == 4 and 0.0 <= out["judge"]["parse_failure_rate"] <= 1.0


def test_judge_free_rating_agreement_on_hand_made_answers():
    refs = [
        "The clarity of fine details in the frames is good. The noise is poor. Overall, the quality of this video is fair.",
        "Regarding how steady the camera is, free of shaking, the video is excellent.",
    ]
    answers = [
        "The clarity of fine details in the frames is good, the noise is fair, and the overall quality is fair.",
        "The colors are nice.",
    ]
    got = rating_agreement(answers, refs)
    # rated by the references: sharpness good, noise poor, stability excellent; overall fair (one item)
    # stated by the answers: sharpness good (same), noise fair (one level off); stability not stated
    assert got["dimension_n"] == 3 and got["overall_n"] == 1
    assert got["dimension_accuracy"] == pytest.approx(1 / 3)
    assert got["dimension_coverage"] == pytest.approx(2 / 3)
    assert got["dimension_ordinal_error"] == pytest.approx(0.5)
    assert got["overall_accuracy"] == 1.0 and got["overall_coverage"] == 1.0 and got["overall_ordinal_error"] == 0.0
    # an answer stating the opposite extreme: ordinal error 4
    far = rating_agreement(["Overall, the quality is bad."], ["Overall, the quality is excellent."])
    assert far["overall_accuracy"] == 0.0 and far["overall_ordinal_error"] == 4.0
    assert far["dimension_accuracy"] is None and far["dimension_n"] == 0
    # a short answer rating the video itself states its overall rating
    short = rating_agreement(["The video is poor.", "The video is fair."], [refs[0], refs[0]])
    assert short["overall_coverage"] == 1.0 and short["overall_accuracy"] == 0.5
    assert short["overall_ordinal_error"] == 0.5 and short["dimension_coverage"] == 0.0
    # the same figures through the evaluate module, without any judge
    out = load_metric("s2i_bench").compute(predictions=answers, references=refs)
    assert out["judge"] is None and out["ci"] is None
    assert out["dimension_accuracy"] == pytest.approx(1 / 3) and out["overall_accuracy"] == 1.0


def test_prompt_hash_is_recorded_and_tracks_the_prompts(tmp_path):
    prompts = load_judge_prompts()
    with open(DEFAULT_PROMPTS) as fh:
        raw = yaml.safe_load(fh)
    canonical = json.dumps(raw, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert prompts.hash == hashlib.sha256(canonical.encode()).hexdigest()
    raw["criteria"]["ci"]["instruction"] += " Be strict."
    changed = tmp_path / "p.yaml"
    changed.write_text(yaml.safe_dump(raw))
    assert load_judge_prompts(str(changed)).hash != prompts.hash
    del raw["criteria"]["tu"]
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(raw))
    with pytest.raises(ValueError, match=r"broken\.yaml: criteria \['tu'\] are missing"):
        load_judge_prompts(str(broken))
    # a template with literal braces fills only the known placeholders
    msgs = prompts.messages("ci", "q {x}?", "ref", "pred {score}")
    assert (
        '{"score": N}' in msgs[0]["content"]
        and "pred {score}" in msgs[1]["content"]
        and "q {x}?" in msgs[1]["content"]
    )


@pytest.mark.parametrize(
    "reply,expected",
    [
        ('{"score": 3}', 3.0),
        ("{'score': 4}", 4.0),
        ("Score: 2", 2.0),
        ("4", 4.0),
        ("4/5", 4.0),
        ('```json\n{"score": 5}\n```', 5.0),
        ('{"score": "1"}', 1.0),
        ("0", 0.0),
        ("score: 7", None),
        ('{"score": -1}', None),
        ("I think 3 or 4", None),
        ('{"score": 2} but score: 3', None),
        ('{"score": true}', None),
        ("", None),
        (None, None),
        ("The answer is good.", None),
    ],
)
def test_parse_score(reply, expected):
    assert parse_score(reply) == expected
