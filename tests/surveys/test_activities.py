"""Investigation activities (调查活动): who may open and post every view (R9, R10), logging an
activity with several attachments checked by content (R14) and served privately (R15), the
phase rules, editing by the group and the office, filters and a fixed query count."""

import os
from datetime import date

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reviews.workflow import Phase
from subjects.models import AuditEvent
from surveys import investigation
from surveys.models import Activity, ActivityAttachment
from tests.surveys.investigation_world import (
    EXE,
    PERSONAS,
    assert_outcome,
    build_world,
    docx_bytes,
    expected,
    pdf_bytes,
)


@pytest.fixture
def world(office_clerk, chair, group_member, committee_member, deputy, official_a):
    return build_world(office_clerk, chair, group_member, committee_member, deputy, official_a)


def stored_files() -> int:
    root = os.path.join(settings.MEDIA_ROOT, "private", "surveys")
    return sum(len(files) for _dir, _sub, files in os.walk(root))


def form_data(world, **overrides):
    data = {
        "group": world.group_a.pk,
        "kind": "forum",
        "held_on": "2025-05-20",
        "place": "县政务服务中心",
        "participants": "服务对象代表 8 人",
        "notes": "群众反映窗口排队时间长。",
        "subjects": [world.a1.pk, world.a2.pk],
    }
    data.update(overrides)
    return data


# --- R10: who may open and post each view -----------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_read_views_matrix(world, persona):
    activity = world.activity()
    stored = investigation.create_activity(
        actor=world.user("group"),
        review=world.review,
        group=world.group_a,
        subjects=[world.a1],
        files=[SimpleUploadedFile("记录.pdf", pdf_bytes())],
        kind="interview",
        held_on=date(2025, 5, 21),
        notes="访谈记录",
    )
    attachment = stored.attachments.get()
    client = world.client(persona)
    urls = [
        reverse("surveys:activity", args=[activity.pk]),
        reverse("surveys:activity_attachment", args=[stored.pk, attachment.pk]),
    ]
    for url in urls:
        assert_outcome(client.get(url), expected(persona, write=False))
    # The list is per review: other groups' members get the review but not the records.
    response = client.get(reverse("surveys:activity_list", args=[world.review.pk]))
    outcome = expected(persona, write=False)
    if persona == "other_group":
        assert response.status_code == 200
        assert "县人大常委会三楼会议室" not in response.content.decode()
    else:
        assert_outcome(response, outcome)


@pytest.mark.parametrize("persona", PERSONAS)
def test_write_views_matrix(world, persona):
    activity = world.activity()
    client = world.client(persona)
    outcome = expected(persona, write=True)
    assert_outcome(client.get(reverse("surveys:activity_edit", args=[activity.pk])), outcome)
    create_url = reverse("surveys:activity_create", args=[world.review.pk])
    create_get = client.get(create_url)
    create_post = client.post(create_url, form_data(world, notes=f"{persona} 的记录"))
    edit_post = client.post(
        reverse("surveys:activity_edit", args=[activity.pk]),
        form_data(world, notes=f"{persona} 修改"),
    )
    if persona == "other_group":
        # In the review, but not in group A: may log for their own group, not edit A's.
        assert create_get.status_code == 200
        assert create_post.status_code == 200  # group A is not a valid choice for them
        assert not Activity.objects.filter(notes="other_group 的记录").exists()
        assert edit_post.status_code == 404
    else:
        assert_outcome(create_get, outcome)
        assert_outcome(create_post, outcome)
        assert_outcome(edit_post, outcome)
    made = Activity.objects.filter(notes=f"{persona} 的记录").exists()
    assert made == (outcome == "ok")
    activity.refresh_from_db()
    assert (activity.notes == f"{persona} 修改") == (outcome == "ok")


def test_other_group_member_gets_404_on_attachment_and_remove(world):
    activity = investigation.create_activity(
        actor=world.user("group"),
        review=world.review,
        group=world.group_a,
        subjects=[world.a1],
        files=[SimpleUploadedFile("a.pdf", pdf_bytes())],
        kind="forum",
        held_on=date(2025, 5, 20),
        notes="记录",
    )
    attachment = activity.attachments.get()
    client = world.client("other_group")
    args = [activity.pk, attachment.pk]
    assert client.get(reverse("surveys:activity_attachment", args=args)).status_code == 404
    assert client.post(reverse("surveys:activity_attachment_remove", args=args)).status_code == 404
    assert (
        world.client("council")
        .post(reverse("surveys:activity_attachment_remove", args=args))
        .status_code
        == 403
    )
    assert ActivityAttachment.objects.filter(pk=attachment.pk).exists()


# --- logging an activity ------------------------------------------------------------------------


def test_group_member_logs_a_forum_with_two_attachments(world):
    client = world.client("group")
    data = form_data(world)
    data["attachments"] = [
        SimpleUploadedFile("座谈会记录.pdf", pdf_bytes()),
        SimpleUploadedFile("发言提纲.docx", docx_bytes()),
    ]
    response = client.post(reverse("surveys:activity_create", args=[world.review.pk]), data)
    activity = Activity.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("surveys:activity", args=[activity.pk])
    assert activity.group == world.group_a
    assert activity.kind == "forum"
    assert activity.created_by == world.user("group")
    assert set(activity.subjects.all()) == {world.a1, world.a2}
    names = sorted(activity.attachments.values_list("name", flat=True))
    assert names == ["发言提纲.docx", "座谈会记录.pdf"]
    assert AuditEvent.objects.filter(action="investigation.activity_created").count() == 1

    page = client.get(response["Location"]).content.decode()
    assert "群众反映窗口排队时间长。" in page
    assert "座谈会记录.pdf" in page and "王建国" in page and "李红梅" in page

    attachment = activity.attachments.get(name="座谈会记录.pdf")
    download = client.get(reverse("surveys:activity_attachment", args=[activity.pk, attachment.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content).startswith(b"%PDF-")


def test_exe_renamed_pdf_is_refused_and_nothing_is_stored(world):
    before = stored_files()
    client = world.client("group")
    data = form_data(world, notes="这段记录必须保留")
    data["attachments"] = [
        SimpleUploadedFile("记录.pdf", pdf_bytes()),
        SimpleUploadedFile("病毒.pdf", EXE),
    ]
    response = client.post(reverse("surveys:activity_create", args=[world.review.pk]), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "附件“病毒.pdf”未能上传" in page
    assert "只能上传 PDF、Word（.docx） 文件" in page
    assert "这段记录必须保留" in page  # R23: what was typed is kept
    assert Activity.objects.count() == 0
    assert ActivityAttachment.objects.count() == 0
    assert stored_files() == before
    assert AuditEvent.objects.filter(action="upload.refused").count() == 1


def test_member_cannot_log_for_another_groups_subject(world):
    client = world.client("group")
    response = client.post(
        reverse("surveys:activity_create", args=[world.review.pk]),
        form_data(world, subjects=[world.b1.pk]),
    )
    assert response.status_code == 200
    assert "所选评议对象不在您可以记录的范围内" in response.content.decode()
    assert Activity.objects.count() == 0
    # The service refuses it too, whatever the form offered.
    with pytest.raises(ValidationError):
        world.activity(subjects=[world.b1])


def test_office_may_log_for_any_subject(world):
    client = world.client("office")
    response = client.post(
        reverse("surveys:activity_create", args=[world.review.pk]),
        form_data(world, group=world.group_b.pk, subjects=[world.a1.pk, world.b1.pk]),
    )
    assert response.status_code == 302
    activity = Activity.objects.get()
    assert activity.group == world.group_b
    assert set(activity.subjects.all()) == {world.a1, world.b1}


def test_missing_fields_show_chinese_errors(world):
    response = world.client("group").post(
        reverse("surveys:activity_create", args=[world.review.pk]),
        form_data(world, notes="", subjects=[], held_on=""),
    )
    page = response.content.decode()
    assert "请填写情况记录。" in page
    assert "请至少选择一个涉及的评议对象。" in page
    assert "请填写活动日期。" in page
    assert Activity.objects.count() == 0


def test_future_date_is_refused(world):
    response = world.client("group").post(
        reverse("surveys:activity_create", args=[world.review.pk]),
        form_data(world, held_on="2999-01-01"),
    )
    assert "活动日期不能晚于今天。" in response.content.decode()
    assert Activity.objects.count() == 0


# --- phases -------------------------------------------------------------------------------------


def test_prepare_phase_refuses_with_a_message(world):
    world.set_phase(Phase.PREPARE)
    client = world.client("group")
    url = reverse("surveys:activity_create", args=[world.review.pk])
    response = client.get(url, follow=True)
    assert "调查工作尚未开始" in response.content.decode()
    response = client.post(url, form_data(world), follow=True)
    assert "调查工作尚未开始" in response.content.decode()
    assert Activity.objects.count() == 0
    with pytest.raises(ValidationError, match="调查工作尚未开始"):
        world.activity()


def test_meeting_phase_still_allows_logging(world):
    world.set_phase(Phase.MEETING)
    assert world.activity().pk


def test_archived_review_is_read_only(world):
    activity = world.activity()
    world.set_phase(Phase.ARCHIVED)
    client = world.client("group")
    page = client.get(reverse("surveys:activity", args=[activity.pk])).content.decode()
    assert "代表反映审批时限偏长。" in page
    assert "只能查看" in page
    assert reverse("surveys:activity_edit", args=[activity.pk]) not in page
    response = client.post(
        reverse("surveys:activity_edit", args=[activity.pk]), form_data(world, notes="改")
    )
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.notes == "代表反映审批时限偏长。"
    listing = client.get(reverse("surveys:activity_list", args=[world.review.pk]))
    assert (
        reverse("surveys:activity_create", args=[world.review.pk]) not in listing.content.decode()
    )


# --- editing ------------------------------------------------------------------------------------


def test_another_member_of_the_group_edits_and_adds_an_attachment(world, django_user_model):
    activity = world.activity()
    colleague = django_user_model.objects.create(username="colleague", full_name="周敏")
    from subjects.models import UserRole

    UserRole.objects.create(user=colleague, role="group_member")
    world.group_a.members.add(colleague)
    from django.test import Client

    client = Client()
    client.force_login(colleague)
    data = form_data(world, notes="补充：窗口已增加两人。", subjects=[world.a2.pk])
    data["attachments"] = [SimpleUploadedFile("补充材料.pdf", pdf_bytes())]
    response = client.post(reverse("surveys:activity_edit", args=[activity.pk]), data)
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.notes == "补充：窗口已增加两人。"
    assert list(activity.subjects.all()) == [world.a2]
    assert activity.created_by == world.user("group")  # the author stays
    assert activity.attachments.get().name == "补充材料.pdf"
    event = AuditEvent.objects.get(action="investigation.activity_updated")
    assert event.actor == colleague
    assert "notes" in event.data and "subjects" in event.data


def test_group_member_removes_an_attachment(world):
    activity = investigation.create_activity(
        actor=world.user("group"),
        review=world.review,
        group=world.group_a,
        subjects=[world.a1],
        files=[SimpleUploadedFile("a.pdf", pdf_bytes())],
        kind="forum",
        held_on=date(2025, 5, 20),
        notes="记录",
    )
    attachment = activity.attachments.get()
    response = world.client("group").post(
        reverse("surveys:activity_attachment_remove", args=[activity.pk, attachment.pk])
    )
    assert response.status_code == 302
    assert not activity.attachments.exists()
    assert AuditEvent.objects.filter(action="investigation.attachment_removed").exists()


# --- the list -----------------------------------------------------------------------------------


def test_list_filters_by_subject_kind_and_group(world):
    world.activity(kind="forum", place="甲地")
    world.activity(kind="interview", subjects=[world.a2], place="乙地")
    world.activity(
        kind="inspection",
        group=world.group_b,
        subjects=[world.b1],
        user=world.user("other_group"),
        place="丙地",
    )
    url = reverse("surveys:activity_list", args=[world.review.pk])
    office = world.client("office")
    page = office.get(url).content.decode()
    assert "甲地" in page and "乙地" in page and "丙地" in page
    page = office.get(url, {"subject": world.a2.pk}).content.decode()
    assert "乙地" in page and "甲地" not in page
    page = office.get(url, {"kind": "forum"}).content.decode()
    assert "甲地" in page and "乙地" not in page
    page = office.get(url, {"group": world.group_b.pk}).content.decode()
    assert "丙地" in page and "甲地" not in page
    # A group member sees only their group's activities.
    page = world.client("group").get(url).content.decode()
    assert "甲地" in page and "丙地" not in page


def test_list_runs_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    for i in range(40):
        world.activity(place=f"地点{i}", subjects=[world.a1, world.a2])
    client = world.client("group")
    url = reverse("surveys:activity_list", args=[world.review.pk])
    client.get(url)  # warm the session and caches
    with django_assert_max_num_queries(14):
        response = client.get(url)
    assert "地点39" in response.content.decode()
