"""The shared generation helpers: a local causal LM (chat template or plain text, greedy or seeded, only the new
tokens decoded, the context checked first) and the InferenceClient for OpenAI-compatible endpoints (no key: no
Authorization header; works offline against a user's own server)."""

import pytest
import torch
from conftest import json_endpoint, tiny_text_lm

from s2i_hf.generation import ContextTooLong, LocalLM, chat_client


CORPUS = ["the noise of this video is poor and the overall quality is fair", "grade the answer from zero to five"] * 10
TEMPLATE = (
    "{% for m in messages %}<{{ m['role'] }}> {{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<assistant>{% endif %}"
)
NO_SYSTEM = (
    "{% for m in messages %}{% if m['role'] == 'system' %}{{ raise_exception('no system turn') }}{% endif %}"
    "<{{ m['role'] }}> {{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}"
)
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Grade the noise."}]


@pytest.fixture(scope="module")
def lm_dir(tmp_path_factory):
    return tiny_text_lm(tmp_path_factory.mktemp("lm"), CORPUS, vocab_size=300)


def test_prompts_render_with_the_template_or_as_plain_text(lm_dir):
    lm = LocalLM.from_pretrained(lm_dir)
    assert lm.model_id == lm_dir and not lm.model.training and lm.context_length == 4096
    decode = lambda enc: lm.tokenizer.decode(enc["input_ids"][0])  # noqa: E731
    assert decode(lm.encode("Grade the noise.")) == "Grade the noise."  # no template: a string as it is
    assert decode(lm.encode(MESSAGES)) == "Be brief.\n\nGrade the noise.\n"  # messages joined
    lm.tokenizer.chat_template = TEMPLATE
    assert decode(lm.encode(MESSAGES)) == "<system> Be brief.\n<user> Grade the noise.\n<assistant>"
    assert decode(lm.encode("Hi")) == "<user> Hi\n<assistant>"
    lm.tokenizer.chat_template = NO_SYSTEM  # a template that rejects a system turn gets it folded in
    assert decode(lm.encode(MESSAGES)) == "<user> Be brief.\n\nGrade the noise.\n<assistant>"
    with pytest.raises(Exception, match="no system turn"):  # nothing to fold it into: the template's own error
        lm.encode([{"role": "system", "content": "x"}])


def test_generation_decodes_only_new_tokens_greedy_or_seeded(lm_dir):
    lm = LocalLM.from_pretrained(lm_dir)
    enc = lm.encode(MESSAGES)
    with torch.no_grad():
        out = lm.model.generate(**enc, max_new_tokens=6, do_sample=False, pad_token_id=lm.tokenizer.eos_token_id)
    want = lm.tokenizer.decode(out[0, enc["input_ids"].shape[1] :], skip_special_tokens=True).strip()
    assert lm.generate(MESSAGES, max_new_tokens=6) == want
    a = lm.generate("Grade the noise.", max_new_tokens=8, temperature=1.0, seed=3)
    assert a == lm.generate("Grade the noise.", max_new_tokens=8, temperature=1.0, seed=3)
    assert {lm.generate("Grade the noise.", max_new_tokens=8, temperature=1.0, seed=s) for s in range(6)} != {a}


def test_a_prompt_longer_than_the_context_is_refused_before_generating(tmp_path):
    lm = LocalLM.from_pretrained(tiny_text_lm(tmp_path / "short", CORPUS, vocab_size=300, n_positions=16))
    with pytest.raises(ContextTooLong, match="exceeds the context of 16") as info:
        lm.generate(" ".join(CORPUS[:2]), max_new_tokens=4)
    assert info.value.limit == 16 and info.value.max_new_tokens == 4 and info.value.prompt_tokens > 12


def test_missing_model_raises_what_transformers_raises(tmp_path):
    with pytest.raises(OSError):
        LocalLM.from_pretrained(str(tmp_path / "nothing-here"))


@pytest.fixture
def endpoint():
    seen = []

    def respond(path, headers, body):
        seen.append({"path": path, "auth": headers.get("Authorization"), "body": body})
        return 200, {"choices": [{"index": 0, "message": {"role": "assistant", "content": "fine"}}]}

    with json_endpoint(respond) as server:
        yield f"http://127.0.0.1:{server.server_port}", seen


@pytest.mark.parametrize("offline", [True, False])
def test_chat_client_sends_no_hub_token_and_works_offline(endpoint, monkeypatch, offline):
    from huggingface_hub import constants

    base, seen = endpoint
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", offline)
    monkeypatch.setenv("HF_TOKEN", "hf_local_hub_token_not_for_others")
    messages = [{"role": "user", "content": "hi"}]
    out = chat_client(base + "/v1", timeout=5).chat_completion(messages, model="served", max_tokens=3, temperature=0.0)
    assert out.choices[0].message.content == "fine"
    assert seen[-1]["path"] == "/v1/chat/completions" and seen[-1]["auth"] is None
    assert seen[-1]["body"]["model"] == "served" and seen[-1]["body"]["max_tokens"] == 3
    chat_client(base + "/v1/chat/completions", api_key="sk-x", timeout=5).chat_completion(messages, model="served")
    assert seen[-1]["path"] == "/v1/chat/completions" and seen[-1]["auth"] == "Bearer sk-x"


def test_chat_client_unreachable_is_a_connection_error():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ConnectionError):
        chat_client(f"http://127.0.0.1:{port}/v1", timeout=5).chat_completion([{"role": "user", "content": "x"}])
