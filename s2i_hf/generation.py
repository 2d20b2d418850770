"""Text generation: a local causal LM (:class:`LocalLM`) and OpenAI-compatible chat endpoints (:func:`chat_client`).

:class:`LocalLM` is what the S2I-Bench judge (``s2i_hf.eval_suite.judges.LocalLMJudge``) and the rating-protected
rewriter (:mod:`s2i_hf.text.rewrite`) share: load a tokenizer and a causal LM from a Hub id or a local folder
(``trust_remote_code`` only when asked), render the prompt with the tokenizer's chat template when it has one,
generate greedily (or sampled, seeded), and decode only the new tokens.

:func:`chat_client` is ``huggingface_hub.InferenceClient(base_url=..., api_key=...)``, which speaks the chat API
of OpenAI, vLLM, TGI and llama.cpp servers, with two differences for endpoints that are not the Hub: without a
key no ``Authorization`` header is sent (the client would otherwise send the local Hub token to any server), and
``HF_HUB_OFFLINE=1`` (which blocks every request of the Hub's HTTP session) does not block a user's own server.

>>> lm = LocalLM.from_pretrained("path/or/hub-id")                           # doctest: +SKIP
>>> lm.generate([{"role": "user", "content": "Hello"}], max_new_tokens=8)   # doctest: +SKIP
>>> client = chat_client("http://127.0.0.1:8000/v1", api_key=None)           # doctest: +SKIP
>>> client.chat_completion(messages, model="served-name").choices[0].message.content  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any


__all__ = ["ContextTooLong", "LocalLM", "chat_client"]


class ContextTooLong(ValueError):
    """The prompt plus the new-token budget exceed the model's context."""

    def __init__(self, prompt_tokens: int, max_new_tokens: int, limit: int):
        self.prompt_tokens, self.max_new_tokens, self.limit = prompt_tokens, max_new_tokens, limit
        super().__init__(
            f"prompt of {prompt_tokens} tokens plus {max_new_tokens} new tokens exceeds the context of {limit}"
        )


def _fold_system(messages: list[dict]) -> list[dict]:
    """The messages with system turns folded into the first other turn (for templates that reject a system turn);
    unchanged when there is nothing to fold."""
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    rest = [dict(m) for m in messages if m["role"] != "system"]
    if not (system and rest):
        return messages
    rest[0]["content"] = f"{system}\n\n{rest[0]['content']}"
    return rest


class LocalLM:
    """A causal LM and its tokenizer, for chat-style generation.

    A prompt is a string (one user turn) or chat messages (``[{role, content}]``). With a chat template the
    messages are rendered by it with the generation prompt; a template that rejects a system turn gets the system
    text folded into the next turn. Without one a string is tokenized as it is, and messages as their contents
    joined by blank lines and ended by a newline.
    """

    def __init__(self, model, tokenizer, model_id: str | None = None):
        self.model = model
        self.tokenizer = tokenizer
        config = getattr(model, "config", None)
        self.model_id = model_id or getattr(config, "_name_or_path", None) or type(model).__name__

    @classmethod
    def from_pretrained(
        cls, model_id: str, *, trust_remote_code: bool = False, device: str | None = None
    ) -> "LocalLM":
        """``AutoTokenizer`` + ``AutoModelForCausalLM`` from a Hub id or a folder, in eval mode (on ``device``).
        Raises what transformers raises (``OSError``, ``ValueError``) when it cannot be loaded."""
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(model_id, trust_remote_code=trust_remote_code)
        model = AutoModelForCausalLM.from_pretrained(model_id, trust_remote_code=trust_remote_code)
        if device:
            model = model.to(device)
        return cls(model.eval(), tokenizer, model_id=model_id)

    @property
    def context_length(self) -> int | None:
        """The model's context in tokens, when its config states one."""
        config = getattr(self.model, "config", None)
        limit = getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", None)
        return limit if isinstance(limit, int) else None

    def encode(self, prompt: str | list[dict]):
        """The tokenized prompt (``input_ids``, ``attention_mask``; batch of one, PyTorch tensors)."""
        tok = self.tokenizer
        messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else list(prompt)
        if getattr(tok, "chat_template", None):
            kwargs = {"add_generation_prompt": True, "return_tensors": "pt", "return_dict": True}
            try:
                return tok.apply_chat_template(messages, **kwargs)
            except Exception:  # some templates reject a system turn: fold it into the user turn
                folded = _fold_system(messages)
                if folded == messages:
                    raise
                return tok.apply_chat_template(folded, **kwargs)
        text = prompt if isinstance(prompt, str) else "\n\n".join(m["content"] for m in messages) + "\n"
        return tok(text, return_tensors="pt")

    def generate(
        self, prompt: str | list[dict], *, max_new_tokens: int, temperature: float = 0.0, seed: int | None = None
    ) -> str:
        """The model's reply to ``prompt``: the new tokens decoded, special tokens skipped, stripped.

        Greedy when ``temperature`` is 0, else sampled at that temperature; ``seed`` seeds torch first. Raises
        :class:`ContextTooLong` (before generating) when the prompt plus ``max_new_tokens`` exceed the context."""
        import torch

        inputs = self.encode(prompt)
        n = inputs["input_ids"].shape[1]
        limit = self.context_length
        if limit is not None and n + max_new_tokens > limit:
            raise ContextTooLong(n, max_new_tokens, limit)
        device = getattr(self.model, "device", None)
        if device is not None:
            inputs = {k: v.to(device) for k, v in inputs.items()}
        tok = self.tokenizer
        sampling: dict[str, Any] = {"do_sample": False}
        if temperature > 0:
            sampling = {"do_sample": True, "temperature": temperature}
        if seed is not None:
            torch.manual_seed(seed)
        with torch.no_grad():
            out = self.model.generate(
                **inputs,
                max_new_tokens=max_new_tokens,
                **sampling,
                pad_token_id=tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id,
            )
        return tok.decode(out[0, n:], skip_special_tokens=True).strip()


# --- chat endpoints -------------------------------------------------------------------------------------


def _http_library():
    """The HTTP library huggingface_hub's session is built on (``httpx2`` in huggingface_hub 2.x)."""
    try:
        import httpx2 as http
    except ImportError:  # pragma: no cover - huggingface_hub 1.x
        import httpx as http
    return http


def chat_client(base_url: str, api_key: str | None = None, timeout: float | None = None):
    """A ``huggingface_hub.InferenceClient(base_url=..., api_key=...)`` for an OpenAI-compatible endpoint.

    ``base_url``: the API base (``http://host:8000/v1``) or the full ``.../chat/completions`` address. Call its
    ``chat_completion(messages, model=..., ...)``. It raises ``HfHubHTTPError`` (with ``.response``) for an HTTP
    error, ``InferenceTimeoutError`` (a ``TimeoutError``) for a timeout and ``ConnectionError`` when the server
    cannot be reached. Without ``api_key`` no ``Authorization`` header is sent."""
    from huggingface_hub import InferenceClient, constants
    from huggingface_hub.errors import InferenceTimeoutError
    from huggingface_hub.utils import hf_raise_for_status

    http = _http_library()

    class _EndpointClient(InferenceClient):
        _own_session = None

        def _inner_post(self, request_parameters, *, stream: bool = False):
            if not api_key:  # never hand the local Hub token to someone else's server
                request_parameters.headers.pop("authorization", None)
            try:
                if not constants.is_offline_mode() or stream:
                    return super()._inner_post(request_parameters, stream=stream)
                # offline mode blocks the Hub's HTTP session; this endpoint is not the Hub
                if self._own_session is None:
                    self._own_session = http.Client()
                response = self._own_session.post(
                    request_parameters.url,
                    json=request_parameters.json,
                    content=request_parameters.data,
                    headers=request_parameters.headers,
                    cookies=self.cookies,
                    timeout=self.timeout,
                )
                hf_raise_for_status(response)
                return response.content
            except http.TimeoutException as err:
                raise InferenceTimeoutError(f"Inference call timed out: {request_parameters.url}") from err
            except http.TransportError as err:
                raise ConnectionError(str(err) or type(err).__name__) from err

    return _EndpointClient(base_url=base_url, api_key=api_key or None, timeout=timeout)
