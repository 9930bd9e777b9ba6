"""The HTTP API (docs/design.md, "The HTTP contract"), an OpenAI-compatible ``/v1``, and feedback.

:func:`create_api` builds the app and starts nothing. Unless an :class:`Assistant` is passed in,
the lifespan loads one in a background thread, and ``/health`` answers 503 until it is ready.
Errors become HTTP statuses in one place, :data:`ERROR_STATUS`; every error body is ``{"detail": str}``.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Path, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from .access_log import log_path
from .answers import Answer, Citation, Turn
from .config import Settings
from .errors import (
    AssistantError,
    AuthError,
    CorpusError,
    DeadlineError,
    ForbiddenError,
    GeneratorError,
    IndexStateError,
    InputError,
    NotFoundError,
    OverloadedError,
    RateLimitError,
    StorageError,
)
from .facade import Assistant, check_conversation
from .feedback import FeedbackStore
from .indicators import FLAG_NOTES
from .limits import is_heavy
from .openai_compat import INTERNAL_ERROR, chat_to_question, completion, stream_chunks
from .policy import Clause, PolicyReport, Profile, to_csv, to_markdown
from .schemas import (
    MODEL_ID,
    AskRequest,
    AskResponse,
    BoxOut,
    ChatRequest,
    CitationOut,
    ClauseGroupOut,
    ClauseOut,
    FeedbackRequest,
    FeedbackResponse,
    HealthResponse,
    IndicatorOut,
    IndicatorsResponse,
    PolicyMatchRequest,
    PolicyMatchResponse,
    SearchRequest,
    SearchResponse,
    SearchResultOut,
    SectionResponse,
    TurnIn,
)
from .security import harden, require_key

log = logging.getLogger(__name__)

LOCATION_PATTERN = r"^(preface|ch\d{1,2}\.s\d{1,2}|box\d{1,2})$"
MAX_BODY_BYTES = 1_000_000


class NotReadyError(AssistantError):
    """The assistant is still loading (or failed to load)."""


# The one place where error classes become HTTP statuses (looked up along the class's MRO).
ERROR_STATUS: dict[type[AssistantError], int] = {
    InputError: 422,
    NotFoundError: 404,
    AuthError: 401,
    ForbiddenError: 403,
    RateLimitError: 429,
    GeneratorError: 502,
    StorageError: 503,
    IndexStateError: 503,
    CorpusError: 503,
    NotReadyError: 503,
    OverloadedError: 503,
    DeadlineError: 504,
}


def status_for(exc: AssistantError) -> int:
    for cls in type(exc).__mro__:
        if cls in ERROR_STATUS:
            return ERROR_STATUS[cls]
    return 500


# --------------------------------------------------------------------------- loading


class AssistantLoader:
    """Holds the assistant; loads it in a background thread so the server can report progress."""

    def __init__(self, settings: Settings, assistant: Assistant | None = None, state: Any = None) -> None:
        self.settings = settings
        self.assistant = assistant
        self.state = state  # app.state: gets ``assistant`` once loaded
        self.error: str | None = None
        self.started = time.perf_counter()
        self.ready_seconds: float | None = 0.0 if assistant else None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.assistant is None and self._thread is None:
            self.started = time.perf_counter()
            self._thread = threading.Thread(target=self._load, name="assistant-loader", daemon=True)
            self._thread.start()

    def _load(self) -> None:
        from .index import read_manifest

        before = read_manifest(self.settings.index_dir)
        try:
            assistant = Assistant.load(self.settings)
        except Exception as exc:  # reported by /health and every endpoint
            log.exception("the assistant failed to load")
            self.error = str(exc) or type(exc).__name__
            return
        self.ready_seconds = time.perf_counter() - self.started
        built = assistant.index.manifest.built_at
        how = "loaded" if before is not None and before.built_at == built else "rebuilt"
        log.info(
            "index %s from %s (%d chunks, built %s); ready in %.1fs",
            how,
            self.settings.index_dir,
            len(assistant.index.chunks),
            built,
            self.ready_seconds,
        )
        self.assistant = assistant
        if self.state is not None:
            self.state.assistant = assistant
        # ready: what only questions need is imported now, before the UI is built (wait() joins)
        started = time.perf_counter()
        try:
            assistant.warm()
        except Exception:  # a question would meet the same problem and report it
            log.exception("warming the answering chain failed")
        log.info("answering chain warmed in %.1fs", time.perf_counter() - started)

    def wait(self, timeout: float | None = None) -> Assistant | None:
        if self._thread is not None:
            self._thread.join(timeout)
        return self.assistant

    def get(self) -> Assistant:
        if self.assistant is not None:
            return self.assistant
        if self.error is not None:
            raise NotReadyError(f"助手加载失败：{self.error}。请检查日志后重启服务。")
        waited = time.perf_counter() - self.started
        raise NotReadyError(f"助手正在加载索引（已用 {waited:.0f} 秒），请稍后重试。Loading, retry soon.")


# --------------------------------------------------------------------------- dependencies


def get_assistant(request: Request) -> Assistant:
    loader: AssistantLoader = request.app.state.loader
    return loader.get()


AssistantDep = Annotated[Assistant, Depends(get_assistant)]


# --------------------------------------------------------------------------- error handling


def _error_body(request: Request, status_code: int, detail: str) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": detail}
    if request.url.path.startswith("/v1/"):  # what OpenAI clients read
        body["error"] = {"message": detail, "type": "invalid_request_error", "code": status_code}
    return body


async def _assistant_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AssistantError)
    code = status_for(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimitError | OverloadedError):
        headers["Retry-After"] = str(max(1, int(exc.retry_after)))
    elif isinstance(exc, NotReadyError):
        headers["Retry-After"] = "5"
    elif isinstance(exc, AuthError):
        headers["WWW-Authenticate"] = "Bearer"
    if code >= 500:
        log.warning("%s %s → %d: %s", request.method, log_path(request.scope), code, exc)
    return JSONResponse(_error_body(request, code, str(exc)), status_code=code, headers=headers)


_TYPE_TAG = re.compile(r"[\[\]()]|^(str|int|bool|float|list|dict|none)$")


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = list(loc[1:]) if loc and loc[0] in ("body", "path", "query", "header") else list(loc)
    # pydantic names the alternatives of a union ("str", "list[TextPart]", "function-after[…]"): not fields
    parts = [p for p in parts if isinstance(p, int) or not _TYPE_TAG.search(str(p))]
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "请求体"


def _describe(err: dict[str, Any]) -> str:
    field, kind, ctx = _field(err.get("loc", ())), err.get("type", ""), err.get("ctx") or {}
    zh = {
        "missing": "缺少请求体（需要一个 JSON 对象）" if field == "请求体" else f"缺少字段 {field}",
        "string_too_long": f"{field} 过长（最多 {ctx.get('max_length')} 字符）",
        "string_too_short": f"{field} 不能为空",
        "too_long": f"{field} 条目过多（最多 {ctx.get('max_length')} 条）",
        "too_short": f"{field} 至少需要 {ctx.get('min_length')} 条",
        "greater_than_equal": f"{field} 不能小于 {ctx.get('ge')}",
        "less_than_equal": f"{field} 不能大于 {ctx.get('le')}",
        "literal_error": f"{field} 的取值无效，应为 {ctx.get('expected')}",
        "int_parsing": f"{field} 必须是整数",
        "int_type": f"{field} 必须是整数",
        "int_from_float": f"{field} 必须是整数",
        "string_type": f"{field} 必须是字符串",
        "bool_type": f"{field} 必须是布尔值",
        "bool_parsing": f"{field} 必须是布尔值",
        "list_type": f"{field} 必须是数组",
        "model_attributes_type": f"{field} 必须是 JSON 对象",
        "dict_type": f"{field} 必须是 JSON 对象",
        "value_error": f"{field}：{str(err.get('msg', '')).removeprefix('Value error, ')}",
    }.get(kind, f"{field} 无效")
    if kind == "value_error":
        return zh
    return f"{zh}（{err.get('msg', '')}）"


def _is_json(content_type: str) -> bool:
    main = content_type.split(";", 1)[0].strip().lower()
    return main == "application/json" or (main.startswith("application/") and main.endswith("+json"))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    bad_json = next((e for e in errors if e.get("type") == "json_invalid"), None)
    if bad_json is not None:
        why = (bad_json.get("ctx") or {}).get("error", "")
        pos = bad_json.get("loc", ("body", "?"))[-1]
        detail = f"请求体不是合法的 JSON（第 {pos} 个字符附近：{why}）。Malformed JSON body."
        return JSONResponse(_error_body(request, 400, detail), status_code=400)
    body_error = any(tuple(e.get("loc", ()))[:1] == ("body",) for e in errors)
    content_type = request.headers.get("content-type", "")
    if body_error and request.method in ("POST", "PUT", "PATCH") and not _is_json(content_type):
        detail = (
            f"请求体必须是 JSON：请设置 Content-Type: application/json（收到 {content_type or '无'}）。"
            " Send a JSON body with Content-Type: application/json."
        )
        return JSONResponse(_error_body(request, 415, detail), status_code=415)
    detail = "；".join(dict.fromkeys(_describe(e) for e in errors[:5]))
    body = _error_body(request, 422, f"请求参数无效：{detail}")
    body["errors"] = [{"field": _field(e.get("loc", ())), "message": e.get("msg", "")} for e in errors[:20]]
    return JSONResponse(body, status_code=422)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail, ensure_ascii=False)
    if exc.status_code == 413:
        detail = f"请求体过大（上限 {MAX_BODY_BYTES} 字节）。Request body too large."
    return JSONResponse(
        _error_body(request, exc.status_code, detail), status_code=exc.status_code, headers=exc.headers
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, log_path(request.scope))
    detail = INTERNAL_ERROR  # never the exception's own text
    return JSONResponse(_error_body(request, 500, detail), status_code=500)


class BodySizeLimit:
    """Reject over-large request bodies to /api and /v1 up front, as a JSON 413."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(("/api/", "/v1/")):
            length = dict(scope["headers"]).get(b"content-length", b"")
            if length.isdigit() and int(length) > self.limit:
                detail = f"请求体过大（上限 {self.limit} 字节）。Request body too large."
                await JSONResponse({"detail": detail}, status_code=413)(scope, receive, send)
                return
        await self.app(scope, receive, send)


# --------------------------------------------------------------------------- conversions


def _turns(history: list[TurnIn]) -> list[Turn]:
    return [Turn(t.role, t.content) for t in history]


def _citations(citations: tuple[Citation, ...] | list[Citation]) -> list[CitationOut]:
    return [CitationOut(location=c.location, title=c.title, quote=c.quote) for c in citations]


def _ask_response(answer: Answer) -> AskResponse:
    return AskResponse(
        answer=answer.text,
        abstained=answer.abstained,
        citations=_citations(answer.citations),
        query=answer.query,
        timings_ms={k: round(float(v), 2) for k, v in answer.timings_ms.items()},
        kind=answer.kind,
        notice=answer.notice,
    )


def _clause(c: Clause) -> ClauseOut:
    return ClauseOut(
        location=c.location,
        title=c.title,
        quote=c.quote,
        score=c.score,
        reasons=list(c.reasons),
        item=c.item,
    )


def _match(body: PolicyMatchRequest, assistant: Assistant) -> PolicyReport:
    p = body.profile
    return assistant.match(Profile(p.industry, p.city, tuple(p.traits), p.description), body.k)


def _attachment(text: str, media_type: str, filename: str) -> Response:
    return Response(
        text, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


def _check_before_a_slot(assistant: Assistant, request: Request, question: str, history: list[Turn]) -> None:
    """Refuse over-long or invalid input at once (422), before it waits for a generation slot."""
    settings = getattr(assistant, "settings", None) or request.app.state.settings
    check_conversation(settings, question, history)


# --------------------------------------------------------------------------- routes


def _routes() -> tuple[APIRouter, APIRouter, APIRouter]:
    public = APIRouter()
    api = APIRouter(prefix="/api", dependencies=[Depends(require_key)], max_body_size=MAX_BODY_BYTES)
    v1 = APIRouter(
        prefix="/v1",
        dependencies=[Depends(require_key)],
        max_body_size=MAX_BODY_BYTES,
        tags=["OpenAI-compatible"],
    )

    @public.get(
        "/health",
        response_model=HealthResponse,
        tags=["service"],
        responses={503: {"description": "Still loading, or failed to load."}},
    )
    def health(assistant: AssistantDep) -> dict[str, Any]:
        """Readiness: 200 with index facts once the assistant is loaded, 503 while loading."""
        return assistant.health()

    @api.post("/search", response_model=SearchResponse, tags=["plan"])
    def search(body: SearchRequest, assistant: AssistantDep) -> SearchResponse:
        """Hybrid (BM25 + dense) search over the plan's chunks."""
        hits = assistant.search(body.query, k=body.k)
        return SearchResponse(results=[SearchResultOut(**vars(h)) for h in hits])

    @api.post("/ask", response_model=AskResponse, tags=["plan"])
    def ask(body: AskRequest, assistant: AssistantDep, request: Request) -> AskResponse:
        """Answer a question with verified quotes from the plan; follow-ups take earlier turns."""
        limiter = request.app.state.limiter  # a slot and a deadline: see assistant/limits.py
        history = _turns(body.history)
        _check_before_a_slot(assistant, request, body.question, history)
        heavy = is_heavy(body.question, history)
        return _ask_response(limiter.run(assistant.ask, body.question, history, heavy=heavy))

    @api.get("/toc", tags=["plan"])
    def toc(assistant: AssistantDep) -> dict[str, Any]:
        """The chapter → section → box tree with location ids and titles."""
        return {"toc": assistant.toc()}

    @api.get(
        "/sections/{location}",
        response_model=SectionResponse,
        tags=["plan"],
        responses={404: {"description": "Unknown location."}, 422: {"description": "Malformed id."}},
    )
    def section(
        location: Annotated[str, Path(description="preface, chN.sM or boxN", examples=["ch14.s2"])],
        assistant: AssistantDep,
    ) -> SectionResponse:
        """The text of one location (and, for a section, the boxes that belong to it)."""
        if not re.fullmatch(LOCATION_PATTERN, location):
            raise InputError(
                f"位置编号 {location[:40]!r} 格式无效：应为 preface、chN.sM（如 ch14.s2，章引言为 ch14.s0）"
                "或 boxN（如 box27）。"
            )
        loc = assistant.section(location)
        boxes = assistant.document.boxes_of(loc.id) if loc.kind in ("section", "intro") else ()
        return SectionResponse(
            location=loc.id,
            kind=loc.kind,
            title=loc.path,
            text=loc.text,
            boxes=[BoxOut(location=b.id, title=b.path, text=b.text) for b in boxes],
        )

    @api.get("/indicators", response_model=IndicatorsResponse, tags=["plan"])
    def indicators(assistant: AssistantDep) -> IndicatorsResponse:
        """The main-indicator table (专栏1) as parsed rows, with the flag legend."""
        rows = [
            IndicatorOut(
                id=r.id,
                indicator=r.full_name,
                unit=r.unit,
                category=r.category,
                value_2025=r.value_2025.display,
                value_2030=r.value_2030.display,
                growth=r.growth.display,
                attribute=r.attribute,
                flags=list(r.flags),
            )
            for r in assistant.document.indicators
        ]
        return IndicatorsResponse(rows=rows, flags=dict(FLAG_NOTES))

    @api.post("/policies/match", response_model=PolicyMatchResponse, tags=["policies"])
    def policy_match(body: PolicyMatchRequest, assistant: AssistantDep) -> PolicyMatchResponse:
        """The plan's clauses that apply to an enterprise, by chapter, each with its quote and reasons."""
        report = _match(body, assistant)
        return PolicyMatchResponse(
            clusters=list(report.clusters),
            targets=[_clause(c) for c in report.targets],
            groups=[ClauseGroupOut(chapter=h, clauses=[_clause(c) for c in cs]) for h, cs in report.groups],
        )

    @api.post(
        "/policies/match.md",
        tags=["policies"],
        response_class=Response,
        responses={200: {"content": {"text/markdown": {}}}},
    )
    def policy_match_markdown(body: PolicyMatchRequest, assistant: AssistantDep) -> Response:
        """The same report as a Markdown download."""
        text = to_markdown(_match(body, assistant))
        return _attachment(text, "text/markdown; charset=utf-8", "policy-match.md")

    @api.post(
        "/policies/match.csv",
        tags=["policies"],
        response_class=Response,
        responses={200: {"content": {"text/csv": {}}}},
    )
    def policy_match_csv(body: PolicyMatchRequest, assistant: AssistantDep) -> Response:
        """The same report as a CSV download (UTF-8 with BOM, so spreadsheets read the Chinese)."""
        text = "\ufeff" + to_csv(_match(body, assistant))
        return _attachment(text, "text/csv; charset=utf-8", "policy-match.csv")

    @api.post(
        "/feedback", response_model=FeedbackResponse, status_code=status.HTTP_201_CREATED, tags=["feedback"]
    )
    def feedback(body: FeedbackRequest, request: Request) -> FeedbackResponse:
        """Store a 👍/👎 rating (with an optional comment) for an answer."""
        store: FeedbackStore = request.app.state.feedback
        cites = [Citation(c.location, c.title, c.quote) for c in body.citations]
        row_id = store.add(body.question, body.answer, cites, body.rating, body.comment, source="api")
        return FeedbackResponse(id=row_id)

    @api.get(
        "/feedback.csv",
        tags=["feedback"],
        response_class=Response,
        responses={200: {"content": {"text/csv": {}}}},
    )
    def feedback_csv(request: Request) -> Response:
        """All feedback as a CSV download (UTF-8 with BOM, so spreadsheets read the Chinese)."""
        store: FeedbackStore = request.app.state.feedback
        return Response(
            "\ufeff" + store.export_csv(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="feedback.csv"'},
        )

    @v1.get("/models")
    def models() -> dict[str, Any]:
        """The one model this server offers (any model name is accepted in requests)."""
        return {
            "object": "list",
            "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "plan-assistant"}],
        }

    @v1.post("/chat/completions", response_model=None)
    def chat_completions(body: ChatRequest, assistant: AssistantDep, request: Request) -> Any:
        """OpenAI-style chat: the last user message is the question; citations in text and `citations`."""
        question, history = chat_to_question(body.messages, request.app.state.settings.max_message_chars)
        limiter = request.app.state.limiter  # a slot and a deadline: see assistant/limits.py
        _check_before_a_slot(assistant, request, question, history)
        heavy = is_heavy(question, history)
        if not body.stream:
            answer = limiter.run(assistant.ask, question, history, heavy=heavy)
            return completion(answer, body.model, question, history)
        # one slot from the first piece to the last; input errors surface here, before the 200 is sent
        pieces = limiter.stream(assistant.ask_stream, question, history, heavy=heavy)
        first = next(pieces, None)
        include_usage = body.stream_options is not None and body.stream_options.include_usage
        return StreamingResponse(
            stream_chunks(first, pieces, body.model, question, history, include_usage, status_for),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return public, api, v1


def create_api(settings: Settings, assistant: Assistant | None = None) -> FastAPI:
    """Build the FastAPI app (starts nothing). Without ``assistant``, the lifespan loads one."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.loader.start()
        yield

    app = FastAPI(
        title="规划纲要问答助手 API",
        description="Cited answers about the Liaoning 15th Five-Year Plan outline. "
        'Errors are `{"detail": str}`; see docs/design.md.',
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.assistant = assistant
    app.state.loader = AssistantLoader(settings, assistant, app.state)
    app.state.feedback = FeedbackStore(settings.data_dir)
    app.add_middleware(BodySizeLimit, limit=MAX_BODY_BYTES)
    harden(app, settings)  # keys, rate limit, CORS, request log, generation limits (assistant/security.py)
    app.add_exception_handler(AssistantError, _assistant_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
    for router in _routes():
        app.include_router(router)
    return app


__all__ = ["ERROR_STATUS", "AssistantLoader", "NotReadyError", "create_api"]
