"""The 问答 tab: chat with citations grouped by location, conversations kept in the browser, stop and
regenerate, the chatbot's own 👍/👎 stored as feedback, and a side panel that starts as the plan's outline.

Pure helpers (messages, copy text, chips, conversation lists, piece coalescing) come first; :func:`build`
lays out the tab inside the caller's Blocks and wires its events.
"""

from __future__ import annotations

import html
import logging
import tempfile
import time
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import gradio as gr

from ..answers import Answer, Citation, Turn
from ..errors import AssistantError, InputError
from ..feedback import FeedbackStore
from ..openai_compat import INTERNAL_ERROR
from .common import (
    BACK_TO_CHAT,
    BACK_TO_OUTLINE,
    Getter,
    Load,
    chip_button,
    empty_html,
    error_html,
    group_citations,
    info,
    md_escape,
    outline_html,
    plain_subscripts,
    section_html,
    static_text,
    warn,
)

log = logging.getLogger(__name__)

Exchange = dict[
    str, Any
]  # {"question", "answer", "citations": [{location,title,quote}], "notice", "abstained"}
Conversation = dict[str, Any]  # {"id", "title", "updated", "exchanges"}
Conversations = dict[str, Any]  # {"current": id, "items": [Conversation, ...]} (kept in localStorage)

EXAMPLES = [
    "到2030年清洁能源装机占比达到多少？",
    "22个重点产业集群中，世界级产业集群有哪些？",
    "沈阳“一枢纽、四中心”具体指什么？",
    "专栏1里森林覆盖率2030年的目标是多少？",
    "规划提出推动设立哪个国家公园？",
]
MODES = {
    "extractive": ("离线摘录模式", "回答直接摘录规划原文，生成后立即完整显示。"),
    "openai": ("大模型模式", "回答由大模型生成，边生成边显示；完成后按规划原文核对引用和数字。"),
}
DRAFT_NOTE = "（生成中……完成后按规划原文核对引用和数字）"
PANEL_LOADING = empty_html("正在加载规划纲要提纲……")
MAX_CONVERSATIONS = 30
MAX_EXCHANGES = 40
TITLE_CHARS = 24
STREAM_GAP = 0.15  # seconds: pieces that arrive closer together than this are shown together
STORAGE_KEY = "plan-assistant-conversations"
# BrowserState encrypts in the browser with a key the page itself carries: it only obfuscates. A fixed key
# keeps conversations readable after a server restart; they never leave the user's browser.
STORAGE_SECRET = "plan-assistant-conversations-v1"


# --------------------------------------------------------------------------- exchanges and messages


def exchange_of(question: str, answer: Answer) -> Exchange:
    return {
        "question": question,
        "answer": answer.text,
        "citations": [{"location": c.location, "title": c.title, "quote": c.quote} for c in answer.citations],
        "notice": answer.notice,
        "abstained": answer.abstained,
    }


def citations_of(ex: Exchange) -> list[Citation]:
    return [Citation(c["location"], c["title"], c["quote"]) for c in ex.get("citations", [])]


def copy_text(ex: Exchange) -> str:
    """The answer as clean text with its sources (what 复制 puts on the clipboard): no Markdown marks."""
    parts = [plain_subscripts(ex["answer"].strip())]
    if ex.get("notice"):
        parts.append(f"（提示：{ex['notice']}）")
    groups = group_citations(citations_of(ex))
    if groups:
        lines = ["引用："]
        for i, (c, quotes) in enumerate(groups, start=1):
            lines.append(f"[{i}] {c.title}（{c.location}）")
            lines += [f"    「{plain_subscripts(q)}」" for q in quotes]
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def message_markdown(ex: Exchange) -> str:
    """The chatbot's content for one answer: the answer first; its sources folded below, grouped by
    location (one entry per location, each quote once), each location code a keyboard-reachable link."""
    parts = [md_escape(ex["answer"].strip())]
    if ex.get("notice"):
        parts.append(f"> 提示：{md_escape(ex['notice'])}")
    groups = group_citations(citations_of(ex))
    if groups:
        quotes = sum(len(q) for _, q in groups)
        items = []
        for c, qs in groups:
            quoted = "".join(f"<li>「{html.escape(plain_subscripts(q))}」</li>" for q in qs)
            loc = html.escape(c.location)
            items.append(
                # its name read aloud: the code and what it does (the sanitizer drops aria-label)
                f'<li><a href="#{loc}" class="cite-loc" title="在右侧查看原文">{loc}'
                '<span class="sr-only">在右侧查看原文</span></a> '
                f"{html.escape(plain_subscripts(c.title))}<ul>{quoted}</ul></li>"
            )
        summary = f"引用：{len(groups)} 处出处，{quotes} 段原文（展开查看）"
        parts.append(
            f'<details class="cites"><summary>{summary}</summary><ol>{"".join(items)}</ol></details>'
        )
    # Gradio's sanitizer keeps a title (not data-* attributes): the page script copies this text
    copy = html.escape(copy_text(ex)).replace("\n", "&#10;")
    parts.append(f'<span class="copy-src" title="{copy}"></span>')
    return "\n\n".join(parts)


def chat_messages(exchanges: list[Exchange]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for ex in exchanges:
        out += [
            {"role": "user", "content": md_escape(ex["question"])},
            {"role": "assistant", "content": message_markdown(ex)},
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
    """One chip per cited location of the selected answer (its quotes travel with the chip)."""
    if not exchanges or not 0 <= selected < len(exchanges):
        return ""
    groups = group_citations(citations_of(exchanges[selected]))
    nth = f"第 {selected + 1} 问" if len(exchanges) > 1 else "本回答"
    if not groups:
        return f'<span class="chips-label">{nth}没有引用。</span>'
    chips = "".join(chip_button(i, c, quotes) for i, (c, quotes) in enumerate(groups))
    return f'<span class="chips-label">{nth}的出处（点击查看原文）：</span>{chips}'


def mode_html(generator: str) -> str:
    name, note = MODES.get(generator, (f"{generator} 模式", ""))
    return (
        f'<div class="mode-badge" data-mode="{html.escape(generator)}">'
        f'<span class="mode-name">{html.escape(name)}</span>'
        f'<span class="mode-note">{html.escape(note)}</span></div>'
    )


def coalesce(
    pieces: Iterable[str | Answer], gap: float = STREAM_GAP
) -> Generator[tuple[str, Answer | None], None, None]:
    """The text so far, at most every ``gap`` seconds while it really arrives in pieces (an LLM's
    reply), then the verified Answer; pieces that are ready at once (an offline answer, composed
    whole) give no partial update, only the Answer. ``pieces`` is closed when this ends or is
    closed (its generation slot goes back: see :meth:`GenerationLimiter.stream`)."""
    text, shown = "", ""
    last = time.monotonic()
    try:
        for piece in pieces:
            if isinstance(piece, Answer):
                yield piece.text or text, piece
                return
            text += piece
            now = time.monotonic()
            if now - last >= gap and text != shown:
                shown, last = text, now
                yield text, None
        yield text, None
    finally:
        close = getattr(pieces, "close", None)
        if close is not None:
            close()


# --------------------------------------------------------------------------- conversations (browser)


def new_id() -> str:
    return uuid.uuid4().hex[:12]


def conversations_of(value: Any) -> Conversations:
    """The browser's stored value, checked (anything malformed counts as no conversations)."""
    if not isinstance(value, dict) or not isinstance(value.get("items"), list):
        return {"current": "", "items": []}
    items = [
        c
        for c in value["items"]
        if isinstance(c, dict) and isinstance(c.get("id"), str) and isinstance(c.get("exchanges"), list)
    ]
    return {"current": str(value.get("current") or ""), "items": items}


def title_of(exchanges: list[Exchange]) -> str:
    first = exchanges[0]["question"].strip() if exchanges else "新对话"
    return first if len(first) <= TITLE_CHARS else first[: TITLE_CHARS - 1] + "…"


def save_conversation(convs: Conversations, conv_id: str, exchanges: list[Exchange]) -> Conversations:
    """``convs`` with ``conv_id`` holding ``exchanges``, most recent first, within the size limits."""
    items = [c for c in convs["items"] if c["id"] != conv_id]
    if exchanges:
        kept = exchanges[-MAX_EXCHANGES:]
        items.insert(
            0,
            {
                "id": conv_id,
                "title": title_of(kept),
                "updated": datetime.now().isoformat(),
                "exchanges": kept,
            },
        )
    return {"current": conv_id, "items": items[:MAX_CONVERSATIONS]}


def conversation_choices(convs: Conversations) -> list[tuple[str, str]]:
    out = []
    for c in convs["items"]:
        when = str(c.get("updated", ""))[5:16].replace("T", " ")
        out.append((f"{c.get('title') or '新对话'} · {when}" if when else str(c.get("title")), c["id"]))
    return out


def find_conversation(convs: Conversations, conv_id: str) -> list[Exchange]:
    found = next((c for c in convs["items"] if c["id"] == conv_id), None)
    return list(found["exchanges"]) if found else []


# --------------------------------------------------------------------------- the tab


@dataclass
class Parts:
    chatbot: gr.Chatbot
    panel: gr.HTML
    load: Load


def build(get: Getter, store: Callable[[], FeedbackStore], may_export: Callable[[Any], bool]) -> Parts:
    """Lay out the 问答 tab in the current Blocks context and wire its events."""

    def generator() -> str:
        return str(get().chain.generator_name)

    # ---------------------------------------------------------------- layout

    exchanges = gr.State([])
    selected = gr.State(-1)
    conv_id = gr.State("")
    pending = gr.State("")
    saved = gr.BrowserState({"current": "", "items": []}, storage_key=STORAGE_KEY, secret=STORAGE_SECRET)
    with gr.Row(equal_height=False, elem_id="qa-row"):
        with gr.Column(scale=3, min_width=320, elem_id="chat-col"):
            with gr.Row(elem_id="chat-bar", equal_height=True):
                mode = gr.HTML("", elem_id="mode-badge", padding=False)
                new_btn = gr.Button("新对话", elem_id="new-chat-btn", size="sm", scale=0, min_width=80)
            # the whole width of the chat column: an entry (its first question and time) stays readable
            conv_list = gr.Dropdown(
                [],
                value=None,
                label="历史对话（保存在本浏览器）",
                elem_id="conv-list",
                interactive=True,
            )
            chatbot = gr.Chatbot(
                label="对话",
                show_label=False,
                elem_id="chatbot",
                height=480,
                autoscroll=False,
                buttons=["copy"],
                feedback_options=["Like", "Dislike"],
                placeholder="请在下方输入关于规划纲要的问题，或点击示例问题。",
            )
            chips = gr.HTML("", elem_id="citation-chips", js_on_load=static_text("chips.js"))
            with gr.Row(elem_id="ask-row"):
                question = gr.Textbox(
                    label="问题",
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
                stop = gr.Button(
                    "停止", variant="stop", elem_id="stop-btn", scale=1, min_width=72, visible=False
                )
            examples = gr.Dataset(
                components=[question],
                samples=[[q] for q in EXAMPLES],
                type="index",
                label="示例问题（点击即提问）",
                elem_id="examples",
            )
            with gr.Row(elem_id="export-row"):
                export_btn = gr.Button("导出全部反馈（CSV）", elem_id="fb-export", size="sm", visible=False)
                export_file = gr.File(label="反馈 CSV", elem_id="fb-file", interactive=False, visible=False)
        with gr.Column(scale=2, min_width=300, elem_id="side-col"):
            panel = gr.HTML(PANEL_LOADING, elem_id="section-panel", js_on_load=static_text("panel.js"))

    # ---------------------------------------------------------------- handlers

    busy = {send: gr.update(visible=False), stop: gr.update(visible=True)}
    idle = {send: gr.update(visible=True), stop: gr.update(visible=False)}

    def shown(done: list[Exchange]) -> dict[Any, Any]:
        """A conversation on screen: its messages, the last answer's chips, and it as the state."""
        return {
            chatbot: chat_messages(done),
            chips: chips_html(done, len(done) - 1),
            exchanges: done,
            selected: len(done) - 1,
        }

    def answer(
        question_text: str, earlier: list[Exchange], convs_value: Any = None, cid: str = ""
    ) -> Iterator[dict[Any, Any]]:
        """Answer one question; show it at once unless the text really arrives in pieces."""
        q = (question_text or "").strip()
        earlier = list(earlier or [])
        if not q:
            warn("请输入问题。")
            yield gr.skip()  # a handler that yields nothing would blank every output (the chat too)
            return
        cid = cid or new_id()
        asked = [*chat_messages(earlier), {"role": "user", "content": md_escape(q)}]
        yield {chatbot: asked, question: "", pending: q, conv_id: cid, **busy}
        try:
            a = get()
            history = history_of(earlier, a.settings.max_history_turns, a.settings.max_message_chars)
            final: Answer | None = None
            text = ""
            # closed when this handler is (停止, a client that went away): its generation slot goes back
            with closing(coalesce(a.ask_stream(q, history))) as shown_text:
                for text, final in shown_text:
                    if final is None:  # a draft as it arrives, said to be one
                        draft = f"{md_escape(text)}\n\n*{DRAFT_NOTE}*"
                        yield {chatbot: [*asked, {"role": "assistant", "content": draft}]}
        except InputError as exc:
            warn(str(exc))
            yield {chatbot: chat_messages(earlier), question: q, pending: "", **idle}
            return
        except AssistantError as exc:
            failed = [*asked, {"role": "assistant", "content": f"提示：{md_escape(str(exc))}"}]
            yield {chatbot: failed, question: q, pending: "", **idle}
            return
        except Exception:  # a bug: logged with its traceback; the user sees that it failed, not its text
            log.exception("answering in the UI failed")
            failed = [*asked, {"role": "assistant", "content": f"提示：{INTERNAL_ERROR}"}]
            yield {chatbot: failed, question: q, pending: "", **idle}
            return
        done = [*earlier, exchange_of(q, final or Answer(text, (), True, q))]
        convs = save_conversation(conversations_of(convs_value), cid, done)
        yield {
            **shown(done),
            saved: convs,
            conv_list: gr.update(choices=conversation_choices(convs), value=cid),
            pending: "",
            **idle,
        }

    def ask_example(index: int, earlier: list[Exchange], convs_value: Any, cid: str) -> Iterator[dict]:
        if isinstance(index, int) and 0 <= index < len(EXAMPLES):
            yield from answer(EXAMPLES[index], earlier, convs_value, cid)
        else:
            yield gr.skip()

    def regenerate(
        earlier: list[Exchange], convs_value: Any, cid: str, evt: gr.RetryData
    ) -> Iterator[dict[Any, Any]]:
        """The chatbot's 重新生成 on an answer: ask its question again, dropping it and what followed."""
        index = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        n = int(index) // 2
        if not 0 <= n < len(earlier or []):
            yield gr.skip()
            return
        yield from answer(earlier[n]["question"], earlier[:n], convs_value, cid)

    def stopped(earlier: list[Exchange], asked: str) -> dict[Any, Any]:
        """After 停止: the conversation as it was, the question back in the box."""
        return {chatbot: chat_messages(earlier or []), question: asked or gr.skip(), pending: "", **idle}

    def select_message(earlier: list[Exchange], evt: gr.SelectData) -> dict[Any, Any]:
        """Clicking a message in the chat shows that answer's citation chips."""
        index = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        n = int(index) // 2
        if not earlier or not 0 <= n < len(earlier):
            return gr.skip()  # nothing changes (an empty dict would be taken for a value)
        return {chips: chips_html(earlier, n), selected: n}

    def show_location(location: str, quote: str = "") -> str:
        """The cited location's text as HTML with the quote highlighted."""
        try:
            return section_html(get(), location, quote or None)
        except AssistantError as exc:
            return error_html(exc)

    def open_citation(earlier: list[Exchange], evt: gr.EventData) -> dict[Any, Any]:
        """A citation click (chip or location code): show the source; select the answer that cites it."""
        location = str(getattr(evt, "location", ""))
        quotes = [str(q) for q in getattr(evt, "quotes", None) or [] if q]
        if not location:
            return gr.skip()  # nothing changes (an empty dict would be taken for a value)
        try:
            panel_html = section_html(get(), location, quotes, actions=BACK_TO_CHAT + BACK_TO_OUTLINE)
        except AssistantError as exc:
            return {panel: error_html(exc)}
        owner = next(
            (
                n
                for n in range(len(earlier or []) - 1, -1, -1)
                if any(c["location"] == location and c["quote"] in quotes for c in earlier[n]["citations"])
            ),
            None,
        )
        if owner is None:
            return {panel: panel_html}
        return {panel: panel_html, chips: chips_html(earlier, owner), selected: owner}

    def browse(evt: gr.EventData) -> str:
        """A click in the panel: an outline entry opens its text; 返回提纲 shows the outline again."""
        location = str(getattr(evt, "location", ""))
        try:
            if not location:
                return outline_html(get())
            return section_html(get(), location, actions=BACK_TO_CHAT + BACK_TO_OUTLINE)
        except AssistantError as exc:
            return error_html(exc)

    def switch(convs_value: Any, cid: str | None) -> dict[Any, Any]:
        convs = conversations_of(convs_value)
        if not cid:
            return gr.skip()  # nothing changes (an empty dict would be taken for a value)
        found = find_conversation(convs, cid)
        convs["current"] = cid
        return {
            **shown(found),
            conv_id: cid,
            saved: convs,
        }

    def new_conversation(convs_value: Any) -> dict[Any, Any]:
        convs = conversations_of(convs_value)
        cid = new_id()
        convs["current"] = cid
        return {
            chatbot: [],
            chips: "",
            exchanges: [],
            selected: -1,
            conv_id: cid,
            saved: convs,
            question: "",
            conv_list: gr.update(choices=conversation_choices(convs), value=None),
        }

    def rate(earlier: list[Exchange], evt: gr.LikeData) -> None:
        """The chatbot's own 👍/👎 on an answer, stored with the question and its citations."""
        index = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        n = int(index) // 2
        if evt.liked not in (True, False) or not earlier or not 0 <= n < len(earlier):
            return
        rating = "up" if evt.liked is True else "down"
        ex = earlier[n]
        try:
            row = store().add(ex["question"], ex["answer"], citations_of(ex), rating, "", source="ui")
        except AssistantError as exc:
            warn(str(exc))
            return
        info(f"已记录反馈：{'有帮助' if rating == 'up' else '没有帮助'}（#{row}），谢谢！")

    def export_csv(request: gr.Request) -> str | None:
        if not may_export(request):
            warn("导出反馈需要管理员权限。")
            return None
        try:
            text = store().export_csv()
        except AssistantError as exc:
            warn(str(exc))
            return None
        folder = Path(tempfile.mkdtemp(prefix="feedback-"))
        path = folder / f"feedback-{datetime.now():%Y%m%d-%H%M%S}.csv"
        path.write_text("\ufeff" + text, encoding="utf-8")
        return str(path)

    def on_load(convs_value: Any, request: gr.Request) -> dict[Any, Any]:
        """Page load: the mode, the outline, the last conversation from the browser, the export button."""
        visible = may_export(request)
        out: dict[Any, Any] = {
            export_btn: gr.update(visible=visible),
            export_file: gr.update(visible=visible),
        }
        convs = conversations_of(convs_value)
        cid = convs["current"] or new_id()
        found = find_conversation(convs, cid)
        out.update(
            {
                conv_list: gr.update(choices=conversation_choices(convs), value=cid if found else None),
                conv_id: cid,
                **shown(found),
            }
        )
        try:
            out.update({mode: mode_html(generator()), panel: outline_html(get())})
        except AssistantError as exc:
            warn(str(exc))
            out[panel] = error_html(exc)
        return out

    # ---------------------------------------------------------------- events

    answer_out = [
        chatbot,
        question,
        chips,
        exchanges,
        selected,
        saved,
        conv_list,
        pending,
        conv_id,
        send,
        stop,
    ]
    scroll = "() => window.planUI && window.planUI.scrollToAnswer()"
    asked = gr.on(
        [question.submit, send.click],
        answer,
        [question, exchanges, saved, conv_id],
        answer_out,
        api_name="ask",
        show_progress="minimal",
    )
    asked.then(None, js=scroll)
    example_asked = examples.click(
        ask_example, [examples, exchanges, saved, conv_id], answer_out, api_visibility="private"
    )
    example_asked.then(None, js=scroll)
    retried = chatbot.retry(regenerate, [exchanges, saved, conv_id], answer_out, api_visibility="private")
    retried.then(None, js=scroll)
    stop.click(
        stopped,
        [exchanges, pending],
        [chatbot, question, pending, send, stop],
        cancels=[asked, example_asked, retried],
        api_visibility="private",
    )
    chatbot.select(select_message, [exchanges], [chips, selected], api_visibility="private")
    chatbot.like(rate, [exchanges], None, api_visibility="private")
    chips.click(
        open_citation, [exchanges], [panel, chips, selected], api_visibility="private", show_progress="hidden"
    ).then(None, js="() => window.planUI && window.planUI.showMark('section-panel')")
    panel.click(browse, None, [panel], api_visibility="private", show_progress="hidden").then(
        None, js="() => window.planUI && window.planUI.panelTop('section-panel')"
    )
    gr.api(show_location, api_name="section")
    conv_list.input(
        switch,
        [saved, conv_list],
        [chatbot, chips, exchanges, selected, conv_id, saved],
        api_visibility="private",
    )
    new_btn.click(
        new_conversation,
        [saved],
        [chatbot, chips, exchanges, selected, conv_id, saved, question, conv_list],
        api_visibility="private",
    )
    chatbot.clear(
        new_conversation,
        [saved],
        [chatbot, chips, exchanges, selected, conv_id, saved, question, conv_list],
        api_visibility="private",
    )
    export_btn.click(export_csv, None, [export_file], api_name="export_feedback")
    load_out = [mode, panel, conv_list, conv_id, exchanges, selected, chatbot, chips, export_btn, export_file]
    return Parts(chatbot, panel, Load(on_load, [saved], load_out))
