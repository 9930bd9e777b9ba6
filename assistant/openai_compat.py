"""OpenAI-compatible chat completions: messages → question + history; answer → completion or SSE chunks.

Citations go into the message text (as the 引用 list) and into an extra top-level ``citations`` field.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from .answers import Answer, Turn
from .errors import AssistantError, InputError
from .present import answer_with_citations
from .schemas import ChatMessageIn
from .tokens import count_tokens

log = logging.getLogger(__name__)
CITATIONS_MARK = "\n\n引用："
INTERNAL_ERROR = "服务器内部错误，已记录日志。Internal server error."


def _text_of(message: ChatMessageIn) -> str:
    if message.content is None:
        return ""
    if isinstance(message.content, str):
        return message.content
    parts = []
    for part in message.content:
        if part.type != "text":
            raise InputError(f"只支持文本消息，不支持 {part.type!r} 类型。Only text content is supported.")
        parts.append(part.text or "")
    return "".join(parts)


def chat_to_question(messages: list[ChatMessageIn], max_chars: int | None = None) -> tuple[str, list[Turn]]:
    """Last user message → question; earlier user/assistant messages → history; system ignored.

    ``max_chars`` bounds every system, developer and assistant message (user messages are questions,
    bounded where the question is checked).
    """
    for i, m in enumerate(messages):
        if max_chars is not None and m.role != "user" and len(_text_of(m)) > max_chars:
            raise InputError(
                f"messages[{i}]（{m.role}）过长（{len(_text_of(m))} 字），最多 {max_chars} 字"
                "（RAG_MAX_MESSAGE_CHARS）。A message is too long."
            )
    convo = [m for m in messages if m.role in ("user", "assistant")]
    if not convo or convo[-1].role != "user":
        raise InputError("最后一条消息必须来自 user（即问题）。The last message must have role 'user'.")
    history = []
    for m in convo[:-1]:
        text = _text_of(m)
        if m.role == "assistant":
            text = text.split(CITATIONS_MARK, 1)[0]  # our own citation list is not part of the answer
        history.append(Turn("user" if m.role == "user" else "assistant", text))
    return _text_of(convo[-1]), history


def usage(question: str, history: list[Turn], completion: str) -> dict[str, int]:
    prompt = count_tokens(question) + sum(count_tokens(t.content) for t in history)
    done = count_tokens(completion)
    return {"prompt_tokens": prompt, "completion_tokens": done, "total_tokens": prompt + done}


def cite_dicts(answer: Answer | None) -> list[dict[str, str]]:
    if answer is None:
        return []
    return [{"location": c.location, "title": c.title, "quote": c.quote} for c in answer.citations]


def completion(answer: Answer, model: str, question: str, history: list[Turn]) -> dict[str, Any]:
    """A ``chat.completion`` object for one answer."""
    content = answer_with_citations(answer)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": usage(question, history, content),
        "citations": cite_dicts(answer),
    }


def _sse(data: dict[str, Any]) -> str:
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


def stream_chunks(
    first: str | Answer | None,
    rest: Iterator[str | Answer],
    model: str,
    question: str,
    history: list[Turn],
    include_usage: bool,
    status_of: Callable[[AssistantError], int],
) -> Iterator[str]:
    """SSE lines: a role chunk, content chunks, the 引用 list, a stop chunk with ``citations``, [DONE].

    ``first`` is the stream's first item, taken before the response started so that input errors
    become a 4xx; errors after that become an ``error`` event (what OpenAI clients expect).
    """
    cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        return {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [choice],
        }

    yield _sse(chunk({"role": "assistant", "content": ""}))
    answer: Answer | None = None
    sent = ""
    try:
        item = first
        while item is not None:
            if isinstance(item, Answer):
                answer = item
            elif item:
                sent += item
                yield _sse(chunk({"content": item}))
            item = next(rest, None)
    except AssistantError as exc:
        yield _sse({"error": {"message": str(exc), "type": type(exc).__name__, "code": status_of(exc)}})
        yield "data: [DONE]\n\n"
        return
    except Exception:  # a bug: logged with its traceback; the client gets an error event, not the text
        log.exception("the answer stream failed")
        yield _sse({"error": {"message": INTERNAL_ERROR, "type": "internal_error", "code": 500}})
        yield "data: [DONE]\n\n"
        return
    if answer is not None:
        full = answer_with_citations(answer)
        # The pieces normally spell out answer.text; if the verified text differs, send it in full.
        tail = full[len(sent) :] if full.startswith(sent) else "\n\n——（核验后的答案）\n" + full
        if tail:
            yield _sse(chunk({"content": tail}))
            sent += tail
    last = chunk({}, "stop")
    last["citations"] = cite_dicts(answer)
    yield _sse(last)
    if include_usage:
        yield _sse(
            {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [],
                "usage": usage(question, history, sent),
            }
        )
    yield "data: [DONE]\n\n"
