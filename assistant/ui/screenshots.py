"""The README's pictures of the UI, taken in Debian's headless Chromium: ``make screenshots``
(= ``python -m assistant.ui.screenshots [--out docs]``, run from the repository root).

It serves the app on a free loopback port with feedback in a temporary folder, then saves ui.png
(1400×1000), ui-mobile.png (390×844) and ui-policy.png (1400×1000). tests/test_browser.py runs the
same steps into a temporary folder, so the default test run never rewrites the tracked pictures.
Needs the dev extras (selenium) and Debian's ``chromium`` and ``chromium-driver``.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# Headless and offline: without the background-networking flags Chromium keeps dialling out.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--lang=zh-CN",
)
DESKTOP = (1400, 1000)
PHONE = (390, 844)
QUESTION = "到2030年清洁能源装机占比达到多少？"
FOLLOW_UP = "这一节还讲了什么？"
NAMES = ("ui.png", "ui-mobile.png", "ui-policy.png")


def has_chromium() -> bool:
    return Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's headless Chromium with a fresh profile (never a browser a test tool downloads)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def viewport(driver: Any, width: int, height: int) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def wait(driver: Any, seconds: float = 30) -> Any:
    """A wait that retries while Gradio re-renders (elements missing or replaced meanwhile)."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(
        driver, seconds, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
    )


def open_fresh(driver: Any, url: str) -> None:
    """The page with no stored conversations (they live in the browser's localStorage)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    driver.get(url)
    driver.execute_script("window.localStorage.clear()")
    driver.get(url)
    wait(driver).until(ec.element_to_be_clickable((By.CSS_SELECTOR, "#question textarea")))
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#section-panel .outline-item"))


def ask(driver: Any, question: str) -> None:
    """Type a question, send it, and wait until its answer and chips are shown."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    before = len(driver.find_elements(By.CSS_SELECTOR, "#chatbot [data-testid='bot']"))
    box = wait(driver).until(ec.element_to_be_clickable((By.CSS_SELECTOR, "#question textarea")))
    box.clear()
    box.send_keys(question)
    driver.find_element(By.ID, "send-btn").click()
    wait(driver).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "#chatbot [data-testid='bot']")) > before
    )
    wait(driver).until(lambda d: d.find_element(By.ID, "send-btn").is_displayed())


def click_first_chip(driver: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    chip = wait(driver).until(ec.element_to_be_clickable((By.CSS_SELECTOR, "#citation-chips .cite-chip")))
    chip.click()
    wait(driver).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "#section-panel mark, .ind-hit")))


def save(driver: Any, path: Path) -> None:
    """Page scrolled to the top, mouse off the chips (no hover state), then the picture."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    ActionChains(driver).move_to_element(driver.find_element(By.ID, "app-title")).perform()
    driver.execute_script("window.scrollTo(0, 0)")
    path.parent.mkdir(parents=True, exist_ok=True)
    if not driver.save_screenshot(str(path)):
        raise RuntimeError(f"could not save {path}")


def take(driver: Any, url: str, out: Path) -> list[Path]:
    """The README's three pictures, saved under ``out``."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    viewport(driver, *DESKTOP)
    open_fresh(driver, url)
    ask(driver, QUESTION)
    ask(driver, FOLLOW_UP)
    click_first_chip(driver)
    save(driver, out / NAMES[0])

    viewport(driver, *PHONE)
    open_fresh(driver, url)
    ask(driver, QUESTION)
    save(driver, out / NAMES[1])

    viewport(driver, *DESKTOP)
    open_fresh(driver, url)
    driver.find_element(By.XPATH, "//button[@role='tab' and contains(., '企业政策匹配')]").click()
    industry = wait(driver).until(ec.element_to_be_clickable((By.CSS_SELECTOR, "#policy-industry input")))
    industry.click()
    option = (By.XPATH, "//*[@role='option' and @aria-label='船舶与海工装备产业集群']")
    wait(driver).until(ec.element_to_be_clickable(option)).click()
    driver.find_element(By.ID, "policy-match-btn").click()
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#policy-report .cite-chip"))
    driver.find_elements(By.CSS_SELECTOR, "#policy-report .cite-chip")[0].click()
    wait(driver).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "#policy-panel mark")))
    save(driver, out / NAMES[2])
    return [out / name for name in NAMES]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Refresh the README's screenshots of the UI.")
    parser.add_argument(
        "--out", type=Path, default=Path("docs"), help="folder for the pictures (default docs)"
    )
    args = parser.parse_args(argv)
    if not has_chromium():
        parser.error("needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)")
    import socket
    import threading
    import time

    import uvicorn

    from app import build_app  # the real app, as `make run` serves it (run from the repository root)

    from ..config import Settings

    with tempfile.TemporaryDirectory(prefix="screenshots-") as data:
        app = build_app(Settings(data_dir=Path(data)))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the app did not start")
            time.sleep(0.1)
        try:
            with chromium() as driver:
                for path in take(driver, f"http://127.0.0.1:{port}", args.out):
                    print(path)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
