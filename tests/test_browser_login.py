"""With RAG_API_KEYS set, a browser user logs in once at /login and then uses the UI (headless Chromium)."""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.facade import Assistant

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
KEY = "browser-login-key-6f0c2d9e81b3"

if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
    pytest.skip("Debian chromium and chromium-driver are not installed", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def keyed_server(assistant: Assistant, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import uvicorn

    import app as app_module

    settings = Settings(
        api_keys=f"{KEY}, read-only-key-1b2c3d4e5f:read", data_dir=tmp_path_factory.mktemp("login")
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            app_module.build_app(settings, assistant),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            ws="none",
            timeout_graceful_shutdown=1,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_browser_logs_in_once_and_uses_the_ui(keyed_server: str) -> None:
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    wait = WebDriverWait(driver, 40)
    try:
        driver.get(keyed_server + "/")
        assert driver.current_url == keyed_server + "/login?next=%2F"
        key = wait.until(ec.element_to_be_clickable((By.NAME, "key")))
        key.send_keys("wrong")
        key.submit()
        assert "密钥无效" in wait.until(ec.presence_of_element_located((By.CLASS_NAME, "error"))).text
        key = wait.until(ec.element_to_be_clickable((By.NAME, "key")))
        key.send_keys(KEY)
        key.submit()
        box = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "#question textarea")))
        assert driver.current_url == keyed_server + "/"
        cookies = driver.get_cookies()
        assert [c["name"] for c in cookies] == ["plan_assistant_session"] and cookies[0]["httpOnly"]
        assert KEY not in cookies[0]["value"]
        assert driver.execute_script("return document.cookie") == ""  # HttpOnly: scripts cannot read it
        box.send_keys("到2030年清洁能源装机占比达到多少？\n")
        wait.until(lambda d: "70%" in d.find_element(By.ID, "chatbot").text)
        driver.get(keyed_server + "/logout")
        assert driver.current_url == keyed_server + "/login"
        driver.get(keyed_server + "/")
        assert "/login" in driver.current_url
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
