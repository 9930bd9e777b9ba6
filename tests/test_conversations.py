"""A conversation fuzzer built from the plan's own structure (issue 13).

Generic fuzzers (hypothesis, schemathesis) send random bytes and found no 500s; realistic
conversations did. Every chapter, section and 专栏, named by number or by title, is crossed with the
deictic and ordinal phrases people use for follow-ups (这一章, 其中, 第三项, 下一章, 那2030年呢…) and
with histories of 0–20 turns: none, user-only, assistant-only, a question and its answer, the
longest turns the limits allow, and full 20-message histories. Each conversation goes through
``/api/ask``, ``/v1/chat/completions`` or its streamed form, and must get no 5xx and no exception text.

The default suite tries a seeded sample (bounded in time); ``-m slow`` tries many more. The
follow-up crash this fuzzer found (``int_to_cn(0)``, a relative place after a chapter question) is
fixed in the answering core (issue 10); any server error now fails the test.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.api import create_api
from assistant.config import Settings
from assistant.facade import Assistant
from assistant.normalize import int_to_cn

SEED = 13
DEFAULT_SAMPLE = 42  # 6 per history shape
SLOW_SAMPLE = 1500
LEAKS = ("Traceback", 'File "', "Error:", "out of range", "int_to_cn", "Exception", "assistant/")

FOLLOW_UPS = (
    "这一章还讲了什么？",
    "这一节讲了什么？",
    "这个专栏有哪些内容？",
    "该专栏列了哪些项目？",
    "其中第三项是什么？",
    "其中有哪些指标？",
    "它的目标是什么？",
    "上述内容的重点是什么？",
    "这部分讲了什么？",
    "表里有哪些项目？",
    "下一章呢？",
    "上一节呢？",
    "下一个专栏呢？",
    "第三项是什么？",
    "第一项呢？",
    "那2030年呢？",
    "那呢？",
    "还有吗？",
    "这一章第二节呢？",
    "它在哪一章？",
)


@dataclass(frozen=True)
class Place:
    """One location as people name it: by number and by title."""

    id: str
    names: tuple[str, ...]
    text: str


def places(assistant: Assistant) -> list[Place]:
    doc = assistant.document
    out = []
    for chapter in doc.chapters:
        n = int_to_cn(chapter.number)
        first = doc.get(f"ch{chapter.number}.s0") or doc[chapter.locations[0]]
        out.append(Place(f"ch{chapter.number}", (f"第{n}章", chapter.heading), first.text))
        for loc_id in chapter.locations:
            loc = doc[loc_id]
            if loc.kind == "section":
                name = f"第{n}章第{int_to_cn(loc.number)}节"
                out.append(Place(loc.id, (name, loc.heading, f"{name}「{loc.heading}」"), loc.text))
            elif loc.kind == "box":
                out.append(Place(loc.id, (f"专栏{loc.number}", loc.heading), loc.text))
    return out


def _anchor(place: Place, rng: random.Random) -> str:
    name = rng.choice(place.names)
    return rng.choice((f"{name}讲了什么？", f"{name}有哪些内容？", f"介绍一下{name}", name))


def conversations(
    assistant: Assistant, n: int, seed: int = SEED
) -> Iterator[tuple[str, str, list[dict[str, str]]]]:
    """``n`` (shape, question, history) triples, reproducible from ``seed``."""
    settings = assistant.settings
    rng = random.Random(seed)
    all_places = places(assistant)
    shapes = ("none", "user", "pair", "assistant-only", "user-only-many", "long", "twenty")
    for i in range(n):
        place, shape = rng.choice(all_places), shapes[i % len(shapes)]
        question = rng.choice(FOLLOW_UPS)
        anchor = _anchor(place, rng)
        reply = f"根据{place.names[0]}：{place.text[:300]}"
        history: list[dict[str, str]]
        if shape == "none":
            history, question = [], rng.choice((question, anchor + question))
        elif shape == "user":
            history = [{"role": "user", "content": anchor}]
        elif shape == "pair":
            history = [{"role": "user", "content": anchor}, {"role": "assistant", "content": reply}]
        elif shape == "assistant-only":
            history = [{"role": "assistant", "content": reply}]
        elif shape == "user-only-many":
            count = rng.randint(2, settings.max_history_turns)
            history = [
                {"role": "user", "content": _anchor(rng.choice(all_places), rng)} for _ in range(count - 1)
            ]
            history.append({"role": "user", "content": anchor})
        elif shape == "long":
            long_user = (anchor + place.text * 3)[: settings.max_question_chars]
            long_reply = (reply + place.text * 20)[: settings.max_message_chars]
            history = [{"role": "user", "content": long_user}, {"role": "assistant", "content": long_reply}]
        else:  # twenty: a full history, the named place last
            history = []
            for _ in range(settings.max_history_turns // 2 - 1):
                other = rng.choice(all_places)
                history += [
                    {"role": "user", "content": _anchor(other, rng)},
                    {"role": "assistant", "content": f"根据{other.names[0]}：{other.text[:120]}"},
                ]
            history += [{"role": "user", "content": anchor}, {"role": "assistant", "content": reply}]
        yield shape, question, history


# --------------------------------------------------------------------------- running one conversation


def _check_text(text: str) -> str | None:
    leaked = [w for w in LEAKS if w in text]
    return f"leaked {leaked}" if leaked else None


def _run(client: TestClient, path: str, question: str, history: list[dict[str, str]]) -> str | None:
    """None if fine, else what went wrong. A known core crash raises (the test client re-raises it)."""
    if path == "ask":
        r = client.post("/api/ask", json={"question": question, "history": history})
        if r.status_code >= 500:
            return f"HTTP {r.status_code}: {r.text[:200]}"
        if r.status_code == 200 and not r.json()["answer"].strip():
            return "empty answer"
        return _check_text(r.text)
    messages = [*history, {"role": "user", "content": question}]
    body: dict[str, Any] = {"messages": messages, "stream": path == "stream"}
    if path == "v1":
        r = client.post("/v1/chat/completions", json=body)
        if r.status_code >= 500:
            return f"HTTP {r.status_code}: {r.text[:200]}"
        if r.status_code == 200 and not r.json()["choices"][0]["message"]["content"].strip():
            return "empty answer"
        return _check_text(r.text)
    body["stream_options"] = {"include_usage": True}
    with client.stream("POST", "/v1/chat/completions", json=body) as r:
        if r.status_code != 200:
            r.read()
            return f"HTTP {r.status_code}: {r.text[:200]}" if r.status_code >= 500 else _check_text(r.text)
        lines = [line for line in r.iter_lines() if line.startswith("data: ")]
    if not lines or lines[-1] != "data: [DONE]":
        return "stream did not end with [DONE]"
    for line in lines[:-1]:
        event = json.loads(line[6:])
        if "error" in event and event["error"].get("code", 500) >= 500:
            return f"error event {event['error']}"
    return _check_text("\n".join(lines))


def _fuzz(assistant: Assistant, tmp_path: Any, n: int) -> None:
    # the test client re-raises server exceptions after the 500 response: that is how a crash is seen
    client = TestClient(create_api(Settings(data_dir=tmp_path), assistant), raise_server_exceptions=True)
    paths = ("ask", "v1", "stream")
    failures: list[str] = []
    tried = 0
    for i, (shape, question, history) in enumerate(conversations(assistant, n)):
        path = paths[i % len(paths)]
        tried += 1
        try:
            problem = _run(client, path, question, history)
        except Exception as exc:
            problem = f"{type(exc).__name__}: {exc}"
        if problem:
            last = history[-1]["content"][:40] if history else ""
            failures.append(
                f"[{path}/{shape}] {question!r} after {len(history)} turns (…{last!r}): {problem}"
            )
    summary = f"{tried} conversations"
    print(summary)
    assert not failures, f"{summary}\n" + "\n".join(failures[:20])


def test_conversations_from_the_plan_structure(assistant: Assistant, tmp_path: Any) -> None:
    _fuzz(assistant, tmp_path, DEFAULT_SAMPLE)


@pytest.mark.slow
def test_conversations_from_the_plan_structure_long_run(assistant: Assistant, tmp_path: Any) -> None:
    _fuzz(assistant, tmp_path, SLOW_SAMPLE)


def test_the_generator_covers_every_place_and_shape(assistant: Assistant) -> None:
    every = places(assistant)
    assert len(every) == 20 + 82 + 39  # chapters, sections, boxes
    shapes = Counter(shape for shape, _, _ in conversations(assistant, 70))
    assert len(shapes) == 7 and min(shapes.values()) == 10
    settings = assistant.settings
    for _, question, history in conversations(assistant, 140, seed=1):
        assert len(history) <= settings.max_history_turns and len(question) <= settings.max_question_chars
        for turn in history:
            limit = settings.max_question_chars if turn["role"] == "user" else settings.max_message_chars
            assert len(turn["content"]) <= limit
