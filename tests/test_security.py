"""Access control (API and UI), scopes, rate limiting, CORS, request logs and location ids (SECURITY.md)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.api import create_api
from assistant.config import Settings
from assistant.facade import Assistant
from assistant.security import COOKIE, RateLimiter, RedactKeys, parse_keys

FULL = "full-key-8d3f1c0b7e2a4d95"
READ = "read-key-5b1e9a7c3f2d6e80"
ADMIN = "admin-key-0e4c2b9d7a1f3e56"
KEYS = f"{FULL}, {READ}:read, {ADMIN}:admin"
Q = "到2030年清洁能源装机占比达到多少？"
FEEDBACK = {"question": Q, "answer": "70%左右", "rating": "up"}
HTML = {"accept": "text/html,application/xhtml+xml"}


@pytest.fixture(scope="module")
def keyed(assistant: Assistant, tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    s = Settings(api_keys=KEYS, data_dir=tmp_path_factory.mktemp("keyed"))
    return TestClient(create_api(s, assistant))


@pytest.fixture(scope="module")
def ui(assistant: Assistant, tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    """The whole app (API + Gradio UI, as app.py builds it) with keys configured."""
    import app as app_module

    s = Settings(api_keys=KEYS, data_dir=tmp_path_factory.mktemp("keyed-ui"))
    return TestClient(app_module.build_app(s, assistant), follow_redirects=False)


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


# --------------------------------------------------------------------------- keys and scopes


def test_parse_keys() -> None:
    full, read, admin = parse_keys(KEYS)
    assert (full.scope, read.scope, admin.scope) == ("full", "read", "admin")
    assert (full.read_only, read.read_only, admin.admin) == (False, True, True)
    assert full.id != read.id and len(full.id) == 8
    assert FULL not in repr(full)  # the secret is not kept, only its digest
    with pytest.raises(ValueError):
        parse_keys("a, :read")


@pytest.mark.parametrize(
    ("headers", "method", "path", "status"),
    [
        ({}, "POST", "/api/search", 401),
        (_bearer("nope"), "POST", "/api/search", 401),
        ({"X-API-Key": READ + ":read"}, "POST", "/api/search", 401),  # the suffix is not part of the key
        (_bearer(FULL), "POST", "/api/search", 200),
        (_bearer(READ), "POST", "/api/search", 200),
        ({"X-API-Key": READ}, "POST", "/api/ask", 200),
        (_bearer(READ), "POST", "/v1/chat/completions", 200),
        (_bearer(READ), "GET", "/api/toc", 200),
        (_bearer(READ), "POST", "/api/feedback", 403),
        (_bearer(READ), "GET", "/api/feedback.csv", 403),
        (_bearer(FULL), "POST", "/api/feedback", 201),
        (_bearer(FULL), "GET", "/api/feedback.csv", 403),  # every user's questions: admin only
        (_bearer(ADMIN), "GET", "/api/feedback.csv", 200),
        (_bearer(ADMIN), "POST", "/api/feedback", 201),
        ({}, "GET", "/health", 200),
        ({}, "GET", "/openapi.json", 401),
        (_bearer(READ), "GET", "/openapi.json", 200),
    ],
)
def test_keys_and_scopes(
    keyed: TestClient, headers: dict[str, str], method: str, path: str, status: int
) -> None:
    body: dict[str, Any] = {
        "/api/search": {"query": "能源"},
        "/api/ask": {"question": Q},
        "/v1/chat/completions": {"messages": [{"role": "user", "content": Q}]},
        "/api/feedback": FEEDBACK,
    }.get(path, {})
    r = keyed.request(method, path, headers=headers, json=body if method == "POST" else None)
    assert r.status_code == status, r.text
    if status == 401:
        assert "密钥" in r.json()["detail"] and r.headers["www-authenticate"] == "Bearer"
    if status == 403:
        assert "只读" in r.json()["detail"] or ":admin" in r.json()["detail"]
    if path.startswith("/v1/") and status >= 400:
        assert r.json()["error"]["message"] == r.json()["detail"]


def test_openapi_documents_the_errors(api_client: TestClient) -> None:
    spec = api_client.get("/openapi.json").json()
    ask = spec["paths"]["/api/ask"]["post"]["responses"]
    for code in ("401", "403", "413", "422", "429", "503", "504"):
        assert ask[code]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorResponse"), code
    chat = spec["paths"]["/v1/chat/completions"]["post"]["responses"]["200"]["content"]
    assert "text/event-stream" in chat


# --------------------------------------------------------------------------- the UI: login and session cookie


def test_ui_redirects_to_login(ui: TestClient) -> None:
    r = ui.get("/", headers=HTML)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2F"
    page = ui.get("/login?next=%2F", headers=HTML)
    assert page.status_code == 200 and 'name="key"' in page.text and 'type="password"' in page.text
    assert ui.get("/gradio_api/info").status_code == 401  # not a page: a plain 401
    assert ui.get("/config").status_code == 401


def test_login_form_sets_an_httponly_session_cookie(ui: TestClient) -> None:
    bad = ui.post("/login", data={"key": "wrong", "next": "/"})
    assert bad.status_code == 401 and "密钥无效" in bad.text and "set-cookie" not in bad.headers
    read = ui.post("/login", data={"key": READ, "next": "/"})
    assert read.status_code == 403 and "只读" in read.text and "set-cookie" not in read.headers
    ok = ui.post("/login", data={"key": FULL, "next": "/?lang=zh"})
    assert ok.status_code == 303 and ok.headers["location"] == "/?lang=zh"
    cookie = ok.headers["set-cookie"]
    assert (
        cookie.startswith(f"{COOKIE}=") and "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    )
    token = cookie.split(";")[0].split("=", 1)[1]
    assert FULL not in cookie and token
    ui.cookies.clear()
    page = ui.get("/", headers=HTML, cookies={COOKIE: token})
    assert page.status_code == 200 and "gradio" in page.text.lower()
    assert ui.get("/gradio_api/info", cookies={COOKIE: token}).status_code == 200
    # the same session works for the API from the browser (same origin, SameSite=Lax)
    assert ui.post("/api/search", json={"query": "能源"}, cookies={COOKIE: token}).status_code == 200
    assert ui.get("/", headers=HTML, cookies={COOKIE: token + "x"}).status_code == 303


def test_key_in_the_url_once(ui: TestClient) -> None:
    ui.cookies.clear()
    r = ui.get(f"/?key={FULL}&lang=zh", headers=HTML)
    assert r.status_code == 303 and r.headers["location"] == "/?lang=zh"  # the key leaves the URL
    assert f"{COOKIE}=" in r.headers["set-cookie"]
    assert ui.get("/?key=wrong", headers=HTML).status_code == 401
    assert ui.get(f"/?key={READ}", headers=HTML).status_code == 403


def test_no_open_redirect_and_logout(ui: TestClient) -> None:
    ui.cookies.clear()
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        r = ui.post("/login", data={"key": FULL, "next": target})
        assert r.status_code == 303 and r.headers["location"] == "/", target
    out = ui.get("/logout")
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert "max-age=0" in out.headers["set-cookie"].lower() or "expires" in out.headers["set-cookie"].lower()


def test_ui_is_open_without_keys(live_server: str) -> None:
    import httpx

    r = httpx.get(live_server + "/", headers=HTML, timeout=10)
    assert r.status_code == 200


# --------------------------------------------------------------------------- rate limiting


def test_token_bucket_refills() -> None:
    now = [0.0]
    limiter = RateLimiter(6, clock=lambda: now[0])  # 6/min = one token every 10 s
    assert [limiter.take("a") for _ in range(6)] == [0.0] * 6
    assert limiter.take("a") == pytest.approx(10.0)
    assert limiter.take("b") == 0.0  # another client has its own bucket
    now[0] = 10.0
    assert limiter.take("a") == 0.0
    assert limiter.take("a") > 0


def test_token_bucket_memory_is_bounded() -> None:
    limiter = RateLimiter(1, max_clients=100)
    for i in range(1000):
        limiter.take(f"ip:{i}")
    assert len(limiter._buckets) == 100


def test_rate_limit_gives_429_with_retry_after(assistant: Assistant, tmp_path: Path) -> None:
    s = Settings(rate_limit_per_minute=3, api_keys=KEYS, data_dir=tmp_path)
    client = TestClient(create_api(s, assistant))
    codes = [
        client.post("/api/search", json={"query": "能源"}, headers=_bearer(FULL)).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    r = client.post("/api/search", json={"query": "能源"}, headers=_bearer(FULL))
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1 and "频繁" in r.json()["detail"]
    # per client: another key still has its tokens; /health is never limited
    assert client.post("/api/search", json={"query": "能源"}, headers=_bearer(READ)).status_code == 200
    assert all(client.get("/health").status_code == 200 for _ in range(5))
    # unauthenticated guessing is limited per IP too
    guesses = [
        client.post("/api/search", json={"query": "x"}, headers=_bearer(f"guess{i}")).status_code
        for i in range(5)
    ]
    assert guesses[:3] == [401, 401, 401] and guesses[3:] == [429, 429]


def test_rate_limit_off_by_default(api_client: TestClient) -> None:
    assert api_client.app.state.rate_limiter is None  # type: ignore[attr-defined]
    assert all(api_client.get("/api/toc").status_code == 200 for _ in range(30))


# --------------------------------------------------------------------------- CORS


def test_no_cors_by_default(api_client: TestClient) -> None:
    r = api_client.post("/api/search", json={"query": "能源"}, headers={"Origin": "https://evil.example"})
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
    pre = api_client.options(
        "/api/search",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in pre.headers


def test_cors_origins_from_settings(assistant: Assistant, tmp_path: Path) -> None:
    s = Settings(
        cors_origins="https://intranet.example, http://localhost:3000/", api_keys=KEYS, data_dir=tmp_path
    )
    client = TestClient(create_api(s, assistant))
    pre = client.options(
        "/api/ask",
        headers={
            "Origin": "https://intranet.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert pre.status_code == 200  # preflights carry no key and must not need one
    assert pre.headers["access-control-allow-origin"] == "https://intranet.example"
    r = client.post("/api/search", json={"query": "能源"}, headers={"Origin": "http://localhost:3000"})
    assert r.status_code == 401 and r.headers["access-control-allow-origin"] == "http://localhost:3000"
    other = client.options(
        "/api/ask", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert other.headers.get("access-control-allow-origin") != "https://evil.example"


# --------------------------------------------------------------------------- request logs


def test_request_log_omits_questions_by_default(keyed: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="assistant.access"):
        keyed.post("/api/ask", json={"question": "机密问题：清洁能源"}, headers=_bearer(FULL))
        keyed.post("/api/ask", json={"question": Q}, headers=_bearer("wrong-key"))
    lines = [r.getMessage() for r in caplog.records if r.name == "assistant.access"]
    assert any(
        line.startswith("POST /api/ask 200 ") and f"key={parse_keys(FULL)[0].id}" in line for line in lines
    )
    assert any(line.startswith("POST /api/ask 401 ") for line in lines)
    assert not any("机密" in line or FULL in line or "wrong-key" in line for line in lines)


def test_request_log_with_questions(
    assistant: Assistant, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    client = TestClient(create_api(Settings(log_questions=True, data_dir=tmp_path), assistant))
    with caplog.at_level(logging.INFO, logger="assistant.access"):
        client.post("/api/ask", json={"question": "清洁能源装机占比？"})
        client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "森林覆盖率？"}]})
    text = "\n".join(r.getMessage() for r in caplog.records if r.name == "assistant.access")
    assert "question='清洁能源装机占比？'" in text and "question='森林覆盖率？'" in text


def test_keys_in_urls_are_redacted_in_access_logs() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("1.2.3.4", "GET", f"/?a=1&key={FULL}", "1.1", 303),
        None,
    )
    RedactKeys().filter(record)
    assert FULL not in record.getMessage() and "key=***" in record.getMessage()


# --------------------------------------------------------------------------- location ids


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    location=st.text(min_size=1, max_size=40)
    | st.from_regex(r"(ch\d{1,3}\.s\d{1,3}|box\d{1,3}|preface)[#/?.]?", fullmatch=True)
)
def test_sections_accept_only_location_ids(api_client: TestClient, location: str) -> None:
    r = api_client.get("/api/sections/" + quote(location, safe=""))
    assert r.status_code in (200, 404, 422), (location, r.status_code, r.text)
    if r.status_code == 200:  # ("preface/" is redirected to "preface", like every route with a slash)
        assert r.json()["location"] == location.removesuffix("/")
    else:
        assert isinstance(r.json()["detail"], str)
