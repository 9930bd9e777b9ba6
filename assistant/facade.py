"""The one object the API, UI, CLI and eval talk to: :class:`Assistant`.

``Assistant.load(settings)`` parses the plan, loads (or rebuilds) the index and the embedder and
builds the answering chain: all the slow work, done once at start-up, never at import.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from .answers import Answer, Turn
from .chain import AnswerChain
from .config import Settings
from .embed import Embedder, embedder_id, make_embedder
from .errors import IndexStateError, InputError, NotFoundError
from .index import Index, load, load_or_build, staleness
from .parse import Document, Location, parse_file
from .policy import PolicyReport, Profile
from .retrieve import Hit, Mode, Retriever

log = logging.getLogger(__name__)

MAX_K = 50
_SURROGATE = re.compile("[\ud800-\udfff]")


def check_text(text: str, what: str = "文本") -> str:
    """``text`` if it is valid Unicode; a lone surrogate (``"\\udfff"`` in JSON, which no UTF-8 text
    can hold) is an :class:`InputError`. The message never repeats the text."""
    match = _SURROGATE.search(text)
    if match:
        raise InputError(
            f"{what}含有无效的 Unicode 字符（第 {match.start() + 1} 个字符是孤立的代理项 U+{ord(match.group()):04X}）。"
            " The text contains a lone surrogate, which is not valid Unicode."
        )
    return text


def check_conversation(settings: Settings, question: str, history: Sequence[Turn]) -> str:
    """The question, stripped, if it and its history are within the limits; else :class:`InputError`.

    Every text that reaches the answering chain is bounded here (the chain searches with earlier
    user turns, so their length bounds its work as much as the question's does). The API calls it
    before taking a generation slot too, so refused input never waits for one."""
    question = check_text((question or "").strip(), "问题")
    if not question:
        raise InputError("问题不能为空。请输入一个关于规划纲要的问题。")
    limit, message_limit = settings.max_question_chars, settings.max_message_chars
    if len(question) > limit:
        raise InputError(f"问题过长（{len(question)} 字），请控制在 {limit} 字以内。")
    if len(history) > settings.max_history_turns:
        raise InputError(f"对话历史过长：最多 {settings.max_history_turns} 条消息。")
    for i, turn in enumerate(history):
        check_text(turn.content, f"对话历史第 {i + 1} 条")
        most = limit if turn.role == "user" else message_limit
        if len(turn.content) > most:
            raise InputError(
                f"对话历史第 {i + 1} 条（{turn.role}）过长（{len(turn.content)} 字）："
                f"用户消息最多 {limit} 字（RAG_MAX_QUESTION_CHARS），助手消息最多 {message_limit} 字"
                "（RAG_MAX_MESSAGE_CHARS）。A history message is too long."
            )
    return question


@dataclass(frozen=True)
class SearchResult:
    location: str
    chunk_id: str
    title: str
    text: str
    score: float


class Assistant:
    def __init__(
        self, settings: Settings, document: Document, index: Index, embedder: Embedder, chain: AnswerChain
    ) -> None:
        self.settings = settings
        self.document = document
        self.index = index
        self.embedder = embedder
        self.retriever = chain.retriever
        self.chain = chain
        self.matcher = chain.matcher

    @classmethod
    def load(cls, settings: Settings | None = None, force_rebuild: bool = False) -> Assistant:
        settings = settings or Settings()
        started = time.perf_counter()
        # the embedder's model loads in a second thread while the index is read (start-up time)
        with ThreadPoolExecutor(1, thread_name_prefix="embedder-loader") as pool:
            pending = pool.submit(make_embedder, settings.embedder)
            document = parse_file(settings.corpus_path)
            index: Index | None = None
            expected = embedder_id(settings.embedder)
            if not force_rebuild and not staleness(
                settings.index_dir, document, expected, settings.chunk_tokens
            ):
                try:
                    index = load(settings.index_dir, document)
                except IndexStateError as exc:
                    log.warning("index %s cannot be loaded: %s", settings.index_dir, exc)
            embedder = pending.result()
        if index is None:
            index = load_or_build(
                settings.index_dir, document, embedder, settings.chunk_tokens, force_rebuild
            )
        retriever = Retriever(index, embedder, settings.fusion)
        chain = AnswerChain.from_settings(settings, document, retriever)
        log.info(
            "assistant ready in %.1fs: %d chunks, embedder %s, generator %s",
            time.perf_counter() - started,
            len(index.chunks),
            embedder.id,
            chain.generator_name,
        )
        return cls(settings, document, index, embedder, chain)

    def warm(self) -> None:
        """Import and build what the first question needs but ``/health`` does not (LangChain's
        runnables, pypinyin, jieba's tagger: about 1 s); the server calls it once it is ready."""
        self.chain.warm()

    # ------------------------------------------------------------------ questions

    def _check_question(self, question: str, history: Sequence[Turn]) -> str:
        return check_conversation(self.settings, question, history)

    def ask(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        """Answer one question (with earlier turns for follow-ups) with verified citations."""
        question = self._check_question(question, history)
        return self.chain.invoke(question, list(history))

    def ask_stream(self, question: str, history: Sequence[Turn] = ()) -> Iterator[str | Answer]:
        """Yield the answer text in pieces, then the complete :class:`Answer` last."""
        question = self._check_question(question, history)
        yield from self.chain.stream(question, list(history))

    def match(self, profile: Profile, k: int = 20) -> PolicyReport:
        """The plan's clauses that apply to an enterprise, grouped by chapter (see :mod:`.policy`)."""
        if not 1 <= k <= MAX_K:
            raise InputError(f"k 必须在 1 到 {MAX_K} 之间。")
        text = " ".join([profile.industry, profile.city, *profile.traits, profile.description]).strip()
        check_text(text, "企业信息")
        if len(text) > 4 * self.settings.max_question_chars:
            raise InputError("企业信息过长，请精简描述。")
        self.matcher.check(profile)  # before the slow part
        return self.matcher.match(profile, None, k)  # the matcher reads meaning through the retriever

    # ------------------------------------------------------------------ reading

    def search(self, query: str, k: int = 5, mode: Mode | None = None) -> list[SearchResult]:
        query = check_text((query or "").strip(), "检索内容")
        if not query:
            raise InputError("检索内容不能为空。")
        if len(query) > self.settings.max_question_chars:
            raise InputError(f"检索内容过长，请控制在 {self.settings.max_question_chars} 字以内。")
        if not 1 <= k <= MAX_K:
            raise InputError(f"k 必须在 1 到 {MAX_K} 之间。")
        return [_result(h) for h in self.retriever.search(query, k=k, mode=mode)]

    def section(self, location_id: str) -> Location:
        loc = self.document.get(location_id)
        if loc is None or "#" in location_id:
            raise NotFoundError(
                f"没有位置 {location_id!r}。位置编号形如 ch14.s2（第十四章第二节）、ch2.s0（章引言）、box27（专栏27）或 preface。"
            )
        return loc

    def toc(self) -> list[dict[str, Any]]:
        """Chapters → sections → boxes, with location ids and titles."""
        out: list[dict[str, Any]] = [{"location": "preface", "title": "序言", "children": []}]
        for chapter in self.document.chapters:
            children = []
            for loc_id in chapter.locations:
                loc = self.document[loc_id]
                if loc.kind == "box":
                    continue
                children.append(
                    {
                        "location": loc.id,
                        "title": loc.heading if loc.kind == "section" else "本章引言",
                        "boxes": [
                            {"location": b.id, "title": b.heading} for b in self.document.boxes_of(loc.id)
                        ],
                    }
                )
            out.append({"location": f"ch{chapter.number}", "title": chapter.heading, "children": children})
        return out

    def health(self) -> dict[str, Any]:
        return {
            "status": "ok",
            "chunks": len(self.index.chunks),
            "embedder": self.embedder.id,
            "generator": self.chain.generator_name,
            "index_built_at": self.index.manifest.built_at,
        }


def _result(hit: Hit) -> SearchResult:
    return SearchResult(hit.location, hit.chunk.id, hit.chunk.title, hit.chunk.text, round(hit.score, 6))
