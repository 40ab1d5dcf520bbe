"""The standing committee's composition (常委会组成人员) of each term, kept by the office.

Quorum and the thresholds of a meeting are counted against the active members of the
review's term (reviews.meetings.quorum), so this list decides who may vote and how many
votes carry a decision. Every change goes through a service here, with an audit event (R21).
"""

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max

from .audit import record, register_actions
from .models import CompositionMember, User, UserRole
from .roles import Role

register_actions(
    {
        "composition.member_added": "新增常委会组成人员",
        "composition.member_updated": "修改常委会组成人员",
    }
)

TITLES = ("主任", "副主任", "秘书长", "委员")
ORDER_MAX = 32767  # PositiveSmallIntegerField
CHANGE_LABELS = {"title": "职务", "order": "排序", "is_active": "在任状态"}

_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
_DIGITS |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def term_number(term: str) -> int:
    """The number of a term: "第十八届" -> 18, "第9届" -> 9; 0 when there is none.

    Terms are text, and "第十八届" sorts before "第九届" as text, so the newest term is
    found by its number."""
    match = re.search(r"(\d+)|([〇零一二两三四五六七八九十百]+)", term)
    if not match:
        return 0
    if match.group(1):
        return int(match.group(1))
    total, digit = 0, 0
    for char in match.group(2):
        if char == "百":
            total += (digit or 1) * 100
            digit = 0
        elif char == "十":
            total += (digit or 1) * 10
            digit = 0
        else:
            digit = _DIGITS[char]
    return total + digit


def composition_terms() -> list[str]:
    """The terms that have a composition, newest first (one query)."""
    terms = CompositionMember.objects.order_by().values_list("term", flat=True).distinct()
    return sorted(terms, key=lambda t: (term_number(t), t), reverse=True)


def members_of(term: str) -> list[CompositionMember]:
    """The members of one term in their order, with their user (one query)."""
    return list(
        CompositionMember.objects.filter(term=term)
        .select_related("user")
        .order_by("order", "user__full_name", "id")
    )


def _check_title_and_order(title: str, order: int | None) -> None:
    errors = {}
    if title not in TITLES:
        errors["title"] = f"职务只能是{'、'.join(TITLES)}之一。"
    if order is not None and not 0 <= order <= ORDER_MAX:
        errors["order"] = f"排序应为 0 到 {ORDER_MAX} 之间的整数。"
    if errors:
        raise ValidationError(errors)


def _grant_committee_role(user) -> bool:
    """Give `user` the committee-member role; True when they did not hold it yet."""
    _, created = UserRole.objects.get_or_create(user=user, role=Role.COMMITTEE_MEMBER)
    user.__dict__.pop("role_set", None)  # the cached roles are stale now
    return created


@transaction.atomic
def add_member(*, actor, user: User, term: str, title: str, order: int | None = None):
    """Add `user` to the composition of `term`; `order` None places them last. The user is
    given the committee-member role when they lack it, so the member pages open for them."""
    term = (term or "").strip()
    errors = {}
    if not term:
        errors["term"] = "请填写届次，如“第十八届”。"
    if not user.is_active:
        errors["user"] = "该账号已停用，不能列为常委会组成人员。"
    if errors:
        raise ValidationError(errors)
    _check_title_and_order(title, order)
    if CompositionMember.objects.filter(user=user, term=term).exists():
        raise ValidationError({"user": "该人员已是本届常委会组成人员。"})
    if order is None:
        last = CompositionMember.objects.filter(term=term).aggregate(last=Max("order"))["last"]
        order = 0 if last is None else min(last + 1, ORDER_MAX)
    member = CompositionMember(user=user, term=term, title=title, order=order, is_active=True)
    try:
        # A second clerk adding the same person at the same moment trips the unique constraint.
        with transaction.atomic():
            member.save()
    except IntegrityError:
        raise ValidationError({"user": "该人员已是本届常委会组成人员。"}) from None
    role_granted = _grant_committee_role(user)
    record(
        actor=actor,
        action="composition.member_added",
        target=member,
        summary=f"将 {user} 列为{term}常委会组成人员（{title}）"
        + ("，并授予“常委会组成人员”角色" if role_granted else ""),
        data={
            "user": str(user),
            "term": term,
            "title": title,
            "order": order,
            "role_granted": role_granted,
        },
    )
    return member


@transaction.atomic
def update_member(*, actor, member: CompositionMember, title: str, order: int, is_active: bool):
    """Change a member's title, order or whether they are in office (在任/离任). A member who
    leaves is kept with is_active False: past meetings were counted with them."""
    _check_title_and_order(title, order)
    if order is None:
        raise ValidationError({"order": "请填写排序。"})
    locked = CompositionMember.objects.select_for_update().select_related("user").get(pk=member.pk)
    wanted = {"title": title, "order": order, "is_active": bool(is_active)}
    changed = {
        name: [getattr(locked, name), value]
        for name, value in wanted.items()
        if getattr(locked, name) != value
    }
    if not changed:
        return locked
    for name, (_, value) in changed.items():
        setattr(locked, name, value)
    locked.save(update_fields=list(changed))
    labels = "、".join(CHANGE_LABELS[name] for name in changed)
    record(
        actor=actor,
        action="composition.member_updated",
        target=locked,
        summary=f"修改{locked.term}常委会组成人员 {locked.user} 的{labels}",
        data=changed,
    )
    return locked
