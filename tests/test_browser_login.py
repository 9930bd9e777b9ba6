"""With RAG_API_KEYS set, a browser user logs in once at /login and then uses the UI (headless Chromium)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from assistant.config import Settings
from assistant.facade import Assistant
from tests.helpers import app_module, chromium, has_chromium, serve

pytestmark = pytest.mark.browser

KEY = "browser-login-key-6f0c2d9e81b3"

if not has_chromium():
    pytest.skip("Debian chromium and chromium-driver are not installed", allow_module_level=True)

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def keyed_server(assistant: Assistant, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = Settings(
        api_keys=f"{KEY}, read-only-key-1b2c3d4e5f:read", data_dir=tmp_path_factory.mktemp("login")
    )
    with serve(app_module().build_app(settings, assistant)) as url:
        yield url


def test_browser_logs_in_once_and_uses_the_ui(keyed_server: str) -> None:
    with chromium() as driver:
        wait = WebDriverWait(driver, 40)
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
