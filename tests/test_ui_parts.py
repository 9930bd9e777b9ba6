"""The UI's parts without a server: messages, chips, copy text, conversations, streaming, packaging."""

from __future__ import annotations

import itertools
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import gradio as gr

from assistant.answers import Answer, Citation
from assistant.facade import Assistant
from assistant.ui import build_ui, mount_options, qa
from assistant.ui.common import STATIC, group_citations, section_html

ROOT = Path(__file__).resolve().parent.parent
SEC = "第十四章 全力建设清洁能源强省 加快构建新型能源体系 › 第二节 推动能源绿色低碳转型"


def _answer() -> Answer:
    cites = (
        Citation("ch14.s2", SEC, "提高清洁能源装机比重。"),
        Citation("ch14.s2", SEC, "实现源网荷储良性互动。"),
        Citation("ch14.s2", SEC, "提高清洁能源装机比重。"),  # the same quote twice
        Citation("box1", "第一章 … › 专栏1 辽宁省“十五五”经济社会发展主要指标表", "PM _{2.5}"),
    )
    return Answer("第二节讲了：\n1. 提高清洁能源装机比重\n2. 实现源网荷储良性互动 *注*", cites, False, "q")


def test_citations_are_grouped_by_location_each_quote_once() -> None:
    groups = group_citations(_answer().citations)
    assert [(c.location, quotes) for c, quotes in groups] == [
        ("ch14.s2", ["提高清洁能源装机比重。", "实现源网荷储良性互动。"]),
        ("box1", ["PM _{2.5}"]),
    ]
    chips = qa.chips_html([qa.exchange_of("q", _answer())], 0)
    assert chips.count('class="cite-chip"') == 2 and "2 段" in chips
    assert "[1] 第二节 推动能源绿色低碳转型" in chips and "[2] 专栏1" in chips and "[3]" not in chips


def test_message_puts_the_answer_first_and_folds_its_quotes() -> None:
    text = qa.message_markdown(qa.exchange_of("q", _answer()))
    answer, _, rest = text.partition('<details class="cites">')
    rest, _, hidden = rest.partition("</details>")
    assert hidden.strip().startswith('<span class="copy-src" title="')  # the clean copy, not shown
    assert answer.startswith("第二节讲了") and r"\*注\*" in answer  # plan text is not Markdown
    assert "<summary>引用：2 处出处，3 段原文（展开查看）</summary>" in rest
    assert rest.count("「提高清洁能源装机比重。」") == 1 and "PM2.5" in rest
    assert '<a href="#ch14.s2" class="cite-loc"' in rest  # a link: reachable with the keyboard


def test_copy_text_is_clean_text_with_sources() -> None:
    text = qa.copy_text(qa.exchange_of("q", _answer()))
    assert text.startswith("第二节讲了：\n1. 提高清洁能源装机比重")
    assert (
        "引用：\n[1] " + SEC + "（ch14.s2）\n    「提高清洁能源装机比重。」\n    「实现源网荷储良性互动。」"
        in text
    )
    assert "PM2.5" in text
    assert not any(mark in text for mark in ("**", "`", "<", "\\", "_{"))


def _pieces(delays: list[float], answer: Answer) -> Iterator[str | Answer]:
    for i, delay in enumerate(delays):
        time.sleep(delay)
        yield f"p{i}"
    yield answer


def test_an_answer_ready_at_once_is_shown_at_once() -> None:
    final = Answer("p0p1p2p3", (), False, "q")
    updates = list(qa.coalesce(_pieces([0, 0, 0, 0], final)))
    assert updates == [("p0p1p2p3", final)]


def test_text_that_arrives_in_pieces_is_shown_as_it_comes() -> None:
    final = Answer("p0p1p2", (), False, "q")
    updates = list(qa.coalesce(_pieces([0, 0.25, 0.25], final), gap=0.1))
    assert [text for text, _ in updates] == ["p0p1", "p0p1p2", "p0p1p2"] and updates[-1][1] is final


def test_a_fast_stream_is_shown_as_it_grows_not_only_at_the_end() -> None:
    final = Answer("".join(f"p{i}" for i in range(20)), (), False, "q")
    updates = list(qa.coalesce(_pieces([0.02] * 20, final), gap=0.1))
    partial = [text for text, answer in updates if answer is None]
    assert len(partial) >= 2 and all(a != b for a, b in itertools.pairwise(partial))
    assert updates[-1] == (final.text, final)


def test_stopping_the_shown_text_closes_the_stream() -> None:
    """停止 (or a client that went away) closes the handler's stream: the answer's pieces are closed
    too, so their generation slot goes back (assistant/limits.py)."""
    closed: list[str] = []

    def pieces() -> Iterator[str | Answer]:
        try:
            yield "p0"
            time.sleep(0.15)
            yield "p1"
            yield Answer("p0p1", (), False, "q")
        finally:
            closed.append("pieces")

    shown = qa.coalesce(pieces(), gap=0.1)
    assert next(shown) == ("p0p1", None)
    shown.close()
    assert closed == ["pieces"]


def test_mode_label() -> None:
    assert "离线摘录模式" in qa.mode_html("extractive") and "大模型模式" in qa.mode_html("openai")


def test_conversations_are_kept_newest_first_within_limits() -> None:
    assert qa.conversations_of("not a dict") == {"current": "", "items": []}
    assert qa.conversations_of({"items": [{"id": 1}], "current": "x"})["items"] == []
    convs = qa.conversations_of(None)
    ex = qa.exchange_of("很长的问题" * 10, _answer())
    for n in range(qa.MAX_CONVERSATIONS + 3):
        convs = qa.save_conversation(convs, f"c{n}", [ex])
    assert (
        len(convs["items"]) == qa.MAX_CONVERSATIONS and convs["items"][0]["id"] == convs["current"] == "c32"
    )
    assert len(convs["items"][0]["title"]) == qa.TITLE_CHARS and convs["items"][0]["title"].endswith("…")
    convs = qa.save_conversation(convs, "c5", [ex] * (qa.MAX_EXCHANGES + 5))
    assert convs["items"][0]["id"] == "c5" and len(qa.find_conversation(convs, "c5")) == qa.MAX_EXCHANGES
    assert [c[1] for c in qa.conversation_choices(convs)][:2] == ["c5", "c32"]
    assert qa.save_conversation(convs, "new", [])["items"] == convs["items"]  # empty ones are not kept


def test_box1_is_a_table_and_marks_the_cited_row(assistant: Assistant) -> None:
    html = section_html(assistant, "box1", ["★森林覆盖率(%) 35.67 35.7 — 约束性"])
    assert '<th scope="col">2030年</th>' in html and "PM<sub>2.5</sub>" in html and "_{" not in html
    assert html.count('class="ind-hit"') == 1


def test_static_files_are_package_data() -> None:
    """A non-editable install ships the CSS and JavaScript the UI reads."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert "assistant.ui" in config["packages"]
    shipped = {p for pattern in config["package-data"]["assistant.ui"] for p in STATIC.parent.glob(pattern)}
    assert {p for p in STATIC.iterdir() if p.suffix in (".css", ".js")} <= shipped
    options = mount_options()
    assert options["css_paths"] == [STATIC / "ui.css"] and "window.planUI" in options["head"]
    assert isinstance(options["i18n"], gr.I18n)


def test_build_ui_starts_nothing(assistant: Assistant) -> None:
    demo = build_ui(assistant)
    assert isinstance(demo, gr.Blocks) and not demo.is_running
    tabs = [b.label for b in demo.blocks.values() if isinstance(b, gr.Tab)]
    assert tabs == ["问答", "目录", "指标", "企业政策匹配"]
