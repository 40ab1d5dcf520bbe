"""The navigation bar: which sections each role sees. Later issues add their sections here."""

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from subjects.notifications import unread_count
from subjects.roles import Role, roles_of


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    icon: str
    roles: frozenset[str]
    # Also highlighted on the section's other pages (views named with this prefix).
    section: str = ""


NAV_ITEMS = (
    NavItem("工作台", "reviews:office_home", "speedometer2", frozenset({Role.OFFICE})),
    NavItem("评议活动", "reviews:list", "folder2-open", frozenset({Role.OFFICE})),
    NavItem("待审议事项", "reviews:council_home", "clipboard-check", frozenset({Role.COUNCIL})),
    NavItem(
        "评议会议",
        "reviews:meetings",
        "easel",
        frozenset({Role.OFFICE, Role.COUNCIL}),
        "reviews:meeting",
    ),
    NavItem(
        "评议意见",
        "rectification:council_opinions",
        "file-earmark-check",
        frozenset({Role.COUNCIL}),
        "rectification:opinion",
    ),
    NavItem(
        "继续整改",
        "rectification:council_cases",
        "arrow-repeat",
        frozenset({Role.COUNCIL}),
        "rectification:order_continue",
    ),
    NavItem("我的工作组", "reviews:group_home", "people", frozenset({Role.GROUP_MEMBER})),
    NavItem(
        "会议与测评",
        "reviews:member_home",
        "check2-square",
        frozenset({Role.COMMITTEE_MEMBER, Role.DEPUTY}),
    ),
    NavItem(
        "述职报告",
        "surveys:member_duty_reports",
        "file-earmark-text",
        frozenset({Role.COMMITTEE_MEMBER}),
        "surveys:member_duty",
    ),
    NavItem("我的评议", "reviews:official_home", "person-badge", frozenset({Role.OFFICIAL})),
    NavItem("我的问卷", "surveys:deputy_home", "ui-checks", frozenset({Role.DEPUTY})),
    NavItem("名册", "roster_officials", "person-vcard", frozenset({Role.OFFICE}), "roster_"),
    NavItem(
        "节假日",
        "rectification:holidays",
        "calendar3",
        frozenset({Role.OFFICE}),
        "rectification:holiday",
    ),
    NavItem("审计日志", "audit_log", "journal-text", frozenset({Role.OFFICE})),
    NavItem("系统状态", "system_status", "activity", frozenset({Role.OFFICE})),
)


def navigation(request):
    user = getattr(request, "user", None)
    held = roles_of(user)
    common = {"organ_name": settings.PINGYI_ORGAN_NAME}
    if getattr(user, "is_authenticated", False):
        # One COUNT query, only on pages that show the bell (not the ballot or projector).
        common["unread_notifications"] = SimpleLazyObject(lambda: unread_count(user))
    if not held:
        return {**common, "nav_items": []}
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""
    items = [
        {
            "label": item.label,
            "url": reverse(item.url_name),
            "icon": item.icon,
            "active": current == item.url_name
            or bool(item.section and current.startswith(item.section)),
        }
        for item in NAV_ITEMS
        if not held.isdisjoint(item.roles)
    ]
    return {**common, "nav_items": items}
