"""Taking answers: the structure a respondent sees, checking what they sent, and storing it.

Field names shared by the answer form template, the paper-entry screen and `parse_answers`:

    q<question id>                        satisfaction / single (one value), multiple (several
                                          values), score (0–100), text
    q<question id>_s<subject id>_d<dim>   one matrix cell; <dim> is 0 for the overall column

One invitation, one response (R7): the invitation is consumed by a conditional UPDATE in the
same transaction that stores the response, and the response keeps no link to it.
"""

import functools
import hashlib
import json
import secrets
import time
import uuid
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from .models import (
    Answer,
    Channel,
    Invitation,
    InvitationBatch,
    Question,
    QuestionKind,
    Questionnaire,
    Response,
)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
CODE_LENGTH = 8
TEXT_LIMIT = 2000


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def hash_code(code: str) -> str:
    normalised = code.strip().upper().replace(" ", "").replace("-", "")
    return hashlib.sha256(f"survey:{normalised}".encode()).hexdigest()


class InvitationUnknown(ValidationError):
    def __init__(self):
        super().__init__("邀请码不正确，请核对邀请条上的 8 位邀请码。")


class InvitationUsed(ValidationError):
    def __init__(self):
        super().__init__("此邀请码已使用，每个邀请码只能填写一次。")


class QuestionnaireNotOpen(ValidationError):
    def __init__(self):
        super().__init__("问卷不在填写时间内，不能提交。")


# --- the structure ----------------------------------------------------------------------------


@dataclass
class Cell:
    """One place to answer: a plain question, or one matrix cell."""

    name: str
    question: Question
    subject_id: int | None = None
    dimension_id: int | None = None
    subject_name: str = ""
    dimension_name: str = ""


@dataclass
class QuestionView:
    question: Question
    cells: list[Cell] = field(default_factory=list)
    # Matrix only, for rendering: rows of (subject, [cell per dimension]) and column names.
    rows: list[tuple] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"q{self.question.pk}"


@dataclass
class SectionView:
    section: object
    questions: list[QuestionView]


def load_structure(questionnaire: Questionnaire) -> list[SectionView]:
    """Sections → questions → cells in display order, in three queries."""
    questions = list(
        Question.objects.filter(questionnaire=questionnaire)
        .select_related("section", "subject")
        .prefetch_related("subjects", "dimensions")
        .order_by("section__order", "section_id", "order", "id")
    )
    sections: dict[int, SectionView] = {}
    for question in questions:
        view = QuestionView(question)
        if question.kind == QuestionKind.MATRIX:
            subjects = sorted(question.subjects.all(), key=lambda s: (s.form, s.order, s.pk))
            dimensions = sorted(question.dimensions.all(), key=lambda d: (d.order, d.pk))
            view.columns = [d.name for d in dimensions] or ["总体评价"]
            for subject in subjects:
                row = []
                for dimension in dimensions or [None]:
                    dim_id = dimension.pk if dimension else None
                    cell = Cell(
                        name=f"q{question.pk}_s{subject.pk}_d{dim_id or 0}",
                        question=question,
                        subject_id=subject.pk,
                        dimension_id=dim_id,
                        subject_name=subject.display_name,
                        dimension_name=dimension.name if dimension else "总体评价",
                    )
                    row.append(cell)
                    view.cells.append(cell)
                view.rows.append((subject, row))
        else:
            view.cells.append(
                Cell(
                    name=f"q{question.pk}",
                    question=question,
                    subject_id=question.subject_id,
                    subject_name=question.subject.display_name if question.subject else "",
                )
            )
        section = question.section
        sections.setdefault(section.pk, SectionView(section, [])).questions.append(view)
    # Sections with no question are not shown to respondents.
    return sorted(sections.values(), key=lambda s: (s.section.order, s.section.pk))


# A frozen questionnaire (it has answers) cannot change, so the answer views keep its structure
# for a minute per process instead of three queries per submission. The TTL bounds how long a
# renamed subject keeps its old name on the answer page.
_STRUCTURE_TTL = 60.0
_STRUCTURE_CACHE_SIZE = 64
_structures: dict[tuple, tuple[float, list[SectionView]]] = {}


def structure_for_answering(questionnaire: Questionnaire) -> list[SectionView]:
    if questionnaire.frozen_at is None:
        return load_structure(questionnaire)
    key = (connection.alias, connection.settings_dict["NAME"], questionnaire.pk)
    key += (questionnaire.frozen_at.isoformat(),)
    now = time.monotonic()
    hit = _structures.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    structure = load_structure(questionnaire)
    if len(_structures) >= _STRUCTURE_CACHE_SIZE:
        _structures.clear()
    _structures[key] = (now + _STRUCTURE_TTL, structure)
    return structure


# --- checking what was sent ---------------------------------------------------------------------


def parse_answers(structure: list[SectionView], data) -> tuple[list[dict], dict[str, str]]:
    """Turn POST data into answer rows; errors are keyed by field name, in Chinese.

    `data` is a QueryDict (or any mapping with getlist). Nothing is stored here.
    """
    rows: list[dict] = []
    errors: dict[str, str] = {}
    for section in structure:
        for view in section.questions:
            question = view.question
            kind = question.kind
            # Built once per question (not per cell): 60 cells of one matrix share its scale.
            scale = (
                {c.value for c in question.scale}
                if kind in (QuestionKind.SATISFACTION, QuestionKind.MATRIX)
                else None
            )
            for cell in view.cells:
                base = {
                    "question_id": question.pk,
                    "subject_id": cell.subject_id,
                    "dimension_id": cell.dimension_id,
                }
                if kind == QuestionKind.MULTIPLE:
                    values = [v for v in data.getlist(cell.name) if v != ""]
                    allowed = {str(i) for i in range(len(question.options))}
                    if any(v not in allowed for v in values):
                        errors[cell.name] = "选项无效，请重新选择。"
                    elif not values and question.required:
                        errors[cell.name] = "此题必答，请至少选择一项。"
                    else:
                        rows.extend({**base, "choice": v} for v in dict.fromkeys(values))
                    continue
                value = (data.get(cell.name) or "").strip()
                if value == "":
                    if question.required:
                        errors[cell.name] = (
                            f"请评价“{cell.subject_name}”的“{cell.dimension_name}”。"
                            if kind == QuestionKind.MATRIX
                            else "此题必答。"
                        )
                    continue
                if kind in (QuestionKind.SATISFACTION, QuestionKind.MATRIX):
                    if value not in scale:
                        errors[cell.name] = "选项无效，请重新选择。"
                    else:
                        rows.append({**base, "choice": value})
                elif kind == QuestionKind.SINGLE:
                    if value not in {str(i) for i in range(len(question.options))}:
                        errors[cell.name] = "选项无效，请重新选择。"
                    else:
                        rows.append({**base, "choice": value})
                elif kind == QuestionKind.SCORE:
                    try:
                        number = int(value)
                    except ValueError:
                        number = -1
                    if not 0 <= number <= 100:
                        errors[cell.name] = "请填写 0 到 100 之间的整数分数。"
                    else:
                        rows.append({**base, "number": number})
                elif kind == QuestionKind.TEXT:
                    if len(value) > TEXT_LIMIT:
                        errors[cell.name] = f"意见不超过 {TEXT_LIMIT} 字（现在 {len(value)} 字）。"
                    else:
                        rows.append({**base, "text": value})
    return rows, errors


# --- storing ------------------------------------------------------------------------------------


def _store(questionnaire: Questionnaire, rows: list[dict], **response_fields) -> Response:
    """Portable path (SQLite in development); PostgreSQL uses _store_in_one_statement."""
    if questionnaire.frozen_at is None:
        # The first answer freezes the questionnaire: later answers must mean the same thing.
        Questionnaire.objects.filter(pk=questionnaire.pk, frozen_at__isnull=True).update(
            frozen_at=timezone.now()
        )
    response = Response.objects.create(questionnaire=questionnaire, **response_fields)
    _insert_answers(response.pk, questionnaire.pk, rows)
    return response


_ANSWER_COLUMNS = (
    "response_id",
    "questionnaire_id",
    "question_id",
    "subject_id",
    "dimension_id",
    "choice",
    "number",
    "text",
)
_ROWS_PER_INSERT = 100  # 800 parameters: under SQLite's limit of 999


def _answers_json(rows: list[dict]) -> str:
    """A response's answers as one JSON parameter for PostgreSQL's json_to_recordset().

    A questionnaire of 20 subjects × 3 dimensions is 60 rows per submission; one JSON string
    (json.dumps is C code) costs a fraction of binding 480 scalars or dumping eight typed
    arrays element by element (bench/survey_ingest.py).
    """
    return json.dumps(
        [
            {
                "q": row["question_id"],
                "s": row.get("subject_id"),
                "d": row.get("dimension_id"),
                "c": row.get("choice", ""),
                "n": row.get("number"),
                "t": row.get("text", ""),
            }
            for row in rows
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _tables() -> dict[str, str]:
    quote = connection.ops.quote_name
    return {
        "answer": quote(Answer._meta.db_table),
        "response": quote(Response._meta.db_table),
        "invitation": quote(Invitation._meta.db_table),
        "batch": quote(InvitationBatch._meta.db_table),
        "questionnaire": quote(Questionnaire._meta.db_table),
        "answer_columns": ", ".join(quote(c) for c in _ANSWER_COLUMNS),
    }


# The answers of the response inserted by the statement's `response` CTE.
_PG_ANSWERS = """
    INSERT INTO {answer} ({answer_columns})
    SELECT response.id, %(questionnaire)s, a.q, a.s, a.d, COALESCE(a.c, ''), a.n, COALESCE(a.t, '')
    FROM response, json_to_recordset(%(answers)s::json)
        AS a(q bigint, s bigint, d bigint, c text, n smallint, t text)
"""


def _insert_answers(response_id, questionnaire_id: int, rows: list[dict]) -> None:
    """Insert a response's answers: one statement on PostgreSQL, multi-row VALUES elsewhere."""
    if not rows:
        return
    tables = _tables()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "WITH response AS (SELECT %(response)s::uuid AS id)" + _PG_ANSWERS.format(**tables),
                {
                    "response": response_id,
                    "questionnaire": questionnaire_id,
                    "answers": _answers_json(rows),
                },
            )
            return
        response_value = Answer._meta.get_field("response").get_db_prep_value(
            response_id, connection
        )
        columns = [
            [response_value] * len(rows),
            [questionnaire_id] * len(rows),
            [row["question_id"] for row in rows],
            [row.get("subject_id") for row in rows],
            [row.get("dimension_id") for row in rows],
            [row.get("choice", "") for row in rows],
            [row.get("number") for row in rows],
            [row.get("text", "") for row in rows],
        ]
        placeholder = "(" + ", ".join(["%s"] * len(_ANSWER_COLUMNS)) + ")"
        flat = list(zip(*columns, strict=True))
        for start in range(0, len(flat), _ROWS_PER_INSERT):
            chunk = flat[start : start + _ROWS_PER_INSERT]
            values = ", ".join([placeholder] * len(chunk))
            cursor.execute(
                f"INSERT INTO {tables['answer']} ({tables['answer_columns']}) "  # noqa: S608
                f"VALUES {values}",
                [value for row in chunk for value in row],
            )


def live_invitations():
    """Unused invitations of batches not voided, for a conditional UPDATE.

    Every condition stays on the invitation row itself: a filter across the batch join
    (`batch__voided_at__isnull`) makes Django write `WHERE id IN (SELECT … JOIN …)`, which
    PostgreSQL does not re-check after waiting for a concurrent UPDATE under READ COMMITTED,
    so twenty simultaneous submissions would all "consume" one code.
    """
    return Invitation.objects.filter(
        used=False,
        batch__in=InvitationBatch.objects.filter(voided_at__isnull=True).values("pk"),
    )


def _consume(**filters) -> int:
    """Mark one unused invitation of a live batch used; 1 if this call consumed it."""
    return live_invitations().filter(**filters).update(used=True)


_PG_STORE = """
    response AS (
        INSERT INTO {response}
            (id, questionnaire_id, channel, submitted_on, suspicious, entered_by_id)
        SELECT %(id)s, %(questionnaire)s, %(channel)s, %(day)s, %(suspicious)s, %(entered_by)s
        RETURNING id
    ),
    answers AS ({answers}){freeze}
    SELECT count(*) FROM response
"""
# The first answer freezes the questionnaire (as _store does); concurrent first answers wait
# on the row and then find it frozen already.
_PG_FREEZE = """,
    frozen AS (
        UPDATE {questionnaire} SET frozen_at = %(now)s
        WHERE id = %(questionnaire)s AND frozen_at IS NULL AND EXISTS (SELECT 1 FROM response)
    )
"""


@functools.cache
def _store_sql(freeze: bool) -> str:
    tables = _tables()
    sql = "WITH "
    sql += _PG_STORE.format(
        answers=_PG_ANSWERS.format(**tables),
        freeze=_PG_FREEZE.format(**tables) if freeze else "",
        **tables,
    )
    return sql


def _store_in_one_statement(
    questionnaire: Questionnaire,
    rows: list[dict],
    *,
    channel: str,
    suspicious: bool = False,
    entered_by=None,
) -> Response:
    """PostgreSQL: insert the response and its answers, and freeze the questionnaire on its
    first answer, in one statement: it replaces the round trips and ORM compilations of _store
    on the hot path of a hall full of phones. A code is consumed before, by its own statement
    in the caller's transaction (R7: used if and only if the response is stored)."""
    response_id = uuid.uuid4()
    day = timezone.localdate()
    params = {
        "questionnaire": questionnaire.pk,
        "id": response_id,
        "channel": channel,
        "day": day,
        "suspicious": suspicious,
        "entered_by": entered_by.pk if entered_by is not None else None,
        "answers": _answers_json(rows),
        "now": timezone.now(),
    }
    sql = _store_sql(questionnaire.frozen_at is None)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    response = Response(
        id=response_id,
        questionnaire=questionnaire,
        channel=channel,
        submitted_on=day,
        suspicious=suspicious,
        entered_by=entered_by,
    )
    response._state.adding = False
    response._state.db = connection.alias
    return response


def submit_with_code(questionnaire: Questionnaire, code: str, rows: list[dict]) -> Response:
    """R7: the invitation and the response are one transaction; a used or unknown code
    stores nothing."""
    if not questionnaire.is_accepting():
        raise QuestionnaireNotOpen()
    token_hash = hash_code(code)
    # The code is consumed by its own statement, in the response's transaction: an emailed
    # invitation names its addressee, so no SQL line (logged at DEBUG) may hold both the
    # code's hash and the answers.
    with transaction.atomic():
        if not _consume(token_hash=token_hash, questionnaire=questionnaire):
            raise _why_refused(questionnaire, token_hash)
        if connection.vendor == "postgresql":
            return _store_in_one_statement(questionnaire, rows, channel=Channel.INVITATION)
        return _store(questionnaire, rows, channel=Channel.INVITATION)


def submit_with_account(questionnaire: Questionnaire, user, rows: list[dict]) -> Response:
    """A deputy with an account answers the invitation addressed to them. The invitation names
    the deputy, so it is consumed by its own statement: no SQL line (logged at DEBUG) holds
    both an account and answers."""
    if not questionnaire.is_accepting():
        raise QuestionnaireNotOpen()
    with transaction.atomic():
        if not _consume(questionnaire=questionnaire, user=user):
            if Invitation.objects.filter(questionnaire=questionnaire, user=user).exists():
                raise InvitationUsed()
            raise InvitationUnknown()
        if connection.vendor == "postgresql":
            return _store_in_one_statement(questionnaire, rows, channel=Channel.ACCOUNT)
        return _store(questionnaire, rows, channel=Channel.ACCOUNT)


def submit_open(questionnaire: Questionnaire, rows: list[dict], *, suspicious: bool) -> Response:
    """The open link (R8's checks are made by the view before calling this)."""
    if not questionnaire.open_link or not questionnaire.is_accepting():
        raise QuestionnaireNotOpen()
    if connection.vendor == "postgresql":
        return _store_in_one_statement(
            questionnaire, rows, channel=Channel.OPEN, suspicious=suspicious
        )
    with transaction.atomic():
        return _store(questionnaire, rows, channel=Channel.OPEN, suspicious=suspicious)


def invitation_state(questionnaire: Questionnaire, code: str) -> str:
    """'ok', 'used' or 'unknown', for the page shown before answering."""
    row = (
        Invitation.objects.filter(
            token_hash=hash_code(code), questionnaire=questionnaire, batch__voided_at__isnull=True
        )
        .values_list("used", flat=True)
        .first()
    )
    if row is None:
        return "unknown"
    return "used" if row else "ok"


def find_invitation(code: str):
    """The questionnaire an invitation code belongs to, for the code-entry page."""
    return (
        Invitation.objects.filter(token_hash=hash_code(code), batch__voided_at__isnull=True)
        .select_related("questionnaire")
        .first()
    )


@functools.cache
def _questionnaire_for_code_sql() -> tuple[str, tuple]:
    tables = _tables()
    quote = connection.ops.quote_name
    fields = Questionnaire._meta.concrete_fields
    columns = ", ".join(f"q.{quote(f.column)}" for f in fields)
    sql = (
        f"SELECT i.used, {columns} FROM {tables['invitation']} i"  # noqa: S608
        f" JOIN {tables['batch']} b ON b.id = i.batch_id"
        f" JOIN {tables['questionnaire']} q ON q.id = i.questionnaire_id"
        " WHERE i.token_hash = %s AND b.voided_at IS NULL"
    )
    return sql, fields


def questionnaire_for_code(code: str) -> Questionnaire | None:
    """The questionnaire of a live invitation code, with `invitation_used` set; None for an
    unknown code or one of a voided batch.

    The answer view's first query on every submission. On PostgreSQL it is the same join as
    find_invitation in one hand-written statement, without the ORM's compilation (about 1 ms
    of CPU each time); psycopg already returns aware datetimes, and any field that converts
    its database value does so below.
    """
    if connection.vendor != "postgresql":
        invitation = find_invitation(code)
        if invitation is None:
            return None
        invitation.questionnaire.invitation_used = invitation.used
        return invitation.questionnaire
    sql, fields = _questionnaire_for_code_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [hash_code(code)])
        row = cursor.fetchone()
    if row is None:
        return None
    values = [
        field.from_db_value(value, None, connection) if hasattr(field, "from_db_value") else value
        for field, value in zip(fields, row[1:], strict=True)
    ]
    questionnaire = Questionnaire.from_db(connection.alias, [f.attname for f in fields], values)
    questionnaire.invitation_used = bool(row[0])
    return questionnaire


def _why_refused(questionnaire, token_hash) -> ValidationError:
    exists = Invitation.objects.filter(
        token_hash=token_hash, questionnaire=questionnaire, batch__voided_at__isnull=True
    ).exists()
    return InvitationUsed() if exists else InvitationUnknown()


def submit_paper(questionnaire: Questionnaire, rows: list[dict], *, entered_by) -> Response:
    """A paper form keyed in by staff. Accepted while the questionnaire is published, also
    after it closed (forms arrive by post); counted against `paper_received`."""
    if questionnaire.published_at is None:
        raise ValidationError("问卷尚未发布，不能录入纸质问卷。")
    with transaction.atomic():
        return _store(questionnaire, rows, channel=Channel.PAPER, entered_by=entered_by)
