"""grading.rectification: 不满意 by more than half of ALL composition members ⇒ 继续整改."""

import pytest

from reviews import grading


@pytest.mark.parametrize(
    ("dissatisfied", "total", "grade"),
    [
        (5, 9, grading.DISSATISFIED),
        (4, 9, grading.SATISFIED),
        (4, 8, grading.SATISFIED),  # exactly half is not more than half
        (5, 8, grading.DISSATISFIED),
        (0, 9, grading.SATISFIED),
        (9, 9, grading.DISSATISFIED),
    ],
)
def test_threshold_is_more_than_half_of_all_members(dissatisfied, total, grade):
    result = grading.rectification(dissatisfied, total)
    assert result.grade == grade
    assert result.denominator == total
    assert f"全体组成人员 {total} 人的半数" in result.explanation
    assert f"不满意 {dissatisfied} 票" in result.explanation


def test_explanations_say_what_follows():
    assert "须继续整改" in grading.rectification(5, 9).explanation
    assert "整改评为满意" in grading.rectification(4, 9).explanation
    assert grading.rectification(5, 9).label == "不满意"


def test_without_a_composition_total_there_is_no_grade():
    result = grading.rectification(3, 0)
    assert result.grade == "" and "未记录全体组成人员数" in result.explanation
