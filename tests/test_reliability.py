"""Issue 13: the server errors a semantic attack found, and the bounds on what reaches the pipeline."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.api import create_api
from assistant.config import Settings
from assistant.facade import Assistant
from assistant.tokens import count_tokens

Q = "到2030年清洁能源装机占比达到多少？"
SURROGATE = '"\\udfff"'  # a lone surrogate, as JSON spells it (no UTF-8 text can hold it)
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def client(assistant: Assistant, tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    """Server errors are responses here (as for a real client), not exceptions raised into the test."""
    app = create_api(Settings(data_dir=tmp_path_factory.mktemp("reliability")), assistant)
    return TestClient(app, raise_server_exceptions=False)


def _sse(client: TestClient, body: dict[str, Any] | bytes) -> tuple[int, list[str]]:
    kwargs: dict[str, Any] = {"content": body, "headers": JSON} if isinstance(body, bytes) else {"json": body}
    with client.stream("POST", "/v1/chat/completions", **kwargs) as r:
        if r.status_code != 200:
            r.read()
            return r.status_code, [r.text]
        return 200, [line for line in r.iter_lines() if line.startswith("data: ")]


# --------------------------------------------------------------------------- lone surrogates


@pytest.mark.parametrize(
    ("path", "raw", "field"),
    [
        ("/api/ask", '{"question": %s}', "question"),
        ("/api/ask", '{"question": "那呢？", "history": [{"role": "user", "content": %s}]}', "history"),
        ("/api/search", '{"query": %s}', "query"),
        ("/v1/chat/completions", '{"messages": [{"role": "user", "content": %s}]}', "messages[0].content"),
        (
            "/v1/chat/completions",
            '{"stream": true, "messages": [{"role": "user", "content": %s}]}',
            "messages[0].content",
        ),
        (
            "/v1/chat/completions",
            '{"messages": [{"role": "user", "content": [{"type": "text", "text": %s}]}]}',
            "messages[0].content",
        ),
        ("/v1/chat/completions", '{"model": %s, "messages": [{"role": "user", "content": "hi"}]}', "model"),
        ("/api/policies/match", '{"profile": {"industry": "船舶", "traits": [%s]}}', "profile.traits[0]"),
        ("/api/policies/match.md", '{"profile": {"description": %s}}', "profile.description"),
        ("/api/feedback", '{"question": "q", "answer": "a", "rating": "up", "comment": %s}', "comment"),
    ],
)
def test_lone_surrogates_are_a_clear_422(client: TestClient, path: str, raw: str, field: str) -> None:
    r = client.post(path, content=(raw % SURROGATE).encode(), headers=JSON)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert field in detail and ("Unicode" in detail or "unicode" in detail)


def test_lone_surrogates_are_refused_in_process(assistant: Assistant) -> None:
    """The UI and the CLI call the assistant directly: the same check, an InputError (a warning in the UI)."""
    from assistant.answers import Turn
    from assistant.errors import InputError
    from assistant.policy import Profile

    with pytest.raises(InputError, match="代理项"):
        assistant.ask("森林\udfff覆盖率")
    with pytest.raises(InputError, match="对话历史第 1 条"):
        assistant.ask("那呢？", [Turn("assistant", "\ud800")])
    with pytest.raises(InputError, match="代理项"):
        assistant.search("\udfff")
    with pytest.raises(InputError, match="企业信息"):
        assistant.match(Profile("船舶", "", ("\udfff",), ""))


# --------------------------------------------------------------------------- tiktoken's special tokens


def test_special_token_spellings_count_as_text() -> None:
    # as special tokens each would be one token (or an error); as text they are several
    assert count_tokens("<|endoftext|>") > 1 and count_tokens("<|fim_prefix|><|im_start|>") > 2


@pytest.mark.parametrize(
    "text", ["<|endoftext|>", f"{Q}<|endoftext|>", "<|fim_prefix|>森林覆盖率<|im_start|>"]
)
def test_special_tokens_in_chat_messages(client: TestClient, text: str) -> None:
    messages = [
        {"role": "system", "content": "<|endoftext|>"},
        {"role": "user", "content": "<|endoftext|>"},
        {"role": "assistant", "content": "<|endofprompt|>"},
        {"role": "user", "content": text},
    ]
    r = client.post("/v1/chat/completions", json={"messages": messages})
    assert r.status_code == 200, r.text
    assert r.json()["usage"]["prompt_tokens"] >= count_tokens(text)

    status, lines = _sse(
        client, {"messages": messages, "stream": True, "stream_options": {"include_usage": True}}
    )
    assert status == 200 and lines[-1] == "data: [DONE]"
    events = [json.loads(line[6:]) for line in lines[:-1]]
    assert not any("error" in e for e in events)
    assert events[-1]["usage"]["completion_tokens"] > 0


# --------------------------------------------------------------------------- follow-ups naming a place


@pytest.mark.parametrize("chapter", ["第三章", "第十四章", "第二十章"])
def test_follow_up_about_this_chapter(client: TestClient, chapter: str) -> None:
    history = [{"role": "user", "content": f"{chapter}讲了什么？"}]
    r = client.post("/api/ask", json={"question": "这一章还讲了什么？", "history": history})
    assert r.status_code < 500, r.text
    assert r.status_code == 200 and r.json()["answer"]


def test_an_unexpected_error_is_a_json_500_without_its_text(http_settings: Settings) -> None:
    class Broken:
        settings = http_settings

        def ask(self, *args: Any, **kwargs: Any) -> Any:
            raise ValueError("out of range: 0 SECRET-DETAIL")

        def ask_stream(self, *args: Any, **kwargs: Any) -> Any:
            yield "部分"
            raise ValueError("out of range: 0 SECRET-DETAIL")

    client = TestClient(create_api(http_settings, Broken()), raise_server_exceptions=False)  # type: ignore[arg-type]
    r = client.post("/api/ask", json={"question": Q})
    assert r.status_code == 500 and r.headers["content-type"] == "application/json"
    assert "SECRET" not in r.text and "Traceback" not in r.text
    status, lines = _sse(client, {"messages": [{"role": "user", "content": Q}], "stream": True})
    assert status == 200 and lines[-1] == "data: [DONE]"
    error = json.loads(lines[-2][6:])["error"]
    assert error["code"] == 500 and "SECRET" not in json.dumps(error)


# --------------------------------------------------------------------------- every text is bounded


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"question": "那呢？", "history": [{"role": "user", "content": "清" * 501}]}, "对话历史第 1 条"),
        (
            {"question": "那呢？", "history": [{"role": "assistant", "content": "清" * 4001}]},
            "RAG_MAX_MESSAGE_CHARS",
        ),
    ],
)
def test_history_messages_are_bounded(client: TestClient, body: dict[str, Any], needle: str) -> None:
    r = client.post("/api/ask", json=body)
    assert r.status_code == 422 and needle in r.json()["detail"]


def test_history_messages_at_the_limit_are_answered(client: TestClient) -> None:
    history = [{"role": "user", "content": "清" * 500}, {"role": "assistant", "content": "能" * 4000}]
    assert client.post("/api/ask", json={"question": Q, "history": history}).status_code == 200


@pytest.mark.parametrize(
    ("messages", "needle"),
    [
        ([{"role": "user", "content": "清" * 501}], "问题过长"),
        ([{"role": "user", "content": "清" * 501}, {"role": "user", "content": Q}], "对话历史第 1 条"),
        ([{"role": "system", "content": "x" * 4001}, {"role": "user", "content": Q}], "messages[0]"),
        ([{"role": "assistant", "content": "x" * 4001}, {"role": "user", "content": Q}], "messages[0]"),
        ([{"role": "user", "content": "x" * 60_000}], "messages[0].content"),
    ],
)
@pytest.mark.parametrize("stream", [False, True])
def test_chat_messages_are_bounded(
    client: TestClient, messages: list[dict[str, str]], needle: str, stream: bool
) -> None:
    status, lines = _sse(client, {"messages": messages, "stream": stream})
    assert status == 422 and needle in json.loads(lines[0])["detail"]


# --------------------------------------------------------------------------- strict types


USER = [{"role": "user", "content": Q}]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/chat/completions", {"messages": USER, "n": 3}, "n"),
        ("/v1/chat/completions", {"messages": USER, "max_tokens": 0}, "max_tokens"),
        ("/v1/chat/completions", {"messages": USER, "max_completion_tokens": -1}, "max_completion_tokens"),
        ("/v1/chat/completions", {"messages": USER, "stream": "yes"}, "stream"),
        ("/v1/chat/completions", {"messages": USER, "stream": 1}, "stream"),
        (
            "/v1/chat/completions",
            {"messages": USER, "stream_options": {"include_usage": "yes"}},
            "include_usage",
        ),
        ("/api/search", {"query": "清洁能源", "k": True}, "k"),
        ("/api/search", {"query": "清洁能源", "k": "5"}, "k"),
        ("/api/policies/match", {"profile": {"industry": "船舶"}, "k": True}, "k"),
    ],
)
def test_strict_types(client: TestClient, path: str, body: dict[str, Any], field: str) -> None:
    r = client.post(path, json=body)
    assert r.status_code == 422, r.text
    assert field in r.json()["detail"]


def test_chat_accepts_n_1_and_max_tokens(client: TestClient) -> None:
    r = client.post("/v1/chat/completions", json={"messages": USER, "n": 1, "max_tokens": 5})
    assert r.status_code == 200 and len(r.json()["choices"]) == 1


# --------------------------------------------------------------------------- a deadline frees its slot


def _wait_until(condition: Any, limit: float = 10.0) -> None:
    import time

    end = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < end, "condition not reached"
        time.sleep(0.01)


def test_a_deadline_frees_its_slot_and_discards_the_result() -> None:
    import threading

    from assistant.errors import DeadlineError, OverloadedError
    from assistant.limits import GenerationLimiter

    limiter = GenerationLimiter(max_concurrent=1, timeout=0.2, queue_timeout=0.2, max_overrun=1)
    release = threading.Event()
    finished: list[str] = []

    def runaway() -> str:
        release.wait(10)
        finished.append("runaway")
        return "too late"

    try:
        with pytest.raises(DeadlineError):
            limiter.run(runaway)
        assert (limiter.running, limiter.overrunning) == (0, 1)
        assert limiter.run(lambda: "ordinary") == "ordinary"  # the slot is free again
        with pytest.raises(DeadlineError):  # a second runaway: the overrun budget (1) is now spent
            limiter.run(runaway)
        with pytest.raises(OverloadedError):  # no thread for a third answer until one ends
            limiter.run(lambda: "waits")
    finally:
        release.set()
    _wait_until(lambda: limiter.overrunning == 0)
    assert finished == ["runaway", "runaway"] and limiter.running == 0
    assert limiter.run(lambda: "ordinary") == "ordinary"
    assert limiter.timed_out == 2 and limiter.rejected == 1


def test_heavy_requests_never_take_every_slot() -> None:
    import threading

    from assistant.errors import OverloadedError
    from assistant.limits import GenerationLimiter

    limiter = GenerationLimiter(max_concurrent=2, timeout=5, queue_timeout=0.1)
    release = threading.Event()
    holder = threading.Thread(target=limiter.run, args=(release.wait, 5), kwargs={"heavy": True})
    holder.start()
    try:
        _wait_until(lambda: limiter.running == 1)
        with pytest.raises(OverloadedError):
            limiter.run(lambda: "second heavy", heavy=True)
        assert limiter.run(lambda: "ordinary") == "ordinary"
    finally:
        release.set()
        holder.join(5)


def test_a_burst_of_maximal_requests_leaves_ordinary_questions_answered(
    assistant: Assistant, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Maximal follow-ups (the longest user turns and assistant messages the limits allow, a full
    history) over a real loopback server, then an ordinary question: it is answered (200), and the
    burst itself gets answers or a 503 with Retry-After, never another 5xx."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from tests.helpers import serve

    settings = Settings(
        data_dir=tmp_path_factory.mktemp("burst"),
        max_concurrent_generations=2,
        queue_timeout=5,
        request_timeout=30,
    )

    def maximal(location: str) -> dict[str, Any]:
        """A full history of the longest turns allowed; new text each time (nothing is cached)."""
        user = (assistant.document[location].text * 3)[: settings.max_question_chars]
        reply = (assistant.document["box3"].text * 3)[: settings.max_message_chars]
        turns = [{"role": "user", "content": user}, {"role": "assistant", "content": reply}]
        return {"question": "那呢？", "history": turns * (settings.max_history_turns // 2)}

    with (
        serve(create_api(settings, assistant)) as url,
        httpx.Client(base_url=url, timeout=120) as http,
        ThreadPoolExecutor(4) as pool,
    ):
        burst = [
            pool.submit(http.post, "/api/ask", json=maximal(loc))
            for loc in ("ch1.s1", "ch2.s3", "box21", "ch3.s1")
        ]
        _wait_until(lambda: any(f.running() for f in burst))
        ordinary = http.post("/api/ask", json={"question": Q})
        results = [f.result() for f in burst]
    assert ordinary.status_code == 200, ordinary.text
    assert "70%" in ordinary.json()["answer"].replace(" ", "")
    for r in results:
        assert r.status_code in (200, 503), r.text
        if r.status_code == 503:
            assert int(r.headers["retry-after"]) >= 1


# --------------------------------------------------------------------------- smaller holes


@pytest.mark.parametrize(
    "text", ["=1+1", " =1+1", "\n=1+1", "\t=1+1", "　=1+1", "＝1+1", " ＋1", "－1", "＠SUM(A1)", "@x", "\r-1"]
)
def test_csv_cells_that_a_spreadsheet_would_run_are_quoted(text: str) -> None:
    from assistant.feedback import spreadsheet_safe

    assert spreadsheet_safe(text) == "'" + text
    assert spreadsheet_safe("清洁能源 =70%") == "清洁能源 =70%" and spreadsheet_safe(3) == 3


def test_feedback_csv_escapes_formulas(tmp_path: Any) -> None:
    import csv
    import io

    from assistant.feedback import FeedbackStore

    store = FeedbackStore(tmp_path)
    store.add("\n=cmd|' /C calc'!A0", "＝1+1", [], "up", " @SUM(1)")
    row = next(csv.DictReader(io.StringIO(store.export_csv())))
    assert row["question"].startswith("'") and row["answer"] == "'＝1+1"
    assert row["comment"] == "'@SUM(1)"  # (stored stripped)


def test_policy_exports_escape_html_and_formulas(client: TestClient) -> None:
    profile = {
        "industry": "<script>alert(1)</script>船舶",
        "description": "=HYPERLINK(1)<img src=x onerror=y>",
    }
    md = client.post("/api/policies/match.md", json={"profile": profile})
    assert md.status_code == 200
    assert "<script>" not in md.text and "<img" not in md.text and "&lt;script&gt;" in md.text
    csv_text = client.post("/api/policies/match.csv", json={"profile": profile}).text
    assert "\n=" not in csv_text and ",=" not in csv_text


def test_a_removed_feedback_database_is_recreated(assistant: Assistant, tmp_path: Any) -> None:
    app = create_api(Settings(data_dir=tmp_path), assistant)
    client = TestClient(app, client=("127.0.0.1", 4000))
    body = {"question": Q, "answer": "70%", "rating": "up"}
    assert client.post("/api/feedback", json=body).status_code == 201
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / f"feedback.db{suffix}").unlink(missing_ok=True)
    assert client.post("/api/feedback", json=body).status_code == 201
    assert client.get("/api/feedback.csv").text.count(Q) == 1


@pytest.mark.parametrize(
    ("settings", "needle"),
    [
        ({"generator": "openai"}, "RAG_LLM_BASE_URL"),
        ({"generator": "openai", "llm_base_url": "http://127.0.0.1:9/v1", "request_timeout": 50}, "twice"),
        ({"max_message_chars": 200, "max_question_chars": 500}, "RAG_MAX_MESSAGE_CHARS"),
    ],
)
def test_settings_are_checked_when_they_load(settings: dict[str, Any], needle: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=needle):
        Settings(**settings)
    Settings(generator="openai", llm_base_url="http://127.0.0.1:9/v1", request_timeout=60, llm_timeout=30)


def test_llm_service_errors_fall_back_but_bugs_do_not() -> None:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage
    from langchain_core.outputs import ChatResult

    from assistant.errors import GeneratorError
    from assistant.llm import LLMGenerator, load_prompts

    class Raising(BaseChatModel):
        error: Any

        @property
        def _llm_type(self) -> str:
            return "raising"

        def _generate(
            self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
        ) -> ChatResult:
            raise self.error

    import httpx
    import openai

    prompts = load_prompts(Settings().prompts_dir)
    request = httpx.Request("POST", "http://127.0.0.1:9/v1/chat/completions")
    for service in (httpx.ConnectError("refused"), openai.APITimeoutError(request), TimeoutError()):
        with pytest.raises(GeneratorError):
            LLMGenerator(Raising(error=service), prompts).generate(Q, [])
    for bug in (KeyError("hits"), AttributeError("x"), TypeError("unsupported operand")):
        with pytest.raises(type(bug)):
            LLMGenerator(Raising(error=bug), prompts).generate(Q, [])


def test_the_ui_never_shows_exception_text(live_server: str) -> None:
    """The UI's follow-up that crashed with ``AppError: out of range: 0``: an answer or a plain
    message in the chat, never the exception's text."""
    from gradio_client import Client

    client = Client(live_server, verbose=False, analytics_enabled=False)
    client.predict("第三章讲了什么？", api_name="/ask")
    chat, *_ = client.predict("这一章还讲了什么？", api_name="/ask")
    last = "".join(part.get("text", "") for part in chat[-1]["content"])
    assert last.strip() and "out of range" not in last and "Error" not in last


def test_refused_input_never_waits_for_a_slot(assistant: Assistant, tmp_path: Any) -> None:
    """With every slot busy, an over-long follow-up is a 422 at once, not a 503 after the queue wait."""
    import threading

    settings = Settings(data_dir=tmp_path, max_concurrent_generations=1, queue_timeout=2)
    app = create_api(settings, assistant)
    client = TestClient(app)
    release = threading.Event()
    holder = threading.Thread(target=app.state.limiter.run, args=(release.wait, 10))
    holder.start()
    try:
        _wait_until(lambda: app.state.limiter.running == 1)
        too_long = {"question": "那呢？", "history": [{"role": "user", "content": "清" * 501}]}
        assert client.post("/api/ask", json=too_long).status_code == 422
        messages = [*too_long["history"], {"role": "user", "content": "那呢？"}]
        for stream in (False, True):
            r = client.post("/v1/chat/completions", json={"messages": messages, "stream": stream})
            assert r.status_code == 422
        assert client.post("/api/ask", json={"question": Q}).status_code == 503  # the slot is really busy
    finally:
        release.set()
        holder.join(10)


def test_chat_accepts_the_nulls_openai_clients_send(client: TestClient) -> None:
    body = {"messages": USER, "n": None, "max_tokens": None, "stream": False, "stream_options": None}
    assert client.post("/v1/chat/completions", json=body).status_code == 200
