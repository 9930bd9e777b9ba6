"""Issue 13, access and privacy: the admin export, redirects, logs, sessions, proxies and Origin checks."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.api import create_api
from assistant.auth import KeyRing, parse_keys
from assistant.config import Settings
from assistant.facade import Assistant
from assistant.security import COOKIE, RedactKeys, export_allowed
from assistant.sessions import Sessions

FULL = "full-key-8d3f1c0b7e2a4d95"
READ = "read-key-5b1e9a7c3f2d6e80"
ADMIN = "admin-key-0e4c2b9d7a1f3e56"
KEYS = f"{FULL}, {READ}:read, {ADMIN}:admin"
HTML = {"accept": "text/html"}
SEARCH = {"query": "能源"}


@pytest.fixture(scope="module")
def ui(assistant: Assistant, tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    """The whole app (API + Gradio UI) with keys."""
    import app as app_module

    s = Settings(api_keys=KEYS, data_dir=tmp_path_factory.mktemp("access-ui"))
    return TestClient(app_module.build_app(s, assistant), follow_redirects=False)


def _login(client: TestClient, key: str) -> str:
    client.cookies.clear()
    r = client.post("/login", data={"key": key, "next": "/"})
    assert r.status_code == 303, r.text
    token = r.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    client.cookies.clear()
    return token


# --------------------------------------------------------------------------- the feedback export


def test_export_is_for_admins_in_the_ui_too(
    ui: TestClient, assistant: Assistant, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The button is shown to admins only, and the UI's export endpoint refuses everyone else."""
    import httpx
    from starlette.datastructures import Headers

    import app as app_module
    from tests.helpers import serve

    full, admin = _login(ui, FULL), _login(ui, ADMIN)
    app: Any = ui.app

    def allowed(token: str) -> bool:
        return export_allowed(app, Headers(headers={"cookie": f"{COOKIE}={token}"}), "10.0.0.9")

    assert (allowed(full), allowed(admin)) == (False, True)

    s = Settings(api_keys=KEYS, data_dir=tmp_path_factory.mktemp("access-live"))
    with serve(app_module.build_app(s, assistant)) as url, httpx.Client(base_url=url, timeout=30) as http:

        def export(key: str) -> Any:
            http.cookies.clear()
            assert http.post("/login", data={"key": key, "next": "/"}).status_code == 303
            started = http.post("/gradio_api/call/export_feedback", json={"data": []})
            assert started.status_code == 200, started.text
            stream = http.get(f"/gradio_api/call/export_feedback/{started.json()['event_id']}")
            data = [line[6:] for line in stream.text.splitlines() if line.startswith("data: ")]
            return json.loads(data[-1])

        assert export(FULL) in ([None], None)  # refused: no file
        file = export(ADMIN)[0]
        assert str(file.get("path") or file.get("url")).endswith(".csv")


def test_export_without_keys_is_for_this_machine_only(assistant: Assistant, tmp_path: Path) -> None:
    app = create_api(Settings(data_dir=tmp_path), assistant)
    assert TestClient(app, client=("203.0.113.5", 4000)).get("/api/feedback.csv").status_code == 403
    assert TestClient(app, client=("127.0.0.1", 4000)).get("/api/feedback.csv").status_code == 200


# --------------------------------------------------------------------------- redirects


@pytest.mark.parametrize(
    "url",
    [
        "http://testserver//evil.example/?key={key}",
        "http://testserver/%2F%2Fevil.example/?key={key}",
        "http://testserver/%5Cevil.example/?key={key}",
        "http://testserver///evil.example/?key={key}&a=1",
    ],
)
def test_key_in_the_url_never_redirects_off_site(ui: TestClient, url: str) -> None:
    ui.cookies.clear()
    r = ui.get(url.format(key=FULL), headers=HTML)
    assert r.status_code == 303 and r.headers["location"] in ("/", "/?a=1"), r.headers["location"]
    assert f"{COOKIE}=" in r.headers["set-cookie"]


# --------------------------------------------------------------------------- logs


def test_the_log_shows_the_raw_path_escaped(ui: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="assistant.access"):
        ui.get("/x%0aGET%20/api/ask%20200%200.1ms%20client=1.2.3.4%20key=-%0d", headers=HTML)
        ui.post("/api/%0aforged", json={})
    lines = [r.getMessage() for r in caplog.records if r.name == "assistant.access"]
    assert len(lines) == 2 and all("\n" not in line and "\r" not in line for line in lines)
    assert lines[0].startswith("GET /x%0aGET%20/api/ask") and lines[1].startswith("POST /api/%0aforged ")


@pytest.mark.parametrize("param", ["key", "api_key", "API_KEY", "access_token", "token"])
def test_keys_in_any_url_parameter_are_redacted(param: str) -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("1.2.3.4", "GET", f"/v1/models?a=1&{param}={FULL}&b=2", "1.1", 200),
        None,
    )
    RedactKeys().filter(record)
    assert FULL not in record.getMessage() and f"{param}=***&b=2" in record.getMessage()


# --------------------------------------------------------------------------- headers


def test_an_empty_x_api_key_does_not_hide_a_bearer_token(ui: TestClient) -> None:
    ui.cookies.clear()
    r = ui.post("/api/search", json=SEARCH, headers={"X-API-Key": "", "Authorization": f"Bearer {FULL}"})
    assert r.status_code == 200, r.text
    r = ui.post("/api/search", json=SEARCH, headers={"X-API-Key": " ", "Authorization": f"Bearer {FULL}"})
    assert r.status_code == 200, r.text


# --------------------------------------------------------------------------- sessions


def test_session_cookies_are_signed_and_reveal_nothing(ui: TestClient) -> None:
    token = _login(ui, FULL)
    key_id, issued, nonce, signature = token.split(".")
    assert key_id == parse_keys(FULL)[0].id and issued.isdigit() and nonce and signature
    assert FULL not in token
    assert ui.post("/api/search", json=SEARCH, cookies={COOKIE: token}).status_code == 200
    admin_id = parse_keys(f"{ADMIN}:admin")[0].id
    for forged in (
        f"{admin_id}.{issued}.{nonce}.{signature}",  # another key's id
        f"{key_id}.{int(issued) + 1}.{nonce}.{signature}",  # another time
        f"{key_id}.{issued}.{nonce}x.{signature}",
        f"{key_id}.{issued}.{nonce}.{signature[:-2]}",
        "x" * 64,  # the old sha256-of-the-key format
    ):
        assert ui.post("/api/search", json=SEARCH, cookies={COOKIE: forged}).status_code == 401, forged


def test_sessions_expire_and_are_tied_to_the_key_and_secret(tmp_path: Path) -> None:
    now = [1_000_000.0]
    keys = KeyRing(parse_keys(KEYS))
    sessions = Sessions(keys, b"s" * 32, max_age=3600, data_dir=tmp_path, clock=lambda: now[0])
    token = sessions.issue(keys.keys[0])
    assert sessions.lookup(token) == keys.keys[0]
    now[0] += 3599
    assert sessions.lookup(token) == keys.keys[0]
    now[0] += 2
    assert sessions.lookup(token) is None  # expired
    now[0] = 1_000_000.0
    other_secret = Sessions(keys, b"t" * 32, max_age=3600, clock=lambda: now[0])
    assert other_secret.lookup(token) is None
    without_the_key = Sessions(KeyRing(parse_keys(ADMIN)), b"s" * 32, max_age=3600, clock=lambda: now[0])
    assert without_the_key.lookup(token) is None


def test_logout_revokes_the_session_everywhere(assistant: Assistant, tmp_path: Path) -> None:
    """Two apps on one data dir (two workers): logging out in one ends the session in both."""
    s = Settings(api_keys=KEYS, data_dir=tmp_path)
    one = TestClient(create_api(s, assistant), follow_redirects=False)
    two = TestClient(create_api(s, assistant), follow_redirects=False)
    token = _login(one, FULL)
    assert two.post("/api/search", json=SEARCH, cookies={COOKIE: token}).status_code == 200
    other = _login(one, FULL)
    out = one.get("/logout", cookies={COOKIE: token})
    assert out.status_code == 303 and "max-age=0" in out.headers["set-cookie"].lower()
    for client in (one, two):
        assert client.post("/api/search", json=SEARCH, cookies={COOKIE: token}).status_code == 401
        assert client.post("/api/search", json=SEARCH, cookies={COOKIE: other}).status_code == 200
    assert (tmp_path / "session_secret").stat().st_mode & 0o077 == 0  # the secret is private


def test_the_session_secret_can_come_from_settings(assistant: Assistant, tmp_path: Path) -> None:
    shared = "a-long-shared-session-secret-for-every-host-0123456789"
    a = Settings(api_keys=KEYS, data_dir=tmp_path / "a", session_secret=shared)
    b = Settings(api_keys=KEYS, data_dir=tmp_path / "b", session_secret=shared)
    c = Settings(api_keys=KEYS, data_dir=tmp_path / "c")
    token = _login(TestClient(create_api(a, assistant), follow_redirects=False), FULL)
    for settings, status in ((b, 200), (c, 401)):
        client = TestClient(create_api(settings, assistant))
        assert client.post("/api/search", json=SEARCH, cookies={COOKIE: token}).status_code == status
    assert not os.path.exists(tmp_path / "a" / "session_secret")


# --------------------------------------------------------------------------- Origin


def test_cookie_writes_from_another_origin_are_refused(ui: TestClient) -> None:
    token = _login(ui, FULL)
    feedback = {"question": "q", "answer": "a", "rating": "up"}
    evil = {"Origin": "https://evil.example"}
    r = ui.post("/api/feedback", json=feedback, cookies={COOKIE: token}, headers=evil)
    assert r.status_code == 403 and "跨站" in r.json()["detail"]
    assert (
        ui.post(
            "/api/feedback", json=feedback, cookies={COOKIE: token}, headers={"Origin": "null"}
        ).status_code
        == 403
    )
    own = {"Origin": "http://testserver"}
    assert ui.post("/api/feedback", json=feedback, cookies={COOKIE: token}, headers=own).status_code == 201
    # a key in a header is not ambient authority: any origin may use it (CORS decides what it reads)
    keyed = ui.post("/api/feedback", json=feedback, headers={**evil, "Authorization": f"Bearer {FULL}"})
    assert keyed.status_code == 201
    ui.cookies.clear()
    login = ui.post("/login", data={"key": FULL, "next": "/"}, headers=evil)
    assert login.status_code == 403 and "set-cookie" not in login.headers


# --------------------------------------------------------------------------- trusted proxies


def _searches(client: TestClient, forwarded_for: str, n: int) -> list[int]:
    return [
        client.post("/api/search", json=SEARCH, headers={"X-Forwarded-For": forwarded_for}).status_code
        for _ in range(n)
    ]


def test_forwarded_for_only_from_trusted_proxies(assistant: Assistant, tmp_path: Path) -> None:
    trusted = Settings(data_dir=tmp_path, rate_limit_per_minute=2, trusted_proxies="10.0.0.0/8")
    proxy = TestClient(create_api(trusted, assistant), client=("10.0.0.2", 4000))
    assert _searches(proxy, "198.51.100.1", 3) == [200, 200, 429]
    assert _searches(proxy, "198.51.100.2", 2) == [200, 200]  # another user behind the proxy
    # a client talking to the server directly cannot pick its bucket
    direct = TestClient(proxy.app, client=("203.0.113.9", 4000))
    assert _searches(direct, "198.51.100.3", 3) == [200, 200, 429]
    assert _searches(direct, "198.51.100.4", 1) == [429]

    untrusted = Settings(data_dir=tmp_path, rate_limit_per_minute=2)  # the default: no proxy is trusted
    proxy = TestClient(create_api(untrusted, assistant), client=("10.0.0.2", 4000))
    assert _searches(proxy, "198.51.100.1", 2) == [200, 200]
    assert _searches(proxy, "198.51.100.2", 1) == [429]


# --------------------------------------------------------------------------- rate limits shared through Redis


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A throwaway redis-server on a free loopback port (Debian's redis-server), or skip."""
    import shutil

    from tests.helpers import redis_server

    pytest.importorskip("redis")
    if shutil.which("redis-server") is None:
        pytest.skip("needs Debian's redis-server")
    with redis_server(tmp_path) as url:
        yield url


def test_rate_limits_are_shared_through_redis(assistant: Assistant, tmp_path: Path, redis_url: str) -> None:
    """Two workers (two apps) with one Redis: one bucket per client across both."""
    s = Settings(data_dir=tmp_path, rate_limit_per_minute=3, redis_url=redis_url)
    one = TestClient(create_api(s, assistant), client=("198.51.100.7", 4000))
    two = TestClient(create_api(s, assistant), client=("198.51.100.7", 4000))
    codes = [c.post("/api/search", json=SEARCH).status_code for c in (one, two, one, two)]
    assert codes == [200, 200, 200, 429]
    other = TestClient(two.app, client=("198.51.100.8", 4000))
    assert other.post("/api/search", json=SEARCH).status_code == 200


def test_without_redis_the_limits_stay_per_process(assistant: Assistant, tmp_path: Path) -> None:
    pytest.importorskip("redis")
    s = Settings(
        data_dir=tmp_path, rate_limit_per_minute=2, redis_url="redis://127.0.0.1:9/0"
    )  # nothing there
    client = TestClient(create_api(s, assistant), client=("198.51.100.9", 4000))
    assert [client.post("/api/search", json=SEARCH).status_code for _ in range(3)] == [200, 200, 429]
