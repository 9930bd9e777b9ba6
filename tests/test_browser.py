"""The UI in headless Debian Chromium: ask, read the answer, click a citation chip, see the quote marked;
match an enterprise to the plan's clauses and open one.

Also saves docs/ui.png (1280x900), docs/ui-mobile.png (390x844) and docs/ui-policy.png (1280x900).
Run with ``pytest -m browser``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import chromium, has_chromium

pytestmark = pytest.mark.browser

DOCS = Path(__file__).resolve().parent.parent / "docs"
Q = "到2030年清洁能源装机占比达到多少？"

if not has_chromium():
    pytest.skip("Debian chromium and chromium-driver are not installed", allow_module_level=True)

from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def driver() -> Iterator[WebDriver]:
    with chromium() as browser:
        yield browser


def _viewport(driver: WebDriver, width: int, height: int) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def _wait(driver: WebDriver, seconds: float = 30) -> WebDriverWait[WebDriver]:
    return WebDriverWait(driver, seconds)


def _open(driver: WebDriver, url: str) -> WebElement:
    driver.get(url)
    return _wait(driver).until(ec.element_to_be_clickable((By.CSS_SELECTOR, "#question textarea")))


def _ask(driver: WebDriver, question: str) -> None:
    box = _wait(driver).until(ec.element_to_be_clickable((By.CSS_SELECTOR, "#question textarea")))
    box.clear()
    box.send_keys(question)
    driver.find_element(By.ID, "send-btn").click()


def _screenshot(driver: WebDriver, name: str) -> None:
    """Mouse off the chips (no hover state), page scrolled to the top, then save docs/<name>."""
    ActionChains(driver).move_to_element(driver.find_element(By.ID, "app-title")).perform()
    driver.execute_script("window.scrollTo(0, 0)")
    DOCS.mkdir(exist_ok=True)
    assert driver.save_screenshot(str(DOCS / name))


def _chips(driver: WebDriver, label: str) -> list[WebElement]:
    _wait(driver).until(lambda d: label in d.find_element(By.ID, "citation-chips").text)
    return driver.find_elements(By.CSS_SELECTOR, "#citation-chips .cite-chip")


def test_ask_click_citation_and_see_the_quote(driver: WebDriver, live_server: str) -> None:
    _viewport(driver, 1280, 900)
    _open(driver, live_server)
    _ask(driver, Q)
    _wait(driver).until(lambda d: "70%" in d.find_element(By.ID, "chatbot").text)
    chips = _chips(driver, "本回答的引用")
    assert chips and "推动能源绿色低碳转型" in chips[0].text
    chips[0].click()
    mark = _wait(driver).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "#section-panel mark")))
    assert "70%" in mark.text.replace(" ", "")
    panel = driver.find_element(By.ID, "section-panel")
    assert "第二节 推动能源绿色低碳转型" in panel.text and "ch14.s2" in panel.text
    _screenshot(driver, "ui.png")


def test_copy_box_and_feedback(driver: WebDriver, live_server: str) -> None:
    _viewport(driver, 1280, 900)
    _open(driver, live_server)
    _ask(driver, Q)
    _chips(driver, "本回答的引用")
    driver.find_element(By.XPATH, "//*[@id='tools']//*[contains(text(), '复制答案')]").click()
    box = _wait(driver).until(ec.presence_of_element_located((By.CSS_SELECTOR, "#copy-box textarea")))
    _wait(driver).until(lambda d: "引用：" in (box.get_attribute("value") or ""))
    assert "ch14.s2" in (box.get_attribute("value") or "")
    driver.find_element(By.CSS_SELECTOR, "#fb-comment textarea").send_keys("很清楚")
    driver.find_element(By.ID, "fb-up").click()
    _wait(driver).until(lambda d: "已记录反馈" in d.find_element(By.ID, "fb-status").text)


def test_clicking_an_earlier_answer_shows_its_chips(driver: WebDriver, live_server: str) -> None:
    _viewport(driver, 1280, 900)
    _open(driver, live_server)
    _ask(driver, Q)
    _chips(driver, "本回答的引用")
    _ask(driver, "规划提出推动设立哪个国家公园？")
    _chips(driver, "第 2 问的引用")
    first_answer = driver.find_elements(
        By.CSS_SELECTOR, "#chatbot .message.bot, #chatbot [data-testid='bot']"
    )[0]
    first_answer.click()
    chips = _chips(driver, "第 1 问的引用")
    chips[0].click()
    _wait(driver).until(lambda d: "ch14.s2" in d.find_element(By.ID, "section-panel").text)


def test_every_answer_links_its_sources(driver: WebDriver, live_server: str) -> None:
    _viewport(driver, 1280, 900)
    _open(driver, live_server)
    _ask(driver, Q)
    _chips(driver, "本回答的引用")
    _ask(driver, "规划提出推动设立哪个国家公园？")
    _chips(driver, "第 2 问的引用")
    links = driver.find_elements(By.CSS_SELECTOR, "#chatbot li code")
    first = next(link for link in links if link.text == "ch14.s2")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", first)
    first.click()
    mark = _wait(driver).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "#section-panel mark")))
    assert "70%" in mark.text.replace(" ", "")
    _chips(driver, "第 1 问的引用")  # the clicked answer becomes the selected one


def test_clear_conversation(driver: WebDriver, live_server: str) -> None:
    _viewport(driver, 1280, 900)
    _open(driver, live_server)
    _ask(driver, Q)
    _chips(driver, "本回答的引用")
    driver.find_element(By.ID, "clear-btn").click()
    _wait(driver).until(lambda d: "70%" not in d.find_element(By.ID, "chatbot").text)
    assert not driver.find_elements(By.CSS_SELECTOR, "#citation-chips .cite-chip")


def test_toc_and_indicator_tabs(driver: WebDriver, live_server: str) -> None:
    _viewport(driver, 1280, 900)
    _open(driver, live_server)
    driver.find_element(By.XPATH, "//button[@role='tab' and contains(., '目录')]").click()
    _wait(driver).until(ec.element_to_be_clickable((By.CSS_SELECTOR, "#toc-chapter input"))).click()
    option = _wait(driver).until(
        ec.element_to_be_clickable((By.XPATH, "//*[@role='option' and contains(., '第十四章')]"))
    )
    option.click()
    section = _wait(driver).until(
        ec.element_to_be_clickable(
            (By.XPATH, "//*[@id='toc-location']//label[contains(., '推动能源绿色低碳转型')]")
        )
    )
    section.click()
    _wait(driver).until(lambda d: "清洁能源装机占比" in d.find_element(By.ID, "toc-text").text)
    driver.find_element(By.XPATH, "//button[@role='tab' and contains(., '指标')]").click()
    _wait(driver).until(lambda d: "森林覆盖率" in d.find_element(By.ID, "ind-table").text)


def test_phone_width(driver: WebDriver, live_server: str) -> None:
    _viewport(driver, 390, 844)
    _open(driver, live_server)
    _ask(driver, Q)
    _wait(driver).until(lambda d: "70%" in d.find_element(By.ID, "chatbot").text)
    chips = _chips(driver, "本回答的引用")
    width = driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, f"no horizontal scrolling at phone width (page is {width}px wide)"
    chips[0].click()
    mark = _wait(driver).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "#section-panel mark")))
    assert "70%" in mark.text.replace(" ", "")
    _screenshot(driver, "ui-mobile.png")


def _pick(driver: WebDriver, dropdown: str, option: str) -> None:
    """Open a Gradio dropdown and choose an option by its label."""
    _wait(driver).until(ec.element_to_be_clickable((By.CSS_SELECTOR, f"#{dropdown} input"))).click()
    choice = (By.XPATH, f"//*[@role='option' and @aria-label='{option}']")
    _wait(driver).until(ec.element_to_be_clickable(choice)).click()
    _wait(driver).until(
        lambda d: d.find_element(By.CSS_SELECTOR, f"#{dropdown} input").get_attribute("value") == option
    )


def test_policy_match_tab(driver: WebDriver, live_server: str) -> None:
    _viewport(driver, 1280, 900)
    _open(driver, live_server)
    driver.find_element(By.XPATH, "//button[@role='tab' and contains(., '企业政策匹配')]").click()
    _pick(driver, "policy-industry", "船舶与海工装备产业集群")
    _pick(driver, "policy-city", "大连")
    driver.find_element(By.ID, "policy-match-btn").click()
    _wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#policy-report .clause"))
    report = driver.find_element(By.ID, "policy-report")
    assert "所属产业的目标" in report.text and "匹配理由" in report.text
    chips = driver.find_elements(By.CSS_SELECTOR, "#policy-report .cite-chip")
    chip = next(c for c in chips if "船舶" in (c.get_attribute("data-quote") or ""))
    quote = chip.get_attribute("data-quote") or ""
    chip.click()
    mark = _wait(driver).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "#policy-panel mark")))
    assert "船舶" in mark.text and mark.text.replace(" ", "") in quote.replace(" ", "")
    assert chip.get_attribute("data-location") in driver.find_element(By.ID, "policy-panel").text
    assert driver.find_element(By.ID, "policy-md").is_enabled()
    assert driver.find_element(By.ID, "policy-csv").is_enabled()
    _screenshot(driver, "ui-policy.png")
