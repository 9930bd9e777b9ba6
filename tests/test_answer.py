"""Offline answers on the real index: the right figure, the right place, the abstention made."""

from __future__ import annotations

import pytest

from assistant.answers import Answer, Turn
from assistant.errors import InputError
from assistant.facade import Assistant
from assistant.normalize import contains, strip_ws


def _check_quotes(assistant: Assistant, answer: Answer) -> None:
    for c in answer.citations:
        assert contains(assistant.document[c.location].text, c.quote), c
        assert c.title == assistant.document[c.location].path


def test_clean_energy_share(assistant: Assistant) -> None:
    a = assistant.ask("到2030年清洁能源装机占比达到多少？")
    assert not a.abstained and "70%" in strip_ws(a.text)
    assert a.citations[0].location == "ch14.s2"
    assert "第十四章第二节「推动能源绿色低碳转型」" in a.text
    _check_quotes(assistant, a)
    assert set(a.timings_ms) >= {"condense", "retrieve", "generate", "verify", "total"}


@pytest.mark.parametrize(
    ("question", "figure", "location"),
    [
        ("到2030年数字化研发设计工具普及率、关键工序数控化率分别达到多少？", "92%", "ch2.s1"),
        ("规划要打造多少个重点产业集群？", "22", "ch2.s1"),
        ("到2030年，“专精特新”企业要达到多少家？", "4500家", "box8"),
        ("到2030年累计建成高标准农田多少万亩？", "5990万亩", "box22"),
    ],
)
def test_figures_are_quoted_with_their_location(
    assistant: Assistant, question: str, figure: str, location: str
) -> None:
    a = assistant.ask(question)
    assert not a.abstained, a.text
    assert figure in strip_ws(a.text)
    assert location in a.cited_locations
    assert any(figure in strip_ws(c.quote) for c in a.citations)  # the figure is in a verified quote
    _check_quotes(assistant, a)


def test_list_of_world_level_clusters(assistant: Assistant) -> None:
    a = assistant.ask("22个重点产业集群中，世界级产业集群有哪些？")
    assert a.cited_locations[0] == "box2"
    for name in (
        "绿色石化及精细化工产业集群",
        "航空航天装备产业集群",
        "船舶与海工装备产业集群",
        "机器人及智能制造产业集群",
    ):
        assert name in a.text


def test_where_question_names_the_section(assistant: Assistant) -> None:
    a = assistant.ask("规划哪一节专门讲县域经济？")
    assert a.kind == "where" and "第十一章第三节「提升县域经济竞争力」" in a.text
    assert a.cited_locations[0] == "ch11.s3"


def test_direct_reference_reads_that_location(assistant: Assistant) -> None:
    a = assistant.ask("第十四章第三节讲了什么？")
    assert a.cited_locations == ("ch14.s3",)
    for lead in ("做强核能产业", "做优风电光伏产业", "做大储能产业", "做实绿氢产业"):
        assert lead in a.text


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("森林覆盖率2030年目标是多少？", ["35.7", "约束性"]),
        ("非化石能源占能源消费总量比重指标是约束性还是预期性？", ["约束性"]),
        ("人均预期寿命2030年目标是多少？", ["81", "2024年数据"]),
        ("3岁以下婴幼儿入托率要提高多少？", ["[5.5]", "5年累计数"]),
    ],
)
def test_indicator_table_answers(assistant: Assistant, question: str, expected: list[str]) -> None:
    a = assistant.ask(question)
    assert not a.abstained and a.kind == "indicator"
    assert a.cited_locations == ("box1",)
    for e in expected:
        assert e in a.text
    _check_quotes(assistant, a)


def test_indicator_without_a_figure_abstains(assistant: Assistant) -> None:
    a = assistant.ask("地级及以上城市细颗粒物浓度到2030年要降到多少？")
    assert a.abstained and "完成经国家审核衔接后确定的目标" in a.text


def test_followup_with_another_year_and_subject(assistant: Assistant) -> None:
    first = assistant.ask("汽车及零部件产业集群2030年营收目标是多少？")
    history = [Turn("user", "汽车及零部件产业集群2030年营收目标是多少？"), Turn("assistant", first.text)]
    a = assistant.ask("工业母机集群呢？", history)
    assert "工业母机" in a.query and not a.abstained
    assert "250亿元" in strip_ws(a.text) and "box3" in a.cited_locations


def test_followup_this_section(assistant: Assistant) -> None:
    history = [
        Turn("user", "规划哪一节讲储能产业？"),
        Turn("assistant", assistant.ask("规划哪一节讲储能产业？").text),
    ]
    a = assistant.ask("这一节还讲了哪些产业？", history)
    assert "ch14.s3" in a.cited_locations
    assert "核能" in a.text and "绿氢" in a.text


@pytest.mark.parametrize(
    "question",
    [
        "到2028年，辽宁清洁能源装机占比要达到多少？",  # a year the plan does not give
        "吉林省到2030年的森林覆盖率目标是多少？",  # another province
        "徐大堡核电5、6号机组计划哪一年投产？",  # a project without a completion year
        "秦沈高铁第二通道的总投资是多少亿元？",  # a figure the plan never gives
        "到2030年辽宁海上风电装机容量要达到多少万千瓦？",
    ],
)
def test_abstains_when_the_plan_does_not_say(assistant: Assistant, question: str) -> None:
    a = assistant.ask(question)
    assert a.abstained, a.text
    assert "没有" in a.text
    _check_quotes(assistant, a)  # pointers to related sections are still verified quotes


@pytest.mark.parametrize("bad", ["", "   ", "问" * 501])
def test_bad_questions_are_rejected(assistant: Assistant, bad: str) -> None:
    with pytest.raises(InputError):
        assistant.ask(bad)


def test_stream_yields_text_then_the_answer(assistant: Assistant) -> None:
    pieces = list(assistant.ask_stream("到2030年清洁能源装机占比达到多少？"))
    final = pieces[-1]
    assert isinstance(final, Answer)
    assert "".join(p for p in pieces[:-1] if isinstance(p, str)) == final.text


def test_list_of_a_named_box_returns_its_items(assistant: Assistant) -> None:
    a = assistant.ask("专栏5的未来产业布局分为哪几个方向？")
    assert a.cited_locations == ("box5",)
    for item in ("未来制造", "未来空间", "未来能源", "未来健康", "未来信息", "未来材料"):
        assert item in a.text
    _check_quotes(assistant, a)
