"""The LLM generator: LangChain's ChatOpenAI against any OpenAI-compatible endpoint.

The prompt numbers the retrieved blocks and asks for ``[n]`` markers and a refusal when the
blocks do not answer. Markers are parsed, bounds-checked and mapped back to locations; each
cited block yields the sentence that best supports the answer as a quote. Prompt templates live
in ``prompts/`` and are rendered strictly (a missing variable is an error, not a blank).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pydantic
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.prompts import ChatPromptTemplate
from pydantic import SecretStr

from .answers import Citation, Turn
from .errors import GeneratorError
from .extractive import split_sentences
from .normalize import match_key
from .retrieve import Hit

MARKER = re.compile(r"\[(\d{1,3})\]")
REFUSAL = ("规划未提及", "没有提及", "未提及", "没有找到", "无法回答")
MAX_BLOCKS = 6
# What a call to the LLM service can raise when the service (not our code) fails: the OpenAI client's
# errors (connection, timeout, HTTP status, a reply that is not a chat completion), httpx's, and a
# reply that does not parse or validate. Anything else is a bug and is not turned into a fallback.
SERVICE_ERRORS: tuple[type[BaseException], ...] = (
    openai.OpenAIError,
    httpx.HTTPError,
    TimeoutError,
    ConnectionError,
    json.JSONDecodeError,
    pydantic.ValidationError,
)


_CLIENT_PACKAGES = ("langchain_openai", "openai", "httpx")


def _raised_by_the_client(exc: BaseException) -> bool:
    """Whether a ValueError/TypeError was raised inside the OpenAI client stack, which is how
    langchain-openai reports a reply of the wrong shape (an HTML page, ``choices: null``…)."""
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last = tb.tb_frame.f_globals.get("__name__", "")
        tb = tb.tb_next
    return bool(last) and str(last).split(".", 1)[0] in _CLIENT_PACKAGES


def _invoke(model: BaseChatModel, messages: list[BaseMessage]) -> Any:
    """Call the LLM; the service's failures become :class:`GeneratorError`, our bugs propagate."""
    try:
        return model.invoke(messages)
    except SERVICE_ERRORS as exc:  # network, auth, timeout, HTTP status, malformed JSON
        raise GeneratorError(f"大模型服务调用失败（{type(exc).__name__}）：{exc}") from exc
    except (ValueError, TypeError) as exc:
        if not _raised_by_the_client(exc):
            raise
        raise GeneratorError(f"大模型服务返回了无法解析的回答（{type(exc).__name__}）：{exc}"[:500]) from exc


def _reply_text(content: Any) -> str:
    """The text of a chat reply: a string, or a list of content blocks with text parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p if isinstance(p, str) else p.get("text", "") for p in content if isinstance(p, str | dict)]
        if all(isinstance(p, str) for p in parts):
            return "".join(parts)
    raise GeneratorError(f"大模型服务返回了无法识别的回答（{type(content).__name__}）。")


def load_prompts(directory: Path) -> dict[str, ChatPromptTemplate]:
    try:
        system = (directory / "system.txt").read_text(encoding="utf-8")
        answer = (directory / "answer.txt").read_text(encoding="utf-8")
        condense = (directory / "condense.txt").read_text(encoding="utf-8")
    except OSError as exc:
        raise GeneratorError(f"prompt templates missing in {directory}: {exc}") from exc
    # system.txt has no variables: escape its braces so it is taken literally.
    literal_system = system.replace("{", "{{").replace("}", "}}")
    return {
        "answer": ChatPromptTemplate.from_messages([("system", literal_system), ("human", answer)]),
        "condense": ChatPromptTemplate.from_messages([("human", condense)]),
    }


def make_chat_model(base_url: str, model: str, api_key: str, timeout: float) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        base_url=base_url,
        model=model,
        api_key=SecretStr(api_key),
        timeout=timeout,
        max_retries=1,
        temperature=0,
    )


class LLMGenerator:
    """Generate an answer with ``[n]`` markers from numbered context blocks."""

    def __init__(self, chat_model: BaseChatModel, prompts: dict[str, ChatPromptTemplate]) -> None:
        self.model = chat_model
        self.prompts = prompts

    @staticmethod
    def context(hits: list[Hit]) -> str:
        blocks = []
        for n, hit in enumerate(hits[:MAX_BLOCKS], start=1):
            # delimit retrieved text so it cannot pass for instructions
            blocks.append(f"[{n}] 《{hit.chunk.title}》\n{hit.chunk.text}")
        return "\n\n".join(blocks)

    def _messages(self, question: str, hits: list[Hit]) -> list[BaseMessage]:
        return self.prompts["answer"].format_messages(context=self.context(hits), question=question)

    def generate(self, question: str, hits: list[Hit]) -> str:
        reply = _invoke(self.model, self._messages(question, hits))
        text = _reply_text(reply.content)
        if not text.strip():
            raise GeneratorError("大模型服务返回了空回答。")
        return text.strip()

    def stream(self, question: str, hits: list[Hit]) -> Iterator[str]:
        """The reply's text as the service sends it; failures become :class:`GeneratorError`."""
        got = False
        try:
            for chunk in self.model.stream(self._messages(question, hits)):
                text = _reply_text(chunk.content)
                if text:
                    got = True
                    yield text
        except SERVICE_ERRORS as exc:
            raise GeneratorError(f"大模型服务调用失败（{type(exc).__name__}）：{exc}") from exc
        except (ValueError, TypeError) as exc:
            if not _raised_by_the_client(exc):
                raise
            raise GeneratorError(
                f"大模型服务返回了无法解析的回答（{type(exc).__name__}）：{exc}"[:500]
            ) from exc
        if not got:
            raise GeneratorError("大模型服务返回了空回答。")

    def condense(self, question: str, history: list[Turn]) -> str:
        lines = "\n".join(f"{'用户' if t.role == 'user' else '助手'}：{t.content}" for t in history[-6:])
        reply = _invoke(
            self.model, self.prompts["condense"].format_messages(history=lines, question=question)
        )
        text = _reply_text(reply.content)
        return text.strip().splitlines()[0].strip() if text.strip() else question


def parse_markers(answer: str, hits: list[Hit]) -> tuple[str, tuple[Citation, ...], bool]:
    """Map ``[n]`` markers to citations; out-of-range or malformed markers are dropped.

    Returns the answer with bad markers removed, the citations, and whether it is a refusal.
    """
    n_blocks = min(len(hits), MAX_BLOCKS)
    citations: list[Citation] = []

    def keep(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if not 1 <= n <= n_blocks:
            return ""
        return m.group(0)

    cleaned = MARKER.sub(keep, answer)
    for sentence in re.split(r"(?<=[。！？；])", cleaned):
        for n in dict.fromkeys(int(x) for x in MARKER.findall(sentence)):
            hit = hits[n - 1]
            quote = best_quote(MARKER.sub("", sentence), hit.chunk.text)
            citations.append(Citation(hit.location, hit.chunk.title, quote))
    refused = any(r in cleaned for r in REFUSAL)
    return cleaned, tuple(citations), refused


def best_quote(claim: str, passage: str) -> str:
    """The sentence of ``passage`` sharing the most characters (bigrams) with ``claim``."""
    key = match_key(claim)
    grams = {key[i : i + 2] for i in range(len(key) - 1)}
    best, best_score = "", -1
    for s in split_sentences(passage):
        sk = match_key(s)
        score = sum(1 for i in range(len(sk) - 1) if sk[i : i + 2] in grams)
        if score > best_score:
            best, best_score = s, score
    return best
