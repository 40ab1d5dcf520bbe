"""Setting up a review (Phase 1 准备): the services, the office's pages, who may open them
(R10), forms that keep what was typed (R23) and query counts that do not grow."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews import services
from reviews.models import DEFAULT_DIMENSIONS, LeadershipMember, Review, Subject, WorkingGroup
from reviews.views import blocker_links
from reviews.workflow import Phase, PlanStatus, ReviewFacts, blockers
from subjects.models import AuditEvent
from tests.factories import (
    OfficialFactory,
    ReviewFactory,
    SubjectFactory,
    UserFactory,
    WorkingGroupFactory,
)

from .conftest import TIMETABLE, approve_plan, make_ready

# --- Services -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_review_makes_rules_six_dimensions_and_an_audit_event(office_clerk):
    review = services.create_review(
        actor=office_clerk, kind="duty", year=2025, title="2025 年度述职评议", term="第十七届"
    )
    assert review.phase == Phase.PREPARE and review.plan_status == PlanStatus.DRAFT
    assert review.rules.satisfied_min_percent == 80
    assert review.rules.dissatisfied_over_percent == 50
    assert [d.name for d in review.dimensions.all()] == [n for n, _ in DEFAULT_DIMENSIONS]
    assert len(DEFAULT_DIMENSIONS) == 6
    event = AuditEvent.objects.get(action="review.created")
    assert event.actor == office_clerk and event.target_id == str(review.pk)


@pytest.mark.django_db
def test_publish_needs_approved_plan_subjects_and_timetable(review, office_clerk, chair, pdf_bytes):
    def refusal():
        with pytest.raises(ValidationError) as refused:
            services.publish_announcement(actor=office_clerk, review=review)
        return refused.value.messages[0]

    assert refusal() == "实施方案经领导小组批准后才能公示。"
    approve_plan(review, office_clerk, chair, pdf_bytes)
    assert refusal() == "确定评议对象后才能公示。"
    SubjectFactory(review=review)
    assert refusal() == "请先填写完整的时间安排再公示。"
    services.update_review(actor=office_clerk, review=review, data=TIMETABLE)
    published = services.publish_announcement(actor=office_clerk, review=review)
    assert published.published_at is not None
    withdrawn = services.withdraw_announcement(actor=office_clerk, review=review)
    assert withdrawn.published_at is None
    with pytest.raises(ValidationError, match="尚未公示"):
        services.withdraw_announcement(actor=office_clerk, review=review)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"review.published", "review.withdrawn"} <= actions


@pytest.mark.django_db
def test_leadership_refuses_the_same_person_twice(review, office_clerk, chair):
    with pytest.raises(ValidationError):
        services.save_leadership(
            actor=office_clerk,
            review=review,
            members=[(chair, "leader", ""), (chair, "member", "")],
        )
    assert not LeadershipMember.objects.exists()


# --- Pages: the permission matrix (R10) --------------------------------------------------------

PERSONAS = ["office", "council", "group_member", "committee_member", "deputy", "official"]


@pytest.fixture
def world(review, office_clerk, chair, group_member, pdf_bytes):
    """A review with a plan, a group (with the group member in it) and a subject."""
    approve_plan(review, office_clerk, chair, pdf_bytes)
    group = WorkingGroupFactory(review=review, members=[group_member])
    subject = SubjectFactory(review=review, group=group)
    outsider = ReviewFactory(created_by=office_clerk, title="别的评议活动")
    return {"review": review, "group": group, "subject": subject, "outsider": outsider}


def _url(name, world, review=None):
    review = review or world["review"]
    args = {
        "list": [],
        "create": [],
        "coverage": [],
        "group_edit": [review.pk, world["group"].pk],
        "group_delete": [review.pk, world["group"].pk],
        "subject_remove": [review.pk, world["subject"].pk],
    }.get(name, [review.pk])
    return reverse(f"reviews:{name}", args=args)


OFFICE_PAGES = [
    "list",
    "create",
    "coverage",
    "edit",
    "leadership",
    "group_create",
    "group_edit",
    "subjects",
    "enrol",
    "dimensions",
    "rules",
    "announcement",
]
COUNCIL_PAGES = ["plan", "plan_download"]
OFFICE_POSTS = [
    "advance",
    "plan_upload",
    "plan_submit",
    "group_delete",
    "subject_remove",
    "publish",
    "withdraw",
    *[page for page in OFFICE_PAGES if page not in ("list", "coverage")],
]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_page_matrix(client, personas, world, persona):
    client.force_login(personas[persona])
    for name in OFFICE_PAGES:
        expected = 200 if persona == "office" else 403
        assert client.get(_url(name, world)).status_code == expected, (persona, name)
    for name in COUNCIL_PAGES:
        expected = 200 if persona in ("office", "council") else 403
        assert client.get(_url(name, world)).status_code == expected, (persona, name)
    detail = {"office": 200, "council": 200, "group_member": 200}.get(persona, 403)
    assert client.get(_url("detail", world)).status_code == detail, persona
    # A group member sees only the reviews where they sit in a group; others are 404.
    outsider = {"office": 200, "council": 200, "group_member": 404}.get(persona, 403)
    response = client.get(_url("detail", world, world["outsider"]))
    assert response.status_code == outsider, persona


@pytest.mark.django_db
@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "office"])
def test_posts_by_anyone_but_the_office_are_refused(client, personas, world, persona):
    client.force_login(personas[persona])
    before = AuditEvent.objects.exclude(action="security.denied").count()
    for name in OFFICE_POSTS:
        assert client.post(_url(name, world), {}).status_code == 403, (persona, name)
    expected = 200 if persona == "council" else 403
    # The council member may decide (an empty form re-renders); nobody else may.
    assert client.post(_url("plan_decide", world), {}).status_code == expected
    assert AuditEvent.objects.exclude(action="security.denied").count() == before
    assert Subject.objects.filter(pk=world["subject"].pk).exists()
    assert WorkingGroup.objects.filter(pk=world["group"].pk).exists()


@pytest.mark.django_db
def test_office_cannot_decide_and_action_urls_refuse_get(client, office_clerk, world):
    client.force_login(office_clerk)
    assert client.post(_url("plan_decide", world), {"decision": "approve"}).status_code == 403
    for name in ("advance", "plan_upload", "plan_submit", "publish", "withdraw", "group_delete"):
        assert client.get(_url(name, world)).status_code == 405, name


@pytest.mark.django_db
def test_unknown_review_is_404_for_the_office(client, office_clerk):
    client.force_login(office_clerk)
    assert client.get(reverse("reviews:detail", args=[999999])).status_code == 404
    assert client.get(reverse("reviews:enrol", args=[999999])).status_code == 404


@pytest.mark.django_db
def test_group_member_detail_is_read_only(client, group_member, world):
    client.force_login(group_member)
    page = client.get(_url("detail", world)).content.decode()
    assert world["review"].title in page
    assert reverse("reviews:advance", args=[world["review"].pk]) not in page
    assert reverse("reviews:edit", args=[world["review"].pk]) not in page
    assert reverse("reviews:plan_download", args=[world["review"].pk]) not in page


@pytest.mark.django_db
def test_nav_offers_the_review_list_to_the_office(client, office_clerk, chair):
    client.force_login(office_clerk)
    page = client.get(reverse("reviews:office_home")).content.decode()
    assert f'href="{reverse("reviews:list")}"' in page and "评议活动" in page
    client.force_login(chair)
    assert (
        reverse("reviews:list") not in client.get(reverse("reviews:council_home")).content.decode()
    )


# --- Pages: creating and editing ---------------------------------------------------------------


@pytest.mark.django_db
def test_create_review_through_the_page(client, office_clerk):
    client.force_login(office_clerk)
    response = client.post(
        reverse("reviews:create"),
        {
            "kind": "duty",
            "year": 2025,
            "title": "2025 年度县政府组成部门负责人述职评议",
            "term": "第十七届",
            "prepare_starts_on": "2025-03-01",
            "prepare_ends_on": "2025-04-15",
        },
    )
    review = Review.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reviews:detail", args=[review.pk])
    assert review.prepare_ends_on == date(2025, 4, 15) and review.created_by == office_clerk
    assert review.dimensions.count() == 6
    page = client.get(response["Location"]).content.decode()
    assert "已创建评议活动" in page and "推进到“调查 / 初评”阶段" in page


@pytest.mark.django_db
def test_timetable_error_keeps_what_was_typed(client, review, office_clerk):
    client.force_login(office_clerk)
    data = {
        "title": "改过的名称",
        "term": "第十七届",
        "prepare_starts_on": "2025-03-10",
        "prepare_ends_on": "2025-03-01",
        "investigate_starts_on": "2025-02-01",
        "investigate_ends_on": "2025-06-30",
    }
    response = client.post(reverse("reviews:edit", args=[review.pk]), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "准备阶段的结束日期不能早于开始日期。" in page
    assert "调查 / 初评阶段不能早于准备阶段开始（2025-03-10）。" in page
    for value in ("2025-03-10", "2025-03-01", "2025-02-01", "2025-06-30", "改过的名称"):
        assert f'value="{value}"' in page, value
    review.refresh_from_db()
    assert review.title == "2025 年度述职评议" and review.prepare_starts_on is None

    ok = client.post(
        reverse("reviews:edit", args=[review.pk]),
        {"title": "新名称", **{k: v.isoformat() for k, v in TIMETABLE.items()}, "term": "第十七届"},
    )
    assert ok.status_code == 302
    review.refresh_from_db()
    assert review.title == "新名称" and review.timetable_complete
    assert AuditEvent.objects.filter(action="review.updated").count() == 1


@pytest.mark.django_db
def test_create_form_keeps_input_on_error(client, office_clerk):
    client.force_login(office_clerk)
    response = client.post(
        reverse("reviews:create"),
        {
            "kind": "work",
            "year": 2025,
            "title": "自然资源工作评议",
            "term": "第十七届",
            "meeting_starts_on": "2025-07-10",
            "meeting_ends_on": "2025-07-01",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "评议会议阶段的结束日期不能早于开始日期。" in page
    assert 'value="自然资源工作评议"' in page and 'value="2025-07-10"' in page
    assert '<option value="work" selected>' in page
    assert not Review.objects.exists()


@pytest.mark.django_db
def test_leadership_formset(client, review, office_clerk, chair, committee_member):
    client.force_login(office_clerk)
    url = reverse("reviews:leadership", args=[review.pk])
    page = client.get(url).content.decode()
    assert "张德明" in page
    form = {
        "form-TOTAL_FORMS": 3,
        "form-INITIAL_FORMS": 0,
        "form-0-user": chair.pk,
        "form-0-position": "leader",
        "form-0-title": "常委会常务副主任",
        "form-1-user": committee_member.pk,
        "form-1-position": "member",
        "form-1-title": "",
        "form-2-user": "",
        "form-2-position": "member",
        "form-2-title": "",
    }
    assert client.post(url, form).status_code == 302
    members = list(LeadershipMember.objects.filter(review=review))
    assert [(m.user, m.position, m.title) for m in members] == [
        (chair, "leader", "常委会常务副主任"),
        (committee_member, "member", ""),
    ]
    # The same person twice: refused, the typed rows come back.
    form["form-1-user"] = chair.pk
    form["form-1-title"] = "重复"
    response = client.post(url, form)
    assert response.status_code == 200
    page = response.content.decode()
    assert "同一人不能在领导小组中出现两次。" in page and 'value="重复"' in page
    assert LeadershipMember.objects.filter(review=review).count() == 2


@pytest.mark.django_db
def test_groups_create_edit_delete(client, review, office_clerk, chair, committee_member):
    client.force_login(office_clerk)
    outsider = UserFactory(username="deputy2", roles=["deputy"])
    page = client.get(reverse("reviews:group_create", args=[review.pk])).content.decode()
    assert "刘海燕" in page and outsider.full_name not in page  # committee members only
    response = client.post(
        reverse("reviews:group_create", args=[review.pk]),
        {"name": "第一评议工作组", "leader": chair.pk, "members": [committee_member.pk, chair.pk]},
    )
    assert response.status_code == 302
    group = WorkingGroup.objects.get(review=review)
    assert group.leader == chair and list(group.members.all()) == [committee_member]

    # A duplicate name is refused and the typed name is kept.
    response = client.post(
        reverse("reviews:group_create", args=[review.pk]), {"name": "第一评议工作组"}
    )
    assert response.status_code == 200
    assert "本次评议已有同名的评议工作组。" in response.content.decode()
    # A member who is not eligible is refused by the form.
    response = client.post(
        reverse("reviews:group_edit", args=[review.pk, group.pk]),
        {"name": "第一评议工作组", "members": [outsider.pk]},
    )
    assert response.status_code == 200

    response = client.post(
        reverse("reviews:group_edit", args=[review.pk, group.pk]),
        {"name": "第一组", "leader": "", "members": [committee_member.pk]},
    )
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.name == "第一组" and group.leader is None

    subject = SubjectFactory(review=review, group=group)
    assert (
        client.post(reverse("reviews:group_delete", args=[review.pk, group.pk])).status_code == 302
    )
    assert not WorkingGroup.objects.exists()
    subject.refresh_from_db()
    assert subject.group is None
    # A group of another review is 404 under this one.
    other = WorkingGroupFactory(review=ReviewFactory(created_by=office_clerk))
    assert client.get(reverse("reviews:group_edit", args=[review.pk, other.pk])).status_code == 404


@pytest.mark.django_db
def test_subjects_page_saves_form_and_group_and_removes(client, review, office_clerk):
    group = WorkingGroupFactory(review=review, name="第二组")
    first, second = SubjectFactory(review=review), SubjectFactory(review=review)
    client.force_login(office_clerk)
    url = reverse("reviews:subjects", args=[review.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            f"form_{first.pk}": "onsite",
            f"group_{first.pk}": group.pk,
            f"form_{second.pk}": "written",
            f"group_{second.pk}": "",
        },
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.form, first.group) == ("onsite", group)
    assert AuditEvent.objects.filter(action="review.subject_updated").count() == 1
    # A group id that is not this review's is refused by the form, nothing saved.
    other = WorkingGroupFactory(review=ReviewFactory(created_by=office_clerk))
    response = client.post(
        url,
        {
            f"form_{first.pk}": "written",
            f"group_{first.pk}": group.pk,
            f"form_{second.pk}": "onsite",
            f"group_{second.pk}": other.pk,
        },
    )
    assert response.status_code == 200
    first.refresh_from_db()
    assert first.form == "onsite"
    remove = reverse("reviews:subject_remove", args=[review.pk, second.pk])
    assert client.post(remove).status_code == 302
    assert list(Subject.objects.filter(review=review)) == [first]


@pytest.mark.django_db
def test_dimensions_formset_reorders_deletes_and_adds(client, review, office_clerk):
    client.force_login(office_clerk)
    url = reverse("reviews:dimensions", args=[review.pk])
    assert client.get(url).status_code == 200
    dims = list(review.dimensions.all())
    data = {"form-TOTAL_FORMS": 8, "form-INITIAL_FORMS": 6}
    for i, d in enumerate(dims):
        data.update({f"form-{i}-name": d.name, f"form-{i}-description": d.description})
        data[f"form-{i}-ORDER"] = 6 - i  # reversed
    data["form-0-DELETE"] = "on"  # the first dimension (now last) is removed
    data.update({"form-6-name": "推动高质量发展", "form-6-ORDER": 99})
    assert client.post(url, data).status_code == 302
    names = list(review.dimensions.values_list("name", flat=True))
    assert names == [d.name for d in reversed(dims[1:])] + ["推动高质量发展"]

    # Emptying the list is refused.
    data = {
        "form-TOTAL_FORMS": 1,
        "form-INITIAL_FORMS": 1,
        "form-0-name": "x",
        "form-0-DELETE": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "至少需要一项评议内容。" in response.content.decode()


@pytest.mark.django_db
def test_rules_form_and_freeze(client, ready_review, office_clerk):
    client.force_login(office_clerk)
    url = reverse("reviews:rules", args=[ready_review.pk])
    data = {
        "satisfied_min_percent": 70,
        "dissatisfied_over_percent": 33,
        "grading_denominator": "members",
        "allow_unknown": "on",
        "plan_due_months": 1,
        "report_due_months": 3,
        "party_report_days": 7,
        "min_group_size": 3,
    }
    bad = client.post(url, {**data, "satisfied_min_percent": 120})
    assert bad.status_code == 200 and 'value="120"' in bad.content.decode()
    assert client.post(url, data).status_code == 302
    ready_review.rules.refresh_from_db()
    assert ready_review.rules.dissatisfied_over_percent == 33
    assert ready_review.rules.allow_unknown is True

    services.advance_phase(actor=office_clerk, review=ready_review)
    services.advance_phase(actor=office_clerk, review=ready_review)
    page = client.get(url).content.decode()
    assert "规则已锁定" in page and "disabled" in page and "保存规则" not in page
    client.post(url, {**data, "min_group_size": 9})
    ready_review.rules.refresh_from_db()
    assert ready_review.rules.min_group_size == 3


@pytest.mark.django_db
def test_announcement_publish_and_withdraw_pages(client, ready_review, office_clerk):
    client.force_login(office_clerk)
    url = reverse("reviews:announcement", args=[ready_review.pk])
    assert client.post(url, {"announcement": "依据监督法开展述职评议。"}).status_code == 302
    ready_review.refresh_from_db()
    assert ready_review.announcement == "依据监督法开展述职评议。"
    response = client.post(reverse("reviews:publish", args=[ready_review.pk]), follow=True)
    public = reverse("reviews:public_review", args=[ready_review.pk])
    assert "已发布公示" in response.content.decode() and public in response.content.decode()
    ready_review.refresh_from_db()
    assert ready_review.is_published
    detail = client.get(reverse("reviews:detail", args=[ready_review.pk])).content.decode()
    assert public in detail
    client.post(reverse("reviews:withdraw", args=[ready_review.pk]))
    ready_review.refresh_from_db()
    assert not ready_review.is_published


@pytest.mark.django_db
def test_publish_refusal_is_shown(client, review, office_clerk):
    client.force_login(office_clerk)
    response = client.post(reverse("reviews:publish", args=[review.pk]), follow=True)
    assert "实施方案经领导小组批准后才能公示。" in response.content.decode()
    review.refresh_from_db()
    assert not review.is_published


# --- The dashboard: blockers and the advance button -------------------------------------------


def test_every_blocker_links_to_the_section_that_fixes_it():
    everything = ReviewFacts(
        phase=Phase.PREPARE,
        plan_status=PlanStatus.DRAFT,
        has_plan_document=False,
        timetable_complete=False,
        subject_count=0,
        subjects_without_group=2,
        groups_without_leader=1,
        dimension_count=0,
        leadership_has_leader=False,
    )
    review = Review(pk=7)
    links = blocker_links(review, blockers(everything))
    assert len(links) == 8
    by_reason = {link["reason"]: link["url"] for link in links}
    assert by_reason["尚未上传实施方案"] == "/reviews/7/plan/"
    assert by_reason["领导小组尚未确定组长"] == "/reviews/7/leadership/"
    assert by_reason["时间安排不完整（每个阶段都需要起止日期）"] == "/reviews/7/edit/"
    assert by_reason["尚未确定评议对象"] == "/reviews/7/enrol/"
    assert by_reason["有 2 个评议对象尚未分配评议工作组"] == "/reviews/7/subjects/"
    assert by_reason["有 1 个评议工作组尚未确定组长"] == "/reviews/7/#groups"
    assert by_reason["尚未设置评议内容"] == "/reviews/7/dimensions/"


@pytest.mark.django_db
def test_dashboard_shows_blockers_and_advances(client, review, office_clerk, chair, pdf_bytes):
    client.force_login(office_clerk)
    url = reverse("reviews:detail", args=[review.pk])
    page = client.get(url).content.decode()
    assert "还需要完成以下 5 项" in page
    assert f'<a href="{reverse("reviews:plan", args=[review.pk])}">尚未上传实施方案</a>' in page
    assert 'aria-current="step"' in page
    assert "由评议办工作人员推进" in page
    assert "disabled" in page

    # Refused: the reasons come back as a message.
    response = client.post(reverse("reviews:advance", args=[review.pk]), follow=True)
    assert "暂时不能推进到下一阶段：尚未上传实施方案；" in response.content.decode()
    review.refresh_from_db()
    assert review.phase == Phase.PREPARE

    make_ready(review, office_clerk, chair, pdf_bytes)
    page = client.get(url).content.decode()
    assert "本阶段的工作已全部就绪" in page
    response = client.post(reverse("reviews:advance", args=[review.pk]), follow=True)
    assert "评议活动已进入“调查 / 初评”阶段。" in response.content.decode()
    review.refresh_from_db()
    assert review.phase == Phase.INVESTIGATE


@pytest.mark.django_db
def test_home_pages_show_real_data(client, ready_review, office_clerk, chair, group_member):
    group = ready_review.groups.get()
    group.members.add(group_member)
    client.force_login(office_clerk)
    page = client.get(reverse("reviews:office_home")).content.decode()
    assert ready_review.title in page and "可推进" in page
    client.force_login(group_member)
    page = client.get(reverse("reviews:group_home")).content.decode()
    subject = ready_review.subjects.get()
    assert group.name in page and subject.display_name in page
    client.force_login(chair)
    page = client.get(reverse("reviews:council_home")).content.decode()
    assert "目前没有需要审议的事项" in page  # the plan is already approved


# --- Query counts do not grow with the rows (no N+1) --------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context)


def _populate(review, subjects: int, groups: int, members_per_group: int):
    made = [
        WorkingGroupFactory(
            review=review,
            leader=UserFactory(roles=["committee_member"]),
            members=[UserFactory(roles=["group_member"]) for _ in range(members_per_group)],
        )
        for _ in range(groups)
    ]
    for i in range(subjects):
        SubjectFactory(review=review, group=made[i % len(made)], official=OfficialFactory())


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["detail", "subjects"])
def test_review_pages_run_a_fixed_number_of_queries(client, review, office_clerk, chair, page):
    services.save_leadership(actor=office_clerk, review=review, members=[(chair, "leader", "")])
    _populate(review, subjects=3, groups=1, members_per_group=1)
    client.force_login(office_clerk)
    url = reverse(f"reviews:{page}", args=[review.pk])
    client.get(url)
    small = _queries(client, url)
    _populate(review, subjects=40, groups=5, members_per_group=4)
    services.save_leadership(
        actor=office_clerk,
        review=review,
        members=[(UserFactory(), "member", "") for _ in range(6)],
    )
    assert _queries(client, url) == small


@pytest.mark.django_db
def test_review_list_and_office_home_run_a_fixed_number_of_queries(client, office_clerk):
    def add_reviews(n, subjects):
        for _ in range(n):
            review = ReviewFactory(created_by=office_clerk)
            _populate(review, subjects=subjects, groups=2, members_per_group=1)

    add_reviews(1, 3)
    client.force_login(office_clerk)
    for name in ("reviews:list", "reviews:office_home"):
        client.get(reverse(name))
        small = _queries(client, reverse(name))
        add_reviews(3, 12)
        assert _queries(client, reverse(name)) == small, name


@pytest.mark.django_db
def test_list_shows_phase_and_blocker_count(client, review, office_clerk):
    client.force_login(office_clerk)
    page = client.get(reverse("reviews:list")).content.decode()
    assert review.title in page and "准备" in page and "5 项未完成" in page


@pytest.mark.django_db
def test_pages_have_no_inline_style_script_or_foreign_host(client, personas, world):
    from tests.config.test_pages import FOREIGN

    pages = [(personas["office"], name) for name in [*OFFICE_PAGES, "detail", "plan"]]
    pages += [(personas["council"], "detail"), (personas["council"], "plan")]
    pages += [(personas["group_member"], "detail")]
    for user, name in pages:
        client.force_login(user)
        html = client.get(_url(name, world)).content.decode()
        assert "style=" not in html, name
        assert "<script>" not in html, name
        assert not FOREIGN.search(html), (name, FOREIGN.search(html))
    client.force_login(personas["office"])
    democratic = ReviewFactory(created_by=personas["office"], kind="democratic")
    html = client.get(reverse("reviews:enrol", args=[democratic.pk])).content.decode()
    assert "style=" not in html


@pytest.mark.django_db
def test_archived_review_says_so_once(client, ready_review, office_clerk):
    from tests.reviews.test_workflow import store_archive

    for _ in range(3):
        services.advance_phase(actor=office_clerk, review=ready_review)
    store_archive(ready_review, office_clerk)
    services.advance_phase(actor=office_clerk, review=ready_review)
    client.force_login(office_clerk)
    response = client.post(reverse("reviews:advance", args=[ready_review.pk]), follow=True)
    page = response.content.decode()
    assert "暂时不能推进到下一阶段：评议活动已归档。" in page and "。。" not in page
    assert "推进到下一阶段</button>" not in page  # no next phase, no button


@pytest.mark.django_db
def test_new_group_gets_a_chinese_default_name(client, review, office_clerk):
    client.force_login(office_clerk)
    page = client.get(reverse("reviews:group_create", args=[review.pk])).content.decode()
    assert 'value="第一评议工作组"' in page
