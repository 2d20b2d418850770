"""Judges for S2I-Bench: a causal LM (Hub id or local folder) or any OpenAI-compatible chat endpoint.

A judge turns chat messages into a reply string. :func:`judge_answers` asks it, once per item and per
criterion (CI, CU, DO, TU), to grade a predicted answer against the reference with the prompts of
``judge_prompts.yaml`` (data; their sha256 is recorded), and reads a 0-5 score from each reply. A reply from
which no score can be read is a *parse failure*: counted, excluded from the means, never scored 0. A request
that fails (HTTP error, timeout, a prompt longer than the model's context) is a *request failure*, also
counted and excluded.

>>> judge = OpenAICompatibleJudge("http://127.0.0.1:8000/v1", model="my-judge")  # doctest: +SKIP
>>> report = judge_answers(judge, questions, references, predictions)           # doctest: +SKIP
>>> report.means()["ci"], report.parse_failure_rate                              # doctest: +SKIP
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
import os
import re
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

from s2i_hf.catalog import read_yaml
from s2i_hf.generation import ContextTooLong, LocalLM, chat_client


__all__ = [
    "CRITERIA",
    "DEFAULT_PROMPTS",
    "API_KEY_ENV_VARS",
    "Judge",
    "JudgeError",
    "JudgePrompts",
    "JudgeReport",
    "LocalLMJudge",
    "OpenAICompatibleJudge",
    "judge_answers",
    "load_judge_prompts",
    "make_judge",
    "parse_score",
]

CRITERIA = ("ci", "cu", "do", "tu")
DEFAULT_PROMPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "judge_prompts.yaml")
API_KEY_ENV_VARS = ("S2I_JUDGE_API_KEY", "OPENAI_API_KEY")
_PLACEHOLDER = re.compile(r"\{(question|reference|prediction|criterion_name|criterion)\}")


class JudgeError(RuntimeError):
    """A judge that cannot work at all (bad configuration, unreachable endpoint, refused key)."""


class _RequestFailed(Exception):
    """One request that failed; counted as a request failure, the run goes on."""


# --- prompts --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JudgePrompts:
    """The judge prompts of one file; ``hash`` is the sha256 of their canonical JSON form."""

    raw: dict
    path: str
    hash: str

    @property
    def criteria(self) -> tuple[str, ...]:
        return tuple(self.raw["criteria"])

    @property
    def scale(self) -> tuple[float, float]:
        s = self.raw.get("scale") or {}
        return float(s.get("min", 0)), float(s.get("max", 5))

    def messages(self, criterion: str, question: str, reference: str, prediction: str) -> list[dict]:
        c = self.raw["criteria"][criterion]
        values = {
            "question": question or "",
            "reference": reference or "",
            "prediction": prediction or "",
            "criterion_name": c["name"],
            "criterion": c["instruction"],
        }
        fill = lambda text: _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text)  # noqa: E731
        out = []
        if self.raw.get("system"):
            out.append({"role": "system", "content": fill(self.raw["system"])})
        out.append({"role": "user", "content": fill(self.raw["user"])})
        return out


def prompts_hash(raw: dict) -> str:
    canonical = json.dumps(raw, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def load_judge_prompts(path: str | None = None) -> JudgePrompts:
    """Read and check a judge prompts file (the shipped ``judge_prompts.yaml`` by default)."""
    path = path or DEFAULT_PROMPTS
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: judge prompts file not found")
    raw = read_yaml(path)
    if not isinstance(raw, dict) or not isinstance(raw.get("user"), str) or not isinstance(raw.get("criteria"), dict):
        raise ValueError(f"{path}: judge prompts need a 'user' template and a 'criteria' mapping")
    missing = [c for c in CRITERIA if c not in raw["criteria"]]
    if missing:
        raise ValueError(f"{path}: criteria {missing} are missing (S2I-Bench judges {', '.join(CRITERIA)})")
    for c, spec in raw["criteria"].items():
        if not isinstance(spec, dict) or not spec.get("name") or not spec.get("instruction"):
            raise ValueError(f"{path}: criterion {c!r} needs a 'name' and an 'instruction'")
    template = raw["user"] + (raw.get("system") or "")
    for needed in ("question", "reference", "prediction"):
        if "{" + needed + "}" not in template:
            raise ValueError(f"{path}: the prompts never use the placeholder {{{needed}}}")
    lo, hi = JudgePrompts(raw, path, "").scale
    if not lo < hi:
        raise ValueError(f"{path}: scale min {lo} must be below max {hi}")
    return JudgePrompts(raw=raw, path=path, hash=prompts_hash(raw))


# --- reading a score from a reply -----------------------------------------------------------------------

_FENCE = re.compile(r"```(?:json|python)?\s*(.*?)```", re.S)
_OBJECT = re.compile(r"\{[^{}]*\}")
_KEYED = re.compile(r"""["']?\bscore\b["']?\s*[:=]\s*["']?(-?\d+(?:\.\d+)?)""", re.I)
_BARE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(?:/\s*5(?:\.0)?)?\s*\.?\s*$")


def _number(value) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+(?:\.\d+)?\s*", value):
        return float(value)
    return None


def parse_score(reply: str | None, lo: float = 0.0, hi: float = 5.0) -> float | None:
    """The score a judge's reply states, or None (a parse failure).

    Read, in order: a JSON (or Python-literal) object with a ``score`` key; ``score: N`` / ``score = N``
    written in text; a reply that is only a number (``4``, ``4/5``). Several different scores, a score outside
    ``[lo, hi]`` or anything else is a failure.
    """
    if not isinstance(reply, str) or not reply.strip():
        return None
    text = reply.strip()
    fenced = _FENCE.findall(text)
    if fenced:
        text = " ".join(fenced)
    found: list[float] = []
    for blob in _OBJECT.findall(text):
        obj = None
        for loader in (json.loads, ast.literal_eval):
            try:
                obj = loader(blob)
                break
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                continue
        if isinstance(obj, dict):
            key = next((k for k in obj if isinstance(k, str) and k.strip().lower() == "score"), None)
            if key is not None:
                v = _number(obj[key])
                if v is None:
                    return None
                found.append(v)
    found += [float(m) for m in _KEYED.findall(text)]  # also inside the object: the same value again
    if not found:
        m = _BARE.match(text)
        if m:
            found = [float(m.group(1))]
    if not found or len(set(found)) != 1:
        return None
    value = found[0]
    if not (math.isfinite(value) and lo <= value <= hi):
        return None
    return value


# --- judges ---------------------------------------------------------------------------------------------


class Judge:
    """Turns chat messages (``[{role, content}]``) into a reply string. Subclasses set ``id`` and ``kind``."""

    id: str = "judge"
    kind: str = "custom"

    def reply(self, messages: list[dict]) -> str:
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind}


class LocalLMJudge(Judge):
    """A causal LM from the Hub or a local folder (``AutoModelForCausalLM`` + ``AutoTokenizer``), greedy
    decoding, the tokenizer's chat template when it has one (plain text otherwise); generation is
    :class:`s2i_hf.generation.LocalLM`."""

    kind = "causal_lm"

    def __init__(
        self,
        model_id: str | None = None,
        *,
        model=None,
        tokenizer=None,
        max_new_tokens: int = 32,
        trust_remote_code: bool = False,
        device: str | None = None,
    ):
        if model is None or tokenizer is None:
            if not model_id:
                raise ValueError("LocalLMJudge needs a model id or folder (or a model and its tokenizer)")
            try:
                self.lm = LocalLM.from_pretrained(model_id, trust_remote_code=trust_remote_code, device=device)
            except (OSError, ValueError) as err:
                raise JudgeError(f"judge model {model_id}: cannot be loaded as a causal LM ({err})") from None
        else:
            self.lm = LocalLM(model.eval(), tokenizer, model_id=model_id)
        self.max_new_tokens = int(max_new_tokens)
        self.id = self.lm.model_id

    @property
    def model(self):
        return self.lm.model

    @property
    def tokenizer(self):
        return self.lm.tokenizer

    def _encode(self, messages: list[dict]):
        return self.lm.encode(messages)

    def reply(self, messages: list[dict]) -> str:
        try:
            return self.lm.generate(messages, max_new_tokens=self.max_new_tokens)
        except ContextTooLong as err:
            raise _RequestFailed(
                f"prompt of {err.prompt_tokens} tokens plus {err.max_new_tokens} new tokens exceeds "
                f"the judge's context of {err.limit}"
            ) from None


class OpenAICompatibleJudge(Judge):
    """Any chat-completions endpoint that speaks the OpenAI API (vLLM, TGI, llama.cpp server, OpenAI...), through
    ``huggingface_hub.InferenceClient`` (:func:`s2i_hf.generation.chat_client`).

    ``url`` is the API base (``http://host:8000/v1``) or the full ``.../chat/completions`` address. The key is
    read from the environment (``api_key_env``, else ``S2I_JUDGE_API_KEY``, else ``OPENAI_API_KEY``); without
    one no ``Authorization`` header is sent (local servers). The key is never printed or recorded. A request
    that times out, cannot connect or gets HTTP 408/409/425/429/5xx is tried again ``max_retries`` times, after
    0.5 s, 1 s, 2 s... (at most 8 s).
    """

    kind = "openai_compatible"

    def __init__(
        self,
        url: str,
        model: str,
        *,
        api_key_env: str | None = None,
        timeout: float = 120.0,
        max_retries: int = 2,
        max_tokens: int = 32,
        temperature: float = 0.0,
    ):
        if not url or not model:
            raise ValueError("an OpenAI-compatible judge needs both the endpoint URL and the model name")
        if not re.match(r"^https?://", url):
            raise ValueError(f"judge URL {url!r} must start with http:// or https://")
        base = url.rstrip("/")
        self.endpoint = base if base.endswith("/chat/completions") else base + "/chat/completions"
        self.model = model
        self.timeout = float(timeout)
        self.max_retries = int(max_retries)
        self.max_tokens = int(max_tokens)
        self.temperature = float(temperature)
        names = (api_key_env,) if api_key_env else API_KEY_ENV_VARS
        if api_key_env and not os.environ.get(api_key_env):
            raise JudgeError(f"judge API key: the environment variable {api_key_env} is not set")
        self.key_source = next((n for n in names if os.environ.get(n)), None)
        key = os.environ.get(self.key_source) if self.key_source else None
        self.__client = chat_client(self.endpoint, api_key=key, timeout=self.timeout)
        self.id = f"{model}@{self.endpoint}"
        self._succeeded = 0

    def __repr__(self):  # never show the key
        return f"OpenAICompatibleJudge(endpoint={self.endpoint!r}, model={self.model!r}, key_from={self.key_source!r})"

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "model": self.model, "endpoint": self.endpoint}

    def _complete(self, messages: list[dict]):
        """The endpoint's parsed reply (None for a body that is not a JSON object), retried as the class says."""
        from huggingface_hub.errors import HfHubHTTPError

        last = None
        for attempt in range(self.max_retries + 1):
            if attempt:
                time.sleep(min(8.0, 0.5 * 2 ** (attempt - 1)))
            try:
                out = self.__client.chat_completion(
                    messages, model=self.model, temperature=self.temperature, max_tokens=self.max_tokens
                )
            except HfHubHTTPError as err:
                response = getattr(err, "response", None)
                code = getattr(response, "status_code", None) or 0
                if code in (401, 403):
                    where = (
                        f"the key from ${self.key_source}"
                        if self.key_source
                        else "a request without a key (set S2I_JUDGE_API_KEY)"
                    )
                    raise JudgeError(f"judge endpoint {self.endpoint} refused {where} (HTTP {code})") from None
                if code == 404:
                    raise JudgeError(
                        f"judge endpoint {self.endpoint}: not found (HTTP 404); give the API base, "
                        "e.g. http://host:8000/v1"
                    ) from None
                last = f"HTTP {code} {getattr(response, 'reason_phrase', '')}".rstrip()
                if code not in (408, 409, 425, 429) and code < 500:
                    break
                continue
            except (TimeoutError, ConnectionError) as err:
                if not self._succeeded and attempt == self.max_retries:
                    raise JudgeError(f"judge endpoint {self.endpoint} cannot be reached: {err}") from None
                last = f"connection failed: {err}"
                continue
            except ValueError:  # a body that is not a JSON object
                out = None
            self._succeeded += 1
            return out
        raise _RequestFailed(f"{self.endpoint}: {last}")

    def reply(self, messages: list[dict]) -> str:
        out = self._complete(messages)
        try:
            content = out.choices[0].message.content
        except (AttributeError, IndexError, KeyError, TypeError):
            return ""  # a reply without a message: nothing to parse (a parse failure)
        return content if isinstance(content, str) else ""


def make_judge(
    model: str | None = None,
    *,
    url: str | None = None,
    api_key_env: str | None = None,
    max_new_tokens: int = 32,
    trust_remote_code: bool = False,
    **kwargs,
) -> Judge:
    """An OpenAI-compatible judge when ``url`` is given (``model`` is then the served model's name), else a
    local/Hub causal LM judge loaded from ``model``."""
    if url:
        if not model:
            raise ValueError(f"judge URL {url} given without the model name to ask for (--judge_model)")
        return OpenAICompatibleJudge(url, model, api_key_env=api_key_env, max_tokens=max_new_tokens, **kwargs)
    if not model:
        raise ValueError("give a judge: a causal LM (Hub id or folder), or an endpoint URL and a model name")
    return LocalLMJudge(model, max_new_tokens=max_new_tokens, trust_remote_code=trust_remote_code)


# --- judging a set of answers ---------------------------------------------------------------------------


@dataclass
class JudgeReport:
    """Scores per item and criterion (None where excluded) and the failure counts."""

    criteria: tuple[str, ...]
    scores: list[dict[str, float | None]]
    replies: list[dict[str, str | None]]
    judge: dict[str, Any]
    prompt_hash: str
    parse_failures: int = 0
    request_failures: int = 0
    failures_by_criterion: dict[str, int] = field(default_factory=dict)
    failure_examples: list[str] = field(default_factory=list)

    @property
    def attempts(self) -> int:
        return len(self.scores) * len(self.criteria)

    @property
    def parse_failure_rate(self) -> float:
        return self.parse_failures / self.attempts if self.attempts else 0.0

    @property
    def request_failure_rate(self) -> float:
        return self.request_failures / self.attempts if self.attempts else 0.0

    def means(self) -> dict[str, float | None]:
        """Mean score per criterion over the items that were scored (None when none was)."""
        out = {}
        for c in self.criteria:
            vals = [s[c] for s in self.scores if s.get(c) is not None]
            out[c] = float(sum(vals) / len(vals)) if vals else None
        return out

    def counts(self) -> dict[str, int]:
        return {c: sum(1 for s in self.scores if s.get(c) is not None) for c in self.criteria}

    def judge_record(self) -> dict[str, Any]:
        """The ``judge`` entry of a results file."""
        return {
            **self.judge,
            "prompt_hash": self.prompt_hash,
            "parse_failures": int(self.parse_failures),
            "parse_failure_rate": float(self.parse_failure_rate),
            "request_failures": int(self.request_failures),
            "attempts": int(self.attempts),
            "scored": self.counts(),
        }


def judge_answers(
    judge: Judge,
    questions: Sequence[str],
    references: Sequence[str],
    predictions: Sequence[str],
    *,
    prompts: JudgePrompts | str | None = None,
    criteria: Sequence[str] | None = None,
    progress: bool = False,
    keep_replies: bool = True,
) -> JudgeReport:
    """Grade every prediction against its reference on each criterion (one judge request each)."""
    from tqdm.auto import tqdm

    if not (len(questions) == len(references) == len(predictions)):
        raise ValueError(
            f"questions, references and predictions differ in length: "
            f"{len(questions)}, {len(references)}, {len(predictions)}"
        )
    p = prompts if isinstance(prompts, JudgePrompts) else load_judge_prompts(prompts)
    crit = tuple(criteria or CRITERIA)
    unknown = [c for c in crit if c not in p.raw["criteria"]]
    if unknown:
        raise ValueError(f"{p.path}: no prompt for criteria {unknown}")
    lo, hi = p.scale
    report = JudgeReport(
        criteria=crit,
        scores=[],
        replies=[],
        judge=judge.describe(),
        prompt_hash=p.hash,
        failures_by_criterion=dict.fromkeys(crit, 0),
    )
    bar = tqdm(total=len(predictions) * len(crit), desc="Judging answers", unit="request", disable=not progress)
    for q, ref, pred in zip(questions, references, predictions):
        item, raw = {}, {}
        for c in crit:
            try:
                reply = judge.reply(p.messages(c, q, ref, pred))
            except _RequestFailed as err:
                report.request_failures += 1
                report.failures_by_criterion[c] += 1
                if len(report.failure_examples) < 5:
                    report.failure_examples.append(f"request failed: {err}")
                item[c], raw[c] = None, None
                bar.update(1)
                continue
            score = parse_score(reply, lo, hi)
            if score is None:
                report.parse_failures += 1
                report.failures_by_criterion[c] += 1
                if len(report.failure_examples) < 5:
                    report.failure_examples.append(f"unparseable reply: {reply[:120]!r}")
            item[c], raw[c] = score, (reply if keep_replies else None)
            bar.update(1)
        report.scores.append(item)
        report.replies.append(raw)
    bar.close()
    return report
