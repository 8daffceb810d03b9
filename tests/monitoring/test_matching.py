"""Matching semantics: groups (AND of ORs), exclusions, scope, folding. Pure: no database."""

from __future__ import annotations

import pytest

from monitoring.matching import RuleSpec, compile_rules, fold


def rules(*specs: RuleSpec):  # type: ignore[no-untyped-def]
    return compile_rules(specs)


def test_any_term_within_a_group_and_every_group() -> None:
    m = rules(RuleSpec(incident_id=1, groups=(("学校", "校园"), ("过期", "变质"))))
    assert m.match("", "校园食堂食材变质") == [1]
    assert m.match("", "学校食堂使用过期食材") == [1]
    assert m.match("", "学校食堂今日开放") == []  # second group missing
    assert m.match("", "超市食品过期") == []  # first group missing


def test_exclusion_terms_veto() -> None:
    m = rules(RuleSpec(incident_id=1, groups=(("食堂",), ("过期",)), exclude=("演练", "辟谣")))
    assert m.match("", "学校食堂食材过期") == [1]
    assert m.match("", "学校食堂食材过期应急演练") == []
    assert m.match("官方辟谣", "学校食堂食材过期") == []


@pytest.mark.parametrize(
    ("scope", "title", "text", "expected"),
    [
        ("title", "学校食材过期", "", [1]),
        ("title", "学校", "过期", []),  # a group found only in the text does not count
        ("text", "学校食材过期", "", []),
        ("text", "", "学校食材过期", [1]),
        ("both", "学校", "过期", [1]),
    ],
)
def test_scope(scope: str, title: str, text: str, expected: list[int]) -> None:
    m = rules(RuleSpec(incident_id=1, groups=(("学校",), ("过期",)), scope=scope))
    assert m.match(title, text) == expected


def test_exclusion_only_counts_within_scope() -> None:
    m = rules(RuleSpec(incident_id=1, groups=(("学校",),), exclude=("演练",), scope="title"))
    assert m.match("学校通报", "本次为演练") == [1]
    assert m.match("学校演练通报", "") == []


def test_full_width_half_width_and_case_are_folded() -> None:
    m = rules(RuleSpec(incident_id=1, groups=(("ABC公司",), ("ｉＰｈｏｎｅ",))))
    assert m.match("", "ａｂｃ公司发布iphone召回公告") == [1]
    assert m.match("", "Abc公司 IPHONE") == [1]
    assert fold("ＡＢＣ１２３") == "abc123"
    # half-width katakana become full-width
    assert fold("ｶﾀｶﾅ") == "カタカナ"


def test_one_detection_matches_several_incidents_and_shared_terms() -> None:
    m = rules(
        RuleSpec(incident_id=7, groups=(("暴雨",), ("内涝",))),
        RuleSpec(incident_id=3, groups=(("暴雨",),), exclude=("演练",)),
        RuleSpec(incident_id=9, groups=(("地震",),)),
    )
    assert m.match("", "暴雨导致城区内涝") == [3, 7]
    assert m.match("", "暴雨内涝应急演练") == [7]


def test_two_rules_for_one_incident_either_matches() -> None:
    m = rules(
        RuleSpec(incident_id=1, groups=(("甲",),), exclude=("丙",)),
        RuleSpec(incident_id=1, groups=(("乙",),)),
    )
    assert m.match("", "甲丙") == []
    assert m.match("", "甲丙乙") == [1]


def test_no_rules_matches_nothing() -> None:
    assert rules().match("任何", "内容") == []
    assert rules(RuleSpec(incident_id=1, groups=((" ",),))).match("", " ") == []
