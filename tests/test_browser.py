"""The UI in headless Debian Chromium, at desktop (1400×1000) and phone (390×844) widths (the ``size``
fixture), asserting what a user sees: answers, chips, the source panel, scroll positions, labels, contrast
in the light and the dark theme, the phone layout.

Issue 12, point by point: answer off-screen → test_the_chat_shows_the_start_of_the_new_answer; quotes once,
folded → test_sources_are_folded…; duplicate chips → test_answer_shown_at_once…; cosmetic streaming and the
mode → test_answer_shown_at_once… (offline, whole) and test_an_llm_answer_is_shown_as_it_arrives; stop →
test_stop_in_llm_mode; regenerate → test_regenerate…; conversations → test_conversations_survive…,
test_clear_and_new_conversation, test_the_conversation_list_is_readable; examples → test_an_example…;
👍/👎 → test_like_and_dislike…; copy → test_copy…; side panel → test_the_side_panel_starts_as_the_outline;
English → test_every_label_is_chinese_in_every_tab, test_a_waiting_request…; contrast →
test_text_has_enough_contrast…; keyboard → test_location_codes_are_keyboard_links; emoji →
test_controls_need_no_emoji_font; phone → test_indicators_show_the_2030_target…,
test_a_chip_opens_its_source_and_the_way_back; code → test_the_page_runs_the_packages_static_files,
test_screenshots_go_to_a_temporary_folder.

One browser and the session's live server for the module; a second small server (大模型模式: a fake chat
model, answers held back on demand, wired through the generation slots like app.py) for streaming and 停止.
Screenshots go to a temporary folder (``make screenshots`` refreshes docs/). Run with ``pytest -m browser``.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, cast

import httpx
import pytest

from assistant.answers import Answer
from assistant.config import Settings
from assistant.facade import Assistant
from assistant.feedback import FeedbackStore
from assistant.limits import GenerationLimiter, LimitedAssistant
from assistant.ui import screenshots as shots
from assistant.ui.common import STATIC
from tests.helpers import chromium, has_chromium, serve

pytestmark = pytest.mark.browser

Q = "到2030年清洁能源装机占比达到多少？"
DESKTOP, PHONE = shots.DESKTOP, shots.PHONE

if not has_chromium():
    pytest.skip("Debian chromium and chromium-driver are not installed", allow_module_level=True)

from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402

wait, ask, viewport = shots.wait, shots.ask, shots.viewport


@pytest.fixture(scope="module")
def driver() -> Iterator[WebDriver]:
    with chromium() as browser:
        yield browser


@pytest.fixture(params=[DESKTOP, PHONE], ids=["desktop", "phone"])
def size(request: pytest.FixtureRequest) -> tuple[int, int]:
    """The two widths every test of what a user sees runs at: 1400×1000 and a phone's 390×844."""
    return tuple(request.param)  # type: ignore[return-value]


@pytest.fixture
def page(driver: WebDriver, live_server: str, size: tuple[int, int]) -> WebDriver:
    """The app at ``size`` with no stored conversations."""
    viewport(driver, *size)
    shots.open_fresh(driver, live_server)
    return driver


@pytest.fixture
def desktop(driver: WebDriver, live_server: str) -> WebDriver:
    """The app at desktop width with no stored conversations (tests of the other tabs)."""
    viewport(driver, *DESKTOP)
    shots.open_fresh(driver, live_server)
    return driver


def _bots(driver: WebDriver) -> list[WebElement]:
    return driver.find_elements(By.CSS_SELECTOR, "#chatbot [data-testid='bot']")


def _chips(driver: WebDriver) -> list[WebElement]:
    return driver.find_elements(By.CSS_SELECTOR, "#citation-chips .cite-chip")


def _tab(driver: WebDriver, name: str) -> None:
    driver.find_element(By.XPATH, f"//button[@role='tab' and contains(., '{name}')]").click()


def _shown(driver: WebDriver, elem_id: str) -> bool:
    """Whether the element is on the page and visible (Gradio removes hidden components)."""
    try:
        return any(e.is_displayed() for e in driver.find_elements(By.ID, elem_id))
    except StaleElementReferenceException:  # replaced while we looked
        return False


IN_VIEW = """const r = arguments[0].getBoundingClientRect();
const bottom = arguments[1] ? r.top + arguments[1] : r.bottom;
return r.width > 0 && r.top >= 0 && bottom <= window.innerHeight && r.left >= 0 && r.right <= window.innerWidth;"""


def _in_view(driver: WebDriver, element: WebElement) -> bool:
    """Whether the element is wholly inside the window (what the user sees without scrolling)."""
    return bool(driver.execute_script(IN_VIEW, element, 0))


def _starts_in_view(driver: WebDriver, element: WebElement, lines: float = 60) -> bool:
    """Whether the element's first ``lines`` pixels (its first lines of text) are inside the window."""
    return bool(driver.execute_script(IN_VIEW, element, lines))


def _error_toasts(driver: WebDriver) -> list[str]:
    return [t.text for t in driver.find_elements(By.CSS_SELECTOR, ".toast-body") if "错误" in t.text]


def _message_buttons(driver: WebDriver, label: str) -> list[WebElement]:
    return driver.find_elements(By.CSS_SELECTOR, f"#chatbot button[aria-label='{label}']")


# --------------------------------------------------------------------------- 问答


def test_answer_shown_at_once_with_one_chip_per_location_and_the_quote_marked(page: WebDriver) -> None:
    assert page.find_element(By.CSS_SELECTOR, "#mode-badge .mode-name").text == "离线摘录模式"
    # record every text the answer shows while it arrives: an offline answer is not fed out in pieces
    page.execute_script(
        """window.__seen = [];
        new MutationObserver(() => document.querySelectorAll('#chatbot [data-testid="bot"]')
          .forEach((m) => window.__seen.push(m.innerText))).observe(
            document.getElementById('chatbot'), {subtree: true, childList: true, characterData: true});"""
    )
    ask(page, Q)
    answer = _bots(page)[-1]
    assert answer.text.startswith("根据第十四章第二节") and "70%" in answer.text
    final = page.execute_script("return arguments[0].innerText", answer)
    seen = [t for t in page.execute_script("return window.__seen") if t.strip()]
    assert seen and all(t == final for t in seen), "the answer appeared in pieces"
    ask(page, "这一节还讲了什么？")
    chips = _chips(page)
    # five quotes from one section: one chip carrying all five
    assert len(chips) == 1 and "第二节 推动能源绿色低碳转型" in chips[0].text and "5 段" in chips[0].text
    assert len({c.text for c in chips}) == len(chips)
    chips[0].click()
    wait(page).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#section-panel mark")) == 5)
    panel = page.find_element(By.ID, "section-panel")
    assert "第二节 推动能源绿色低碳转型" in panel.text and "ch14.s2" in panel.text
    marks = page.find_elements(By.CSS_SELECTOR, "#section-panel mark")
    # the panel was scrolled to the quotes (on a phone the panel is below the chat: the page was)
    assert any(_in_view(page, m) and "提高清洁能源装机比重" in m.text for m in marks)


def test_sources_are_folded_under_the_answer_each_quote_once(page: WebDriver) -> None:
    ask(page, Q)
    ask(page, "这一节还讲了什么？")
    answer = _bots(page)[-1]
    details = answer.find_element(By.CSS_SELECTOR, "details.cites")
    assert details.get_attribute("open") is None
    summary = details.find_element(By.TAG_NAME, "summary")
    assert summary.text == "引用：1 处出处，5 段原文（展开查看）"
    # folded: the quotes are not shown next to the answer that already says them
    assert "「提高清洁能源装机比重。」" not in answer.text
    summary.click()
    quotes = [q.text for q in details.find_elements(By.CSS_SELECTOR, "ul li")]
    assert len(quotes) == 5 == len(set(quotes)) and "「提高清洁能源装机比重。」" in quotes


def test_the_chat_shows_the_start_of_the_new_answer(page: WebDriver) -> None:
    ask(page, Q)
    ask(page, "这一节还讲了什么？")
    ask(page, "第二章讲了什么？")  # an answer taller than the chat
    where = """const m = [...document.querySelectorAll('#chatbot [data-testid="bot"]')].pop();
        const box = document.querySelector('#chatbot .bubble-wrap');
        return {offset: m.getBoundingClientRect().top - box.getBoundingClientRect().top,
                height: m.getBoundingClientRect().height, view: box.clientHeight,
                scrolled: box.scrollTop, bottom: box.scrollHeight - box.clientHeight};"""
    first = page.execute_script(where)
    assert first["height"] > first["view"], first
    wait(page, 5).until(lambda d: abs(d.execute_script(where)["offset"]) < 40)
    pos = page.execute_script(where)
    assert 0 < pos["scrolled"] < pos["bottom"] - 40, f"not at the answer's start: {pos}"
    assert _bots(page)[-1].text.startswith("第二章")
    assert _starts_in_view(page, _bots(page)[-1]), "the answer's first lines are off the window"


def test_location_codes_are_keyboard_links(page: WebDriver) -> None:
    """With the keyboard only: Enter opens the folded 引用 list, Tab reaches the location code, Enter
    shows the location in the side panel with the quote marked."""
    ask(page, Q)
    answer = _bots(page)[-1]
    summary = answer.find_element(By.CSS_SELECTOR, "details.cites summary")
    page.execute_script("arguments[0].focus()", summary)
    keys = ActionChains(page)
    keys.send_keys(Keys.ENTER).perform()
    wait(page).until(lambda d: answer.find_element(By.TAG_NAME, "details").get_attribute("open") is not None)
    keys.send_keys(Keys.TAB).perform()
    link = page.switch_to.active_element
    assert link.tag_name == "a" and link.get_attribute("class") == "cite-loc"
    assert link.accessible_name == "ch14.s2 在右侧查看原文" and link.text.startswith("ch14.s2")
    keys.send_keys(Keys.ENTER).perform()
    mark = wait(page).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "#section-panel mark")))
    assert "70%" in mark.text.replace(" ", "")
    wait(page).until(lambda d: _in_view(d, mark))


def test_copy_gives_clean_text_with_sources(page: WebDriver, live_server: str) -> None:
    page.execute_cdp_cmd(
        "Browser.grantPermissions",
        {"permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"], "origin": live_server},
    )
    ask(page, Q)
    _message_buttons(page, "复制回答")[-1].click()
    text = page.execute_async_script(
        "const done = arguments[0]; navigator.clipboard.readText().then(done, (e) => done('ERROR ' + e));"
    )
    assert text.startswith(
        "根据第十四章第二节「推动能源绿色低碳转型」：到 2030 年，清洁能源装机占比达到 70%。"
    )
    assert "引用：\n[1] 第十四章 全力建设清洁能源强省" in text and "（ch14.s2）" in text
    assert not any(mark in text for mark in ("**", "`", "<", "\\"))


def test_like_and_dislike_are_stored_as_feedback(
    page: WebDriver, live_server: str, http_settings: Settings
) -> None:
    """The chatbot's own 有帮助/没有帮助 under each answer: stored by the feedback module (the SQLite file
    under RAG_DATA_DIR that the admin export reads), with the question, the answer and its citations."""
    store = FeedbackStore(http_settings.data_dir)
    before = len(store.rows())
    first, second = "规划提出推动设立哪个国家公园？", Q
    ask(page, first)
    ask(page, second)
    assert len(_message_buttons(page, "有帮助")) == len(_message_buttons(page, "没有帮助")) == 2
    like, dislike = _message_buttons(page, "有帮助")[0], _message_buttons(page, "没有帮助")[1]
    assert like.find_elements(By.TAG_NAME, "svg") and dislike.find_elements(By.TAG_NAME, "svg")
    like.click()  # the first answer helped
    wait(page).until(lambda d: "已记录反馈：有帮助" in d.find_element(By.TAG_NAME, "body").text)
    dislike.click()  # the second did not
    wait(page).until(lambda d: "已记录反馈：没有帮助" in d.find_element(By.TAG_NAME, "body").text)
    # each button says what was chosen
    assert _message_buttons(page, "已标记有帮助") and _message_buttons(page, "已标记没有帮助")
    rows = store.rows()[before:]
    assert [(r.question, r.rating, r.source) for r in rows] == [(first, "up", "ui"), (second, "down", "ui")]
    assert "70%" in rows[1].answer and "ch14.s2" in rows[1].citations
    export = httpx.get(f"{live_server}/api/feedback.csv", timeout=10)  # this machine: no key needed
    assert export.status_code == 200 and f"{rows[1].id},{rows[1].created_at},down,{second}" in export.text


def test_clear_and_new_conversation(page: WebDriver, live_server: str) -> None:
    """The chatbot's own 清除 and 新对话 both start an empty conversation; the old one stays in 历史对话
    (also after a reload), and the next question starts a conversation of its own."""

    def entries() -> list[str]:
        stored = page.execute_script(
            "return JSON.stringify(Object.keys(localStorage).map((k) => [k, localStorage.getItem(k)]))"
        )
        assert "plan-assistant-conversations" in stored  # kept in the browser (encrypted)
        page.find_element(By.CSS_SELECTOR, "#conv-list input").click()
        options = wait(page).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#conv-list [role='option']"))
        labels = [o.get_attribute("aria-label") or o.text for o in options]
        page.find_element(By.CSS_SELECTOR, "#conv-list input").send_keys(Keys.ESCAPE)
        return labels

    def empty(d: WebDriver) -> bool:
        return (
            not _bots(d)
            and not _chips(d)
            and not d.find_elements(By.CSS_SELECTOR, "#chatbot [data-testid='user']")
        )

    ask(page, Q)
    assert _chips(page)
    clear = page.find_element(By.CSS_SELECTOR, "#chatbot button[aria-label='清除']")
    assert clear.find_elements(By.TAG_NAME, "svg")
    clear.click()
    wait(page).until(empty)
    assert page.find_element(By.CSS_SELECTOR, "#conv-list input").get_attribute("value") == ""
    page.get(live_server)  # a reload keeps the empty conversation current and the old one listed
    wait(page).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#section-panel .outline-item"))
    assert empty(page)
    assert [e.split(" · ")[0].strip() for e in entries()] == [Q]
    ask(page, "规划提出推动设立哪个国家公园？")
    assert len(_bots(page)) == 1  # its own conversation, not a follow-up of the cleared one
    page.find_element(By.ID, "new-chat-btn").click()
    wait(page).until(empty)
    assert [e.split(" · ")[0].strip() for e in entries()] == ["规划提出推动设立哪个国家公园？", Q]
    assert not _error_toasts(page)  # closing the list without a choice changes nothing, quietly


BOT_TEXTS = "return [...document.querySelectorAll('#chatbot [data-testid=\"bot\"]')].map((m) => m.innerText);"


def test_regenerate_replaces_the_answer(page: WebDriver) -> None:
    ask(page, Q)
    ask(page, "规划提出推动设立哪个国家公园？")
    before = page.execute_script(BOT_TEXTS)
    # count the answers on screen at every change: regenerating drops the last one, then answers again
    page.execute_script(
        """window.__counts = [];
        new MutationObserver(() => window.__counts.push(
          document.querySelectorAll('#chatbot [data-testid="bot"]').length)).observe(
            document.getElementById('chatbot'), {subtree: true, childList: true});"""
    )
    _message_buttons(page, "重新生成")[-1].click()
    wait(page).until(lambda d: 1 in d.execute_script("return window.__counts"))
    wait(page).until(lambda d: _shown(d, "send-btn") and len(d.execute_script(BOT_TEXTS)) == 2)
    assert page.execute_script(BOT_TEXTS) == before


CONV_LIST = """
// The conversation list as a user sees it: how much of the chosen entry the box shows, whether its text
// stops before the arrow, its label's lines, the boxes around it, and the open list's entries.
const lines = (el) => {  // line boxes of an element's text (pieces of one line are within a few pixels)
  const range = document.createRange();
  range.selectNodeContents(el);
  const tops = [...range.getClientRects()].filter((r) => r.width > 0).map((r) => r.top).sort((a, b) => a - b);
  return tops.filter((t, i) => i === 0 || t - tops[i - 1] > 6).length;
};
const rect = (el) => { const r = el.getBoundingClientRect(); return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
const box = document.querySelector('#conv-list');
const input = box.querySelector('input');
const style = getComputedStyle(input);
const ctx = document.createElement('canvas').getContext('2d');
ctx.font = style.font;
const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
let shown = 0;
while (shown < input.value.length && ctx.measureText(input.value.slice(0, shown + 1)).width <= room) { shown += 1; }
const label = box.querySelector('[data-testid="block-info"]');
const options = [...document.querySelectorAll('#conv-list [role="option"]')].map((o) => ({
  text: o.innerText.trim(), lines: lines(o), clipped: o.scrollWidth > o.clientWidth + 1, ...rect(o)}));
return {
  value: input.value, shown: shown, textRight: input.getBoundingClientRect().right - parseFloat(style.paddingRight),
  arrowLeft: box.querySelector('.icon-wrap').getBoundingClientRect().left,
  label: label.innerText.trim(), labelLines: lines(label), labelClipped: label.scrollWidth > label.clientWidth + 1,
  boxes: ['conv-list', 'new-chat-btn', 'mode-badge', 'chatbot'].map((id) => rect(document.getElementById(id))),
  options: options, width: window.innerWidth,
};
"""


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return min(a["right"], b["right"]) - max(a["left"], b["left"]) > 1 and (
        min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > 1
    )


def test_the_conversation_list_is_readable(page: WebDriver, size: tuple[int, int]) -> None:
    """历史对话: the chosen entry and every entry of the open list readable, nothing on top of another."""
    ask(page, Q)
    page.find_element(By.ID, "new-chat-btn").click()
    wait(page).until(lambda d: not _bots(d))
    long = "22个重点产业集群中，世界级产业集群有哪些？请详细说明一下"
    ask(page, long)
    titles = [long[:23] + "…", Q]  # an entry is its first question (up to 24 characters) and its time
    seen = page.execute_script(CONV_LIST)
    assert seen["value"].startswith(titles[0]) and seen["label"] == "历史对话（保存在本浏览器）"
    # the box shows the whole entry on a desktop, at least 16 characters of it on a phone
    assert seen["shown"] >= (len(seen["value"]) if size == DESKTOP else 16), seen
    assert seen["textRight"] <= seen["arrowLeft"] + 0.5, "the entry runs under the arrow"
    assert seen["labelLines"] == 1 and not seen["labelClipped"]
    boxes = seen["boxes"]
    assert not any(_overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :]), boxes
    page.find_element(By.CSS_SELECTOR, "#conv-list input").click()
    wait(page).until(lambda d: len(d.execute_script(CONV_LIST)["options"]) == 2)
    options = page.execute_script(CONV_LIST)["options"]
    for option, title in zip(options, titles, strict=True):
        # the whole entry: its title and time on one line (desktop) or two (phone), inside the window
        assert title in option["text"] and not option["clipped"], option
        assert option["lines"] <= (1 if size == DESKTOP else 2), option
        assert option["left"] >= 0 and option["right"] <= seen["width"], option
        assert option["right"] - option["left"] >= 0.8 * (boxes[0]["right"] - boxes[0]["left"]), option
    assert options[0]["bottom"] <= options[1]["top"] + 1, "entries overlap"


def test_conversations_survive_a_reload_and_can_be_switched(page: WebDriver, live_server: str) -> None:
    ask(page, Q)
    page.get(live_server)
    wait(page).until(lambda d: _bots(d) and "70%" in _bots(d)[0].text)
    assert len(_chips(page)) == 1  # the restored answer's sources too
    page.find_element(By.ID, "new-chat-btn").click()
    wait(page).until(lambda d: not _bots(d))
    ask(page, "规划提出推动设立哪个国家公园？")
    page.find_element(By.CSS_SELECTOR, "#conv-list input").click()
    options = wait(page).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[role='option']"))
    labels = [o.get_attribute("aria-label") or o.text for o in options]
    assert (
        len(labels) == 2 and labels[0].startswith("规划提出推动设立哪个国家公园") and labels[1].startswith(Q)
    )
    options[1].click()
    wait(page).until(lambda d: len(_bots(d)) == 1 and "70%" in _bots(d)[0].text)


def test_an_empty_question_changes_nothing(page: WebDriver, live_server: str) -> None:
    """提问 with an empty box: a toast, and the conversation, its chips, the list and the buttons as they
    were (also after a reload: what the browser keeps is untouched)."""
    ask(page, Q)
    page.find_element(By.ID, "send-btn").click()
    wait(page).until(lambda d: "请输入问题" in d.find_element(By.TAG_NAME, "body").text)
    assert len(_bots(page)) == 1 and "70%" in _bots(page)[0].text and len(_chips(page)) == 1
    assert page.find_element(By.ID, "send-btn").text == "提问"
    assert page.find_element(By.CSS_SELECTOR, "#conv-list input").get_attribute("value").startswith(Q)
    page.get(live_server)
    wait(page).until(lambda d: _bots(d) and "70%" in _bots(d)[0].text)


def test_an_example_question_sends_when_clicked(page: WebDriver) -> None:
    example = page.find_element(By.XPATH, "//*[@id='examples']//*[contains(text(), '世界级产业集群有哪些')]")
    example.click()
    wait(page).until(lambda d: _bots(d) and "船舶与海工装备产业集群" in _bots(d)[-1].text)
    user = page.find_elements(By.CSS_SELECTOR, "#chatbot [data-testid='user']")
    assert user[-1].text == "22个重点产业集群中，世界级产业集群有哪些？"
    # the examples are below the chat: the page goes back up to the answer
    wait(page, 5).until(lambda d: _starts_in_view(d, _bots(d)[-1]))


def test_the_side_panel_starts_as_the_outline(page: WebDriver) -> None:
    panel = page.find_element(By.ID, "section-panel")
    assert "规划纲要提纲" in panel.text
    assert not panel.find_elements(By.CSS_SELECTOR, ".eta-bar, .progress-text, .wrap.default")  # no spinner
    chapters = panel.find_elements(By.CSS_SELECTOR, "details.outline-chapter")
    assert len(chapters) == 20
    chapters[13].find_element(By.TAG_NAME, "summary").click()
    item = chapters[13].find_element(By.XPATH, ".//button[contains(., '推动能源绿色低碳转型')]")
    item.click()
    wait(page).until(lambda d: "清洁能源装机占比" in d.find_element(By.ID, "section-panel").text)
    heading = page.find_element(By.CSS_SELECTOR, "#section-panel h3")
    assert heading.text == "第二节 推动能源绿色低碳转型"
    wait(page, 5).until(lambda d: _in_view(d, heading))  # read from its heading (phones: the page goes up)
    page.find_element(By.CSS_SELECTOR, "#section-panel .back-to-outline").click()
    wait(page).until(lambda d: "规划纲要提纲" in d.find_element(By.ID, "section-panel").text)


# --------------------------------------------------------------------------- labels, contrast, icons

ENGLISH = r"[A-Za-z][a-z]{2,}"
ALLOWED = {"Markdown"}  # 下载 Markdown (a file type)
FIND_ENGLISH = """
const re = new RegExp(arguments[0], 'g');
const codes = /(preface|ch\\d+\\.s\\d+|box\\d+)/g;   // location codes are identifiers
const found = new Set();
const add = (s) => (s.replace(codes, '').match(re) || []).forEach((w) => found.add(w));
document.querySelectorAll('body *').forEach((e) => {
  if (e.closest('script, style, svg') || e.classList.contains('copy-src')) { return; }
  ['aria-label', 'title', 'placeholder', 'alt', 'aria-roledescription'].forEach((a) => {
    const v = e.getAttribute(a); if (v) { add(v); }
  });
});
add(document.body.innerText);
return [...found];
"""


def _english(driver: WebDriver) -> set[str]:
    return set(driver.execute_script(FIND_ENGLISH, ENGLISH)) - ALLOWED


def test_a_waiting_request_says_so_in_chinese(page: WebDriver) -> None:
    """Gradio's status tracker writes "queue: 1/2 |" while a request waits on a loaded server."""
    text = page.execute_script(
        "const d = document.createElement('div'); d.id = 'fake-status';"
        "document.querySelector('#question').appendChild(d); d.textContent = 'queue: 1/2 |';"
        "return new Promise((r) => setTimeout(() => r(d.textContent), 200));"
    )
    assert text == "排队：1/2 |"


CONTROLS = {
    "button",
    "link",
    "textbox",
    "combobox",
    "checkbox",
    "radio",
    "tab",
    "listbox",
    "switch",
    "slider",
}


def _unnamed(driver: WebDriver) -> list[tuple[str, str]]:
    """Controls on the page (Chromium's own accessibility tree) whose name has no Chinese in it."""
    nodes = driver.execute_cdp_cmd("Accessibility.getFullAXTree", {})["nodes"]
    named = [
        (n.get("role", {}).get("value"), n.get("name", {}).get("value", ""))
        for n in nodes
        if not n["ignored"]
    ]
    return [
        (role, name) for role, name in named if role in CONTROLS and not re.search("[\u4e00-\u9fff]", name)
    ]


def test_every_label_is_chinese_in_every_tab(page: WebDriver) -> None:
    """No English on screen or in what a screen reader reads, every control named in Chinese (Gradio's
    own labels included), the toast's title Chinese, and the page declared zh-CN."""
    ask(page, Q)
    answer = _bots(page)[-1]
    answer.find_element(By.CSS_SELECTOR, "details.cites summary").click()
    link = answer.find_element(By.CSS_SELECTOR, "a.cite-loc")
    assert link.accessible_name == "ch14.s2 在右侧查看原文"
    english, unnamed = _english(page), _unnamed(page)
    assert page.find_element(By.CSS_SELECTOR, "#question textarea").accessible_name == "问题"
    for tab in ("目录", "指标", "企业政策匹配"):
        _tab(page, tab)
        shown = {"目录": "toc-chapter", "指标": "ind-table"}.get(tab, "policy-report")
        wait(page).until(lambda d, shown=shown: _shown(d, shown))
        english |= _english(page)
        unnamed += _unnamed(page)
    _tab(page, "问答")
    page.find_element(By.ID, "send-btn").click()  # an empty question: a toast
    toast = wait(page).until(ec.visibility_of_element_located((By.CSS_SELECTOR, ".toast-body")))
    assert "提示" in toast.text and "请输入问题" in toast.text
    english |= _english(page)
    unnamed += _unnamed(page)
    assert not english, f"English in the UI: {sorted(english)}"
    assert not unnamed, f"controls without a Chinese name: {unnamed}"
    assert page.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"


LOW_CONTRAST = """
// Every visible text inside the elements arguments[0] selects whose contrast with its background is below
// arguments[1] (WCAG: relative luminances of the text and of its backgrounds composited from the page
// down); a textarea's placeholder counts as its text. Returns {low: [{where, text, ratio}], checked}.
const parse = (c) => { const m = (c.match(/[\\d.]+/g) || []).map(Number); if (m.length === 3) { m.push(1); } return m; };
const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat([1]);
const lum = ([r, g, b]) => {
  const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
};
const background = (el) => {
  const chain = [];
  for (let e = el; e; e = e.parentElement) { chain.unshift(e); }
  let bg = [255, 255, 255, 1];
  for (const e of chain) {
    const c = parse(getComputedStyle(e).backgroundColor);
    if (c[3] > 0) { bg = over(c, bg); }
  }
  return bg;
};
const ratio = (el, pseudo) => {
  const bg = background(el);
  const fg = over(parse(getComputedStyle(el, pseudo).color), bg);
  const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
};
const visible = (e) => {  // on screen (screen-reader-only text is a 1px box)
  const r = e.getBoundingClientRect();
  return r.width > 1 && r.height > 1 && getComputedStyle(e).visibility !== 'hidden';
};
const low = [];
let checked = 0;
for (const root of document.querySelectorAll(arguments[0])) {
  for (const e of [root, ...root.querySelectorAll('*')]) {
    if (!visible(e) || e.closest('svg, style, script, .copy-src')) { continue; }
    const own = [...e.childNodes].filter((n) => n.nodeType === 3).map((n) => n.nodeValue).join('').trim();
    const placeholder = e.tagName === 'TEXTAREA' && !e.value ? e.placeholder : '';
    const before = getComputedStyle(e, '::before').content;  // a label the CSS writes (2030年)
    const texts = [[own, null], [placeholder, '::placeholder'],
                   [/^"[^"]/.test(before) ? before : '', '::before']].filter(([t]) => t);
    for (const [text, pseudo] of texts) {
      const r = ratio(e, pseudo);
      checked += 1;
      if (r < arguments[1]) {
        low.push({where: e.tagName.toLowerCase() + '.' + e.className + (pseudo || ''), text: text.slice(0, 20),
                  ratio: Math.round(r * 100) / 100});
      }
    }
  }
}
return {low: low, checked: checked};
"""


def _low_contrast(driver: WebDriver, selectors: str, minimum: float = 4.5) -> list[dict[str, Any]]:
    """Text below ``minimum`` contrast inside ``selectors`` (each of which must show some text)."""
    for selector in selectors.split(","):
        found = driver.execute_script(LOW_CONTRAST, selector.strip(), minimum)
        assert found["checked"], f"no visible text in {selector}"
    return list(driver.execute_script(LOW_CONTRAST, selectors, minimum)["low"])


@pytest.mark.parametrize(
    ("theme", "size"),
    [("light", DESKTOP), ("dark", DESKTOP), ("light", PHONE), ("dark", PHONE)],
    ids=["light-desktop", "dark-desktop", "light-phone", "dark-phone"],
)
def test_text_has_enough_contrast_in_the_light_and_the_dark_theme(
    driver: WebDriver, live_server: str, theme: str, size: tuple[int, int]
) -> None:
    """Gradio's dark theme (?__theme=dark, or a system that prefers dark) with the UI's own colours: the
    subtitle, the placeholders, the mode, the 引用 lists, the chips, the side panel (the outline, then a
    cited location with its quotes marked) and the policy tab's panels, every text at 4.5:1 or more."""
    viewport(driver, *size)
    shots.open_fresh(driver, f"{live_server}/?__theme={theme}")
    dark = driver.execute_script("return document.body.classList.contains('dark')")
    assert dark == (theme == "dark")
    chapter = driver.find_elements(By.CSS_SELECTOR, "#section-panel details.outline-chapter")[0]
    chapter.find_element(By.TAG_NAME, "summary").click()  # its sections, and its 专栏 in another colour
    assert chapter.find_elements(By.CSS_SELECTOR, ".outline-item.box")
    low = _low_contrast(
        driver, "#app-title, #mode-badge, #chatbot, #question, #section-panel, #conv-list, #examples"
    )
    ask(driver, Q)
    ask(driver, "专栏1里森林覆盖率2030年的目标是多少？")  # its chip carries a count (2 段)
    for answer in _bots(driver):  # the 引用 lists, open (a click in an answer selects it: the last one last)
        answer.find_element(By.CSS_SELECTOR, "details.cites summary").click()
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#citation-chips .chip-count"))
    low += _low_contrast(driver, "#chatbot .cites, #citation-chips")
    _chips(driver)[0].click()  # 专栏1: its table (or cards) with the cited row and the note marked
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#section-panel tr.ind-hit"))
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#section-panel mark"))
    low += _low_contrast(
        driver, "#section-panel .panel-head, #section-panel .quote, #section-panel table, #section-panel p"
    )
    _tab(driver, "企业政策匹配")
    wait(driver).until(lambda d: _shown(d, "policy-report"))
    low += _low_contrast(
        driver, "#policy-report .panel-empty, #policy-panel .panel-empty, #policy-description"
    )
    assert not low, f"{theme}: text below 4.5:1: {low}"


EMOJI = "[\\u{1F300}-\\u{1FAFF}\\u{2600}-\\u{27BF}\\u{1F000}-\\u{1F2FF}]"


def test_controls_need_no_emoji_font(page: WebDriver) -> None:
    """Icons are SVG with Chinese names (an office Linux desktop often has no emoji font)."""
    ask(page, Q)
    found = page.execute_script(
        """const re = new RegExp(arguments[0], 'u');
        const labels = [...document.querySelectorAll('button, [role="button"], [role="tab"], a')]
          .map((b) => (b.innerText || '') + ' ' + (b.getAttribute('aria-label') || ''));
        return [...labels, document.body.innerText].filter((t) => re.test(t));""",
        EMOJI,
    )
    assert found == []
    for label in (
        "复制回答",
        "有帮助",
        "没有帮助",
        "重新生成",
        "清除",
    ):  # icons drawn as SVG, named in Chinese
        buttons = _message_buttons(page, label)
        assert buttons and buttons[-1].find_elements(By.TAG_NAME, "svg"), label
        assert buttons[-1].is_displayed() and buttons[-1].size["width"] >= 16, label
    assert page.find_element(By.ID, "new-chat-btn").text == "新对话"


# --------------------------------------------------------------------------- the source panel, 指标


def test_a_chip_opens_its_source_and_the_way_back(page: WebDriver, size: tuple[int, int]) -> None:
    """A chip opens its location in the side panel (专栏1 as a table, the cited row marked, PM2.5 as a
    subscript). On a phone the panel is below the chat and 返回对话 goes back up; on a desktop the chat
    stays beside it and 返回提纲 shows the outline again."""
    ask(page, "专栏1里森林覆盖率2030年的目标是多少？")
    width = page.execute_script("return document.documentElement.scrollWidth")
    assert width <= size[0], f"sideways scrolling: the page is {width}px wide"
    _chips(page)[0].click()
    row = wait(page).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "#section-panel tr.ind-hit")))
    wait(page, 5).until(lambda d: _in_view(d, row))  # scrolled to the cited row
    assert "森林覆盖率" in row.text and "35.7" in row.text
    target = row.find_element(By.CSS_SELECTOR, "td[data-label='2030年']")
    assert target.text == "35.7" and _in_view(page, target)
    panel = page.find_element(By.ID, "section-panel")
    assert "_{" not in panel.text and panel.find_elements(By.XPATH, ".//sub[text()='2.5']")
    box = panel.find_element(By.CLASS_NAME, "plan-panel")  # nothing in it needs sideways scrolling
    assert page.execute_script("return arguments[0].scrollWidth <= arguments[0].clientWidth", box)
    back = page.find_element(By.CSS_SELECTOR, "#section-panel .back-to-chat")
    outline = page.find_element(By.CSS_SELECTOR, "#section-panel .back-to-outline")
    assert outline.is_displayed() and outline.text == "返回提纲"
    if size == PHONE:
        assert back.is_displayed() and back.text == "返回对话"
        back.click()
        chat_top = "return document.getElementById('chatbot').getBoundingClientRect().top"
        wait(page).until(lambda d: abs(d.execute_script(chat_top)) < 20)
        assert page.switch_to.active_element.get_attribute("data-testid") == "textbox"
    else:
        assert not back.is_displayed()  # the chat is beside the panel
        assert _in_view(page, page.find_element(By.ID, "chatbot"))
        outline.click()
        wait(page).until(lambda d: "规划纲要提纲" in d.find_element(By.ID, "section-panel").text)


def test_indicators_show_the_2030_target_without_sideways_scrolling(
    page: WebDriver, size: tuple[int, int]
) -> None:
    """指标: a table on a desktop, a card per indicator on a phone; the 2030 target on screen either way."""
    _tab(page, "指标")
    row = wait(page).until(
        ec.visibility_of_element_located((By.XPATH, "//*[@id='ind-table']//tr[contains(., '森林覆盖率')]"))
    )
    target = row.find_element(By.CSS_SELECTOR, "td[data-label='2030年']")
    page.execute_script("arguments[0].scrollIntoView({block: 'center'})", target)
    assert target.text == "35.7" and _in_view(page, target)
    assert page.execute_script("return document.documentElement.scrollWidth") <= size[0]
    if size == PHONE:  # the card names its values
        label = page.execute_script("return getComputedStyle(arguments[0], '::before').content", target)
        assert json.loads(label) == "2030年"
    else:  # under its column's header
        head = page.find_element(By.XPATH, "//*[@id='ind-table']//th[text()='2030年']")
        assert abs(head.location["x"] - target.location["x"]) < 2 and head.is_displayed()


# --------------------------------------------------------------------------- other tabs


def test_toc_and_indicator_tabs(desktop: WebDriver) -> None:
    _tab(desktop, "目录")
    wait(desktop).until(ec.element_to_be_clickable((By.CSS_SELECTOR, "#toc-chapter input"))).click()
    option = wait(desktop).until(
        ec.element_to_be_clickable((By.XPATH, "//*[@role='option' and contains(., '第十四章')]"))
    )
    option.click()
    section = wait(desktop).until(
        ec.element_to_be_clickable(
            (By.XPATH, "//*[@id='toc-location']//label[contains(., '推动能源绿色低碳转型')]")
        )
    )
    section.click()
    wait(desktop).until(lambda d: "清洁能源装机占比" in d.find_element(By.ID, "toc-text").text)
    _tab(desktop, "指标")
    wait(desktop).until(lambda d: "森林覆盖率" in d.find_element(By.ID, "ind-table").text)
    headers = [h.text for h in desktop.find_elements(By.CSS_SELECTOR, "#ind-table th")]
    assert headers[:5] == ["类别", "指标", "单位", "2025年", "2030年"]


def _pick(driver: WebDriver, dropdown: str, option: str) -> None:
    """Open a Gradio dropdown and choose an option by its label."""
    wait(driver).until(ec.element_to_be_clickable((By.CSS_SELECTOR, f"#{dropdown} input"))).click()
    choice = (By.XPATH, f"//*[@role='option' and @aria-label='{option}']")
    wait(driver).until(ec.element_to_be_clickable(choice)).click()
    wait(driver).until(
        lambda d: d.find_element(By.CSS_SELECTOR, f"#{dropdown} input").get_attribute("value") == option
    )


def test_policy_match_tab(desktop: WebDriver) -> None:
    _tab(desktop, "企业政策匹配")
    _pick(desktop, "policy-industry", "船舶与海工装备产业集群")
    _pick(desktop, "policy-city", "大连")
    desktop.find_element(By.ID, "policy-match-btn").click()
    wait(desktop).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#policy-report .clause"))
    report = desktop.find_element(By.ID, "policy-report")
    assert "匹配理由" in report.text
    chips = desktop.find_elements(By.CSS_SELECTOR, "#policy-report .cite-chip")
    chip = next(c for c in chips if "船舶" in (c.get_attribute("data-quote") or ""))
    quote = chip.get_attribute("data-quote") or ""
    chip.click()
    mark = wait(desktop).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "#policy-panel mark")))
    assert "船舶" in mark.text and mark.text.replace(" ", "") in quote.replace(" ", "")
    assert chip.get_attribute("data-location") in desktop.find_element(By.ID, "policy-panel").text
    assert desktop.find_element(By.ID, "policy-md").is_enabled()
    assert desktop.find_element(By.ID, "policy-csv").is_enabled()


def test_the_page_runs_the_packages_static_files(page: WebDriver) -> None:
    """The UI package's static/ui.css (its palette), ui.js (window.planUI) and the components' scripts
    (chips.js, panel.js) are what the page runs."""
    css = (STATIC / "ui.css").read_text(encoding="utf-8")
    note = re.search(r"--plan-note: (#[0-9a-f]{6});", css)
    assert note is not None
    seen = page.execute_script(
        """return [getComputedStyle(document.body).getPropertyValue('--plan-note').trim(),
                   Object.keys(window.planUI || {}).sort(), typeof window.__planCite];"""
    )
    assert seen[0] == note.group(1)
    assert {"scrollToAnswer", "showMark", "backToChat"} <= set(seen[1]) and seen[2] == "function"


def test_screenshots_go_to_a_temporary_folder(driver: WebDriver, live_server: str, tmp_path: Path) -> None:
    """The README's pictures (desktop, phone, policy) are taken into a temporary folder; the tracked
    ones under docs/ are rewritten only by `make screenshots`."""
    import hashlib

    from PIL import Image

    docs = Path(__file__).resolve().parent.parent / "docs"
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in docs.glob("ui*.png")}
    paths = shots.take(driver, live_server, tmp_path)
    assert [p.name for p in paths] == list(shots.NAMES)
    assert all(p.parent == tmp_path and p.stat().st_size > 20_000 for p in paths)
    assert [Image.open(p).size for p in paths] == [DESKTOP, PHONE, DESKTOP]
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in docs.glob("ui*.png")}
    assert after == before and set(before) >= set(shots.NAMES)


# --------------------------------------------------------------------------- stop (大模型模式, held back)


REPLY = "根据第十四章第二节，到2030年，清洁能源装机占比达到70%。[1]"


class HeldBack(Assistant):
    """The real assistant in 大模型模式: a fake chat model writes REPLY a character at a time (no network),
    and an answer starts only once ``release`` is set. How each answer stream ended is logged: "answered"
    (its checked Answer was taken) or "closed" (closed before that)."""

    release = threading.Event()
    ended: ClassVar[list[str]] = []

    def ask_stream(self, question: str, history: Any = ()) -> Iterator[Any]:
        self.release.wait(20)
        answered = False
        try:
            for piece in super().ask_stream(question, history):
                answered = isinstance(piece, Answer)
                yield piece
        finally:
            self.ended.append("answered" if answered else "closed")


@dataclass
class LLMServer:
    url: str
    limiter: GenerationLimiter


@pytest.fixture(scope="module")
def llm_server(assistant: Assistant, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LLMServer]:
    """The UI as app.py wires it (answers through the generation slots), in 大模型模式."""
    import gradio as gr
    from fastapi import FastAPI
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    from assistant.chain import AnswerChain
    from assistant.ui import build_ui, mount_options

    settings = Settings(data_dir=tmp_path_factory.mktemp("llm-ui"))
    model = FakeListChatModel(responses=[REPLY], sleep=0.08)
    chain = AnswerChain.from_settings(settings, assistant.document, assistant.retriever, chat_model=model)
    held = HeldBack(settings, assistant.document, assistant.index, assistant.embedder, chain)
    limiter = GenerationLimiter(max_concurrent=2, timeout=60, queue_timeout=5)
    ui = build_ui(lambda: cast(Assistant, LimitedAssistant(held, limiter)))
    app = gr.mount_gradio_app(FastAPI(), ui, path="/", ssr_mode=False, **mount_options())
    with serve(app) as url:
        yield LLMServer(url, limiter)
    HeldBack.release.set()
    limiter.close()


def test_an_llm_answer_is_shown_as_it_arrives(
    driver: WebDriver, llm_server: LLMServer, size: tuple[int, int]
) -> None:
    """大模型模式 says so, shows the reply as a draft while it is written, then the checked answer."""
    HeldBack.release.set()
    viewport(driver, *size)
    shots.open_fresh(driver, llm_server.url)
    assert driver.find_element(By.CSS_SELECTOR, "#mode-badge .mode-name").text == "大模型模式"
    assert "边生成边显示" in driver.find_element(By.CSS_SELECTOR, "#mode-badge .mode-note").text
    driver.execute_script(
        """window.__seen = [];
        new MutationObserver(() => document.querySelectorAll('#chatbot [data-testid="bot"]')
          .forEach((m) => window.__seen.push(m.innerText))).observe(
            document.getElementById('chatbot'), {subtree: true, childList: true, characterData: true});"""
    )
    driver.find_element(By.CSS_SELECTOR, "#question textarea").send_keys(Q)
    driver.find_element(By.ID, "send-btn").click()
    wait(driver).until(lambda d: _bots(d) and "生成中" in _bots(d)[-1].text)
    assert llm_server.limiter.running == 1  # between its pieces, the answer keeps its generation slot
    wait(driver).until(lambda d: _shown(d, "send-btn"))
    seen = list(dict.fromkeys(t for t in driver.execute_script("return window.__seen") if t.strip()))
    drafts = [t.split("\n")[0] for t in seen if "生成中" in t]
    # at least three growing drafts, each the start of the reply as written so far
    assert len(set(drafts)) >= 3 and all(REPLY.startswith(d) for d in drafts), seen
    assert all(len(a) <= len(b) for a, b in itertools.pairwise(drafts)) and len(drafts[0]) < len(REPLY)
    final = _bots(driver)[-1].text
    assert "70%" in final and "生成中" not in final
    assert HeldBack.ended[-1] == "answered" and llm_server.limiter.running == 0


def test_stop_in_llm_mode(driver: WebDriver, llm_server: LLMServer, size: tuple[int, int]) -> None:
    """停止 while an answer is generated: the conversation as it was, the question back in the box, and
    the answer's stream closed, so its generation slot is free again."""
    HeldBack.release.clear()
    viewport(driver, *size)
    shots.open_fresh(driver, llm_server.url)
    closed = HeldBack.ended.count("closed")
    box = driver.find_element(By.CSS_SELECTOR, "#question textarea")
    box.send_keys(Q)
    driver.find_element(By.ID, "send-btn").click()
    stop = wait(driver).until(ec.element_to_be_clickable((By.ID, "stop-btn")))
    assert not _shown(driver, "send-btn") and stop.text == "停止"
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#chatbot [data-testid='user']"))
    assert llm_server.limiter.running == 1  # the answer holds a slot while it is generated
    stop.click()
    wait(driver).until(lambda d: _shown(d, "send-btn"))
    assert not _shown(driver, "stop-btn")
    assert box.get_attribute("value") == Q  # the question is back in the box to edit or resend
    assert not driver.find_elements(By.CSS_SELECTOR, "#chatbot [data-testid='user']")
    HeldBack.release.set()  # the held answer goes on: its first piece finds its stream closed
    wait(driver).until(lambda d: HeldBack.ended.count("closed") == closed + 1)
    wait(driver, 5).until(lambda d: llm_server.limiter.running == 0)
    assert not _bots(driver)  # nothing of the stopped answer shows up later
