"""The notifications page and the navbar bell: each user sees only their own."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from subjects.models import Notification
from subjects.notifications import notify

PERSONAS = ["office", "council", "group_member", "committee_member", "deputy", "official"]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_every_logged_in_user_has_a_notifications_page(client, personas, persona):
    client.force_login(personas[persona])
    response = client.get(reverse("notifications"))
    assert response.status_code == 200
    assert "暂无通知" in response.content.decode()
    response = client.post(reverse("notifications_read_all"))
    assert response.status_code == 302 and response["Location"] == reverse("notifications")


@pytest.mark.django_db
def test_a_user_sees_only_their_own_notifications(client, official_a, official_b):
    notify(recipient=official_a, title="请提交述职报告", body="截止日期：6月30日", url="/my/")
    notify(recipient=official_b, title="别人的整改通知")
    client.force_login(official_a)
    html = client.get(reverse("notifications")).content.decode()
    assert "请提交述职报告" in html and "截止日期：6月30日" in html
    assert 'href="/my/"' in html
    assert "别人的整改通知" not in html


@pytest.mark.django_db
def test_newest_first_unread_highlighted(client, official_a):
    old = notify(recipient=official_a, title="较早的通知")
    Notification.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timezone.timedelta(days=2), read_at=timezone.now()
    )
    notify(recipient=official_a, title="最新的通知")
    client.force_login(official_a)
    html = client.get(reverse("notifications")).content.decode()
    assert html.index("最新的通知") < html.index("较早的通知")
    assert html.count("list-group-item-warning") == 1
    assert html.count(">未读<") == 1


@pytest.mark.django_db
def test_read_all_marks_only_own_and_needs_post(client, official_a, official_b):
    notify(recipient=official_a, title="甲")
    notify(recipient=official_a, title="乙")
    theirs = notify(recipient=official_b, title="丙")
    client.force_login(official_a)
    assert client.get(reverse("notifications_read_all")).status_code == 405
    response = client.post(reverse("notifications_read_all"), follow=True)
    assert "已将 2 条通知标为已读。" in response.content.decode()
    assert not Notification.objects.filter(recipient=official_a, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.django_db
def test_navbar_bell_shows_unread_count_with_one_query(client, official_a, office_clerk):
    notify(recipient=official_a, title="甲")
    notify(recipient=official_a, title="乙")
    notify(recipient=office_clerk, title="不是你的")
    client.force_login(official_a)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("reviews:official_home")).content.decode()
    notification_queries = [q["sql"] for q in queries if "subjects_notification" in q["sql"]]
    assert len(notification_queries) == 1 and "COUNT" in notification_queries[0].upper()
    assert "bi-bell" in html and "通知，2 条未读" in html
    client.post(reverse("notifications_read_all"))
    html = client.get(reverse("reviews:official_home")).content.decode()
    assert "条未读" not in html


@pytest.mark.django_db
def test_links_outside_the_site_are_not_rendered(client, official_a):
    notify(recipient=official_a, title="坏链接", url="javascript:alert(1)")
    notify(recipient=official_a, title="外部链接", url="//evil.example/")
    client.force_login(official_a)
    html = client.get(reverse("notifications")).content.decode()
    assert "javascript:" not in html and "evil.example" not in html


def test_anonymous_visitor_has_no_unread_count(rf):
    from django.contrib.auth.models import AnonymousUser

    from config.navigation import navigation

    request = rf.get("/accounts/login/")
    request.user = AnonymousUser()
    assert "unread_notifications" not in navigation(request)
