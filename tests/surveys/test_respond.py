"""Answering questionnaires: the answer page, the code-entry page, deputies' "我的问卷", and
who may open which page."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from subjects.roles import Role
from surveys.invitations import issue_batch, void_batch
from surveys.models import Answer, Invitation, InvitationBatch, Response
from surveys.responses import load_structure
from tests.factories import (
    QuestionFactory,
    QuestionnaireFactory,
    ReviewFactory,
    SectionFactory,
    SubjectFactory,
    UserFactory,
    matrix_questionnaire,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_cache():
    """Wrong codes and open-link submissions are counted per IP in the cache."""
    cache.clear()
    yield
    cache.clear()


# --- helpers shared with the R7 and R8 modules -----------------------------------------------


def questionnaire_with_matrix(subjects=2, dimensions=2, **kwargs):
    review = ReviewFactory()
    members = [SubjectFactory(review=review) for _ in range(subjects)]
    dims = list(review.dimensions.order_by("order", "id"))[:dimensions]
    return matrix_questionnaire(review, members, dimensions=dims, **kwargs)


def full_answers(questionnaire, choice="satisfied") -> dict:
    """POST data answering every matrix cell with `choice` and the text question."""
    data = {}
    for section in load_structure(questionnaire):
        for view in section.questions:
            for cell in view.cells:
                if view.question.kind == "matrix":
                    data[cell.name] = choice
                elif view.question.kind == "text":
                    data[cell.name] = "希望进一步改进工作作风。"
    return data


def slip_codes(questionnaire, count=1, actor=None) -> list[str]:
    actor = actor or UserFactory(roles=[Role.OFFICE])
    _batch, pairs = issue_batch(
        actor=actor, questionnaire=questionnaire, label="县人大代表", delivery="slips", count=count
    )
    return [code for _invitation, code in pairs]


def invite_account(questionnaire, user):
    actor = UserFactory(roles=[Role.OFFICE])
    batch, _pairs = issue_batch(
        actor=actor,
        questionnaire=questionnaire,
        label="代表账号",
        delivery=InvitationBatch.Delivery.ACCOUNTS,
        users=[user],
    )
    return batch


# --- the partial and the answer page ---------------------------------------------------------


def test_answer_page_renders_every_kind_with_required_marks(client):
    review = ReviewFactory()
    subject = SubjectFactory(review=review)
    questionnaire = QuestionnaireFactory(review=review, intro="本问卷用于述职评议，匿名填写。")
    first = SectionFactory(questionnaire=questionnaire, title="总体评价", order=1)
    second = SectionFactory(questionnaire=questionnaire, title="意见建议", order=2)
    QuestionFactory(section=first, kind="satisfaction", text="总体满意度", subject=subject)
    QuestionFactory(section=first, kind="single", text="了解程度", options=["很了解", "不太了解"])
    QuestionFactory(section=first, kind="multiple", text="了解渠道", options=["新闻", "走访"])
    QuestionFactory(section=second, kind="score", text="综合评分")
    QuestionFactory(section=second, kind="text", text="其他意见", required=False)
    code = slip_codes(questionnaire)[0]

    page = client.get(reverse("surveys:respond_with_code", args=[code]))

    assert page.status_code == 200
    html = page.content.decode()
    assert questionnaire.title in html
    assert "本问卷用于述职评议，匿名填写。" in html
    assert "第 1/2 部分" in html and "第 2/2 部分" in html
    assert "上一部分" in html and "下一部分" in html
    for text in ("总体满意度", "了解程度", "很了解", "了解渠道", "综合评分", "其他意见"):
        assert text in html
    assert html.count("（必答）") == 4  # the text question is optional
    assert "基本满意" in html and 'type="checkbox"' in html and 'type="number"' in html
    assert "提交问卷" in html
    assert "js/survey.js" in html and "<script>" not in html
    assert page["Cache-Control"].startswith("max-age=0")


def test_matrix_is_one_card_per_subject_with_one_row_per_dimension(client):
    questionnaire = questionnaire_with_matrix(subjects=5, dimensions=3)
    code = slip_codes(questionnaire)[0]

    html = client.get(reverse("surveys:respond_with_code", args=[code])).content.decode()

    assert html.count("survey-matrix-subject") == 5
    assert html.count('class="list-group-item survey-matrix-row') == 15
    assert "<table" not in html


def test_failed_submit_lists_errors_on_top_and_keeps_every_answer(client):
    questionnaire = questionnaire_with_matrix(subjects=2, dimensions=2)
    code = slip_codes(questionnaire)[0]
    data = full_answers(questionnaire, "basic")
    missing = sorted(k for k in data if "_s" in k)[0]
    del data[missing]
    data[next(k for k in data if "_s" not in k)] = "我填写的意见要保留"

    page = client.post(reverse("surveys:respond_with_code", args=[code]), data)

    assert page.status_code == 200
    html = page.content.decode()
    assert "问卷还有 1 处需要填写或修改" in html
    assert f'href="#f-{missing}"' in html
    assert "我填写的意见要保留" in html
    assert html.count('value="basic" autocomplete="off" checked') == 3
    assert Response.objects.count() == 0
    assert not Invitation.objects.get().used


def test_answer_with_code_stores_the_response_and_thanks(client):
    questionnaire = questionnaire_with_matrix(subjects=2, dimensions=2)
    code = slip_codes(questionnaire)[0]

    page = client.post(
        reverse("surveys:respond_with_code", args=[code.lower()]), full_answers(questionnaire)
    )

    assert page.status_code == 302
    assert page["Location"] == reverse("surveys:respond_done", args=[questionnaire.pk])
    response = Response.objects.get()
    assert response.channel == "invitation"
    assert Answer.objects.filter(response=response, choice="satisfied").count() == 4
    assert Answer.objects.get(response=response, text__gt="").text == "希望进一步改进工作作风。"
    assert Invitation.objects.get().used
    done = client.get(page["Location"])
    assert "提交成功，感谢您的参与" in done.content.decode()
    assert f'data-survey-clear="pingyi-survey:{questionnaire.pk}:"' in done.content.decode()


def test_scheduled_then_closed_questionnaire_shows_its_dates(client):
    now = timezone.now()
    questionnaire = questionnaire_with_matrix(
        opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=5)
    )
    code = slip_codes(questionnaire)[0]
    url = reverse("surveys:respond_with_code", args=[code])
    local_open = timezone.localtime(questionnaire.opens_at)

    html = client.get(url).content.decode()
    assert "问卷尚未开始" in html
    assert f"{local_open:%Y}年{local_open.month}月{local_open.day}日" in html
    assert "提交问卷" not in html

    questionnaire.opens_at = now - timedelta(days=5)
    questionnaire.closes_at = now - timedelta(hours=1)
    questionnaire.save()
    html = client.get(url).content.decode()
    assert "问卷已截止" in html and "填写时间" in html
    page = client.post(url, full_answers(questionnaire))
    assert "问卷已截止" in page.content.decode()
    assert Response.objects.count() == 0


def test_unknown_code_page(client):
    page = client.get(reverse("surveys:respond_with_code", args=["ABCDEFGH"]))
    assert page.status_code == 404
    assert "邀请码不正确" in page.content.decode()


# --- the code-entry page ---------------------------------------------------------------------


def test_code_entry_leads_to_the_questionnaire(client):
    questionnaire = questionnaire_with_matrix()
    code = slip_codes(questionnaire)[0]
    assert "8 位邀请码" in client.get(reverse("surveys:respond_code")).content.decode()

    typed = f" {code[:4].lower()} {code[4:]} "
    page = client.post(reverse("surveys:respond_code"), {"code": typed})

    assert page.status_code == 302
    assert page["Location"] == reverse("surveys:respond_with_code", args=[code])


def test_code_entry_refuses_a_wrong_code_and_throttles_per_ip(client):
    url = reverse("surveys:respond_code")
    for _ in range(20):
        page = client.post(url, {"code": "ZZZZZZZZ"}, REMOTE_ADDR="10.0.0.7")
        assert "邀请码不正确" in page.content.decode()
    from subjects.models import AuditEvent

    assert AuditEvent.objects.filter(action="survey.code_throttled").count() == 1
    # Even a good code is refused from that address now; another address is not throttled.
    questionnaire = questionnaire_with_matrix()
    code = slip_codes(questionnaire)[0]
    page = client.post(url, {"code": code}, REMOTE_ADDR="10.0.0.7")
    assert page.status_code == 429
    assert "输错次数过多" in page.content.decode()
    page = client.get(reverse("surveys:respond_with_code", args=[code]), REMOTE_ADDR="10.0.0.7")
    assert page.status_code == 429
    assert client.post(url, {"code": code}, REMOTE_ADDR="10.0.0.8").status_code == 302


def test_wrong_codes_in_the_url_count_too(client):
    for _ in range(20):
        client.get(reverse("surveys:respond_with_code", args=["QQQQQQQQ"]), REMOTE_ADDR="10.0.0.9")
    page = client.post(reverse("surveys:respond_code"), {"code": "X"}, REMOTE_ADDR="10.0.0.9")
    assert page.status_code == 429


# --- deputies with accounts ------------------------------------------------------------------


def test_deputy_home_lists_open_answered_and_closed(client, deputy, django_assert_max_num_queries):
    now = timezone.now()
    open_ones = [questionnaire_with_matrix(title=f"待填问卷{i}") for i in range(3)]
    answered = questionnaire_with_matrix(title="已答问卷")
    later = questionnaire_with_matrix(
        title="未开始问卷", opens_at=now + timedelta(days=2), closes_at=now + timedelta(days=9)
    )
    not_mine = questionnaire_with_matrix(title="别人的问卷")
    for q in [*open_ones, answered, later]:
        invite_account(q, deputy)
    invite_account(not_mine, UserFactory(roles=[Role.DEPUTY]))
    Invitation.objects.filter(questionnaire=answered).update(used=True)
    client.force_login(deputy)

    with django_assert_max_num_queries(8):
        page = client.get(reverse("surveys:deputy_home"))

    html = page.content.decode()
    for q in open_ones:
        assert reverse("surveys:respond_account", args=[q.pk]) in html
    assert "已答问卷" in html and "已填写" in html
    assert reverse("surveys:respond_account", args=[answered.pk]) not in html
    assert "未开始问卷" in html and "未开始" in html
    assert "别人的问卷" not in html


def test_deputy_home_empty(client, deputy):
    client.force_login(deputy)
    assert "目前没有需要您填写的问卷" in client.get(reverse("surveys:deputy_home")).content.decode()


def test_deputy_answers_once_from_the_account(client, deputy):
    questionnaire = questionnaire_with_matrix()
    invite_account(questionnaire, deputy)
    client.force_login(deputy)
    url = reverse("surveys:respond_account", args=[questionnaire.pk])
    assert questionnaire.title in client.get(url).content.decode()

    page = client.post(url, full_answers(questionnaire, "dissatisfied"))

    assert page.status_code == 302
    response = Response.objects.get()
    assert response.channel == "account"
    assert Answer.objects.filter(response=response, choice="dissatisfied").count() == 4
    assert Invitation.objects.get(user=deputy).used
    again = client.post(url, full_answers(questionnaire))
    assert again.status_code == 200
    assert "您已填写过本问卷" in again.content.decode()
    assert Response.objects.count() == 1
    assert "已填写" in client.get(reverse("surveys:deputy_home")).content.decode()


def test_deputy_voided_invitation_is_refused(client, deputy):
    questionnaire = questionnaire_with_matrix()
    batch = invite_account(questionnaire, deputy)
    void_batch(actor=UserFactory(roles=[Role.OFFICE]), batch=batch)
    client.force_login(deputy)
    url = reverse("surveys:respond_account", args=[questionnaire.pk])
    assert "邀请已作废" in client.get(url).content.decode()
    client.post(url, full_answers(questionnaire))
    assert Response.objects.count() == 0


# --- who may open what -----------------------------------------------------------------------


def test_anonymous_reaches_the_public_pages(client):
    questionnaire = questionnaire_with_matrix(open_link=True)
    code = slip_codes(questionnaire)[0]
    assert client.get(reverse("surveys:respond_code")).status_code == 200
    assert client.get(reverse("surveys:respond_with_code", args=[code])).status_code == 200
    assert (
        client.get(reverse("surveys:respond_open", args=[questionnaire.public_token])).status_code
        == 200
    )
    assert client.get(reverse("surveys:respond_done", args=[questionnaire.pk])).status_code == 200


@pytest.mark.parametrize("name", ["deputy_home", "respond_account"])
def test_deputy_pages_need_login(client, name):
    questionnaire = questionnaire_with_matrix()
    args = [questionnaire.pk] if name == "respond_account" else []
    page = client.get(reverse(f"surveys:{name}", args=args))
    assert page.status_code == 302
    assert reverse("login") in page["Location"]


@pytest.mark.parametrize("persona", ["office", "council", "group_member", "official"])
def test_deputy_pages_refuse_other_roles(client, personas, persona):
    questionnaire = questionnaire_with_matrix()
    invite_account(questionnaire, personas[persona])
    client.force_login(personas[persona])
    assert client.get(reverse("surveys:deputy_home")).status_code == 403
    url = reverse("surveys:respond_account", args=[questionnaire.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, full_answers(questionnaire)).status_code == 403
    assert Response.objects.count() == 0


def test_another_deputys_questionnaire_is_404(client, deputy):
    questionnaire = questionnaire_with_matrix()
    invite_account(questionnaire, UserFactory(roles=[Role.DEPUTY]))
    client.force_login(deputy)
    url = reverse("surveys:respond_account", args=[questionnaire.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, full_answers(questionnaire)).status_code == 404
    assert Response.objects.count() == 0
    assert not Invitation.objects.get().used


def test_unpublished_questionnaire_is_404_for_the_deputy(client, deputy):
    questionnaire = questionnaire_with_matrix()
    invite_account(questionnaire, deputy)
    questionnaire.published_at = None
    questionnaire.save()
    client.force_login(deputy)
    page = client.get(reverse("surveys:respond_account", args=[questionnaire.pk]))
    assert page.status_code == 404


def test_the_partial_for_the_office_preview_has_no_submit_and_takes_plain_dicts():
    from django.template.loader import render_to_string

    questionnaire = questionnaire_with_matrix(subjects=1, dimensions=1)
    structure = load_structure(questionnaire)
    matrix, text = structure[0].questions
    cell = matrix.cells[0]
    html = render_to_string(
        "surveys/partials/_answer_form.html",
        {
            "structure": structure,
            "values": {cell.name: "dissatisfied", text.name: ["已有意见"]},
            "errors": {text.name: "意见不超过 2000 字（现在 2001 字）。"},
            "preview": True,
        },
    )
    assert "提交问卷" not in html
    assert f'id="{cell.name}-dissatisfied" value="dissatisfied" autocomplete="off" checked' in html
    assert "已有意见" in html
    assert "意见不超过 2000 字" in html
    assert "问卷还有 1 处需要填写或修改" in html
