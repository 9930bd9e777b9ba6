"""The answering chain (LangChain Runnables): condense → retrieve → generate → verify.

LangChain stays in this layer: the retriever adapter wraps our own :class:`Retriever`, and the
steps are ``RunnableLambda`` stages over a plain state dict, each timed. Our own types
(:class:`Answer`, :class:`Citation`) never import LangChain.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.language_models import BaseChatModel
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda

from .answers import Answer, Turn
from .citations import unsupported_numbers, verify_citations
from .config import Settings
from .errors import GeneratorError
from .extractive import Draft, Extractor
from .followup import resolve
from .llm import LLMGenerator, load_prompts, make_chat_model, parse_markers
from .parse import Document
from .query import classify, classify_followup
from .retrieve import DENSE_WEIGHT, Hit, Retriever
from .tokens import Tokenizer

log = logging.getLogger(__name__)
TOP_K = 8
State = dict[str, Any]


class PlanRetriever(BaseRetriever):
    """LangChain adapter over our hybrid retriever; each document carries its :class:`Hit`."""

    retriever: Any
    k: int = TOP_K
    dense_weight: float = DENSE_WEIGHT

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[LCDocument]:
        return [
            LCDocument(
                page_content=h.chunk.text,
                metadata={"location": h.location, "chunk_id": h.chunk.id, "title": h.chunk.title, "hit": h},
            )
            for h in self.retriever.search_locations(query, k=self.k, dense_weight=self.dense_weight)
        ]


def _timed(stage: str, fn: Callable[[State], State]) -> Runnable[State, State]:
    def run(state: State) -> State:
        started = time.perf_counter()
        out = fn(state)
        out["timings_ms"][stage] = round((time.perf_counter() - started) * 1000, 2)
        return out

    return RunnableLambda(run, name=stage)


class AnswerChain:
    def __init__(self, document: Document, retriever: Retriever, llm: LLMGenerator | None = None) -> None:
        self.document = document
        self.retriever = retriever
        self.lc_retriever = PlanRetriever(retriever=retriever)
        # Questions in everyday words lean on meaning more than on the plan's wording.
        self.lc_broad_retriever = PlanRetriever(retriever=retriever, dense_weight=1.0)
        self.extractor = Extractor(document)
        self.llm = llm
        self.chain: Runnable[State, State] = (
            _timed("condense", self._condense)
            | _timed("retrieve", self._retrieve)
            | _timed("generate", self._generate)
            | _timed("verify", self._verify)
        )

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
        resolved = resolve(state["question"], state["history"], self.document)
        query = resolved.query
        if resolved.is_followup and self.llm is not None:
            try:
                query = self.llm.condense(state["question"], state["history"]) or query
            except GeneratorError as exc:
                log.warning("condense fell back to the offline rewrite: %s", exc)
        tokenizer = self.extractor_tokenizer
        if resolved.core and query == resolved.query:
            q = classify_followup(resolved.core, resolved.frame, self.document, tokenizer)
        else:
            q = classify(query, self.document, tokenizer)
        state.update(query=query, focus=resolved.focus, q=q)
        return state

    @property
    def extractor_tokenizer(self) -> Tokenizer:
        return self.retriever.index.tokenizer

    def _retrieve(self, state: State) -> State:
        q = state["q"]
        broad = q.kind == "enterprise" or (q.kind in ("fact", "list") and not q.unit and not q.refs)
        docs = (self.lc_broad_retriever if broad else self.lc_retriever).invoke(state["query"])
        state["hits"] = [d.metadata["hit"] for d in docs]
        return state

    def _generate(self, state: State) -> State:
        q, hits = state["q"], state["hits"]
        draft = self.extractor.answer(
            q, hits, state["focus"], self.retriever.paragraph_scores(state["query"])
        )
        state["draft"], state["notice"] = draft, None
        if self.llm is not None:
            try:
                state["draft"] = self._llm_draft(state["query"], hits, draft)
            except GeneratorError as exc:
                state["notice"] = f"{exc} 以下为离线摘录答案。"
        return state

    def _llm_draft(self, query: str, hits: list[Hit], fallback: Draft) -> Draft:
        assert self.llm is not None
        text = self.llm.generate(query, hits)
        cleaned, citations, refused = parse_markers(text, hits)
        if refused:
            return Draft(fallback.kind, True, cleaned, fallback.citations if fallback.abstained else ())
        verified = verify_citations(citations, self.document)
        if not verified or unsupported_numbers(cleaned, verified):
            raise GeneratorError("大模型的回答无法与规划原文核对（缺少有效引用或数字与原文不符）。")
        return Draft(fallback.kind, False, cleaned, verified)

    def _verify(self, state: State) -> State:
        draft: Draft = state["draft"]
        citations = verify_citations(draft.citations, self.document)
        abstained = draft.abstained
        text = draft.text
        if not abstained and (not citations or unsupported_numbers(text, citations)):
            # never show a figure the quotes do not carry
            log.warning("answer dropped: unverifiable against its quotes: %s", text[:80])
            abstained, text = True, "规划纲要中没有找到能够核实的答案。"
        state["answer"] = Answer(
            text=text,
            citations=citations,
            abstained=abstained,
            query=state["query"],
            kind=draft.kind,
            timings_ms=state["timings_ms"],
            notice=state.get("notice"),
        )
        return state

    # ------------------------------------------------------------------ entry points

    def _state(self, question: str, history: list[Turn]) -> State:
        return {"question": question, "history": history, "timings_ms": {}}

    def invoke(self, question: str, history: list[Turn]) -> Answer:
        started = time.perf_counter()
        state = self.chain.invoke(self._state(question, history))
        answer: Answer = state["answer"]
        answer.timings_ms["total"] = round((time.perf_counter() - started) * 1000, 2)
        return answer

    def stream(self, question: str, history: list[Turn]) -> Iterator[str | Answer]:
        """Yield text pieces, then the verified :class:`Answer`.

        The answer is verified before anything is shown (an LLM's unverified tokens never reach
        the user), then streamed in short pieces; the final Answer is authoritative.
        """
        answer = self.invoke(question, history)
        for i in range(0, len(answer.text), 12):
            yield answer.text[i : i + 12]
        yield answer
