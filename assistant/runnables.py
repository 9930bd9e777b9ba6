"""LangChain's part of the answering chain: the retriever adapter and the timed stages.

:class:`~assistant.chain.AnswerChain` imports this module when it first runs, not when it is built:
importing LangChain takes about 0.5 s on 2 cores, which held up the server's start. The server
builds the runnables right after ``/health`` is up (:meth:`~assistant.chain.AnswerChain.warm`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda

from .retrieve import DENSE_WEIGHT

TOP_K = 8
S = TypeVar("S", bound=Any)


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


def timed(stage: str, fn: Callable[[S], S]) -> Runnable[S, S]:
    """A stage over the chain's state that records its milliseconds in ``state.timings_ms``."""

    def run(state: S) -> S:
        started = time.perf_counter()
        out = fn(state)
        out.timings_ms[stage] = round((time.perf_counter() - started) * 1000, 2)
        return out

    return RunnableLambda(run, name=stage)
