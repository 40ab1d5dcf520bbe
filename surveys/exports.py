"""Excel exports of a questionnaire: the raw answers and the results summary.

Raw answers: one row per response, one column per answerable cell in the order respondents
see them, plus the channel and the day (the only time a response keeps, R7). No respondent
identity exists to export. Rows are streamed: responses and answers are read in the same
order (by response id) from two server-side iterators and merged, and written to a
write-only workbook, so memory does not grow with the number of responses.
"""

import queue
import threading
from collections.abc import Callable
from io import BytesIO

from django.db import connection, connections
from django.db.models import CharField
from django.db.models.functions import Cast
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from reviews.models import Choice

from .models import Answer, QuestionKind, Questionnaire, Response
from .responses import load_structure
from .results import RATE_DEFINITION, Results, questionnaire_results

CHUNK = 5000
PROGRESS_EVERY = 2000
CHOICE_LABELS = {c.value: c.label for c in Choice}
CHANNEL_LABELS = dict(Response._meta.get_field("channel").choices)


def export_filename(questionnaire: Questionnaire, what: str) -> str:
    stamp = timezone.localdate().strftime("%Y%m%d")
    return f"{questionnaire.title[:60]}-{what}-{stamp}.xlsx"


def raw_columns(structure) -> tuple[list[str], dict, dict]:
    """Headers, the column of each (question, subject, dimension) cell, and per column how to
    turn a stored answer into what the cell shows."""
    headers = ["序号", "填写方式", "填写日期"]
    index: dict[tuple, int] = {}
    kinds: dict[int, object] = {}
    for section in structure:
        for view in section.questions:
            question = view.question
            for cell in view.cells:
                title = question.text
                if question.kind == QuestionKind.MATRIX:
                    title = f"{question.text}｜{cell.subject_name}｜{cell.dimension_name}"
                elif cell.subject_name:
                    title = f"{question.text}｜{cell.subject_name}"
                index[(question.pk, cell.subject_id, cell.dimension_id)] = len(headers)
                kinds[len(headers)] = question
                headers.append(title)
    return headers, index, kinds


def _prefetched(rows, chunk: int | None = None):
    """Iterate `rows` (a values_list queryset) while a thread reads the next chunks.

    On PostgreSQL outside a transaction the database sorts and sends the answers while this
    thread builds the workbook (psycopg waits without the GIL); the queue holds at most a few
    chunks, so memory stays flat. Inside a transaction (tests, a caller's atomic block) another
    connection could not see uncommitted rows: read in this thread instead."""
    chunk = chunk or CHUNK
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield from rows.iterator(chunk_size=chunk)
        return
    chunks: queue.Queue = queue.Queue(maxsize=4)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                chunks.put(item, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        try:
            batch = []
            for row in rows.iterator(chunk_size=chunk):
                batch.append(row)
                if len(batch) >= chunk:
                    if not put(batch):
                        return
                    batch = []
            put(batch)
            put(None)
        except BaseException as error:  # handed to the consumer, raised there
            put(error)
        finally:
            connections.close_all()  # this thread's own connection

    worker = threading.Thread(target=produce, name="export-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = chunks.get()
            if item is None:
                break
            if isinstance(item, BaseException):
                raise item
            yield from item
    finally:
        stop.set()
        worker.join(timeout=5)


CHOICE_MODE, OPTION_MODE, MULTIPLE_MODE, VALUE_MODE = range(4)


def raw_rows(
    questionnaire: Questionnaire,
    progress: Callable[[int, int], None] | None = None,
    formula_text: Callable[[str], object] = lambda text: "'" + text,
):
    """Yield the header, then one list per response. `progress(done, total)` is called every
    PROGRESS_EVERY responses. A respondent's text starting with "=" goes through
    `formula_text` so that it is never a formula in the office's spreadsheet."""
    structure = load_structure(questionnaire)
    headers, index, questions = raw_columns(structure)
    yield headers
    width = len(headers)
    total = Response.objects.filter(questionnaire=questionnaire).count()
    if progress:
        progress(0, total)
    # One lookup per answer: its column, how to show it, and the labels it needs.
    cells = {}
    for key, col in index.items():
        kind = questions[col].kind
        options = questions[col].options or []
        if kind in (QuestionKind.SATISFACTION, QuestionKind.MATRIX):
            cells[key] = (col, CHOICE_MODE, CHOICE_LABELS)
        elif kind == QuestionKind.SINGLE:
            cells[key] = (col, OPTION_MODE, {str(i): o for i, o in enumerate(options)})
        elif kind == QuestionKind.MULTIPLE:
            cells[key] = (col, MULTIPLE_MODE, {str(i): o for i, o in enumerate(options)})
        else:
            cells[key] = (col, VALUE_MODE, None)

    # Both sides in the same order (the response's uuid), compared as text: cheaper to load
    # and compare than uuid objects.
    responses = iter(
        Response.objects.filter(questionnaire=questionnaire)
        .order_by("id")
        .annotate(rid=Cast("id", CharField()))
        .values_list("rid", "channel", "submitted_on")
        .iterator(chunk_size=CHUNK)
    )
    answers = (
        Answer.objects.filter(questionnaire=questionnaire)
        .order_by("response_id")
        .annotate(rid=Cast("response_id", CharField()))
        .values_list("rid", "question_id", "subject_id", "dimension_id", "choice", "number", "text")
    )
    number = 0

    def new_row(channel, day):
        nonlocal number
        number += 1
        row = [None] * width
        row[0], row[1], row[2] = number, CHANNEL_LABELS.get(channel, channel), day
        return row

    current = None
    row = None
    for rid, qid, sid, did, choice, num, text in _prefetched(answers):
        if rid != current:
            if row is not None:
                yield row
                if progress and number % PROGRESS_EVERY == 0:
                    progress(number, total)
            # Responses without any answer come out as empty rows, in their place.
            for response_id, channel, day in responses:
                row = new_row(channel, day)
                if response_id == rid:
                    break
                yield row
                if progress and number % PROGRESS_EVERY == 0:
                    progress(number, total)
            current = rid
        cell = cells.get((qid, sid, did))
        if cell is None:
            continue
        col, mode, labels = cell
        if mode in (CHOICE_MODE, OPTION_MODE):
            row[col] = labels.get(choice, choice)
        elif mode == MULTIPLE_MODE:
            label = labels.get(choice, choice)
            row[col] = f"{row[col]}；{label}" if row[col] else label
        elif num is not None:
            row[col] = num
        elif text:
            row[col] = formula_text(text) if text[0] == "=" else text
    if row is not None:
        yield row
    for _response_id, channel, day in responses:
        yield new_row(channel, day)
    if progress:
        progress(number, total)


def write_raw(questionnaire: Questionnaire, target, progress=None) -> int:
    """Write the raw-answers workbook to `target` (a path or a binary file); returns the
    number of responses written."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("原始答卷")

    def as_text(text):
        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"
        return cell

    rows = raw_rows(questionnaire, progress, as_text)
    headers = next(rows)
    bold = Font(bold=True)
    header_cells = []
    for title in headers:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    count = 0
    for row in rows:
        sheet.append(row)
        count += 1
    workbook.save(target)
    return count


def raw_workbook(questionnaire: Questionnaire, progress=None) -> bytes:
    buffer = BytesIO()
    write_raw(questionnaire, buffer, progress)
    return buffer.getvalue()


# --- the summary ------------------------------------------------------------------------------

HIDDEN = "不足 k 份，不显示"


def summary_workbook(questionnaire: Questionnaire, *, exclude_suspicious=False) -> bytes:
    """The results tables: response counts, then per question the same numbers as the results
    page (groups below k hidden)."""
    res: Results = questionnaire_results(questionnaire, exclude_suspicious=exclude_suspicious)
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)

    def head(sheet, values):
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            cell.font = bold
            cells.append(cell)
        sheet.append(cells)

    overview = workbook.create_sheet("答卷概况")
    head(overview, [questionnaire.title])
    overview.append(["评议活动", str(questionnaire.review)])
    overview.append(["分组最少份数 k", res.k])
    overview.append(["满意率定义", RATE_DEFINITION])
    overview.append(["已排除可疑答卷" if exclude_suspicious else "含可疑答卷", res.suspicious])
    overview.append([])
    head(overview, ["填写方式", "答卷数"])
    for _code, label, count in res.channels:
        overview.append([label, count])
    overview.append(["合计", res.responses])
    overview.append(["纸质问卷收回份数", res.paper_received])
    overview.append(["纸质问卷已录入份数", res.paper_entered])

    sheet = workbook.create_sheet("统计结果")
    for section, results in res.sections:
        head(sheet, [section.title])
        for result in results:
            question = result.question
            head(sheet, [question.text, question.get_kind_display()])
            kind = question.kind
            scale_labels = [c.label for c in question.scale]
            if kind == QuestionKind.SATISFACTION:
                sheet.append(["", *scale_labels, "合计", "满意率"])
                sheet.append(_tally_row("全部答卷", result.tally, question.scale))
                for label, tally in result.channel_tallies:
                    sheet.append(_tally_row(label, tally, question.scale))
            elif kind == QuestionKind.MATRIX:
                columns = result.view.columns
                sheet.append(["评议对象", "评议内容", *scale_labels, "合计", "满意率"])
                for row in result.rows:
                    for column, tally in zip(columns, row.cells, strict=False):
                        sheet.append(
                            _tally_row(row.subject.display_name, tally, question.scale, column)
                        )
                    sheet.append(
                        _tally_row(row.subject.display_name, row.overall, question.scale, "总体")
                    )
                    for label, tally in row.channels:
                        sheet.append(
                            _tally_row(row.subject.display_name, tally, question.scale, label)
                        )
            elif kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
                sheet.append(["选项", "人次", "比例"])
                if result.hidden:
                    sheet.append([HIDDEN])
                else:
                    for text, count, share in result.options:
                        sheet.append([text, count, share])
            elif kind == QuestionKind.SCORE:
                sheet.append(["份数", "平均分", "最低分", "最高分"])
                if result.hidden:
                    sheet.append([HIDDEN])
                else:
                    score = result.score
                    sheet.append([score["count"], score["mean"], score["min"], score["max"]])
            elif kind == QuestionKind.TEXT:
                sheet.append(["文字意见份数", result.answers])
            sheet.append([])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _tally_row(label, tally, scale, column=None) -> list:
    lead = [label] if column is None else [label, column]
    if tally is None or tally.hidden:
        return [*lead, HIDDEN]
    return [*lead, *(tally.counts.get(c, 0) for c in scale), tally.total, tally.rate]
