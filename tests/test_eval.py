"""The evaluation: question-set sanity, scoring helpers, and an offline regression run of the whole set."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from assistant.answers import Answer, Citation, Turn
from assistant.config import Settings
from assistant.evaluate import (
    DEFAULT_SET,
    HttpBackend,
    ItemResult,
    Question,
    Report,
    answer_metrics,
    check_questions,
    evaluate,
    first_gold_rank,
    keys_satisfied,
    load_questions,
    retrieval_metrics,
    write_outputs,
)
from assistant.facade import Assistant
from assistant.parse import Document, parse_file

# Floors for the offline regression run, set about 3 points below the figures measured on the full
# set (203 questions; extractive generator, the answering core of issue 10 over the fused channels
# of issue 11; 2026-12-01).
# Raise them when the assistant improves; never lower them to make a change pass.
MIN_ANSWER_ACCURACY = 0.92  # measured 0.949 (166/175 answerable)
MIN_RECALL_AT_5_RRF = 0.96  # measured 0.994 (174/175 answerable; fused channels), 0.977 with the old rrf
MIN_ABSTENTION_ACCURACY = 0.96  # measured 1.0 (28/28 unanswerable)
MAX_FALSE_ABSTENTION = 0.04  # measured 0.006 (1/175 answerable)
QUOTE_VERIFICATION = 1.0  # every quote must occur in its cited location: no tolerance


@pytest.fixture(scope="module")
def plan() -> Document:
    """The parsed plan alone: checking the question set needs no index."""
    return parse_file(Settings().corpus_path)


@pytest.fixture(scope="module")
def questions() -> list[Question]:
    return load_questions(DEFAULT_SET)


@pytest.fixture(scope="module")
def report(assistant: Assistant, questions: list[Question]) -> Report:
    return evaluate(assistant, questions)


# --------------------------------------------------------------------------- the question set


def test_question_set_is_sound(questions: list[Question], plan: Document) -> None:
    assert len(questions) >= 200
    assert check_questions(questions, plan) == []


def test_check_questions_reports_each_kind_of_problem(plan: Document) -> None:
    good = Question("q1", "figure", "清洁能源装机占比？", (), ("ch14.s2",), (("70 %",),))
    bad = [
        good,
        Question("q1", "figure", "重复的编号", (), ("ch14.s2",), (("70%",),)),
        Question("q2", "trivia", "未知类型", (), ("ch14.s2",), (("70%",),)),
        Question("q3", "fact", "不存在的位置", (), ("ch99.s9",), (("70%",),)),
        Question("q4", "fact", "键不在原文", (), ("ch14.s2",), (("九十九万亿",),)),
        Question("q5", "fact", "没有键", (), ("ch14.s2",), ()),
    ]
    problems = "\n".join(check_questions(bad, plan))
    assert check_questions([good], plan) == []
    for needle in (
        "q1: duplicate id",
        "q2: unknown type",
        "q3: unknown gold",
        "q4: no key",
        "q5: an answerable",
    ):
        assert needle in problems


def test_box1_keys_may_come_from_the_indicator_rows(plan: Document) -> None:
    q = Question("i", "indicator", "森林覆盖率属性？", (), ("box1",), (("森林覆盖率",), ("约束性",)))
    assert check_questions([q], plan) == []


def test_load_questions_names_a_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    row = {"id": "a", "type": "fact", "question": "问", "history": [], "gold": [], "keys": [], "note": ""}
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n\n{not json\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"set\.jsonl:3"):
        load_questions(path)


# --------------------------------------------------------------------------- scoring helpers


def test_keys_ignore_whitespace_and_need_every_group() -> None:
    assert keys_satisfied("到 2030 年达到 4500 亿元", [["4500亿元"]])
    assert keys_satisfied("分别达到92%、76%", [["92%"], ["76%", "七十六"]])
    assert not keys_satisfied("达到92%", [["92%"], ["76%"]])


def test_first_gold_rank() -> None:
    assert first_gold_rank(["ch1.s1", "box3", "ch2.s1"], ["ch2.s1", "box3"]) == 2
    assert first_gold_rank(["ch1.s1"], ["box3"]) is None


def _item(kind: str, keys_ok: bool | None, abstained: bool, cited: list[str], gold: list[str]) -> ItemResult:
    return ItemResult(
        id="x",
        type=kind,
        question="?",
        gold=gold,
        keys=[],
        answer="",
        abstained=abstained,
        query="?",
        cited=cited,
        quotes_ok=[True] * len(cited),
        keys_ok=keys_ok,
        ranks={},
        timings_ms={},
        wall_ms=1.0,
    )


def test_answer_metrics() -> None:
    items = [
        _item("figure", True, False, ["box3", "ch1.s1"], ["box3"]),
        _item("figure", False, True, [], ["box3"]),  # an abstention on an answerable item is wrong
        _item("unanswerable", None, True, [], []),
        _item("unanswerable", None, False, ["ch2.s1"], []),
    ]
    m = answer_metrics(items)
    assert m["answer_accuracy"] == 0.5
    assert m["citation_hit"] == 0.5
    assert m["citation_precision"] == 0.5
    assert m["abstention_accuracy"] == 0.5
    assert m["false_abstention"] == 0.5
    assert m["quote_verification"] == 1.0


def test_retrieval_metrics() -> None:
    items = [_item("fact", True, False, [], ["a"]) for _ in range(4)]
    for item, rank in zip(items, (1, 3, 7, None), strict=True):
        item.ranks = {"rrf": rank}
    m = retrieval_metrics(items, "rrf")
    assert (m["recall@1"], m["recall@5"]) == (0.25, 0.5)
    assert m["mrr@10"] == round((1 + 1 / 3 + 1 / 7) / 4, 4)


def test_http_backend_reads_the_api_contract() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/ask":
            body = json.loads(request.content)
            assert body["history"] == [{"role": "user", "content": "上一问"}]
            return httpx.Response(
                200,
                json={
                    "answer": "到2030年达到70%。",
                    "abstained": False,
                    "query": "清洁能源装机占比",
                    "citations": [{"location": "ch14.s2", "title": "t", "quote": "达到70%"}],
                    "timings_ms": {"total": 12.5},
                },
            )
        if request.url.path == "/api/search":
            rows = [
                {"location": loc, "chunk_id": f"{loc}#1", "title": "", "text": "", "score": 1.0}
                for loc in ("ch14.s2", "ch14.s2", "box27")
            ]
            return httpx.Response(200, json={"results": rows})
        if request.url.path == "/api/sections/ch14.s2":
            return httpx.Response(
                200, json={"location": "ch14.s2", "title": "", "text": "达到 70%", "boxes": []}
            )
        return httpx.Response(404, json={"detail": "no"})

    client = httpx.Client(base_url="http://test", transport=httpx.MockTransport(handler))
    backend = HttpBackend("http://test", client=client)
    answer = backend.ask("那呢？", (Turn("user", "上一问"),))
    assert answer == Answer(
        "到2030年达到70%。",
        (Citation("ch14.s2", "t", "达到70%"),),
        False,
        "清洁能源装机占比",
        timings_ms={"total": 12.5},
    )
    assert backend.locations("清洁能源", 5, "server") == ["ch14.s2", "box27"]
    assert backend.location_text("ch14.s2") == "达到 70%"
    assert backend.location_text("ch99.s1") is None


# --------------------------------------------------------------------------- offline regression run


def test_regression_answer_accuracy(report: Report) -> None:
    assert report.overall["answer_accuracy"] >= MIN_ANSWER_ACCURACY, report.overall


def test_regression_recall_at_5(report: Report) -> None:
    assert report.retrieval["fused"]["overall"]["recall@5"] >= MIN_RECALL_AT_5_RRF


def test_regression_abstention(report: Report) -> None:
    assert report.overall["abstention_accuracy"] >= MIN_ABSTENTION_ACCURACY, report.overall
    assert report.overall["false_abstention"] <= MAX_FALSE_ABSTENTION, report.overall


def test_regression_every_quote_verifies(report: Report) -> None:
    bad = [r.id for r in report.items if not all(r.quotes_ok)]
    assert report.overall["quote_verification"] == QUOTE_VERIFICATION, bad


def test_regression_no_errors(report: Report) -> None:
    assert [r.id for r in report.items if r.error] == []


def test_reports_are_written(report: Report, tmp_path: Path) -> None:
    paths = write_outputs(report, tmp_path)
    assert [p.name for p in paths] == ["latest.json", "latest.md", "latest.png"]
    data = json.loads(paths[0].read_text(encoding="utf-8"))
    assert set(data["retrieval"]) == {"bm25", "title", "use", "use.sent", "dense", "fused"}
    markdown = paths[1].read_text(encoding="utf-8")
    assert "| type | n | answer acc" in markdown and "bm25 R@5" in markdown
    assert paths[2].stat().st_size > 10_000


def test_retrieval_is_measured_on_what_the_assistant_searched(assistant) -> None:  # type: ignore[no-untyped-def]
    """Not the raw words: "規劃最後一章的最後一節" is searched as the section it names."""
    from assistant.evaluate import Question, _retrieval_query

    q = Question("t", "structure", "規劃最後一章的最後一節講什麼", (), ("ch20.s6",), (("监测",),))
    answer = assistant.ask(q.question)
    query = _retrieval_query(q, answer)
    assert query.startswith("第二十章第六节") and "最後" not in query
