"""The Gradio UI through gradio_client against the live server (same session = same conversation)."""

from __future__ import annotations

import csv
import re
from typing import Any

import pytest
from gradio_client import Client

from assistant.feedback import FeedbackStore

Q = "到2030年清洁能源装机占比达到多少？"
NO_CONVERSATIONS: dict[str, Any] = {"current": "", "items": []}


def _client(url: str) -> Client:
    return Client(url, verbose=False, analytics_enabled=False)


def _texts(chat: list[dict[str, Any]]) -> list[str]:
    return ["".join(part.get("text", "") for part in m["content"]) for m in chat]


@pytest.fixture(scope="module")
def conversation(live_server: str) -> tuple[Client, tuple[Any, ...]]:
    client = _client(live_server)
    return client, client.predict(Q, NO_CONVERSATIONS, api_name="/ask")


def test_endpoints_are_named(live_server: str) -> None:
    names = set(_client(live_server).view_api(print_info=False, return_format="dict")["named_endpoints"])
    # only these: 有帮助/没有帮助, 清除, 新对话 and the rest are the page's own events (test_browser.py)
    assert names == {"/ask", "/section", "/export_feedback", "/indicators", "/match_policy"}


def test_ask_shows_the_answer_first_its_sources_folded_and_one_chip_per_location(
    conversation: tuple[Client, tuple[Any, ...]],
) -> None:
    _, (chat, _, chips, saved, conv_list) = conversation
    texts = _texts(chat)
    assert texts[0] == Q and texts[1].startswith("根据第十四章第二节") and "70%" in texts[1]
    assert '<details class="cites"><summary>引用：1 处出处，1 段原文' in texts[1]
    assert '<a href="#ch14.s2" class="cite-loc"' in texts[1] and "**引用**" not in texts[1]
    assert chips.count('class="cite-chip"') == 1 and 'data-location="ch14.s2"' in chips
    # the conversation is handed to the browser to keep, and listed
    (kept,) = saved["items"]
    assert saved["current"] == kept["id"] and kept["title"] == Q and kept["exchanges"][0]["question"] == Q
    assert conv_list["value"] == kept["id"] and conv_list["choices"][0][1] == kept["id"]


def test_follow_up_keeps_the_conversation_and_groups_its_quotes(
    conversation: tuple[Client, tuple[Any, ...]],
) -> None:
    client, (_, _, _, saved, _) = conversation
    chat, _, chips, saved, _ = client.predict("这一节还讲了什么？", saved, api_name="/ask")
    assert len(chat) == 4
    # five quotes from one section: one chip that carries all five, not five chips with one label
    assert "第 2 问" in chips and chips.count('class="cite-chip"') == 1 and "5 段" in chips
    answer = _texts(chat)[3]
    assert "1 处出处，5 段原文" in answer
    quotes = re.findall(r"<li>「([^」]*)」</li>", answer)
    assert len(quotes) == 5 == len(set(quotes))
    assert len(saved["items"]) == 1 and len(saved["items"][0]["exchanges"]) == 2


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
    chat, *_ = client.predict("   ", NO_CONVERSATIONS, api_name="/ask")
    assert chat in ([], None, {"__type__": "update"})  # nothing added
    chat, question_box, *_ = client.predict("清" * 600, NO_CONVERSATIONS, api_name="/ask")
    assert _texts(chat) == [] and question_box == "清" * 600  # kept so the user can shorten it


def test_feedback_export(live_server: str, http_settings: Any) -> None:
    """The export holds what the UI's like/dislike stored (tests/test_browser.py clicks them)."""
    FeedbackStore(http_settings.data_dir).add(Q, "答", [], "up", "", source="ui")
    path = _client(live_server).predict(api_name="/export_feedback")
    with open(path, encoding="utf-8-sig") as f:
        rows = [r for r in csv.DictReader(f) if r["source"] == "ui"]
    assert any(r["rating"] == "up" and r["question"] == Q for r in rows)


def test_indicators_filter(live_server: str) -> None:
    table = _client(live_server).predict("绿色低碳", "约束性", api_name="/indicators")
    rows = table["data"]
    assert rows and all(r[0] == "绿色低碳" and r[6] == "约束性" for r in rows)
    assert table["headers"][:5] == ["类别", "指标", "单位", "2025年", "2030年"]


def test_section_without_quote(live_server: str) -> None:
    html = _client(live_server).predict("box27", api_name="/section")
    assert "专栏27" in html and "<mark" not in html


def test_box1_is_a_table_with_subscripts(live_server: str) -> None:
    html = _client(live_server).predict("box1", "★森林覆盖率(%) 35.67 35.7 — 约束性", api_name="/section")
    assert '<table class="ind-table">' in html and "PM<sub>2.5</sub>" in html and "_{" not in html
    marked = re.findall(r'<tr class="ind-hit">(.*?)</tr>', html)
    assert len(marked) == 1 and "森林覆盖率" in marked[0] and "35.7" in marked[0]
