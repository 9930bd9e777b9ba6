"""The parser on the real plan: structure, page-break repair, boxes and the indicator table."""

from __future__ import annotations

import re

import pytest

from assistant.normalize import strip_ws
from assistant.parse import Document, toc_mismatches


def test_twenty_chapters_and_sections_equal_the_toc(document: Document) -> None:
    assert [c.number for c in document.chapters] == list(range(1, 21))
    assert toc_mismatches(document) == []
    toc_sections = [(e.chapter, e.number) for e in document.toc if e.kind == "section"]
    body_sections = [(s.chapter, s.number) for s in document.sections]
    assert body_sections == toc_sections
    assert len(body_sections) == 82


def test_preface_and_chapter_intros(document: Document) -> None:
    assert document["preface"].text.startswith("辽宁省国民经济和社会发展的第十五个五年规划纲要，依据")
    assert document.get("ch1.s0") is None  # chapter 1 opens directly with its first section
    for n in range(2, 21):
        assert document[f"ch{n}.s0"].text, f"chapter {n} has an intro"
    assert document["ch14.s2"].title == "推动能源绿色低碳转型"
    assert (
        document["ch14.s2"].path
        == "第十四章 全力建设清洁能源强省 加快构建新型能源体系 › 第二节 推动能源绿色低碳转型"
    )


def test_boxes_are_exactly_1_to_39_with_titles_and_content(document: Document) -> None:
    boxes = document.boxes
    assert [b.number for b in boxes] == list(range(1, 40))
    for box in boxes:
        assert box.title and box.text, box.id
        assert box.parent and document.get(box.parent), box.id
    assert document["box2"].title == "22 个重点产业集群"
    assert document["box19"].title == "12 市发展定位"
    assert document["box27"].parent == "ch14.s4"


def test_repeated_box_headers_are_merged_and_the_typo_loses(document: Document) -> None:
    assert document["box3"].title == "传统产业集群提质升级行动"  # one copy reads 传统产业集质升级行动
    box21 = document["box21"].text
    assert "专栏" not in box21
    assert all(f"{n}. " in box21 for n in (1, 17, 18, 38, 39, 41))
    assert "专栏" not in document["box1"].text


def test_the_headerless_box_26_is_recovered(document: Document) -> None:
    box = document["box26"]
    assert box.recovered and box.parent == "ch13.s2"
    assert box.text.startswith("(一) 防洪减灾工程")
    assert "(四) 水利数智化建设" in box.text
    assert "防洪减灾工程" not in document["ch13.s2"].text  # the items left the section body


@pytest.mark.parametrize(
    ("location", "joined"),
    [
        ("ch1.s1", "全省地区生产总值稳步增长，年均增长 4.5%"),
        ("ch1.s1", "央地合作呈现新局面，325 个央企分支机构落户辽宁"),
        ("ch4.s1", "争创国家实验室基地"),  # the break duplicated 实
        ("ch15.s1", "抗美援朝精神"),  # the break duplicated 朝
        ("ch14.s2", "以能源消费结构转型为牵引，供给侧和需求侧双向发力"),
        ("ch13.s2", "加快推进辽河、鸭绿江等重点河流防洪治理"),
    ],
)
def test_page_break_joins_are_whole_words(document: Document, location: str, joined: str) -> None:
    assert joined in document[location].text


def test_no_table_of_contents_text_in_any_location(document: Document) -> None:
    for loc in document.locations:
        assert not re.search(r"\.{4,}|·{3,}|…\s*\d+$", loc.text, re.M), loc.id
        assert "目 录" not in loc.text


def test_offsets_point_into_the_unchanged_corpus(document: Document) -> None:
    for loc in document.locations:
        for p in loc.paragraphs:
            raw = document.text[p.start : p.end]
            # page-break joins drop only whitespace (and a duplicated character)
            assert abs(len(strip_ws(raw)) - len(strip_ws(p.text))) <= 1, (loc.id, p.text[:30])


def test_paragraph_lead_sentences(document: Document) -> None:
    leads = [p.lead for p in document["ch2.s1"].paragraphs]
    assert "加快重点产业集群建设" in leads


def test_indicator_table_rows(document: Document) -> None:
    rows = {r.full_name: r for r in document.indicators}
    assert len(document.indicators) == 29
    assert document.indicators[0].category == "经济发展"
    forest = rows["森林覆盖率"]
    assert (forest.value_2025.value, forest.value_2030.value, forest.attribute) == (35.67, 35.7, "约束性")
    assert forest.national and forest.category == "绿色低碳"
    gdp = rows["地区生产总值增长"]
    assert gdp.growth.raw == "5左右" and gdp.growth.approx and gdp.growth.value == 5
    life = rows["人均预期寿命"]
    assert life.value_2025.data_2024 and life.unit == "岁" and "data_2024" in life.flags
    nurses = rows["每千人口拥有医护人员数注册护士数"]  # the merged two-row cell
    assert nurses.group == "每千人口拥有医护人员数" and nurses.value_2030.value == 5.1 and nurses.national
    assert rows["每千人口拥有医护人员数执业医师数"].value_2030.value == 3.7
    childcare = rows["3岁以下婴幼儿入托率提高"]
    assert childcare.growth.cumulative and childcare.growth.value == 5.5 and childcare.unit == "百分点"
    water = rows["优良水体比例"]
    assert water.value_2025.empty and water.value_2030.empty and water.value_2030.raw == ""
    pm = next(r for r in document.indicators if r.name.startswith("地级及以上城市细颗粒物"))
    assert pm.value_2030.text_only and pm.value_2030.raw == "完成经国家审核衔接后确定的目标"
    assert rows["高等教育毛入学率"].value_2030.comparator == ">"
    assert rows["粮食综合生产能力"].value_2030.raw == "2631.5左右"
    assert rows["万元地区生产总值用水量下降率"].value_2025.cumulative
    assert sum(r.attribute == "约束性" for r in document.indicators) == 9


def test_normalisation_never_changes_quoted_text(document: Document) -> None:
    # "2030 年" keeps its space in the text users see; matching ignores it.
    assert "到 2030 年，清洁能源装机占比达到 70%" in document["ch14.s2"].text
