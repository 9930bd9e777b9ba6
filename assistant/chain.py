"""The answering chain (LangChain Runnables): condense → retrieve → generate → verify.

LangChain stays in this layer: the retriever adapter wraps our own :class:`Retriever`, and the
steps are ``RunnableLambda`` stages over one typed :class:`State`, each timed (:mod:`.runnables`,
imported when the chain first runs: LangChain's import would add about 0.5 s to the server's
start, so the server builds them just after it is up, :meth:`AnswerChain.warm`). The answering core
itself (:mod:`assistant.answering`: normalise, follow-ups, intent, composers, verification) never
imports LangChain, and neither do our own types (:class:`Answer`, :class:`Citation`). The LLM
client (:mod:`assistant.llm`: the chat model, openai) is imported only with RAG_GENERATOR=openai.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, NamedTuple

from .answering.compose import Context, combine, compose
from .answering.followup import Resolved, listed_box, own_words, resolve
from .answering.intent import Intent, Request, understand
from .answering.lexicon import plan_terms_for
from .answering.model import PlanModel, build_vocabulary
from .answering.normalize import normalize_question
from .answering.parts import asked_clause, leans_on_previous, names_only_its_subject, split_parts
from .answering.verify import check, unsupported_numbers
from .answers import Answer, Turn
from .citations import verify_citations
from .config import Settings
from .errors import GeneratorError
from .extractive import Dense, Draft, Extractor
from .parse import Document
from .policy import PolicyMatcher
from .query import classify_followup
from .retrieve import BROAD_DENSE_WEIGHT, Hit, Retriever
from .tokens import import_tagger

if TYPE_CHECKING:  # the LLM client (openai) is imported only with RAG_GENERATOR=openai
    from langchain_core.language_models import BaseChatModel
    from langchain_core.runnables import Runnable

    from .llm import LLMGenerator
    from .runnables import PlanRetriever

log = logging.getLogger(__name__)
# intents whose questions lean on meaning more than on the plan's wording
_BROAD = {Intent.ENTERPRISE, Intent.ABOUT, Intent.OVERVIEW, Intent.FACT, Intent.LIST, Intent.TARGETS}


@dataclass
class Part:
    """One thing the question asks: how it was read and what retrieval found for it."""

    request: Request
    hits: list[Hit] = field(default_factory=list)
    dense: Dense = field(default_factory=dict)
    label: str | None = None  # how the answer names this part (default: its question)
    optional: bool = False  # left out of the answer when it finds nothing


@dataclass
class State:
    """What the stages pass along; each stage fills its part."""

    question: str
    history: list[Turn]
    timings_ms: dict[str, float] = field(default_factory=dict)
    resolved: Resolved | None = None
    query: str = ""  # the standalone question
    parts: list[Part] = field(default_factory=list)
    draft: Draft | None = None
    notice: str | None = None
    answer: Answer | None = None

    @property
    def hits(self) -> list[Hit]:
        """Every part's hits, in order, each location once (what an LLM is shown)."""
        unique: dict[str, Hit] = {}
        for part in self.parts:
            for hit in part.hits:
                unique.setdefault(hit.chunk.id, hit)
        return list(unique.values())


class Runnables(NamedTuple):
    """The chain as LangChain runnables, and the retriever adapters its retrieve stage calls."""

    chain: Runnable[State, State]
    retriever: PlanRetriever
    # questions in everyday words lean on meaning more than on the plan's wording
    broad_retriever: PlanRetriever


class AnswerChain:
    def __init__(self, document: Document, retriever: Retriever, llm: LLMGenerator | None = None) -> None:
        self.document = document
        self.retriever = retriever
        self.extractor = Extractor(document)
        tokenizer = retriever.index.tokenizer
        self.model = PlanModel(document, self.extractor, tokenizer)
        self.vocabulary = build_vocabulary(document, tokenizer, retriever.index.vocabulary)
        self.matcher = PolicyMatcher(document, self.extractor, tokenizer, self.model, retriever)
        self.llm = llm
        self._runnables: Runnables | None = None
        self._building = threading.Lock()

    @property
    def runnables(self) -> Runnables:
        """The LangChain runnables, built on first use (importing LangChain takes about 0.5 s)."""
        return self._runnables or self._build_runnables()

    def _build_runnables(self) -> Runnables:
        with self._building:  # once, even when the first questions arrive together
            if self._runnables is None:
                from .runnables import PlanRetriever, timed

                self._runnables = Runnables(
                    timed("condense", self._condense)
                    | timed("retrieve", self._retrieve)
                    | timed("generate", self._generate)
                    | timed("verify", self._verify),
                    PlanRetriever(retriever=self.retriever),
                    PlanRetriever(retriever=self.retriever, dense_weight=BROAD_DENSE_WEIGHT),
                )
            return self._runnables

    def warm(self) -> None:
        """Do now what the first question would otherwise wait for: import LangChain and build the
        runnables, import pypinyin (typo correction) and jieba's part-of-speech tagger. The server
        calls it once ``/health`` is up, so none of it delays the start (answers are the same)."""
        self._build_runnables()
        normalize_question("森林复盖率", self.vocabulary)
        import_tagger()
        self.model.specificity(self.model.sentences[0])  # the plan's word counts (0.25 s)

    @property
    def generator_name(self) -> str:
        return "openai" if self.llm else "extractive"

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        document: Document,
        retriever: Retriever,
        chat_model: BaseChatModel | None = None,
    ) -> AnswerChain:
        llm = None
        if settings.generator == "openai" or chat_model is not None:
            from .llm import LLMGenerator, load_prompts, make_chat_model

            if chat_model is None:
                if not settings.llm_base_url:
                    raise GeneratorError(
                        "RAG_GENERATOR=openai 需要设置 RAG_LLM_BASE_URL（OpenAI 兼容接口地址）。"
                    )
                chat_model = make_chat_model(
                    settings.llm_base_url,
                    settings.llm_model,
                    settings.llm_api_key.get_secret_value(),
                    settings.llm_timeout,
                )
            llm = LLMGenerator(chat_model, load_prompts(settings.prompts_dir))
        return cls(document, retriever, llm)

    # ------------------------------------------------------------------ stages

    def _condense(self, state: State) -> State:
        history = self._resolved_history(state.history)
        question = normalize_question(listed_box(state.question, history), self.vocabulary)
        resolved = resolve(
            question,
            history,
            self.document,
            self.model.items,
            self.model.subject_of,
            self.model.named_subject,
        )
        query = resolved.query
        if resolved.is_followup and self.llm is not None:
            try:
                query = self.llm.condense(state.question, state.history) or query
            except GeneratorError as exc:
                log.warning("condense fell back to the offline rewrite: %s", exc)
        texts = split_parts(query) if not resolved.core else [query]
        requests: list[Request] = []
        kinds = ("figure", "when", "where", "list", "fact")
        for n, text in enumerate(texts):
            if n and names_only_its_subject(text):
                # "…分别要达到多少？大学科技园呢？": a part that names only its subject re-asks the
                # part before about it, as a follow-up in a conversation does
                part = resolve(
                    text,
                    [Turn("user", texts[n - 1])],
                    self.document,
                    self.model.items,
                    self.model.subject_of,
                    self.model.named_subject,
                )
                if part.core:
                    q = classify_followup(part.core, part.frame, self.document, self.model.tokenizer)
                    request = understand(part.query, self.model)
                    requests.append(
                        replace(request, q=q, intent=Intent(q.kind) if q.kind in kinds else request.intent)
                    )
                    continue
                text = part.query
            request = understand(text, self.model)
            previous = requests[-1] if requests else None
            if (
                previous is not None
                and not request.q.refs
                and (
                    not request.q.terms
                    or (previous.entities and not request.entities)
                    or leans_on_previous(self.model.tokenizer.tagged(text))
                )
            ):
                # "…分别是多少？2024年基数是多少？", "X集群营收多少？重点发展哪些产品？": a part
                # without a subject of its own is about the one before
                subject = self.model.subject_of(previous.text)
                request = understand(subject + text, self.model) if subject else request
            requests.append(request)
        if resolved.core and query == resolved.query:
            # the follow-up's own words decide its subject; the previous question lends the rest
            q = classify_followup(resolved.core, resolved.frame, self.document, self.model.tokenizer)
            intent = Intent(q.kind) if q.kind in kinds else requests[0].intent
            requests = [replace(requests[0], q=q, intent=intent)]
        state.resolved, state.query = resolved, query
        state.parts = [p for r in requests for p in self._enterprise_parts(r)]
        return state

    def _enterprise_parts(self, request: Request) -> list[Part]:
        """A company describing itself and then asking something ("…打算去东南亚设厂。规划里有哪些
        帮企业出海的服务？"): the thing asked is answered on its own first, then what applies to the
        company; the first is left out when the plan has nothing on it."""
        if request.intent is not Intent.ENTERPRISE:
            return [Part(request)]
        asked = asked_clause(request.text)
        if asked is None:
            return [Part(request)]
        sub = understand(asked, self.model)
        if sub.intent in (Intent.ENTERPRISE, Intent.MISSING_PLACE, Intent.STRUCTURE) or not sub.q.terms:
            return [Part(request)]
        return [Part(sub, optional=True), Part(request, label="结合您的企业情况")]

    def _resolved_history(self, history: list[Turn]) -> list[Turn]:
        """The conversation with each earlier question made standalone, in order, so that a
        follow-up of a follow-up ("大连呢？" then "那锦州呢？") leans on what was really asked."""
        out: list[Turn] = []
        for turn in history:
            content = normalize_question(turn.content, self.vocabulary if turn.role == "user" else None)
            if turn.role == "user" and out:
                content = resolve(
                    content,
                    out,
                    self.document,
                    self.model.items,
                    self.model.subject_of,
                    self.model.named_subject,
                ).query
            out.append(Turn(turn.role, content))
        return out

    def _retrieve(self, state: State) -> State:
        for part in state.parts:
            request = part.request
            query = _expanded(request.text)
            broad = request.intent in _BROAD and not request.q.unit and not request.q.refs
            retriever = self.runnables.broad_retriever if broad else self.runnables.retriever
            part.hits = [d.metadata["hit"] for d in retriever.invoke(query)]
            part.dense = self.retriever.paragraph_scores(query)
        return state

    def _offline(self, state: State) -> Draft:
        assert state.resolved is not None
        focus, item = state.resolved.focus, state.resolved.item
        drafts = [
            compose(p.request, Context(self.model, tuple(p.hits), p.dense, focus), self.matcher, item)
            for p in state.parts
        ]
        kept = [(p, d) for p, d in zip(state.parts, drafts, strict=True) if not (p.optional and d.abstained)]
        if len(kept) == 1:
            return kept[0][1]
        # each part is verified on its own, so one unverifiable part does not withhold the others
        return combine(
            [p.label or own_words(p.request.text) for p, _ in kept],  # the borrowed frame not shown
            [check(d, self.document) for _, d in kept],
        )

    def _generate(self, state: State) -> State:
        if self.llm is None:
            state.draft = self._offline(state)
            return state
        try:
            state.draft = self._llm_draft(state)
        except GeneratorError as exc:
            state.notice = f"{exc} 以下为离线摘录答案。"
            state.draft = self._offline(state)
        return state

    def _llm_draft(self, state: State) -> Draft:
        assert self.llm is not None
        return self._checked(state, self.llm.generate(state.query, state.hits))

    def _checked(self, state: State, text: str) -> Draft:
        """The LLM's answer, if its quotes and figures check out against the plan; the offline draft
        is computed only when the LLM refuses."""
        from .llm import parse_markers

        cleaned, citations, refused = parse_markers(text, state.hits)
        if refused:
            offline = self._offline(state)
            return Draft(offline.kind, True, cleaned, offline.citations if offline.abstained else ())
        verified = verify_citations(citations, self.document)
        if not verified or unsupported_numbers(cleaned, verified):
            raise GeneratorError("大模型的回答无法与规划原文核对（缺少有效引用或数字与原文不符）。")
        return Draft("llm", False, cleaned, verified)

    def _verify(self, state: State) -> State:
        assert state.draft is not None
        draft = check(state.draft, self.document)
        state.answer = Answer(
            text=draft.text,
            citations=draft.citations,
            abstained=draft.abstained,
            query=state.query,
            kind="abstain" if draft.abstained and draft.kind == "open" else draft.kind,
            timings_ms=state.timings_ms,
            notice=state.notice,
        )
        return state

    # ------------------------------------------------------------------ entry points

    def invoke(self, question: str, history: list[Turn]) -> Answer:
        started = time.perf_counter()
        state = self.runnables.chain.invoke(State(question, history))
        answer = state.answer
        assert answer is not None
        answer.timings_ms["total"] = round((time.perf_counter() - started) * 1000, 2)
        return answer

    def stream(self, question: str, history: list[Turn]) -> Iterator[str | Answer]:
        """Yield text pieces, then the verified :class:`Answer`, which is authoritative.

        Offline the answer is composed whole in milliseconds: it is yielded at once, in one piece.
        With an LLM the reply's text is yielded as it arrives (the UI shows it as a draft being
        written), then checked like any LLM answer; the final Answer replaces the draft, and an
        answer that fails the check is replaced by the offline one with a notice.
        """
        if self.llm is None:
            answer = self.invoke(question, history)
            yield answer.text
            yield answer
            return
        from .runnables import timed

        started = time.perf_counter()
        state = timed("condense", self._condense).invoke(State(question, history))
        state = timed("retrieve", self._retrieve).invoke(state)
        generating = time.perf_counter()
        pieces: list[str] = []
        try:
            for piece in self.llm.stream(state.query, state.hits):
                pieces.append(piece)
                yield piece
            state.draft = self._checked(state, "".join(pieces))
        except GeneratorError as exc:
            state.notice = f"{exc} 以下为离线摘录答案。"
            state.draft = self._offline(state)
        state.timings_ms["generate"] = round((time.perf_counter() - generating) * 1000, 2)
        state = timed("verify", self._verify).invoke(state)
        final = state.answer
        assert final is not None
        final.timings_ms["total"] = round((time.perf_counter() - started) * 1000, 2)
        yield final


def _expanded(query: str) -> str:
    """The searched text: the question, plus the plan's terms for its everyday words and departments."""
    extra = plan_terms_for(query)
    return f"{query} {' '.join(extra)}" if extra else query
