"""A review whose meeting has voted and closed, with findings and an answered 询问, ready for
its 评议意见: the shared starting point of the rectification tests."""

from dataclasses import dataclass

from reviews import meetings
from reviews.models import Choice, Subject
from surveys.models import Finding, FindingCategory, FindingSource
from tests.reviews.test_secret_ballot import build, vote

S, B, D = Choice.SATISFIED, Choice.BASIC, Choice.DISSATISFIED


@dataclass
class OpinionWorld:
    review: object
    subjects: list  # [onsite subject of official_a, onsite, written]
    poll: object
    findings: list  # findings of subjects[0]
    meeting: object


def build_opinion_world(office, official_user=None) -> OpinionWorld:
    s = build(office, present=6)
    subject = s.subjects[0]
    if official_user is not None:
        official = subject.official
        official.user = official_user
        official.save(update_fields=["user"])
    Subject.objects.filter(pk=subject.pk).update(display_name="王堃喆", post="局长")
    subject.refresh_from_db()
    findings = [
        Finding.objects.create(
            review=s.review,
            subject=subject,
            number=n,
            category=category,
            description=text,
            source=FindingSource.FORUM,
            created_by=office,
        )
        for n, (category, text) in enumerate(
            [
                (FindingCategory.LAW, "部分执法人员执法程序不够规范"),
                (FindingCategory.LAW, "行政复议纠错率偏高"),
                (FindingCategory.PROPOSALS, "代表建议答复后跟踪落实不够"),
            ],
            start=1,
        )
    ]
    for member, choices in zip(s.members[:6], [(S, S, S)] * 4 + [(B, D, S)] * 2, strict=True):
        vote(s.poll, member, *choices)
    inquiry = meetings.queue_inquiry(
        actor=s.members[0], meeting=s.meeting, subject=subject, question="执法规范化建设有何举措？"
    )
    meetings.record_inquiry(
        actor=office, inquiry=inquiry, answer="将开展专项整治。", follow_up_promised=True
    )
    poll = meetings.close_poll(actor=office, poll=s.poll)
    return OpinionWorld(s.review, s.subjects, poll, findings, s.meeting)
