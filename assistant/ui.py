"""The Gradio UI (Chinese): 问答 with citation chips and a source panel, 目录, 指标, 企业政策匹配, feedback.

:func:`build_ui` only builds the Blocks; ``app.py`` mounts it on the FastAPI app with :data:`CSS`
and :func:`theme`. The assistant may be given directly or as a provider (it loads in the app's
lifespan), so every handler asks the provider and shows a clear message while it is still loading.
"""

from __future__ import annotations

import html
import logging
import re
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
from starlette.datastructures import Headers

from .answers import Answer, Citation, Turn
from .auth import is_loopback
from .errors import AssistantError, InputError
from .facade import Assistant
from .feedback import FeedbackStore
from .indicators import ATTRIBUTES, CATEGORIES, FLAG_NOTES
from .openai_compat import INTERNAL_ERROR
from .policy import CITIES, TARGETS_HEADING, TRAITS, Clause, PolicyReport, Profile, to_csv, to_markdown
from .present import answer_with_citations, citation_label, highlight_html

AssistantSource = Assistant | Callable[[], Assistant]
Exchange = dict[
    str, Any
]  # {"question", "answer", "citations": [{location,title,quote}], "notice", "abstained"}

EXAMPLES = [
    "到2030年清洁能源装机占比达到多少？",
    "22个重点产业集群中，世界级产业集群有哪些？",
    "沈阳“一枢纽、四中心”具体指什么？",
    "专栏1里森林覆盖率2030年的目标是多少？",
    "规划提出推动设立哪个国家公园？",
]
ALL = "全部"
_MD_SPECIAL = re.compile(r"([\\`*_~\[\]])")
PANEL_EMPTY = '<div class="panel-empty">点击回答下方的引用标签，在这里查看原文出处（引文高亮显示）。</div>'
POLICY_EMPTY = (
    '<div class="panel-empty">选择所属行业（或填写企业简介），可再选城市和企业类型，点击“匹配”：'
    "这里按章列出规划中与企业相关的条款，每条注明出处和匹配理由。</div>"
)
POLICY_PANEL_EMPTY = '<div class="panel-empty">点击条款下方的出处标签，在这里查看原文（条款高亮显示）。</div>'
ANY_CITY = "不限"
POLICY_K = 20
FLAG_SYMBOLS = {"national": "★", "data_2024": "*", "cumulative": "[ ]"}
INDICATOR_COLUMNS = ["类别", "指标", "单位", "2025年", "2030年", "年均增长/累计", "属性", "标注"]

# Citation clicks trigger the chips component's click event with {location, quote}: the chips below the
# chat (event delegation, so re-rendered chips work) and the location codes in every answer's 引用 list
# (one document listener; it calls the latest mount's trigger).
CHIPS_JS = r"""
window.__planCite = (location, quote) => trigger('click', {location: location, quote: quote});
element.addEventListener('click', (e) => {
  const chip = e.target.closest('.cite-chip');
  if (chip) { window.__planCite(chip.dataset.location, chip.dataset.quote); }
});
if (!window.__planCiteLinks) {
  window.__planCiteLinks = true;
  document.addEventListener('click', (e) => {
    const code = e.target.closest('#chatbot li code');
    const id = code ? code.textContent.trim() : '';
    if (!/^(preface|ch\d{1,2}\.s\d{1,2}|box\d{1,2})$/.test(id)) { return; }
    const m = (code.closest('li').textContent || '').match(/）：「([\s\S]*)」\s*$/);
    window.__planCite(id, m ? m[1] : '');
  });
}
"""
# The policy report's chips: the same chips, delegated to its own component (no global hook).
POLICY_CHIPS_JS = r"""
element.addEventListener('click', (e) => {
  const chip = e.target.closest('.cite-chip');
  if (chip) {
    const paragraph = Number(chip.dataset.paragraph || -1);
    trigger('click', {location: chip.dataset.location, quote: chip.dataset.quote, paragraph: paragraph});
  }
});
"""

log = logging.getLogger(__name__)


def _scroll_to_mark_js(panel_id: str) -> str:
    """After a citation click: bring the highlighted quote in the side panel into view."""
    return f"""
() => {{
  const mark = document.querySelector('#{panel_id} mark');
  if (mark) {{ mark.scrollIntoView({{block: 'center', behavior: 'smooth'}}); }}
}}
"""


SCROLL_TO_MARK_JS = _scroll_to_mark_js("section-panel")
# The policy side panel sticks beside a long report: when it is in view, scroll only inside it, so the
# reader keeps their place in the report; otherwise (phones: it is below the report) go to the quote.
POLICY_SCROLL_JS = """
() => {
  const mark = document.querySelector('#policy-panel mark');
  const box = mark ? mark.closest('.plan-panel') : null;
  if (!mark || !box) { return; }
  const b = box.getBoundingClientRect(), m = mark.getBoundingClientRect();
  if (b.top >= 0 && b.bottom <= window.innerHeight + 1) {
    const top = box.scrollTop + m.top - b.top - (box.clientHeight - m.height) / 2;
    box.scrollTo({top: Math.max(0, top), behavior: 'smooth'});
  } else {
    mark.scrollIntoView({block: 'center', behavior: 'smooth'});
  }
}
"""

CSS = """
#app-title h1 { font-size: 1.5rem; margin: 0.2em 0; }
#app-title p { color: var(--body-text-color-subdued); margin: 0; }
#citation-chips { min-height: 2rem; }
#citation-chips .chips-label {
  font-size: 0.85rem; color: var(--body-text-color-subdued); margin-right: 0.3rem;
}
#citation-chips .cite-chip, #policy-report .cite-chip {
  display: inline-block; margin: 0.2rem 0.3rem 0.2rem 0; padding: 0.25rem 0.7rem;
  border: 1px solid var(--color-accent); border-radius: 999px; background: var(--background-fill-primary);
  color: var(--color-accent); font-size: 0.85rem; cursor: pointer; max-width: 100%; transition: none;
  overflow: hidden; text-overflow: ellipsis; white-space: nowrap; vertical-align: middle;
}
#chatbot li code {
  cursor: pointer; color: var(--color-accent); background: var(--color-accent-soft);
  border: 1px solid var(--color-accent); border-radius: 999px; padding: 0 0.45rem;
}
#chatbot li code:hover, #citation-chips .cite-chip:hover, #policy-report .cite-chip:hover {
  background: var(--color-accent-soft); text-decoration: underline; box-shadow: 0 0 0 1px var(--color-accent);
}
.plan-panel {
  border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 0.8rem 1rem;
  max-height: 70vh; overflow-y: auto; background: var(--background-fill-secondary); line-height: 1.75;
}
.plan-panel .panel-head {
  position: sticky; top: -0.8rem; margin: -0.8rem -1rem 0.4rem; padding: 0.6rem 1rem 0.4rem;
  background: var(--background-fill-secondary); border-bottom: 1px solid var(--border-color-primary);
}
.plan-panel h3 { margin: 0 0 0.2rem 0; font-size: 1.05rem; }
#section-panel .loc-id, #toc-text .loc-id, #policy-panel .loc-id {
  font-family: var(--font-mono); font-size: 0.8rem; color: var(--body-text-color-subdued);
}
#section-panel mark, #toc-text mark, #policy-panel mark { background: #ffe58f; padding: 0 2px; border-radius: 2px; }
#section-panel .quote, #policy-panel .quote {
  border-left: 3px solid var(--color-accent); padding-left: 0.6rem; margin: 0.5rem 0;
}
.gradio-container { overflow: clip !important; }  /* clips like Gradio's "hidden", but lets #policy-side stick */
#policy-side { position: sticky; top: 0.5rem; align-self: flex-start; }
#policy-report .policy-summary { color: var(--body-text-color-subdued); margin: 0 0 0.4rem; }
#policy-report h4 {
  margin: 1rem 0 0.4rem; padding-bottom: 0.2rem; font-size: 1rem;
  border-bottom: 1px solid var(--border-color-primary);
}
#policy-report .clause {
  margin: 0.5rem 0; padding: 0.55rem 0.8rem; border: 1px solid var(--border-color-primary);
  border-radius: 8px; background: var(--background-fill-primary); line-height: 1.7;
}
#policy-report .clause.target { border-left: 3px solid #faad14; }
#policy-report .clause-quote { margin: 0 0 0.3rem; }
#policy-report .clause-meta { font-size: 0.82rem; color: var(--body-text-color-subdued); }
#policy-report .clause-meta .cite-chip { margin: 0 0.4rem 0 0; font-size: 0.8rem; padding: 0.1rem 0.6rem; }
#policy-report .reason {
  display: inline-block; margin: 0.15rem 0.25rem 0 0; padding: 0 0.45rem; border-radius: 4px;
  background: var(--background-fill-secondary); border: 1px solid var(--border-color-primary);
  font-size: 0.78rem; color: var(--body-text-color);
}
#policy-report .reason-city, #policy-report .reason-type { border-color: var(--color-accent); }
#policy-downloads { align-items: center; }
.panel-empty {
  color: var(--body-text-color-subdued); padding: 1rem; border: 1px dashed var(--border-color-primary);
  border-radius: 8px;
}
#fb-status p { margin: 0; }
@media (max-width: 640px) {
  .main { padding-left: 8px !important; padding-right: 8px !important; }
  #app-title h1 { font-size: 1.2rem; }
  .plan-panel { max-height: none; }
  #policy-side { position: static; }
  #chatbot { height: 420px !important; }
  #chatbot .top-panel { display: none; }  /* overlaps scrolled messages; 清空对话 is below */
}
"""


# Phones: fixed column widths (the table scrolls sideways) instead of percentages that wrap "74.63" digit by digit.
PHONE_COLUMN_PX = (60, 150, 48, 64, 64, 116, 56, 48)
CSS += (
    "@media (max-width: 640px) {\n"
    + "".join(
        f"  #ind-table th:nth-child({i}), #ind-table .body-cell:nth-child({i}) "
        f"{{ width: {px}px !important; min-width: {px}px !important; max-width: {px}px !important; "
        f"flex: 0 0 {px}px !important; }}\n"
        for i, px in enumerate(PHONE_COLUMN_PX, start=1)
    )
    + f"  #ind-table .virtual-body, #ind-table .header-table {{ min-width: {sum(PHONE_COLUMN_PX)}px; }}\n}}\n"
)


def theme() -> gr.themes.Base:
    """Local fonts only (no web-font download), readable Chinese."""
    return gr.themes.Soft(
        primary_hue="blue",
        font=["PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "system-ui", "sans-serif"],
        font_mono=["ui-monospace", "Menlo", "Consolas", "monospace"],
    )


# --------------------------------------------------------------------------- pure helpers


def _provider(source: AssistantSource) -> Callable[[], Assistant]:
    if isinstance(source, Assistant):
        return lambda: source
    return source


def _exchange(question: str, answer: Answer) -> Exchange:
    return {
        "question": question,
        "answer": answer.text,
        "citations": [{"location": c.location, "title": c.title, "quote": c.quote} for c in answer.citations],
        "notice": answer.notice,
        "abstained": answer.abstained,
    }


def _citations(ex: Exchange) -> list[Citation]:
    return [Citation(c["location"], c["title"], c["quote"]) for c in ex.get("citations", [])]


def exchange_text(ex: Exchange) -> str:
    """The answer with its 引用 list, as plain text (for copying and feedback)."""
    answer = Answer(
        ex["answer"], tuple(_citations(ex)), ex.get("abstained", False), "", notice=ex.get("notice")
    )
    return answer_with_citations(answer)


def md_escape(text: str) -> str:
    """Escape the Markdown characters plan text contains (``6.4*`` … ``*为2024年数据`` is not italics)."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def _message(ex: Exchange) -> str:
    """The chatbot's Markdown for one answer: text, notice, numbered 引用 list."""
    parts = [md_escape(ex["answer"].strip())]
    if ex.get("notice"):
        parts.append(f"> 提示：{ex['notice']}")
    cites = _citations(ex)
    if cites:
        lines = ["**引用**"] + [
            f"{i}. {md_escape(c.title)}（`{c.location}`）：「{md_escape(c.quote)}」"
            for i, c in enumerate(cites, start=1)
        ]
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def chat_messages(exchanges: list[Exchange]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for ex in exchanges:
        out += [
            {"role": "user", "content": md_escape(ex["question"])},
            {"role": "assistant", "content": _message(ex)},
        ]
    return out


def history_of(exchanges: list[Exchange], max_turns: int, max_chars: int = 4000) -> list[Turn]:
    """Earlier exchanges as history turns (the most recent ``max_turns`` messages; our own answers
    cut to ``max_chars``, the limit the assistant accepts for an assistant message)."""
    turns: list[Turn] = []
    for ex in exchanges:
        turns += [Turn("user", ex["question"]), Turn("assistant", ex["answer"][:max_chars])]
    keep = max_turns - max_turns % 2
    return turns[len(turns) - keep :] if keep else []


def chips_html(exchanges: list[Exchange], selected: int) -> str:
    if not exchanges or not 0 <= selected < len(exchanges):
        return ""
    cites = _citations(exchanges[selected])
    nth = f"第 {selected + 1} 问" if len(exchanges) > 1 else "本回答"
    if not cites:
        return f'<span class="chips-label">{nth}没有引用。</span>'
    chips = "".join(chip_button(i, c) for i, c in enumerate(cites))
    return f'<span class="chips-label">{nth}的引用（点击查看原文）：</span>{chips}'


def chip_button(
    i: int, c: Citation, prefix: str = "cite-chip", label: str | None = None, paragraph: int = -1
) -> str:
    """A citation chip: a click sends its location and quote (and paragraph, if known) to the side panel."""
    para = f' data-paragraph="{paragraph}"' if paragraph >= 0 else ""
    return (
        f'<button type="button" class="cite-chip" id="{prefix}-{i}" data-index="{i}"{para} '
        f'data-location="{html.escape(c.location)}" data-quote="{html.escape(c.quote)}" '
        f'title="{html.escape(c.title + "：" + c.quote)}">[{i + 1}] {html.escape(label or citation_label(c))}</button>'
    )


def section_html(assistant: Assistant, location: str, quote: str | None = None, paragraph: int = -1) -> str:
    """A location's full text as HTML, with ``quote`` highlighted by ``<mark>`` (in ``paragraph``, if given)."""
    loc = assistant.section(location)
    start = sum(len(p.text) + 1 for p in loc.paragraphs[:paragraph]) if paragraph > 0 else 0
    quote_block = f'<div class="quote">「{html.escape(quote)}」</div>' if quote else ""
    return (
        f'<div class="plan-panel" data-location="{html.escape(loc.id)}">'
        f'<div class="panel-head"><h3>{html.escape(loc.heading)}</h3>'
        f'<div class="loc-id">{html.escape(loc.path)} · {loc.id}</div></div>'
        f"{quote_block}{highlight_html(loc.text, quote, start)}</div>"
    )


REASON_CLASSES = {"行业": "industry", "业务": "business", "城市": "city", "类型": "type", "语义": "meaning"}


def _reasons_html(reasons: tuple[str, ...]) -> str:
    tags = []
    for r in reasons or ("语义:相近",):
        kind, _, term = r.partition(":")
        cls = REASON_CLASSES.get(kind, "meaning")
        tags.append(f'<span class="reason reason-{cls}">{html.escape(kind)}：{html.escape(term)}</span>')
    return "".join(tags)


def _clause_html(i: int, c: Clause, target: bool = False) -> str:
    cite = Citation(c.location, c.title, c.quote)
    chip = chip_button(i, cite, prefix="policy-chip", label=f"原文 · {c.location}", paragraph=c.paragraph)
    return (
        f'<div class="clause{" target" if target else ""}" data-location="{html.escape(c.location)}">'
        f'<div class="clause-quote">「{html.escape(c.text)}」</div>'
        f'<div class="clause-meta">{chip}<span class="clause-title">{html.escape(c.title)}</span></div>'
        f'<div class="clause-reasons"><span class="reasons-label">匹配理由：</span>'
        f"{_reasons_html(c.reasons)}</div></div>"
    )


def policy_html(report: PolicyReport) -> str:
    """The matching report: the industry's targets, then the clauses by chapter, each with its chip."""
    clauses = [c for _, cs in report.groups for c in cs]
    if not clauses and not report.targets:
        return '<div class="panel-empty">规划中没有找到与该企业明显相关的条款，请换用更具体的行业或业务描述。</div>'
    cluster = f"对应重点产业集群（专栏2）：{'、'.join(report.clusters)}。" if report.clusters else ""
    parts = [
        f'<p class="policy-summary">{html.escape(cluster)}共 {len(clauses)} 条相关条款，'
        f"分布在 {len(report.groups)} 章；点击出处标签查看原文。</p>"
    ]
    n = 0
    sections = [(TARGETS_HEADING, report.targets, True)] + [(h, cs, False) for h, cs in report.groups]
    for heading, items, target in sections:
        if not items:
            continue
        parts.append(f"<h4>{html.escape(heading)}</h4>")
        for c in items:
            parts.append(_clause_html(n, c, target))
            n += 1
    return "".join(parts)


def policy_files(report: PolicyReport) -> tuple[str, str]:
    """The report as Markdown and CSV (UTF-8 with BOM, for Excel) files in a fresh temp folder."""
    folder = Path(tempfile.mkdtemp(prefix="policy-"))
    stem = f"policy-match-{datetime.now():%Y%m%d-%H%M%S}"
    md, csv = folder / f"{stem}.md", folder / f"{stem}.csv"
    md.write_text(to_markdown(report), encoding="utf-8")
    csv.write_text("\ufeff" + to_csv(report), encoding="utf-8")
    return str(md), str(csv)


def indicator_table(assistant: Assistant, category: str = ALL, attribute: str = ALL) -> pd.DataFrame:
    rows = [
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
        if category in (ALL, r.category) and attribute in (ALL, r.attribute)
    ]
    return pd.DataFrame(rows, columns=INDICATOR_COLUMNS)


def toc_choices(assistant: Assistant) -> list[tuple[str, str]]:
    return [("序言", "preface")] + [(c.heading, f"ch{c.number}") for c in assistant.document.chapters]


def chapter_locations(assistant: Assistant, chapter: str | None) -> list[tuple[str, str]]:
    if not chapter:
        return []
    if chapter == "preface":
        return [("序言", "preface")]
    doc = assistant.document
    number = int(chapter.removeprefix("ch"))
    found = next((c for c in doc.chapters if c.number == number), None)
    if found is None:
        return []
    out = []
    for loc_id in found.locations:
        loc = doc[loc_id]
        label = {"intro": "本章引言", "box": f"└ {loc.heading}"}.get(loc.kind, loc.heading)
        out.append((label, loc.id))
    return out


# --------------------------------------------------------------------------- the Blocks


ExportCheck = Callable[[Headers, str | None], bool]


def _loopback_only(headers: Headers, client: str | None) -> bool:
    return is_loopback(client)


def build_ui(
    assistant: AssistantSource, feedback: FeedbackStore | None = None, can_export: ExportCheck | None = None
) -> gr.Blocks:
    """Build the Blocks (launches nothing). ``assistant`` may be a provider called per event.

    ``can_export(headers, client address)`` decides who sees and may use 导出全部反馈 (every user's
    questions and comments): the app passes the admin-scope check; by default only this machine.
    """
    get = _provider(assistant)
    export_check = can_export or _loopback_only

    def may_export(request: gr.Request | None) -> bool:
        if request is None:
            return False
        headers = Headers(headers={k.lower(): v for k, v in dict(request.headers).items()})
        client = request.client.host if request.client else None
        return export_check(headers, client)

    def store() -> FeedbackStore:
        return feedback if feedback is not None else FeedbackStore(get().settings.data_dir)

    # ---------------------------------------------------------------- handlers

    def respond(question: str, exchanges: list[Exchange]) -> Iterator[tuple[Any, ...]]:
        """Stream one answer; outputs: chatbot, question box, chips, exchanges, selected, copy box."""
        question = (question or "").strip()
        exchanges = list(exchanges or [])
        if not question:
            gr.Warning("请输入问题。")
            yield (gr.skip(),) * 6
            return
        try:
            a = get()
            history = history_of(exchanges, a.settings.max_history_turns, a.settings.max_message_chars)
            pieces = a.ask_stream(question, history)
            chat = [*chat_messages(exchanges), {"role": "user", "content": md_escape(question)}]
            chat.append({"role": "assistant", "content": "…"})
            yield chat, "", "", gr.skip(), gr.skip(), gr.skip()
            text, answer = "", None
            for piece in pieces:
                if isinstance(piece, Answer):
                    answer = piece
                else:
                    text += piece
                    chat[-1]["content"] = text
                    yield chat, gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        except InputError as exc:
            gr.Warning(str(exc))
            yield chat_messages(exchanges), question, gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        except AssistantError as exc:
            chat = [*chat_messages(exchanges), {"role": "user", "content": md_escape(question)}]
            chat.append({"role": "assistant", "content": f"⚠️ {exc}"})
            yield chat, "", gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        except Exception:  # a bug: logged with its traceback; the user sees that it failed, not its text
            log.exception("answering in the UI failed")
            chat = [*chat_messages(exchanges), {"role": "user", "content": md_escape(question)}]
            chat.append({"role": "assistant", "content": f"⚠️ {INTERNAL_ERROR}"})
            yield chat, question, gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        if answer is None:
            answer = Answer(text, (), True, question)
        exchanges.append(_exchange(question, answer))
        selected = len(exchanges) - 1
        yield (
            chat_messages(exchanges),
            "",
            chips_html(exchanges, selected),
            exchanges,
            selected,
            exchange_text(exchanges[selected]),
        )

    def select_message(exchanges: list[Exchange], evt: gr.SelectData) -> tuple[Any, Any, Any]:
        """Clicking a message in the chat shows that answer's citation chips."""
        index = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        selected = int(index) // 2
        if not exchanges or not 0 <= selected < len(exchanges):
            return gr.skip(), gr.skip(), gr.skip()
        return chips_html(exchanges, selected), selected, exchange_text(exchanges[selected])

    def open_citation(exchanges: list[Exchange], evt: gr.EventData) -> tuple[Any, ...]:
        """A citation click (chip or 引用 link): show the source; select the answer that cites it."""
        location, quote = str(getattr(evt, "location", "")), str(getattr(evt, "quote", ""))
        panel_html = show_location(location, quote) if location else PANEL_EMPTY
        owner = next(
            (
                n
                for n in range(len(exchanges) - 1, -1, -1)
                if any(c["location"] == location and c["quote"] == quote for c in exchanges[n]["citations"])
            ),
            None,
        )
        if owner is None:
            return panel_html, gr.skip(), gr.skip(), gr.skip()
        return panel_html, chips_html(exchanges, owner), owner, exchange_text(exchanges[owner])

    def show_location(location: str, quote: str = "") -> str:
        """The cited location's text as HTML with the quote highlighted."""
        try:
            return section_html(get(), location, quote or None)
        except AssistantError as exc:
            return f'<div class="panel-empty">{html.escape(str(exc))}</div>'

    def clear() -> tuple[Any, ...]:
        return [], "", "", [], -1, "", PANEL_EMPTY, ""

    def rate(rating: str, comment: str, exchanges: list[Exchange], selected: int) -> tuple[str, Any]:
        if not exchanges or not 0 <= int(selected) < len(exchanges):
            return "请先提问，再对回答评价。", gr.skip()
        ex = exchanges[int(selected)]
        try:
            row = store().add(ex["question"], ex["answer"], _citations(ex), rating, comment, source="ui")
        except AssistantError as exc:
            return f"⚠️ {exc}", gr.skip()
        mark = "👍" if rating == "up" else "👎"
        return f"已记录反馈 {mark}（#{row}），谢谢！", ""

    def rate_up(comment: str, exchanges: list[Exchange], selected: int) -> tuple[str, Any]:
        return rate("up", comment, exchanges, selected)

    def rate_down(comment: str, exchanges: list[Exchange], selected: int) -> tuple[str, Any]:
        return rate("down", comment, exchanges, selected)

    def export_csv(request: gr.Request) -> str | None:
        if not may_export(request):
            gr.Warning("导出反馈需要管理员权限。Exporting feedback needs an admin key.")
            return None
        try:
            text = store().export_csv()
        except AssistantError as exc:
            gr.Warning(str(exc))
            return None
        folder = Path(tempfile.mkdtemp(prefix="feedback-"))
        path = folder / f"feedback-{datetime.now():%Y%m%d-%H%M%S}.csv"
        path.write_text("\ufeff" + text, encoding="utf-8")
        return str(path)

    def show_export(request: gr.Request) -> tuple[Any, Any]:
        visible = may_export(request)
        return gr.update(visible=visible), gr.update(visible=visible)

    def on_load() -> tuple[Any, ...]:
        try:
            a = get()
        except AssistantError as exc:
            gr.Warning(str(exc))
            return gr.skip(), gr.skip(), f'<div class="panel-empty">{html.escape(str(exc))}</div>', gr.skip()
        return (
            gr.update(choices=toc_choices(a), value=None),
            indicator_table(a),
            gr.skip(),
            gr.update(choices=list(a.matcher.cluster_names)),
        )

    def match_policy(
        industry: str | None, city: str | None, traits: list[str], description: str
    ) -> tuple[Any, ...]:
        """Match an enterprise; outputs: report, Markdown download, CSV download, side panel."""
        profile = Profile(
            (industry or "").strip(),
            "" if city in (None, ANY_CITY) else str(city),
            tuple(traits or ()),
            (description or "").strip(),
        )
        try:
            report = get().match(profile, POLICY_K)
        except InputError as exc:
            gr.Warning(str(exc))
            return (gr.skip(),) * 4
        except AssistantError as exc:
            error = f'<div class="panel-empty">⚠️ {html.escape(str(exc))}</div>'
            return error, gr.skip(), gr.skip(), gr.skip()
        md, csv = policy_files(report)
        return (
            policy_html(report),
            gr.update(value=md, interactive=True),
            gr.update(value=csv, interactive=True),
            POLICY_PANEL_EMPTY,
        )

    def open_policy_citation(evt: gr.EventData) -> str:
        """A chip in the policy report: show its location with the clause highlighted."""
        location, quote = str(getattr(evt, "location", "")), str(getattr(evt, "quote", ""))
        if not location:
            return POLICY_PANEL_EMPTY
        try:
            paragraph = int(getattr(evt, "paragraph", -1))
        except (TypeError, ValueError):
            paragraph = -1
        try:
            return section_html(get(), location, quote or None, paragraph)
        except AssistantError as exc:
            return f'<div class="panel-empty">{html.escape(str(exc))}</div>'

    def pick_chapter(chapter: str | None) -> Any:
        try:
            return gr.update(choices=chapter_locations(get(), chapter), value=None)
        except AssistantError as exc:
            gr.Warning(str(exc))
            return gr.skip()

    def read_location(location: str | None) -> str:
        if not location:
            return ""
        return show_location(location)

    def filter_indicators(category: str, attribute: str) -> Any:
        try:
            return indicator_table(get(), category or ALL, attribute or ALL)
        except AssistantError as exc:
            gr.Warning(str(exc))
            return gr.skip()

    # ---------------------------------------------------------------- layout

    with gr.Blocks(title="规划纲要问答助手", analytics_enabled=False) as demo:
        exchanges = gr.State([])
        selected = gr.State(-1)
        gr.Markdown(
            "# 辽宁省“十五五”规划纲要问答助手\n"
            "回答只摘引规划原文，并注明所在章、节或专栏；点击引用标签可查看原文。",
            elem_id="app-title",
        )
        with gr.Tabs(elem_id="tabs"):
            with gr.Tab("问答", id="qa", elem_id="tab-qa"), gr.Row(equal_height=False, elem_id="qa-row"):
                with gr.Column(scale=3, min_width=320, elem_id="chat-col"):
                    chatbot = gr.Chatbot(
                        label="对话",
                        show_label=False,
                        elem_id="chatbot",
                        height=480,
                        buttons=["copy"],
                        feedback_options=None,
                        placeholder="请在下方输入关于规划纲要的问题，或点击示例问题。",
                    )
                    chips = gr.HTML("", elem_id="citation-chips", js_on_load=CHIPS_JS)
                    with gr.Row(elem_id="ask-row"):
                        question = gr.Textbox(
                            show_label=False,
                            placeholder="输入问题，例如：到2030年清洁能源装机占比达到多少？",
                            elem_id="question",
                            scale=5,
                            min_width=200,
                            lines=1,
                            max_lines=4,
                            autofocus=True,
                        )
                        send = gr.Button("提问", variant="primary", elem_id="send-btn", scale=1, min_width=72)
                    gr.Examples(EXAMPLES, inputs=[question], label="示例问题", elem_id="examples")
                    clear_btn = gr.Button("🗑 清空对话", elem_id="clear-btn", size="sm")
                    with gr.Accordion("复制答案 · 评价反馈", open=False, elem_id="tools"):
                        copy_box = gr.Textbox(
                            label="当前回答（含引用），可复制",
                            elem_id="copy-box",
                            lines=4,
                            max_lines=12,
                            interactive=False,
                            buttons=["copy"],
                        )
                        comment = gr.Textbox(label="意见（可选）", elem_id="fb-comment", lines=1)
                        with gr.Row():
                            up = gr.Button("👍 有帮助", elem_id="fb-up", size="sm")
                            down = gr.Button("👎 有问题", elem_id="fb-down", size="sm")
                        fb_status = gr.Markdown("", elem_id="fb-status")
                        with gr.Row():
                            export_btn = gr.Button(
                                "导出全部反馈（CSV）", elem_id="fb-export", size="sm", visible=False
                            )
                        export_file = gr.File(
                            label="反馈 CSV", elem_id="fb-file", interactive=False, visible=False
                        )
                with gr.Column(scale=2, min_width=300, elem_id="side-col"):
                    panel = gr.HTML(PANEL_EMPTY, elem_id="section-panel", js_on_load=None)
            with gr.Tab("目录", id="toc", elem_id="tab-toc"), gr.Row(equal_height=False):
                with gr.Column(scale=1, min_width=260):
                    chapter = gr.Dropdown(label="章", choices=[], elem_id="toc-chapter")
                    location = gr.Radio(label="引言 / 节 / 专栏", choices=[], elem_id="toc-location")
                with gr.Column(scale=2, min_width=300):
                    toc_text = gr.HTML("", elem_id="toc-text", js_on_load=None)
            with gr.Tab("指标", id="indicators", elem_id="tab-indicators"):
                gr.Markdown(
                    "**专栏1 “十五五”时期经济社会发展主要指标**：2025年值、2030年目标、年均增长或5年累计、"
                    "属性（约束性 / 预期性），可按类别和属性筛选。\n\n"
                    "标注：" + "；".join(FLAG_NOTES.values()) + "。",
                    elem_id="ind-legend",
                )
                with gr.Row():
                    category = gr.Dropdown(
                        [ALL, *CATEGORIES], value=ALL, label="类别", elem_id="ind-category", min_width=160
                    )
                    attribute = gr.Dropdown(
                        [ALL, *ATTRIBUTES], value=ALL, label="属性", elem_id="ind-attribute", min_width=160
                    )
                table = gr.Dataframe(
                    headers=INDICATOR_COLUMNS,
                    elem_id="ind-table",
                    interactive=False,
                    wrap=True,
                    max_height=640,
                    column_widths=["9%", "27%", "8%", "10%", "10%", "18%", "9%", "9%"],
                )
            with (
                gr.Tab("企业政策匹配", id="policy", elem_id="tab-policy"),
                gr.Row(equal_height=False, elem_id="policy-row"),
            ):
                with gr.Column(scale=3, min_width=320, elem_id="policy-col"):
                    with gr.Row(elem_id="policy-form"):
                        industry = gr.Dropdown(
                            [],
                            value=None,
                            label="所属行业（专栏2 的22个重点产业集群，也可直接输入）",
                            allow_custom_value=True,
                            filterable=True,
                            elem_id="policy-industry",
                            scale=3,
                            min_width=220,
                        )
                        city = gr.Dropdown(
                            [ANY_CITY, *CITIES],
                            value=ANY_CITY,
                            label="所在城市",
                            elem_id="policy-city",
                            scale=1,
                            min_width=120,
                        )
                    traits = gr.CheckboxGroup(
                        list(TRAITS), label="企业类型（可多选）", elem_id="policy-traits"
                    )
                    description = gr.Textbox(
                        label="企业简介（主营业务、产品、技术，可选）",
                        placeholder="例如：为大连的总装船厂配套LNG船液货围护系统绝缘箱和船用甲板机械。",
                        lines=2,
                        max_lines=6,
                        max_length=1000,
                        elem_id="policy-description",
                    )
                    with gr.Row(elem_id="policy-downloads"):
                        match_btn = gr.Button("匹配", variant="primary", elem_id="policy-match-btn", scale=2)
                        md_file = gr.DownloadButton(
                            "下载 Markdown", interactive=False, elem_id="policy-md", size="md", scale=1
                        )
                        csv_file = gr.DownloadButton(
                            "下载 CSV", interactive=False, elem_id="policy-csv", size="md", scale=1
                        )
                    report_html = gr.HTML(POLICY_EMPTY, elem_id="policy-report", js_on_load=POLICY_CHIPS_JS)
                with gr.Column(scale=2, min_width=300, elem_id="policy-side"):
                    policy_panel = gr.HTML(POLICY_PANEL_EMPTY, elem_id="policy-panel", js_on_load=None)

        # ------------------------------------------------------------ events

        chat_outputs = [chatbot, question, chips, exchanges, selected, copy_box]
        gr.on([question.submit, send.click], respond, [question, exchanges], chat_outputs, api_name="ask")
        chatbot.select(select_message, [exchanges], [chips, selected, copy_box], api_visibility="private")
        chips.click(
            open_citation,
            [exchanges],
            [panel, chips, selected, copy_box],
            api_visibility="private",
            show_progress="hidden",
        ).then(None, js=SCROLL_TO_MARK_JS)
        gr.api(show_location, api_name="section")
        cleared = [chatbot, question, chips, exchanges, selected, copy_box, panel, fb_status]
        clear_btn.click(clear, None, cleared, api_name="clear")
        chatbot.clear(clear, None, cleared, api_visibility="private")  # the chatbot's own 🗑 button
        up.click(rate_up, [comment, exchanges, selected], [fb_status, comment], api_name="feedback_up")
        down.click(rate_down, [comment, exchanges, selected], [fb_status, comment], api_name="feedback_down")
        export_btn.click(export_csv, None, [export_file], api_name="export_feedback")
        demo.load(on_load, None, [chapter, table, panel, industry], api_visibility="private")
        demo.load(show_export, None, [export_btn, export_file], api_visibility="private")
        policy_inputs = [industry, city, traits, description]
        policy_outputs = [report_html, md_file, csv_file, policy_panel]
        match_btn.click(match_policy, policy_inputs, policy_outputs, api_name="match_policy")
        report_html.click(
            open_policy_citation, None, [policy_panel], api_visibility="private", show_progress="hidden"
        ).then(None, js=POLICY_SCROLL_JS)
        chapter.change(pick_chapter, [chapter], [location], api_visibility="private")
        location.change(read_location, [location], [toc_text], api_visibility="private")
        category.change(filter_indicators, [category, attribute], [table], api_visibility="private")
        attribute.change(filter_indicators, [category, attribute], [table], api_name="indicators")
    demo.queue(default_concurrency_limit=8)
    return demo
