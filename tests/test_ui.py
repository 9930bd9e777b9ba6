"""The Gradio UI through gradio_client against the live server (same session = same conversation)."""

from __future__ import annotations

import csv
from typing import Any

import pytest
from gradio_client import Client

Q = "到2030年清洁能源装机占比达到多少？"


def _client(url: str) -> Client:
    return Client(url, verbose=False, analytics_enabled=False)


def _texts(chat: list[dict[str, Any]]) -> list[str]:
    return ["".join(part.get("text", "") for part in m["content"]) for m in chat]


@pytest.fixture(scope="module")
def conversation(live_server: str) -> tuple[Client, tuple[Any, ...]]:
    client = _client(live_server)
    return client, client.predict(Q, api_name="/ask")


def test_endpoints_are_named(live_server: str) -> None:
    names = set(_client(live_server).view_api(print_info=False, return_format="dict")["named_endpoints"])
    assert {
        "/ask",
        "/section",
        "/clear",
        "/feedback_up",
        "/feedback_down",
        "/export_feedback",
        "/indicators",
    } <= names


def test_ask_shows_answer_chips_and_copy_text(conversation: tuple[Client, tuple[Any, ...]]) -> None:
    _, (chat, question_box, chips, copy_text) = conversation
    texts = _texts(chat)
    assert texts[0] == Q and "70%" in texts[1].replace(" ", "")
    assert "**引用**" in texts[1] and "ch14.s2" in texts[1]
    assert question_box == ""
    assert 'class="cite-chip"' in chips and 'data-index="0"' in chips and 'id="cite-chip-0"' in chips
    assert (
        copy_text.startswith(texts[1].split("\n")[0]) and "引用：" in copy_text and "（ch14.s2）" in copy_text
    )


def test_follow_up_keeps_the_conversation(conversation: tuple[Client, tuple[Any, ...]]) -> None:
    client, _ = conversation
    chat, _, chips, copy_text = client.predict("这一节还讲了什么？", api_name="/ask")
    assert len(chat) == 4
    assert "第 2 问" in chips and "ch14.s2" in copy_text


def test_section_highlights_the_quote(live_server: str) -> None:
    quote = "到 2030 年，清洁能源装机占比达到 70%。"
    html = _client(live_server).predict("ch14.s2", quote, api_name="/section")
    assert 'data-location="ch14.s2"' in html
    assert '<mark class="cite-quote">到 2030 年，清洁能源装机占比达到 70%。</mark>' in html
    # whitespace in the quote does not matter
    assert "<mark" in _client(live_server).predict(
        "ch14.s2", "到2030年，清洁能源装机占比达到70%。", api_name="/section"
    )


def test_section_unknown_location(live_server: str) -> None:
    assert "没有位置" in _client(live_server).predict("ch99.s9", "", api_name="/section")


def test_empty_and_too_long_questions_change_nothing(live_server: str) -> None:
    client = _client(live_server)
    chat, *_ = client.predict("   ", api_name="/ask")
    assert chat in ([], {"__type__": "update"})  # nothing added (the update is a "skip")
    chat, question_box, *_ = client.predict("清" * 600, api_name="/ask")
    assert not chat and question_box == "清" * 600  # kept so the user can shorten it


def test_feedback_and_export(live_server: str) -> None:
    client = _client(live_server)
    status, _ = client.predict("", api_name="/feedback_up")
    assert "请先提问" in status
    client.predict(Q, api_name="/ask")
    status, comment = client.predict("引用准确", api_name="/feedback_up")
    assert "已记录反馈" in status and comment == ""
    status, _ = client.predict("", api_name="/feedback_down")
    assert "👎" in status
    path = client.predict(api_name="/export_feedback")
    with open(path, encoding="utf-8-sig") as f:
        rows = [r for r in csv.DictReader(f) if r["source"] == "ui"]
    assert {"up", "down"} <= {r["rating"] for r in rows}
    assert any(r["comment"] == "引用准确" and "ch14.s2" in r["citations"] for r in rows)


def test_clear(live_server: str) -> None:
    client = _client(live_server)
    client.predict(Q, api_name="/ask")
    chat, _, chips, copy_text, panel, _ = client.predict(api_name="/clear")
    assert chat == [] and chips == "" and copy_text == "" and "点击" in panel
    chat, *_ = client.predict("规划提出推动设立哪个国家公园？", api_name="/ask")
    assert len(chat) == 2  # the cleared conversation is gone


def test_indicators_filter(live_server: str) -> None:
    table = _client(live_server).predict("绿色低碳", "约束性", api_name="/indicators")
    rows = table["data"]
    assert rows and all(r[0] == "绿色低碳" and r[6] == "约束性" for r in rows)
    assert table["headers"][:3] == ["类别", "指标", "单位"]


def test_section_without_quote(live_server: str) -> None:
    html = _client(live_server).predict("box27", api_name="/section")
    assert "专栏27" in html and "<mark" not in html
