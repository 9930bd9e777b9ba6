"""What every tab shares: the assistant provider, messages, static files, and the source panel's HTML
(a location's text with its quotes marked, 专栏1 as a table, the plan's outline)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from ..answers import Citation
from ..errors import AssistantError
from ..facade import Assistant
from ..present import citation_label, find_span

AssistantSource = Assistant | Callable[[], Assistant]
Getter = Callable[[], Assistant]

STATIC = Path(__file__).resolve().parent / "static"
NOTICE_TITLE = "提示"
_MD_SPECIAL = re.compile(r"([\\`*_~\[\]<>])")
# the source writes subscripts as "PM _{2.5}"; shown as PM<sub>2.5</sub>
_SUBSCRIPT = re.compile(r"\s?_\{([^{}]{1,12})\}")


@dataclass
class Load:
    """What a tab fills in when the page loads (the Blocks' ``load`` event, registered by build_ui)."""

    fn: Callable[..., Any]
    inputs: list[Any]
    outputs: list[Any]


def provider(source: AssistantSource) -> Getter:
    if isinstance(source, Assistant):
        return lambda: source
    return source


def static_text(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def warn(message: str) -> None:
    """A toast with a Chinese title (Gradio's default title is "Warning")."""
    gr.Warning(message, title=NOTICE_TITLE)


def info(message: str) -> None:
    gr.Info(message, title=NOTICE_TITLE)


def md_escape(text: str) -> str:
    """Escape the Markdown characters plan text contains (``6.4*`` … ``*为2024年数据`` is not italics)."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def subscripts(escaped_html: str) -> str:
    """``PM _{2.5}`` in already-escaped HTML → ``PM<sub>2.5</sub>``."""
    return _SUBSCRIPT.sub(r"<sub>\1</sub>", escaped_html)


def plain_subscripts(text: str) -> str:
    """``PM _{2.5}`` → ``PM2.5`` (for plain text: copies, chip labels)."""
    return _SUBSCRIPT.sub(r"\1", text)


def empty_html(message: str) -> str:
    return f'<div class="panel-empty">{html.escape(message)}</div>'


def error_html(exc: AssistantError) -> str:
    return f'<div class="panel-empty" role="alert">提示：{html.escape(str(exc))}</div>'


# --------------------------------------------------------------------------- citations by location


def group_citations(citations: Sequence[Citation]) -> list[tuple[Citation, list[str]]]:
    """One entry per location, in order of first citation: (its first citation, its distinct quotes)."""
    groups: dict[str, tuple[Citation, list[str]]] = {}
    for c in citations:
        _, quotes = groups.setdefault(c.location, (c, []))
        if c.quote not in quotes:
            quotes.append(c.quote)
    return list(groups.values())


def chip_button(
    i: int,
    c: Citation,
    quotes: Sequence[str] | None = None,
    prefix: str = "cite-chip",
    label: str | None = None,
    paragraph: int = -1,
) -> str:
    """A citation chip: a click sends its location and quotes (and paragraph, if known) to the panel."""
    quotes = list(quotes) if quotes is not None else [c.quote]
    para = f' data-paragraph="{paragraph}"' if paragraph >= 0 else ""
    count = f'<span class="chip-count">{len(quotes)} 段</span>' if len(quotes) > 1 else ""
    text = plain_subscripts(label or citation_label(c))
    return (
        f'<button type="button" class="cite-chip" id="{prefix}-{i}" data-index="{i}"{para} '
        f'data-location="{html.escape(c.location)}" data-quote="{html.escape(quotes[0])}" '
        f"data-quotes='{html.escape(json.dumps(quotes, ensure_ascii=False))}' "
        f'title="{html.escape(c.title)}">[{i + 1}] {html.escape(text)}{count}</button>'
    )


# --------------------------------------------------------------------------- a location's text


def _spans(text: str, quotes: Sequence[str], start: int = 0) -> list[tuple[int, int]]:
    found = sorted(s for s in (find_span(text, q, start) for q in quotes if q) if s)
    merged: list[tuple[int, int]] = []
    for a, b in found:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def highlight_many(text: str, quotes: Sequence[str], start: int = 0) -> str:
    """``text`` as HTML paragraphs with every quote in ``<mark>`` (``start``: see :func:`find_span`)."""
    spans = _spans(text, quotes, start)
    out: list[str] = []
    pos = 0
    for line in text.split("\n"):
        a0, b0 = pos, pos + len(line)
        pos = b0 + 1
        if not line.strip():
            continue
        body, cursor = [], a0
        for a, b in spans:
            if a >= b0 or b <= a0:
                continue
            a, b = max(a, a0), min(b, b0)
            body.append(html.escape(text[cursor:a]))
            body.append(f'<mark class="cite-quote">{html.escape(text[a:b])}</mark>')
            cursor = b
        body.append(html.escape(text[cursor:b0]))
        out.append(f"<p>{subscripts(''.join(body))}</p>")
    return "\n".join(out)


INDICATOR_COLUMNS = ["类别", "指标", "单位", "2025年", "2030年", "年均增长/累计", "属性", "标注"]
FLAG_SYMBOLS = {"national": "★", "data_2024": "*", "cumulative": "[ ]"}


def indicator_rows(assistant: Assistant, category: str = "", attribute: str = "") -> list[list[str]]:
    return [
        [
            r.category,
            r.full_name,
            r.unit,
            r.value_2025.display,
            r.value_2030.display,
            r.growth.display,
            r.attribute,
            " ".join(FLAG_SYMBOLS[f] for f in r.flags),
        ]
        for r in assistant.document.indicators
        if category in ("", r.category) and attribute in ("", r.attribute)
    ]


def indicator_table_html(assistant: Assistant, rows: list[list[str]], quotes: Sequence[str] = ()) -> str:
    """专栏1 as a table; on a phone each row becomes a card (CSS), so 2030年 needs no sideways scrolling.
    Rows whose source line holds one of ``quotes`` are marked."""
    if not rows:
        return empty_html("没有符合条件的指标。")
    raw = {r.full_name: r.raw for r in assistant.document.indicators}
    head = "".join(f'<th scope="col">{c}</th>' for c in INDICATOR_COLUMNS)
    body = []
    for row in rows:
        hit = any(find_span(raw.get(row[1], ""), q) for q in quotes if q)
        cells = []
        for name, value in zip(INDICATOR_COLUMNS, row, strict=True):
            cls = "ind-name" if name == "指标" else f"ind-{INDICATOR_COLUMNS.index(name)}"
            shown = subscripts(html.escape(value)) or "—"
            if name == "标注" and not value:
                shown = ""
            cells.append(f'<td class="{cls}" data-label="{name}">{shown}</td>')
        mark = ' class="ind-hit"' if hit else ""
        body.append(f"<tr{mark}>{''.join(cells)}</tr>")
    return (
        '<table class="ind-table"><thead><tr>'
        + head
        + "</tr></thead><tbody>"
        + "".join(body)
        + "</tbody></table>"
    )


def location_body_html(
    assistant: Assistant, location: str, quotes: Sequence[str], paragraph: int = -1
) -> str:
    """A location's text with its quotes marked; 专栏1 is a table, its notes below."""
    loc = assistant.section(location)
    if loc.id == "box1" and assistant.document.indicators:
        notes = loc.text[loc.text.find("注：") :] if "注：" in loc.text else ""
        return (
            indicator_table_html(assistant, indicator_rows(assistant), quotes)
            + f'<div class="ind-notes">{highlight_many(notes, quotes)}</div>'
        )
    start = sum(len(p.text) + 1 for p in loc.paragraphs[:paragraph]) if paragraph > 0 else 0
    return highlight_many(loc.text, quotes, start)


BACK_TO_CHAT = '<button type="button" class="panel-action back-to-chat" data-action="chat">返回对话</button>'
BACK_TO_OUTLINE = (
    '<button type="button" class="panel-action back-to-outline" data-action="outline">返回提纲</button>'
)


def section_html(
    assistant: Assistant,
    location: str,
    quotes: Sequence[str] | str | None = None,
    paragraph: int = -1,
    actions: str = "",
) -> str:
    """A location's full text as HTML, with ``quotes`` highlighted by ``<mark>`` (in ``paragraph``, if given)."""
    if isinstance(quotes, str):
        quotes = [quotes]
    quotes = [q for q in quotes or () if q]
    loc = assistant.section(location)
    quote_block = "".join(
        f'<div class="quote">「{subscripts(html.escape(plain_subscripts(q)))}」</div>' for q in quotes
    )
    bar = f'<div class="panel-actions">{actions}</div>' if actions else ""
    return (
        f'<div class="plan-panel" data-location="{html.escape(loc.id)}">'
        f'<div class="panel-head">{bar}<h3>{subscripts(html.escape(loc.heading))}</h3>'
        f'<div class="loc-id">{html.escape(loc.path)} · {loc.id}</div></div>'
        f"{quote_block}{location_body_html(assistant, location, quotes, paragraph)}</div>"
    )


def outline_html(assistant: Assistant) -> str:
    """The plan's outline: chapters (folded) → sections and 专栏, each a button that opens it here."""

    def item(loc_id: str, label: str, cls: str = "") -> str:
        return (
            f'<li><button type="button" class="outline-item {cls}" data-location="{loc_id}">'
            f"{html.escape(label)}</button></li>"
        )

    parts = [
        '<div class="plan-panel outline" data-location="outline">',
        '<div class="panel-head"><h3>规划纲要提纲</h3>'
        '<div class="loc-id">点击章节或专栏阅读原文；提问后，点击回答的引用标签在这里查看出处。</div></div>',
        f'<ul class="outline-top">{item("preface", "序言")}</ul>',
    ]
    doc = assistant.document
    for chapter in doc.chapters:
        items = []
        for loc_id in chapter.locations:
            loc = doc[loc_id]
            label = {"intro": "本章引言"}.get(loc.kind, loc.heading)
            items.append(item(loc.id, label, "box" if loc.kind == "box" else ""))
        parts.append(
            f'<details class="outline-chapter"><summary>{html.escape(chapter.heading)}</summary>'
            f"<ul>{''.join(items)}</ul></details>"
        )
    parts.append("</div>")
    return "".join(parts)
