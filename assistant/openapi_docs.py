"""OpenAPI: the error responses every API route can give (``{"detail": str}``), documented at /docs."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from .auth import API_PREFIXES

_ERROR_SCHEMA = {
    "title": "ErrorResponse",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {"type": "string", "description": "A clear message (Chinese, with an English gist)."},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
        "error": {"type": "object", "description": "OpenAI-style error object (only under /v1)."},
    },
}
_ERROR_TEXT = {
    "400": "Malformed JSON body.",
    "401": "No or unknown API key (only when RAG_API_KEYS is set).",
    "403": "A read-only key (`:read`) on a write route, a non-admin key on the feedback export, or a cookie-authenticated request from another origin.",
    "413": "Request body too large.",
    "415": "The body is not JSON.",
    "422": "Invalid parameters (which field, and why).",
    "429": "Rate limit (RAG_RATE_LIMIT_PER_MINUTE); see Retry-After.",
    "502": "The configured LLM service failed.",
    "503": "Loading, every generation slot busy (Retry-After), or the feedback store unavailable.",
    "504": "The answer took longer than RAG_REQUEST_TIMEOUT.",
}
_GENERATING = frozenset({"/api/ask", "/v1/chat/completions"})


def document_errors(app: FastAPI) -> None:
    """Add the error responses every route can give (``{"detail": str}``) to the OpenAPI schema."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema and app.openapi_schema.get("x-errors-documented"):
            return app.openapi_schema
        schema = build()
        schema.setdefault("components", {}).setdefault("schemas", {})["ErrorResponse"] = _ERROR_SCHEMA
        ref = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
        for path, operations in schema.get("paths", {}).items():
            if not path.startswith(API_PREFIXES):
                continue
            for method, op in operations.items():
                if not isinstance(op, dict) or "responses" not in op:
                    continue
                codes = ["401", "403", "422", "429", "503"]
                if "requestBody" in op:
                    codes += ["400", "413", "415"]
                if path in _GENERATING:
                    codes += ["502", "504"]
                if method == "post" and path == "/v1/chat/completions":
                    ok = op["responses"].setdefault("200", {"description": "OK"})
                    # each server-sent event (as SSE-aware clients and schemathesis parse it):
                    # `data:` a chat.completion.chunk JSON, the last one `[DONE]`
                    ok.setdefault("content", {})["text/event-stream"] = {
                        "schema": {
                            "type": "object",
                            "description": "`stream: true`: one server-sent event.",
                            "properties": {"event": {"type": "string"}, "data": {"type": "string"}},
                            "required": ["data"],
                        }
                    }
                for code in codes:
                    existing = op["responses"].get(code, {})
                    op["responses"][code] = {
                        "description": existing.get("description") or _ERROR_TEXT[code],
                        "content": ref,
                    }
        schema["x-errors-documented"] = True
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


__all__ = ["document_errors"]
