"""How the committee's documents name things: dates, the locality's organs, a subject, the
review's periods. One place, so an opinion, a notice and a page never word them differently."""

from datetime import date

from django.conf import settings

LAW = "《中华人民共和国各级人民代表大会常务委员会监督法》"


def date_cn(day: date) -> str:
    """2025年9月8日, as documents write dates (no leading zeros)."""
    return f"{day.year}年{day.month}月{day.day}日"


def locality() -> str:
    """The administrative area of the committee: "示范县人大常委会" → "示范县"."""
    name = settings.PINGYI_ORGAN_NAME.strip()
    for suffix in ("人民代表大会常务委员会", "人大常委会"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def level() -> str:
    """县, 区 or 市: the word the county's own organs are named with (县人民政府 …)."""
    area = locality()
    return area[-1] if area and area[-1] in "县区市旗" else "县"


def party_committee() -> str:
    """The party committee the review is reported to: "示范县" → "中共示范县委"."""
    return f"中共{locality()}委"


def government_organs() -> str:
    """一府一委两院 of the county."""
    lv = level()
    return f"{lv}人民政府，{lv}监察委员会，{lv}人民法院，{lv}人民检察院"


def default_cc() -> str:
    """The 抄送 of an opinion: the county party committee and 一府一委两院."""
    return f"{level()}委，{government_organs()}"


def committee_short() -> str:
    """The committee as the body text names it: "县人大常委会"."""
    return f"{level()}人大常委会"


def addressee(subject) -> str:
    """How a document addresses the subject: "王某某同志" or the unit's name."""
    return subject.unit_name if subject.is_unit else f"{subject.display_name}同志"


def full_name(subject) -> str:
    """The subject with unit and post: "县公安局局长王某某同志"."""
    if subject.is_unit:
        return subject.unit_name
    return f"{subject.unit_name}{subject.post}{subject.display_name}同志"


def periods(review) -> tuple[int, int, int]:
    """Months for the 整改方案 and the 整改报告, days for the party report (review rules)."""
    rules = getattr(review, "rules", None)
    if rules is None:
        return 1, 3, 7
    return rules.plan_due_months, rules.report_due_months, rules.party_report_days
