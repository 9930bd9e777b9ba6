"""The /v1 endpoints through real clients (official `openai`, LangChain `ChatOpenAI`) over a live server."""

from __future__ import annotations

from typing import Any

import openai
import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI

Q = "到2030年清洁能源装机占比达到多少？"


@pytest.fixture(scope="module")
def client(live_server: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{live_server}/v1", api_key="not-needed", max_retries=0, timeout=60)


def _squash(text: str) -> str:
    return text.replace(" ", "")


def test_models(client: openai.OpenAI) -> None:
    ids = [m.id for m in client.models.list()]
    assert ids == ["liaoning-plan-assistant"]


def test_chat(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="liaoning-plan-assistant",
        messages=[{"role": "system", "content": "ignored"}, {"role": "user", "content": Q}],
    )
    content = completion.choices[0].message.content or ""
    assert "70%" in _squash(content) and "引用：" in content and "（ch14.s2）" in content
    assert completion.choices[0].finish_reason == "stop"
    extra: Any = completion.model_extra or {}
    assert extra["citations"][0]["location"] == "ch14.s2"
    assert completion.usage is not None and completion.usage.total_tokens > 0


def test_chat_stream(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="liaoning-plan-assistant",
        messages=[{"role": "user", "content": Q}],
        stream=True,
        stream_options={"include_usage": True},
    )
    pieces, citations, finish, usage = [], None, None, None
    for chunk in stream:
        if chunk.usage:
            usage = chunk.usage
        for choice in chunk.choices:
            pieces.append(choice.delta.content or "")
            finish = choice.finish_reason or finish
        citations = (chunk.model_extra or {}).get("citations", citations)
    text = "".join(pieces)
    # offline, the answer is composed whole: it comes as one delta (then the sources), not cut into
    # cosmetic pieces; an LLM's reply comes in the pieces the service sends (tests/test_llm.py)
    assert len([p for p in pieces if p]) >= 1
    assert "70%" in _squash(text) and "引用：" in text
    assert finish == "stop" and citations and citations[0]["location"] == "ch14.s2"
    assert usage is not None and usage.completion_tokens > 0


def test_follow_up_through_history(client: openai.OpenAI) -> None:
    first = client.chat.completions.create(model="m", messages=[{"role": "user", "content": Q}])
    answer = first.choices[0].message.content or ""
    follow = client.chat.completions.create(
        model="m",
        messages=[
            {"role": "user", "content": Q},
            {"role": "assistant", "content": answer},
            {"role": "user", "content": "这一节还讲了什么？"},
        ],
    )
    extra: Any = follow.model_extra or {}
    assert any(c["location"] == "ch14.s2" for c in extra["citations"])


def test_bad_request_raises_a_clear_error(client: openai.OpenAI) -> None:
    with pytest.raises(openai.UnprocessableEntityError) as info:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "   "}])
    assert "不能为空" in str(info.value)
    with pytest.raises(openai.UnprocessableEntityError) as info:
        client.chat.completions.create(model="m", messages=[{"role": "assistant", "content": "x"}])
    assert "user" in str(info.value)


def test_langchain_invoke(live_server: str) -> None:
    llm = ChatOpenAI(
        base_url=f"{live_server}/v1",
        api_key="not-needed",
        model="liaoning-plan-assistant",
        max_retries=0,
        timeout=60,
    )
    reply = llm.invoke([SystemMessage("你是助手"), HumanMessage(Q)])
    assert isinstance(reply, AIMessage)
    assert "70%" in _squash(str(reply.content)) and "ch14.s2" in str(reply.content)


def test_langchain_stream(live_server: str) -> None:
    llm = ChatOpenAI(
        base_url=f"{live_server}/v1",
        api_key="not-needed",
        model="liaoning-plan-assistant",
        max_retries=0,
        timeout=60,
        streaming=True,
    )
    chunks = list(llm.stream([HumanMessage(Q)]))
    text = "".join(str(c.content) for c in chunks)
    assert len(chunks) > 2 and "70%" in _squash(text) and "引用：" in text
