"""schemathesis hooks of scripts/contract/run.sh: live ids for the operations
whose ids no response hands over in a form schemathesis can follow.

- `POST /v1/chats/title/suggest` takes a chat id in its body, and so may
  `POST /v1/chat-completions` (and `/stream`); no link inference connects it
  to the chats schemathesis creates;
- `POST /v1/searches/{searchId}/run` needs a search that has a query when the
  body brings none, and the searches schemathesis creates mostly have none;
- `GET /v1/chat-completions/{completionId}/events` and `POST .../stop` take
  the id of a resumable completion, which only the `meta` event of a stream
  carries.

With generated ids every valid request of these operations would be refused
(404, or 400 for the query), so they would never be tested past the lookup.

A positive case is also made to keep the rules that tie two fields together,
which OpenAPI 3.0 cannot state and the schemas' descriptions do: `provider`
and `model` of a new chat come together, a `tool` message has no
attachments, an image's `mimeType` is the type its `dataUrl` names, and
`includeDomains` and `excludeDomains` are not both non-empty; an OpenAI
`tool` message has no image parts. Otherwise the
server's rightful 400 would count as "schema-valid request rejected".
Before each positive case, the id (when the case has one) is replaced by a
live one, made through the API itself: a new untitled chat, a new search with
a query (other operations of the run delete the chats and searches they
find), and one finished resumable completion for the whole run (nothing
deletes it). Negative cases keep their generated ids; everything else in a
request stays as generated.
"""

from __future__ import annotations

import json
import os
import threading
import urllib.request

import schemathesis

BASE = os.environ["SYBIL_CONTRACT_BASE"].rstrip("/")

_lock = threading.Lock()
_completion_id: str | None = None


def _call(method: str, path: str, body: dict) -> bytes:
    request = urllib.request.Request(
        BASE + path,
        data=json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


def _new_chat() -> str:
    return json.loads(_call("POST", "/v1/chats", {}))["chat"]["id"]


def _new_search() -> str:
    body = {"query": "contract checks fixture"}
    return json.loads(_call("POST", "/v1/searches", body))["search"]["id"]


def _finished_completion() -> str:
    """The id of one resumable completion, run to its end on first use."""
    global _completion_id
    with _lock:
        if _completion_id is None:
            stream = _call(
                "POST",
                "/v1/chat-completions/stream",
                {
                    "provider": "openai",
                    "model": "gpt-4.1-mini",
                    "messages": [{"role": "user", "content": "Hello"}],
                    "resumable": True,
                },
            )
            # The first event is `meta`, whose data carries `completionId`.
            for line in stream.decode().splitlines():
                if line.startswith("data:"):
                    _completion_id = json.loads(line[5:])["completionId"]
                    break
        if _completion_id is None:
            raise RuntimeError("the resumable stream sent no completionId")
        return _completion_id


def _positive(case) -> bool:
    return case.meta is not None and case.meta.generation.mode.is_positive


def _keep_message_rules(message) -> None:
    if not isinstance(message, dict):
        return
    if message.get("role") == "tool":
        message.pop("attachments", None)
    for attachment in message.get("attachments") or []:
        if not isinstance(attachment, dict):
            continue
        data_url = attachment.get("dataUrl")
        if attachment.get("kind") == "image" and isinstance(data_url, str):
            png = data_url.startswith("data:image/png;")
            attachment["mimeType"] = "image/png" if png else "image/jpeg"


@schemathesis.hook("before_call").apply_to(method="POST")
def keep_cross_field_rules(ctx, case, **kwargs):
    body = case.body
    if not _positive(case) or not isinstance(body, dict):
        return
    path = case.operation.path
    if path == "/v1/chats/{chatId}/messages":
        _keep_message_rules(body)
    for message in body.get("messages") or [] if path.startswith("/v1/") else []:
        _keep_message_rules(message)
    if path == "/v1/chats" and (body.get("provider") is None) != (body.get("model") is None):
        body["provider"] = body.get("provider") or "openai"
        body["model"] = body.get("model") or "gpt-4.1-mini"
    if path == "/v1/searches/{searchId}/run" and body.get("includeDomains"):
        body.pop("excludeDomains", None)
    if path == "/openai/v1/chat/completions":
        for message in body.get("messages") or []:
            if not isinstance(message, dict):
                continue
            content = message.get("content")
            if message.get("role") == "tool" and isinstance(content, list):
                message["content"] = [
                    p for p in content if isinstance(p, dict) and p.get("type") == "text"
                ]


@schemathesis.hook("before_call").apply_to(
    path="/v1/chats/title/suggest", method="POST"
)
def live_chat(ctx, case, **kwargs):
    if _positive(case) and isinstance(case.body, dict):
        case.body["chatId"] = _new_chat()


@schemathesis.hook("before_call").apply_to(
    path_regex=r"^/v1/chat-completions(/stream)?$", method="POST"
)
def live_completion_chat(ctx, case, **kwargs):
    if _positive(case) and isinstance(case.body, dict) and "chatId" in case.body:
        case.body["chatId"] = _new_chat()


@schemathesis.hook("before_call").apply_to(
    path="/v1/searches/{searchId}/run", method="POST"
)
def live_search(ctx, case, **kwargs):
    if _positive(case):
        case.path_parameters["searchId"] = _new_search()


@schemathesis.hook("before_call").apply_to(
    path_regex=r"^/v1/chat-completions/\{completionId\}/"
)
def live_completion(ctx, case, **kwargs):
    if _positive(case):
        case.path_parameters["completionId"] = _finished_completion()
