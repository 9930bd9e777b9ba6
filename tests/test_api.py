"""The HTTP contract through the ASGI app: every endpoint, every bad input → a 4xx with a clear detail."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.api import ERROR_STATUS, create_api
from assistant.config import ROOT, Settings
from assistant.errors import AssistantError, GeneratorError, RateLimitError
from assistant.facade import Assistant
from assistant.normalize import contains

Q = "到2030年清洁能源装机占比达到多少？"


def _detail(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body["detail"], str) and len(body["detail"]) > 5, body
    return str(body["detail"])


# --------------------------------------------------------------------------- health and docs


def test_start_imports_only_what_health_needs(tmp_path: Path) -> None:
    """Building the app and loading the assistant import neither LangChain, pypinyin nor jieba's
    tagger (about 1 s the server's start to a healthy /health need not wait for); ``warm``, which
    the server runs once ready, imports them. A fresh interpreter: this one has them already."""
    code = f"""
import sys
import app
from assistant.config import Settings
from assistant.facade import Assistant

deferred = ("langchain_core", "pypinyin", "jieba.posseg", "gradio")
app.build_app(Settings(data_dir={str(tmp_path)!r}))
assistant = Assistant.load(Settings(data_dir={str(tmp_path)!r}))
print(*[m for m in deferred if m in sys.modules])
assistant.warm()
print(*[m for m in deferred if m in sys.modules])
"""
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300, check=True
    )
    before, after = out.stdout.splitlines()[-2:]
    assert before == ""
    assert after.split() == ["langchain_core", "pypinyin", "jieba.posseg"]  # the UI's Gradio: not here


def test_health(api_client: TestClient) -> None:
    r = api_client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["chunks"] > 100
    assert body["embedder"] and body["generator"] and body["index_built_at"]


def test_health_is_503_while_loading(http_settings: Settings) -> None:
    client = TestClient(create_api(http_settings))  # no lifespan: nothing loads
    detail = _detail(client.get("/health"), 503)
    assert "加载" in detail
    assert client.get("/health").headers["retry-after"]
    _detail(client.post("/api/ask", json={"question": Q}), 503)


def test_lifespan_loads_the_assistant(http_settings: Settings) -> None:
    app = create_api(http_settings)
    with TestClient(app) as client:  # the lifespan starts the background load
        assert app.state.loader.wait(120) is not None
        assert client.get("/health").status_code == 200
        assert app.state.assistant is app.state.loader.assistant


def test_the_api_is_ready_before_the_ui(http_settings: Settings) -> None:
    """app.py's app: /health answers once the assistant has loaded; "/" is a small loading page (503)
    until the UI, built after that, is mounted; then it is the Gradio UI."""
    from tests.helpers import app_module

    app = app_module().build_app(http_settings)  # starts nothing
    assert app.state.loader.assistant is None and app.state.ui.app is None
    with TestClient(app) as client:
        assert app.state.loader.wait(120) is not None
        assert client.get("/health").status_code == 200
        page = client.get("/")
        if page.status_code == 503:
            assert "加载" in page.text and page.headers["retry-after"]
        for _ in range(1200):
            if app.state.ui.app is not None:
                break
            time.sleep(0.1)
        page = client.get("/")
        assert page.status_code == 200 and "gradio" in page.text.lower()
        assert client.get("/health").status_code == 200


def test_health_reports_a_failed_load(http_settings: Settings) -> None:
    app = create_api(http_settings)
    app.state.loader.error = "corpus missing"
    detail = _detail(TestClient(app).get("/health"), 503)
    assert "失败" in detail and "corpus missing" in detail


def test_openapi_docs(api_client: TestClient) -> None:
    assert api_client.get("/docs").status_code == 200
    spec = api_client.get("/openapi.json").json()
    for path in (
        "/api/ask",
        "/api/search",
        "/api/toc",
        "/api/sections/{location}",
        "/api/indicators",
        "/api/feedback",
        "/v1/chat/completions",
        "/v1/models",
        "/health",
    ):
        assert path in spec["paths"], path
    ask_schema = spec["components"]["schemas"]["AskRequest"]
    assert ask_schema.get("examples"), "request models carry examples"


# --------------------------------------------------------------------------- search


def test_search(api_client: TestClient) -> None:
    r = api_client.post("/api/search", json={"query": "清洁能源装机占比", "k": 3})
    assert r.status_code == 200
    results = r.json()["results"]
    assert len(results) == 3
    assert set(results[0]) == {"location", "chunk_id", "title", "text", "score"}
    assert any(x["location"] == "ch14.s2" for x in results)
    assert " › " in results[0]["title"]


def test_search_default_k(api_client: TestClient) -> None:
    assert len(api_client.post("/api/search", json={"query": "低空经济"}).json()["results"]) == 5


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"query": "x", "k": 0}, "k"),
        ({"query": "x", "k": 1000}, "k"),
        ({"query": "x", "k": "abc"}, "k"),
        ({"query": ""}, "不能为空"),
        ({"query": "   "}, "不能为空"),
        ({"query": "能源" * 400}, "过长"),
        ({"k": 5}, "query"),
        ({"query": None}, "query"),
    ],
)
def test_search_bad_input(api_client: TestClient, body: dict[str, Any], needle: str) -> None:
    assert needle in _detail(api_client.post("/api/search", json=body), 422)


# --------------------------------------------------------------------------- ask


def test_ask(api_client: TestClient, assistant: Assistant) -> None:
    r = api_client.post("/api/ask", json={"question": Q})
    assert r.status_code == 200
    body = r.json()
    assert {"answer", "abstained", "citations", "query", "timings_ms"} <= set(body)
    assert "70%" in body["answer"].replace(" ", "") and body["abstained"] is False
    cite = body["citations"][0]
    assert cite["location"] == "ch14.s2" and cite["title"] == assistant.document["ch14.s2"].path
    for c in body["citations"]:
        assert contains(assistant.document[c["location"]].text, c["quote"])
    assert body["timings_ms"]["total"] > 0


def test_ask_follow_up_uses_history(api_client: TestClient) -> None:
    first = api_client.post("/api/ask", json={"question": Q}).json()
    history = [{"role": "user", "content": Q}, {"role": "assistant", "content": first["answer"]}]
    r = api_client.post("/api/ask", json={"question": "这一节还讲了什么？", "history": history})
    assert r.status_code == 200
    assert r.json()["query"] != "这一节还讲了什么？"  # rewritten into a standalone question


def test_ask_abstains_outside_the_plan(api_client: TestClient) -> None:
    body = api_client.post("/api/ask", json={"question": "到2030年广东省清洁能源装机占比达到多少？"}).json()
    assert body["abstained"] is True


def _history(n: int) -> list[dict[str, str]]:
    return [{"role": "user" if i % 2 == 0 else "assistant", "content": f"第{i}条"} for i in range(n)]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"question": ""}, "不能为空"),
        ({"question": " \n\t "}, "不能为空"),
        ({"question": "清" * 501}, "过长"),
        ({"question": Q, "history": _history(21)}, "历史"),
        ({"question": Q, "history": [{"role": "system", "content": "x"}]}, "history[0].role"),
        ({"question": Q, "history": [{"role": "tool", "content": "x"}]}, "'user' or 'assistant'"),
        ({"question": Q, "history": [{"role": "user"}]}, "history[0].content"),
        ({"question": Q, "history": "not a list"}, "history"),
        ({"question": None}, "question"),
        ({"question": 42}, "question"),
        ({}, "question"),
    ],
)
def test_ask_bad_input(api_client: TestClient, body: dict[str, Any], needle: str) -> None:
    assert needle in _detail(api_client.post("/api/ask", json=body), 422)


def test_ask_limits_come_from_settings(api_client: TestClient, assistant: Assistant) -> None:
    limit = assistant.settings.max_question_chars
    assert api_client.post("/api/ask", json={"question": "清" * limit}).status_code == 200
    assert str(limit) in _detail(api_client.post("/api/ask", json={"question": "清" * (limit + 1)}), 422)
    turns = assistant.settings.max_history_turns
    assert api_client.post("/api/ask", json={"question": Q, "history": _history(turns)}).status_code == 200


@pytest.mark.parametrize(
    ("content", "content_type", "status", "needle"),
    [
        ("question=x", "application/x-www-form-urlencoded", 415, "Content-Type"),
        ("hello", "text/plain", 415, "application/json"),
        (json.dumps({"question": Q}), None, 415, "Content-Type"),
        ('{"question": "x"', "application/json", 400, "JSON"),
        ("{bad json}", "application/json", 400, "JSON"),
        ("", "application/json", 422, "请求体"),
        ("[1, 2]", "application/json", 422, "JSON 对象"),
        ('"just a string"', "application/json", 422, "JSON 对象"),
        (b"\xff\xfe\x00garbage", "application/json", 400, ""),
    ],
)
def test_ask_bad_body(
    api_client: TestClient, content: str | bytes, content_type: str | None, status: int, needle: str
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    r = api_client.post("/api/ask", content=content, headers=headers)
    assert needle in _detail(r, status)


def test_body_too_large(api_client: TestClient) -> None:
    r = api_client.post(
        "/api/ask",
        content=b'{"question": "' + b"x" * 1_200_000 + b'"}',
        headers={"content-type": "application/json"},
    )
    assert "过大" in _detail(r, 413)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=40),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(["question", "history", "role", "content", "query", "k"])
                | st.text(max_size=5),
                inner,
                max_size=4,
            )
        ),
        max_leaves=8,
    ),
    path=st.sampled_from(["/api/ask", "/api/search", "/v1/chat/completions", "/api/feedback"]),
)
def test_no_input_gives_a_500(api_client: TestClient, body: Any, path: str) -> None:
    r = api_client.post(path, json=body)
    assert r.status_code < 500 or r.status_code == 503, (path, body, r.text)
    if r.status_code >= 400:
        assert isinstance(r.json()["detail"], str)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=st.text(max_size=60), role=st.sampled_from(["user", "assistant"]))
def test_any_question_text_is_answered_or_rejected(api_client: TestClient, question: str, role: str) -> None:
    history = [{"role": role, "content": question}]
    r = api_client.post("/api/ask", json={"question": question, "history": history})
    assert r.status_code in (200, 422), r.text


# --------------------------------------------------------------------------- toc, sections, indicators


def test_toc(api_client: TestClient) -> None:
    toc = api_client.get("/api/toc").json()["toc"]
    assert toc[0]["location"] == "preface"
    ch14 = next(c for c in toc if c["location"] == "ch14")
    s2 = next(s for s in ch14["children"] if s["location"] == "ch14.s2")
    assert "推动能源绿色低碳转型" in s2["title"]
    assert len(toc) == 21  # preface + 20 chapters
    boxes = [b["location"] for c in toc for s in c["children"] for b in s["boxes"]]
    assert len(boxes) == 39 and "box27" in boxes


def test_section(api_client: TestClient, assistant: Assistant) -> None:
    body = api_client.get("/api/sections/ch14.s2").json()
    assert body["location"] == "ch14.s2" and body["kind"] == "section"
    assert body["title"] == assistant.document["ch14.s2"].path
    assert "清洁能源装机占比" in body["text"]
    for box in body["boxes"]:
        assert {"location", "title", "text"} == set(box) and box["location"].startswith("box")


@pytest.mark.parametrize("location", ["preface", "box27", "box1", "ch2.s0", "ch20.s1"])
def test_section_kinds(api_client: TestClient, location: str) -> None:
    r = api_client.get(f"/api/sections/{location}")
    assert r.status_code == 200 and r.json()["text"]


@pytest.mark.parametrize("location", ["ch99.s1", "ch14.s99", "box99", "ch1.s0"])
def test_section_unknown(api_client: TestClient, location: str) -> None:
    assert "位置" in _detail(api_client.get(f"/api/sections/{location}"), 404)


@pytest.mark.parametrize("location", ["ch14", "foo", "ch14.s2%231", "box", "CH14.S2", "ch123.s1", "box27x"])
def test_section_malformed(api_client: TestClient, location: str) -> None:
    assert "格式无效" in _detail(api_client.get(f"/api/sections/{location}"), 422)


def test_indicators(api_client: TestClient) -> None:
    body = api_client.get("/api/indicators").json()
    rows = body["rows"]
    assert len(rows) >= 20
    assert set(rows[0]) >= {
        "indicator",
        "unit",
        "category",
        "value_2025",
        "value_2030",
        "growth",
        "attribute",
        "flags",
    }
    forest = next(r for r in rows if r["indicator"] == "森林覆盖率")
    assert forest["unit"] == "%" and forest["category"] == "绿色低碳"
    assert {r["attribute"] for r in rows} <= {"约束性", "预期性"}
    assert set(body["flags"]) == {"national", "data_2024", "cumulative"}
    assert any("national" in r["flags"] for r in rows)


# --------------------------------------------------------------------------- feedback


def test_feedback_and_csv(api_client: TestClient) -> None:
    payload = {
        "question": Q,
        "answer": "到 2030 年，清洁能源装机占比达到 70%。",
        "citations": [
            {"location": "ch14.s2", "title": "第十四章 › 第二节", "quote": "清洁能源装机占比达到 70%"}
        ],
        "rating": "up",
        "comment": '=HYPERLINK("x")',
    }
    first = api_client.post("/api/feedback", json=payload)
    assert first.status_code == 201
    second = api_client.post("/api/feedback", json={**payload, "rating": "down", "comment": None})
    assert second.json()["id"] == first.json()["id"] + 1
    # without keys, the export (every user's questions) is for this machine only
    assert "admin" in _detail(api_client.get("/api/feedback.csv"), 403)
    local = TestClient(api_client.app, client=("127.0.0.1", 50000))
    r = local.get("/api/feedback.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    mine = [row for row in rows if row["id"] in (str(first.json()["id"]), str(second.json()["id"]))]
    assert [row["rating"] for row in mine] == ["up", "down"]
    assert mine[0]["question"] == Q and "ch14.s2" in mine[0]["citations"]
    assert mine[0]["comment"].startswith("'=")  # no formula injection in spreadsheets


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"question": Q, "answer": "a", "rating": "meh"}, "rating"),
        ({"question": "", "answer": "a", "rating": "up"}, "question"),
        ({"question": Q, "answer": "a"}, "rating"),
        ({"question": Q, "answer": "a", "rating": "up", "comment": "x" * 3000}, "comment"),
        ({"question": Q, "answer": "a", "rating": "up", "citations": [{"location": "x"}]}, "citations[0]"),
    ],
)
def test_feedback_bad_input(api_client: TestClient, body: dict[str, Any], needle: str) -> None:
    assert needle in _detail(api_client.post("/api/feedback", json=body), 422)


def test_feedback_storage_error_is_503(tmp_path: Any, assistant: Assistant) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data dir should be")
    client = TestClient(create_api(Settings(data_dir=blocker / "data"), assistant), client=("::1", 50000))
    body = {"question": Q, "answer": "a", "rating": "up"}
    assert "反馈无法保存" in _detail(client.post("/api/feedback", json=body), 503)
    assert "反馈无法保存" in _detail(client.get("/api/feedback.csv"), 503)


# --------------------------------------------------------------------------- auth


@pytest.fixture(scope="module")
def keyed_client(assistant: Assistant, tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    s = Settings(api_keys=" key-one , key-two ", data_dir=tmp_path_factory.mktemp("keyed"))
    return TestClient(create_api(s, assistant))


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer wrong"}, 401),
        ({"Authorization": "Basic a2V5LW9uZQ=="}, 401),
        ({"X-API-Key": "key-one-and-more"}, 401),
        ({"Authorization": "Bearer key-one"}, 200),
        ({"Authorization": "bearer key-two"}, 200),
        ({"X-API-Key": "key-two"}, 200),
    ],
)
def test_api_keys(keyed_client: TestClient, headers: dict[str, str], status: int) -> None:
    r = keyed_client.post("/api/search", json={"query": "能源"}, headers=headers)
    assert r.status_code == status, r.text
    if status == 401:
        assert "密钥" in r.json()["detail"] and r.headers["www-authenticate"] == "Bearer"
    assert keyed_client.get("/v1/models", headers=headers).status_code == status


def test_health_needs_no_key(keyed_client: TestClient) -> None:
    assert keyed_client.get("/health").status_code == 200


# --------------------------------------------------------------------------- error mapping


class _Failing:
    """Stands in for the assistant: every call raises the given error."""

    def __init__(self, exc: AssistantError) -> None:
        self.exc = exc

    def ask(self, *args: Any, **kwargs: Any) -> Any:
        raise self.exc

    search = ask_stream = ask


@pytest.mark.parametrize("cls", list(ERROR_STATUS), ids=[c.__name__ for c in ERROR_STATUS])
def test_error_mapping(http_settings: Settings, cls: type[AssistantError]) -> None:
    exc = cls("一条清楚的错误信息", 7) if cls is RateLimitError else cls("一条清楚的错误信息")  # type: ignore[call-arg]
    client = TestClient(create_api(http_settings, _Failing(exc)))  # type: ignore[arg-type]
    r = client.post("/api/ask", json={"question": Q})
    assert r.status_code == ERROR_STATUS[cls]
    assert r.json() == {"detail": "一条清楚的错误信息"}
    if cls is RateLimitError:
        assert r.headers["retry-after"] == "7"


def test_generator_error_in_openai_shape(http_settings: Settings) -> None:
    client = TestClient(create_api(http_settings, _Failing(GeneratorError("大模型服务不可用"))))  # type: ignore[arg-type]
    r = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": Q}]})
    assert r.status_code == 502
    assert r.json()["error"]["message"] == r.json()["detail"] == "大模型服务不可用"


def test_unexpected_errors_are_a_clean_500(http_settings: Settings) -> None:
    class Broken:
        def ask(self, *args: Any) -> Any:
            raise RuntimeError("bug")

    client = TestClient(create_api(http_settings, Broken()), raise_server_exceptions=False)  # type: ignore[arg-type]
    r = client.post("/api/ask", json={"question": Q})
    assert r.status_code == 500 and "bug" not in r.json()["detail"]


# --------------------------------------------------------------------------- OpenAI-compatible (in process)


def test_chat_completion(api_client: TestClient) -> None:
    messages = [{"role": "system", "content": "你是助手"}, {"role": "user", "content": Q}]
    r = api_client.post("/v1/chat/completions", json={"model": "anything", "messages": messages})
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "chat.completion" and body["model"] == "anything"
    content = body["choices"][0]["message"]["content"]
    assert "70%" in content.replace(" ", "") and "引用：" in content and "ch14.s2" in content
    assert body["citations"][0]["location"] == "ch14.s2"
    assert body["usage"]["total_tokens"] > 0


def test_chat_completion_stream(api_client: TestClient) -> None:
    body = {
        "messages": [{"role": "user", "content": [{"type": "text", "text": Q}]}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    with api_client.stream("POST", "/v1/chat/completions", json=body) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in r.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line[6:]) for line in lines[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert "70%" in text.replace(" ", "") and "引用：" in text
    stop = next(c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"] == "stop")
    assert stop["citations"][0]["location"] == "ch14.s2"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] > 0


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"messages": []}, 422, "messages"),
        ({"messages": [{"role": "assistant", "content": "x"}]}, 422, "user"),
        ({"messages": [{"role": "system", "content": "x"}]}, 422, "user"),
        ({"messages": [{"role": "tool", "content": "x"}]}, 422, "role"),
        ({"messages": [{"role": "user", "content": ""}]}, 422, "不能为空"),
        ({"messages": [{"role": "user", "content": ""}], "stream": True}, 422, "不能为空"),
        ({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]}, 422, "文本"),
        ({"messages": "hi"}, 422, "messages"),
    ],
)
def test_chat_completion_bad_input(
    api_client: TestClient, body: dict[str, Any], status: int, needle: str
) -> None:
    r = api_client.post("/v1/chat/completions", json=body)
    assert needle in _detail(r, status)
    assert r.json()["error"]["message"] == r.json()["detail"]


def test_models(api_client: TestClient) -> None:
    data = api_client.get("/v1/models").json()
    assert data["object"] == "list" and data["data"][0]["object"] == "model"


@pytest.mark.parametrize("chapter", range(1, 21))
@pytest.mark.parametrize(
    "deictic", ["这一章还讲了什么？", "这一节呢？", "下一章呢？", "上一节讲什么", "这个专栏的第二项是什么？"]
)
def test_relative_follow_ups_after_any_chapter_are_answered(
    api_client: TestClient, chapter: int, deictic: str
) -> None:
    # was HTTP 500 (int_to_cn(0)) for a follow-up naming a relative place after a chapter question
    from assistant.normalize import int_to_cn

    history = [{"role": "user", "content": f"第{int_to_cn(chapter)}章讲了什么？"}]
    r = api_client.post("/api/ask", json={"question": deictic, "history": history})
    assert r.status_code == 200, r.text
    assert r.json()["answer"]
