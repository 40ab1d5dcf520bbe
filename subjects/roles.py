"""The roles of DOMAIN.md. Every role check in the code base goes through this module."""

from django.db import models


class Role(models.TextChoices):
    OFFICE = "office", "评议办工作人员"
    COUNCIL = "council", "领导小组 / 主任会议成员"
    GROUP_MEMBER = "group_member", "评议工作组成员"
    COMMITTEE_MEMBER = "committee_member", "常委会组成人员"
    DEPUTY = "deputy", "人大代表"
    OFFICIAL = "official", "被评议对象 / 单位联络员"


# The order in which a user holding several roles lands on a home page.
HOME_PRIORITY = (
    Role.OFFICE,
    Role.COUNCIL,
    Role.GROUP_MEMBER,
    Role.COMMITTEE_MEMBER,
    Role.OFFICIAL,
    Role.DEPUTY,
)


def roles_of(user) -> frozenset[str]:
    """The roles a user holds; anonymous and inactive users hold none."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    return user.role_set


def has_role(user, *roles: str) -> bool:
    """True when the user holds at least one of `roles`."""
    return not roles_of(user).isdisjoint(roles)


def primary_role(user) -> str | None:
    held = roles_of(user)
    return next((role for role in HOME_PRIORITY if role in held), None)
