"""Results of a questionnaire: counts, shares and 满意率 per question, subject and dimension.

Every number is a GROUP BY in the database; the page runs the same handful of queries
whatever the number of responses. R5: a group (a subject × dimension cell, one channel's
answers, a whole question) with fewer than `review.rules.min_group_size` answers is not shown,
so that a small group's answers cannot be traced to a person.

满意率 = (满意 + 基本满意) ÷ (answers of the group excluding 不了解).
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Avg, Count, F, Max, Min, Q, Window
from django.db.models.functions import RowNumber

from reviews.charts import choice_segments
from reviews.models import Choice

from .models import Answer, Channel, QuestionKind, Questionnaire, Response
from .responses import structure_for_answering

RATE_DEFINITION = "满意率 =（满意 + 基本满意）÷（该项答卷数 − 选“不了解”的答卷数）。"
TEXT_SAMPLE = 5
CHANNELS = tuple(Channel)


def _pct(part: float, whole: float) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "—"


@dataclass
class Tally:
    """The scale counts of one group of answers."""

    counts: dict = field(default_factory=dict)
    k: int = 1
    # A tally summed over a subject's dimensions counts each respondent once per dimension:
    # k applies to the respondents, at least the largest single cell's count.
    respondents: int | None = None

    def add(self, choice: str, n: int) -> None:
        self.counts[choice] = self.counts.get(choice, 0) + n

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def hidden(self) -> bool:
        basis = self.total if self.respondents is None else self.respondents
        return basis < self.k

    @property
    def known(self) -> int:
        return self.total - self.counts.get(Choice.UNKNOWN, 0)

    @property
    def rate_value(self) -> float | None:
        known = self.known
        if not known:
            return None
        return (self.counts.get(Choice.SATISFIED, 0) + self.counts.get(Choice.BASIC, 0)) / known

    @property
    def rate(self) -> str:
        value = self.rate_value
        return "—" if value is None else f"{value * 100:.1f}%"

    def segments(self, scale) -> list[dict]:
        return choice_segments(self.counts, scale)


@dataclass
class QuestionResult:
    view: object  # responses.QuestionView
    k: int
    answers: int = 0
    respondents: int = 0
    # satisfaction: one tally; matrix: per subject rows
    tally: Tally | None = None
    channel_tallies: list = field(default_factory=list)  # [(channel label, Tally)]
    rows: list = field(default_factory=list)
    options: list = field(default_factory=list)  # [(text, count, share)]
    score: dict = field(default_factory=dict)
    texts: list = field(default_factory=list)

    @property
    def question(self):
        return self.view.question

    @property
    def scale(self):
        return self.question.scale

    @property
    def hidden(self) -> bool:
        return self.respondents < self.k


@dataclass
class SubjectRow:
    """One subject of a matrix: a tally per dimension, the overall tally across dimensions
    and the overall tally per channel."""

    subject: object
    cells: list  # [Tally] in column order
    overall: Tally
    channels: list  # [(channel label, Tally)]


@dataclass
class Results:
    questionnaire: Questionnaire
    k: int
    exclude_suspicious: bool
    channels: list  # [(code, label, count)]
    responses: int
    suspicious: int
    paper_received: int
    paper_entered: int
    sections: list  # [(section, [QuestionResult])]

    @property
    def paper_difference(self) -> int:
        return self.paper_received - self.paper_entered

    definition = RATE_DEFINITION


AGGREGATES_TTL = 3600  # seconds; the key changes with every new answer anyway


def _answers(questionnaire: Questionnaire, exclude_suspicious: bool):
    answers = Answer.objects.filter(questionnaire=questionnaire)
    if exclude_suspicious:
        answers = answers.filter(response__suspicious=False)
    return answers


def _aggregates(questionnaire, structure, exclude_suspicious: bool):
    """Choice counts, per-question statistics and the latest free texts (three queries)."""
    answers = _answers(questionnaire, exclude_suspicious)
    # Choice counts per question × subject × dimension × channel (1 query).
    choice_counts = defaultdict(int)
    for qid, sid, did, channel, choice, n in (
        answers.exclude(choice="")
        .values_list("question_id", "subject_id", "dimension_id", "response__channel", "choice")
        .annotate(n=Count("id"))
        .order_by()
    ):
        choice_counts[(qid, sid, did, channel, choice)] += n
    # Per question: respondents, answers, score statistics (1 query).
    stats = {
        row["question_id"]: row
        for row in answers.values("question_id")
        .annotate(
            respondents=Count("response_id", distinct=True),
            answers=Count("id"),
            mean=Avg("number"),
            low=Min("number"),
            high=Max("number"),
        )
        .order_by()
    }
    # The latest few free-text answers of each text question (1 query, a window function).
    text_ids = [
        v.question.pk
        for s in structure
        for v in s.questions
        if v.question.kind == QuestionKind.TEXT
    ]
    texts = defaultdict(list)
    if text_ids:
        for qid, text in (
            answers.filter(question_id__in=text_ids)
            .exclude(text="")
            .annotate(
                rank=Window(RowNumber(), partition_by=[F("question_id")], order_by=F("id").desc())
            )
            .filter(rank__lte=TEXT_SAMPLE)
            .values_list("question_id", "text")
        ):
            texts[qid].append(text)

    return dict(choice_counts), stats, dict(texts)


def questionnaire_results(questionnaire: Questionnaire, *, exclude_suspicious=False) -> Results:
    """Everything the results page and the summary workbook show, in seven queries."""
    k = questionnaire.review.rules.min_group_size
    structure = structure_for_answering(questionnaire)  # 3 queries, or none when frozen

    # Responses per channel, and the open link's suspicious ones (1 query).
    per_channel = {
        row["channel"]: row
        for row in Response.objects.filter(questionnaire=questionnaire)
        .values("channel")
        .annotate(n=Count("id"), suspicious=Count("id", filter=Q(suspicious=True)))
        .order_by()
    }
    suspicious = sum(r["suspicious"] for r in per_channel.values())

    def counted(code):
        row = per_channel.get(code)
        if not row:
            return 0
        return row["n"] - (row["suspicious"] if exclude_suspicious else 0)

    channels = [(c.value, c.label, counted(c.value)) for c in CHANNELS]
    paper_entered = per_channel.get(Channel.PAPER, {}).get("n", 0)

    # The aggregates grow with the answers; the rest of the page does not. Answers are never
    # changed or deleted and a response's channel and suspicious mark are set when it is
    # stored, so the counts per channel identify the answers the aggregates were built from:
    # they are the cache key, and a new answer makes a new key.
    key = "survey-results:{}:{}:{}:{}".format(
        questionnaire.pk,
        questionnaire.created_at.timestamp(),
        int(exclude_suspicious),
        ",".join(f"{c}={r['n']}/{r['suspicious']}" for c, r in sorted(per_channel.items())),
    )
    aggregates = cache.get(key)
    if aggregates is None:
        aggregates = _aggregates(questionnaire, structure, exclude_suspicious)
        cache.set(key, aggregates, AGGREGATES_TTL)
    choice_counts, stats, texts = aggregates

    # Group the choice counts by question for the assembly below.
    by_question = defaultdict(list)
    for (qid, sid, did, channel, choice), n in choice_counts.items():
        by_question[qid].append((sid, did, channel, choice, n))

    sections = []
    for section in structure:
        results = []
        for view in section.questions:
            question = view.question
            stat = stats.get(question.pk, {})
            result = QuestionResult(
                view=view,
                k=k,
                answers=stat.get("answers", 0),
                respondents=stat.get("respondents", 0),
            )
            rows = by_question.get(question.pk, [])
            if question.kind == QuestionKind.SATISFACTION:
                _satisfaction(result, rows, k)
            elif question.kind == QuestionKind.MATRIX:
                _matrix(result, view, rows, k)
            elif question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
                _options(result, rows)
            elif question.kind == QuestionKind.SCORE:
                mean = stat.get("mean")
                result.score = {
                    "count": stat.get("answers", 0),
                    "mean": f"{mean:.1f}" if mean is not None else "—",
                    "min": stat.get("low"),
                    "max": stat.get("high"),
                }
            elif question.kind == QuestionKind.TEXT:
                result.texts = texts.get(question.pk, [])
            results.append(result)
        sections.append((section.section, results))

    return Results(
        questionnaire=questionnaire,
        k=k,
        exclude_suspicious=exclude_suspicious,
        channels=channels,
        responses=sum(c[2] for c in channels),
        suspicious=suspicious,
        paper_received=questionnaire.paper_received,
        paper_entered=paper_entered,
        sections=sections,
    )


def _channel_tallies(rows, k, keep=lambda sid, did: True) -> list:
    per = {c.value: Tally(k=k) for c in CHANNELS}
    for sid, did, channel, choice, n in rows:
        if keep(sid, did):
            per[channel].add(choice, n)
    return [(c.label, per[c.value]) for c in CHANNELS if per[c.value].total]


def _satisfaction(result: QuestionResult, rows, k) -> None:
    tally = Tally(k=k)
    for _sid, _did, _channel, choice, n in rows:
        tally.add(choice, n)
    result.tally = tally
    result.channel_tallies = _channel_tallies(rows, k)


def _matrix(result: QuestionResult, view, rows, k) -> None:
    cells = defaultdict(lambda: Tally(k=k))
    channel_cells = defaultdict(lambda: Tally(k=k))
    for sid, did, channel, choice, n in rows:
        cells[(sid, did)].add(choice, n)
        channel_cells[(sid, channel, did)].add(choice, n)
    for subject, row_cells in view.rows:
        dims = [c.dimension_id for c in row_cells]
        tallies = [cells[(subject.pk, did)] for did in dims]
        overall = _sum(tallies, k)
        per_channel = []
        for c in CHANNELS:
            tally = _sum([channel_cells[(subject.pk, c.value, did)] for did in dims], k)
            if tally.total:
                per_channel.append((c.label, tally))
        result.rows.append(SubjectRow(subject, tallies, overall, per_channel))


def _sum(tallies: list, k: int) -> Tally:
    """The tally over a subject's dimensions; its respondents are at least the largest cell."""
    overall = Tally(k=k, respondents=max((t.total for t in tallies), default=0))
    for tally in tallies:
        for choice, n in tally.counts.items():
            overall.add(choice, n)
    return overall


def _options(result: QuestionResult, rows) -> None:
    counts = defaultdict(int)
    for _sid, _did, _channel, choice, n in rows:
        counts[choice] += n
    # Shares of the respondents who answered: a multiple choice adds up to more than 100 %.
    base = result.respondents
    result.options = [
        (text, counts.get(str(i), 0), _pct(counts.get(str(i), 0), base))
        for i, text in enumerate(result.question.options or [])
    ]


def text_answers(questionnaire: Questionnaire, question, *, exclude_suspicious=False):
    """All free-text answers of one question, newest first (the caller paginates)."""
    return (
        _answers(questionnaire, exclude_suspicious)
        .filter(question=question)
        .exclude(text="")
        .order_by("-id")
        .values_list("text", "subject__display_name")
    )
