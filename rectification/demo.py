"""Demo data of the 评议意见 and the review's official documents, for the finished 2025 review
of reviews/demo.py (its meeting of 18 September 2025 is over, the poll sealed, published and
public):

- a 评议意见 for each of its twelve subjects, written from the demo findings (each clause cites
  them) with concrete achievements under 总体评价 and the rules' deadlines under 整改要求;
- ten approved by the 主任会议 on 25 September and issued on the 26th as numbered 公文; 蒋学文's
  (graded 不满意) waits for the council until he has explained himself, and 朱志玉's was
  returned with the council's comments;
- the 测评结果通报 (〔2025〕1号, published on the public page) and the 评议工作情况报告 to the party
  committee (〔2025〕2号), which closes the party-report deadline;
- 孙丽 (login `official2`, the subject with a login in this review) acknowledged her opinion;
  the office recorded the delivery of 唐晓燕's; 林国栋's opinion is published, one clause kept
  internal.

Then rectification/demo_cases.py moves the review into 整改 with its cases.

Every PDF is rendered here, synchronously, so `make run` shows them without a worker. Records go
through the services; only history (the receipt date in September) is written directly. The
review is skipped once it has opinions; PDFs still missing are rendered on every run.
"""

from datetime import date

from django.db import transaction
from django.utils import timezone

from reviews.demo import DUTY_2025_TITLE, _users
from reviews.models import Review, Subject
from reviews.workflow import Phase
from subjects.models import User

from . import documents, drafts, obligations, opinions
from .models import (
    Document,
    DocumentKind,
    DocumentStatus,
    ObligationKind,
    Opinion,
    RenderStatus,
)

NOTICE_SIGNED = date(2025, 9, 22)
REPORT_SIGNED = date(2025, 9, 24)
COUNCIL_SESSION = "县十八届人大常委会第四十三次主任会议"
COUNCIL_DATE = date(2025, 9, 25)
OPINIONS_SIGNED = date(2025, 9, 26)
RECEIVED = date(2025, 9, 28)
DELIVERED = date(2025, 9, 29)

AWAITING = "蒋学文"  # graded 不满意: the council hears his explanation before the opinion
RETURNED = "朱志玉"
RETURN_COMMENT = (
    "总体评价对应急管理工作的成效写得较为笼统，请补充防汛抗旱和安全生产执法的具体情况；"
    "“存在的问题”第二条与问题清单的表述不一致，请核实后修改，下次主任会议再审。"
)
PUBLISHED = "林国栋"
ACKNOWLEDGED_BY = ("official", "official2")  # the first login that has a subject here
DELIVERY_RECORDED = "唐晓燕"

# 总体评价: what each did well, in the words of the groups' 调查报告 (the 测评 result and the
# 询问 record follow, as the prefilled draft writes them).
ACHIEVEMENTS = {
    "林国栋": (
        "能够认真贯彻执行宪法法律和县委决策部署，自觉接受县人大常委会监督。分管自然资源、"
        "农业农村和水利工作，推动落实田长制，完成高标准农田建设2.6万亩，耕地保有量和永久基本"
        "农田保护任务全面完成；统筹推进农村饮水安全巩固提升工程，新增受益人口4.3万人；"
        "牵头办理人大代表建议21件，办结率100%。"
    ),
    "唐晓燕": (
        "分管审判执行工作，坚持公正司法、司法为民，推动诉讼服务中心建设，实现立案、缴费、"
        "送达“一站式”办理；组织开展涉民生案件集中执行活动，执行到位金额1.2亿元；主动向县人大"
        "常委会报告专项工作，邀请人大代表旁听庭审48人次。"
    ),
    "伍光辉": (
        "分管刑事检察和公益诉讼工作，依法履行法律监督职责，办理公益诉讼案件36件，督促修复"
        "被损毁耕地120亩、清理生活垃圾1.5万吨；推进认罪认罚从宽制度，适用率达89%；认真办理"
        "人大代表转交的案件线索和建议。"
    ),
    "金鑫": (
        "牵头推进重点项目建设，全年实施县级重点项目86个，完成投资58.3亿元；推行“一窗受理、"
        "并联审批”，一般工程建设项目审批时限压缩至45个工作日以内；公开涉企收费目录清单，"
        "营商环境评价在全市的位次前移5位。"
    ),
    "蒋学文": (
        "在稳就业、保民生方面做了一定工作，全年城镇新增就业2860人，发放创业担保贷款3100万元；"
        "但在根治欠薪、社保经办服务等群众关切的问题上推进不力，服务对象满意度不高。"
    ),
    "朱志玉": (
        "组织开展安全生产专项整治，排查整改隐患1260处；建成县级应急指挥中心，修订完善各类"
        "应急预案32个；汛期组织转移避险群众2100人。"
    ),
    "贾厚余": (
        "认真贯彻党的民族宗教政策，依法管理宗教事务，开展民族团结进步创建活动，建成示范单位"
        "14个；推动民族村寨基础设施建设，落实少数民族发展资金680万元。"
    ),
    "孙丽": (
        "深化商事制度改革，新增市场主体4120户；开展食品安全专项整治行动，抽检食品2300批次，"
        "合格率98.6%；建立12315投诉举报快速处置机制，为消费者挽回经济损失210万元。"
    ),
    "吴银国": (
        "全面落实立案登记制，当场立案率达96%；推行网上立案和跨域立案服务，建立诉前调解工作"
        "机制，诉前化解矛盾纠纷1380件。"
    ),
    "戴永明": (
        "审理各类民商事案件960件，结案率93%；围绕优化营商环境，妥善审理金融借款、买卖合同"
        "纠纷案件，调解撤诉率达52%。"
    ),
    "郑洲": (
        "办理审查逮捕、审查起诉案件210件，无错捕错诉；积极参与未成年人检察工作，开展法治进"
        "校园活动18场。"
    ),
    "戚玉柱": (
        "办理民事、行政检察监督案件65件，提出检察建议23件，均被采纳；参与行政非诉执行监督"
        "专项活动，促进依法行政。"
    ),
}

# 存在的问题: one clause per category of the subject's findings, in the words of its sector.
# The first sentence is the clause's 小标题.
CLAUSES = {
    "government": {
        "duty": (
            "抓落实的力度还需加大。部分行政审批事项办理时限超过承诺时限，企业和群众反映"
            "“跑多次”的问题仍然存在，“放管服”改革成效还未充分显现。"
        ),
        "proposals": (
            "办理代表建议重答复、轻落实。个别建议的承诺事项未按期办结，对代表建议办理情况的"
            "跟踪督办不够，代表对落实情况不够满意。"
        ),
        "law": (
            "执法规范化水平有待提高。基层执法案卷记录不完整，行政处罚自由裁量基准执行不统一，"
            "同类违法行为处罚尺度不一的问题时有发生。"
        ),
        "conduct": (
            "深入基层调研还不够。对基层反映的困难和问题研究解决不及时，服务基层、服务群众的"
            "主动性需进一步增强。"
        ),
    },
    "court": {
        "duty": (
            "审判执行质效有待进一步提升。部分案件审理期限偏长，当事人反映诉讼服务环节多、"
            "立案和执行周期较长。"
        ),
        "proposals": (
            "办理代表建议重答复、轻落实。对代表提出的建议跟踪落实不够，个别承诺事项未按期办结，"
            "与代表的日常联络沟通不够。"
        ),
        "law": "司法规范化建设还需加强。部分案件卷宗材料记录不完整，裁判尺度统一工作有待加强。",
        "conduct": (
            "深入基层、服务群众还不够。巡回审判和诉源治理工作开展不够扎实，对基层反映的"
            "矛盾纠纷回应不够及时。"
        ),
    },
    "procuratorate": {
        "duty": (
            "法律监督的精准性和实效性有待提升。部分案件办理周期偏长，监督线索发现和跟踪问效不够。"
        ),
        "proposals": (
            "办理代表建议重答复、轻落实。个别建议承诺事项未按期办结，向代表反馈办理进展不够及时。"
        ),
        "law": (
            "规范司法还需加强。部分案件文书和证据材料记录不完整，认罪认罚案件中的释法说理"
            "工作还需加强。"
        ),
        "conduct": "深入基层开展调研和法治宣传不够。对群众反映的问题回应不够及时。",
    },
}


def _sector(subject: Subject) -> str:
    if "法院" in subject.unit_name:
        return "court"
    if "检察院" in subject.unit_name:
        return "procuratorate"
    return "government"


def _content(opinion: Opinion) -> dict:
    """The office's text on top of the prefilled draft: the subject's own achievements in
    总体评价 (before the 测评 result and the 询问 record, as the draft words them), clauses
    reworded for the subject's sector, citing the same findings."""
    subject = opinion.subject
    draft = opinions.draft_content(subject)
    who = subject.unit_name if subject.is_unit else f"{subject.display_name}同志"
    overall = (
        f"{who}任职以来，{ACHIEVEMENTS[subject.display_name]}"
        + opinions._grade_sentence(opinions._poll_item(subject))
        + opinions._inquiry_sentence(subject)
    )
    if subject.display_name == AWAITING:
        overall += "\n根据测评结果，该同志应当向主任会议作出说明，并在规定时间内认真整改。"
    labels = CLAUSES[_sector(subject)]
    clauses = []
    category_of = dict(
        subject.findings.values_list("pk", "category")  # the findings each clause cites
    )
    for clause in draft["clauses"]:
        category = category_of.get(clause["findings"][0]) if clause["findings"] else None
        text = labels.get(category, clause["text"])
        clauses.append(
            {
                "text": text,
                # The published opinion keeps the 代表建议 clause out of its public version.
                "internal": subject.display_name == PUBLISHED and category == "proposals",
                "findings": clause["findings"],
            }
        )
    return {
        "title": draft["title"],
        "opening": draft["opening"],
        "overall": overall,
        "overall_internal": False,
        "requirements": draft["requirements"],
        "clauses": clauses,
    }


def _issue(*, actor, document: Document, signed_on: date) -> Document:
    """issue_document without the render task: the demo renders in-process below, and must
    not need a broker to be up."""
    with transaction.atomic():
        document = (
            Document.objects.select_for_update()
            .select_related("organ", "review")
            .get(pk=document.pk)
        )
        documents.require_draft_phase(document.review)
        document = documents.issue_locked(actor=actor, document=document, signed_on=signed_on)
        if document.kind == DocumentKind.PARTY_REPORT:
            obligations.fulfil(
                review=document.review, kind=ObligationKind.PARTY_REPORT, document=document
            )
    return document


def _issue_opinion(*, actor, opinion: Opinion) -> Document:
    with transaction.atomic():
        locked = (
            Opinion.objects.select_for_update()
            .select_related("review", "subject")
            .get(pk=opinion.pk)
        )
        document, _made = opinions.issue_locked_opinion(
            actor=actor, opinion=locked, signed_on=OPINIONS_SIGNED
        )
    return document


@transaction.atomic
def seed_documents(office, chair) -> None:
    review = Review.objects.filter(title=DUTY_2025_TITLE).first()
    if review is None or review.phase != Phase.MEETING or review.opinions.exists():
        return
    if drafts.latest_poll(review) is None:
        return  # an older demo database without the meeting: nothing to report on

    # The party-report deadline opens with the meeting (the scan would open it too).
    obligations.sync_obligations(timezone.localdate())
    notice = drafts.create_draft(actor=office, review=review, kind=DocumentKind.RESULT_NOTICE)
    notice = _issue(actor=office, document=notice, signed_on=NOTICE_SIGNED)
    report = drafts.create_draft(actor=office, review=review, kind=DocumentKind.PARTY_REPORT)
    _issue(actor=office, document=report, signed_on=REPORT_SIGNED)

    opinions.open_all(actor=office, review=review)
    issued = {}
    for opinion in opinions.opinions_of(review).order_by("subject__order", "subject_id"):
        name = opinion.subject.display_name
        opinion = opinions.save_opinion(
            actor=office, opinion=opinion, version=opinion.version, **_content(opinion)
        )
        opinion = opinions.submit(actor=office, opinion=opinion)
        if name == AWAITING:
            continue
        if name == RETURNED:
            opinions.return_opinion(actor=chair, opinion=opinion, comment=RETURN_COMMENT)
            continue
        opinion = opinions.approve(
            actor=chair, opinion=opinion, session=COUNCIL_SESSION, on=COUNCIL_DATE
        )
        issued[name] = _issue_opinion(actor=office, opinion=opinion)

    documents.publish(actor=office, document=notice)
    documents.publish(actor=office, document=issued[PUBLISHED])
    documents.record_delivery(
        actor=office, document=issued[DELIVERY_RECORDED], delivered_on=DELIVERED
    )
    official = _acknowledging_official(review)
    if official is not None:
        user, subject = official
        document = issued[subject.display_name]
        documents.acknowledge(actor=user, document=document)
        # History: she signed for it two days after it was issued, not today.
        Document.objects.filter(pk=document.pk).update(received_on=RECEIVED)


def _acknowledging_official(review: Review) -> tuple[User, Subject] | None:
    """The demo login whose subject is in this review (`official`, else `official2`)."""
    subjects = {
        s.official.user.username: s
        for s in Subject.objects.filter(
            review=review, official__user__username__in=ACKNOWLEDGED_BY
        ).select_related("official__user")
    }
    for username in ACKNOWLEDGED_BY:
        subject = subjects.get(username)
        if subject is not None and subject.display_name not in (AWAITING, RETURNED):
            return subject.official.user, subject
    return None


def render_missing() -> int:
    """Render every issued document still without its PDF, here and now: `make run` needs no
    worker to show them. Safe to repeat (claim_render is a conditional UPDATE)."""
    rendered = 0
    pending = Document.objects.filter(
        status=DocumentStatus.ISSUED,
        review__title=DUTY_2025_TITLE,
        render_status__in=(RenderStatus.PENDING, RenderStatus.RENDERING),
    ).values_list("pk", flat=True)
    for pk in list(pending):
        rendered += documents.render_document(pk)
    return rendered


def seed() -> None:
    from .demo_cases import seed_cases

    office, chair = _users("office", "council")
    seed_documents(office, chair)
    seed_cases(office, chair)
    render_missing()
