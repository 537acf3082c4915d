"""The official `openai` package against Sybil's /openai/v1: list models,
one whole and one streamed chat completion. Exits non-zero on any mismatch.

usage: openai_sdk.py BASE_URL [TOKEN]
"""

import sys

import openai


def main() -> None:
    base, token = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else None)
    # Open mode takes any key; the SDK insists on having one.
    client = openai.OpenAI(base_url=f"{base}/openai/v1", api_key=token or "open-mode", max_retries=0)

    ids = [m.id for m in client.models.list()]
    assert "openai/gpt-4.1-mini" in ids, ids
    assert all(i.split("/", 1)[0] in ("openai", "anthropic", "xai") for i in ids), ids

    whole = client.chat.completions.create(
        model="openai/gpt-4.1-mini",
        messages=[
            {"role": "developer", "content": "Be brief."},
            {"role": "user", "content": "Say hello."},
        ],
        temperature=0.2,
        max_completion_tokens=64,
        user="contract-check",
    )
    assert whole.object == "chat.completion", whole
    assert whole.choices[0].message.role == "assistant", whole
    assert whole.choices[0].message.content == "Hello from the fake OpenAI.", whole
    assert whole.choices[0].finish_reason == "stop", whole
    assert whole.usage is not None and whole.usage.total_tokens > 0, whole

    text, finish, usage = "", None, None
    stream = client.chat.completions.create(
        model="xai/grok-4-fast",
        messages=[{"role": "user", "content": [{"type": "text", "text": "Say hello."}]}],
        stream=True,
        stream_options={"include_usage": True},
    )
    for chunk in stream:
        assert chunk.object == "chat.completion.chunk", chunk
        if chunk.choices:
            text += chunk.choices[0].delta.content or ""
            finish = chunk.choices[0].finish_reason or finish
        if chunk.usage is not None:
            usage = chunk.usage
    assert text == "Hello from the fake xAI.", text
    assert finish == "stop", finish
    assert usage is not None and usage.total_tokens > 0, usage

    try:
        client.chat.completions.create(model="gpt-4.1-mini", messages=[{"role": "user", "content": "x"}])
        raise AssertionError("a model without a provider was accepted")
    except openai.BadRequestError as e:
        assert e.status_code == 400 and e.param == "model", e

    if token:
        bad = openai.OpenAI(base_url=f"{base}/openai/v1", api_key="wrong", max_retries=0)
        try:
            bad.models.list()
            raise AssertionError("a wrong token was accepted")
        except openai.AuthenticationError:
            pass

    mode = "token" if token else "open"
    print(f"openai SDK {openai.__version__} ({mode} mode): models, completion and stream OK")


if __name__ == "__main__":
    main()
