"""The grade follows from the raw counts under the review's frozen rule (pure, no database)."""

import pytest

from reviews.grading import ALL_MEMBERS, VALID_BALLOTS, grade

RULES = {
    "denominator": VALID_BALLOTS,
    "satisfied_min_percent": 80,
    "dissatisfied_over_percent": 50,
    "composition_total": 29,
}


def test_satisfied_when_rate_reaches_threshold():
    result = grade({"satisfied": 20, "basic": 5, "dissatisfied": 2}, RULES)
    assert result.grade == "satisfied"
    assert result.denominator == 27
    assert result.satisfaction_rate == pytest.approx(25 / 27)
    assert "满意率 =（满意 20 + 基本满意 5）÷ 有效票 27 张 = 92.6%" in result.explanation
    assert result.explanation.endswith("评为满意。")


def test_basic_between_the_thresholds():
    result = grade({"satisfied": 10, "basic": 5, "dissatisfied": 10}, RULES)
    assert result.grade == "basic" and result.label == "基本满意"
    assert "满意率未达到 80%" in result.explanation


def test_dissatisfied_when_more_than_the_share_is_against():
    result = grade({"satisfied": 5, "basic": 4, "dissatisfied": 10}, RULES)
    assert result.grade == "dissatisfied"
    assert "不满意票超过 50%" in result.explanation


def test_exactly_half_against_is_not_more_than_half():
    assert grade({"satisfied": 5, "dissatisfied": 5}, RULES).grade != "dissatisfied"


def test_unknown_counts_as_a_valid_ballot():
    with_unknown = grade({"satisfied": 8, "unknown": 2}, RULES)
    assert with_unknown.denominator == 10
    assert with_unknown.satisfaction_rate == pytest.approx(0.8)
    assert with_unknown.grade == "satisfied"


def test_all_members_denominator_counts_absent_members_against_the_rate():
    rules = {**RULES, "denominator": ALL_MEMBERS}
    result = grade({"satisfied": 15, "basic": 5, "dissatisfied": 1}, rules)
    assert result.denominator == 29
    assert result.satisfaction_rate == pytest.approx(20 / 29)
    assert result.grade == "basic"
    assert "全体组成人员 29 人" in result.explanation


def test_no_ballots_gives_no_grade():
    result = grade({}, RULES)
    assert result.grade == "" and result.label == "无有效票"
