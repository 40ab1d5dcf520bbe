"""How ballots become a grade, under a review's frozen rules. Pure Python: no database.

满意率 = (满意 + 基本满意) ÷ 基数; a subject is 不满意 when 不满意 ÷ 基数 exceeds the review's
share, 满意 when the 满意率 reaches its threshold, otherwise 基本满意. The 基数 is either the valid
ballots (满意 + 基本满意 + 不满意 + 不了解; blank ballots are abstentions and do not count) or all
composition members of the committee, in which case only the members' ballots count.
"""

from dataclasses import dataclass

SATISFIED, BASIC, DISSATISFIED, UNKNOWN = "satisfied", "basic", "dissatisfied", "unknown"
CHOICES = (SATISFIED, BASIC, DISSATISFIED, UNKNOWN)
LABELS = {SATISFIED: "满意", BASIC: "基本满意", DISSATISFIED: "不满意", UNKNOWN: "不了解"}
VALID_BALLOTS, ALL_MEMBERS = "valid", "members"


@dataclass(frozen=True)
class Grade:
    grade: str  # one of SATISFIED, BASIC, DISSATISFIED, or "" when nothing was cast
    denominator: int
    satisfaction_rate: float  # 0..1
    dissatisfied_rate: float  # 0..1
    explanation: str

    @property
    def label(self) -> str:
        return LABELS.get(self.grade, "无有效票")


def _percent(rate: float) -> str:
    return f"{rate * 100:.1f}%"


def grade(counts: dict[str, int], rules: dict) -> Grade:
    """`counts` by choice; `rules` is the poll's frozen snapshot (see meetings.open_poll)."""
    satisfied = counts.get(SATISFIED, 0)
    basic = counts.get(BASIC, 0)
    dissatisfied = counts.get(DISSATISFIED, 0)
    unknown = counts.get(UNKNOWN, 0)
    if rules.get("denominator") == ALL_MEMBERS:
        denominator = int(rules["composition_total"])
        base = f"全体组成人员 {denominator} 人"
    else:
        denominator = satisfied + basic + dissatisfied + unknown
        base = f"有效票 {denominator} 张"
    if denominator <= 0:
        return Grade("", 0, 0.0, 0.0, "没有有效票，无法评定。")
    satisfaction = (satisfied + basic) / denominator
    against = dissatisfied / denominator
    over = rules["dissatisfied_over_percent"] / 100
    needed = rules["satisfied_min_percent"] / 100
    head = (
        f"满意率 =（满意 {satisfied} + 基本满意 {basic}）÷ {base} = {_percent(satisfaction)}；"
        f"不满意 {dissatisfied} 票，占 {_percent(against)}。"
    )
    if against > over:
        return Grade(
            DISSATISFIED,
            denominator,
            satisfaction,
            against,
            head + f"不满意票超过 {rules['dissatisfied_over_percent']}%，评为不满意。",
        )
    if satisfaction >= needed:
        return Grade(
            SATISFIED,
            denominator,
            satisfaction,
            against,
            head + f"满意率达到 {rules['satisfied_min_percent']}%，评为满意。",
        )
    return Grade(
        BASIC,
        denominator,
        satisfaction,
        against,
        head + f"满意率未达到 {rules['satisfied_min_percent']}%，"
        f"不满意票未超过 {rules['dissatisfied_over_percent']}%，评为基本满意。",
    )


def rectification(dissatisfied: int, composition_total: int) -> Grade:
    """The committee's vote on a rectification: unsatisfactory when more than half of all
    composition members (not of those voting) mark 不满意 (DOMAIN.md), which means 继续整改."""
    if composition_total <= 0:
        return Grade("", 0, 0.0, 0.0, "未记录全体组成人员数，无法评定。")
    rate = dissatisfied / composition_total
    half = f"全体组成人员 {composition_total} 人的半数"
    if dissatisfied * 2 > composition_total:
        return Grade(
            DISSATISFIED,
            composition_total,
            1 - rate,
            rate,
            f"组成人员不满意 {dissatisfied} 票，超过{half}，整改评为不满意，须继续整改。",
        )
    return Grade(
        SATISFIED,
        composition_total,
        1 - rate,
        rate,
        f"组成人员不满意 {dissatisfied} 票，未超过{half}，整改评为满意。",
    )
