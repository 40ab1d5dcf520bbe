"""R23: the roster import validates the whole file first, imports nothing when any row is
bad and names every bad row and column in Chinese; a good file imports in one go."""

import io
import zipfile
from datetime import date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from subjects.imports import (
    COLUMNS,
    EXAMPLE_ROW,
    ImportFileError,
    ImportRejected,
    import_roster,
    parse_date,
    validate_rows,
)
from subjects.models import AuditEvent, Official, PostHistory, Unit
from tests.factories import OfficialFactory, UnitFactory

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TODAY = date(2026, 6, 1)


def row(
    name="王建国",
    gender="男",
    unit="县自然资源局",
    category="政府组成部门",
    post="局长",
    appointed="2021-09-28",
    since="2021-09-28",
    term="第十七届",
    status="在任",
    phone="13900000001",
):
    return (name, gender, unit, category, post, appointed, since, term, status, phone)


def workbook_bytes(rows, header=COLUMNS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "名册"
    sheet.append(list(header))
    for cells in rows:
        sheet.append(list(cells))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(content: bytes, name="名册.xlsx"):
    return SimpleUploadedFile(name, content, content_type=XLSX)


def many_rows(count, *, prefix="人员", units=10, post="局长"):
    return [
        row(
            name=f"{prefix}{i:04d}",
            unit=f"县第{i % units}局",
            post=post,
            phone=f"139{i:08d}",
        )
        for i in range(count)
    ]


def post_import(client, content, name="名册.xlsx"):
    return client.post(reverse("roster_import"), {"file": upload(content, name)})


# --- pure validation, no database --------------------------------------------------------------


def validate(rows, known_units=None, header=COLUMNS):
    lines = [(line, tuple(cells)) for line, cells in enumerate(rows, start=2)]
    return validate_rows(header, lines, known_units=known_units or {}, today=TODAY)


@pytest.mark.parametrize(
    "value",
    ["2023-05-01", "2023/5/1", "2023/05/01", "2023年5月1日", "2023.5.1", date(2023, 5, 1)],
)
def test_dates_are_read_in_every_accepted_form(value):
    assert parse_date(value) == date(2023, 5, 1)
    assert parse_date(datetime(2023, 5, 1, 0, 0)) == date(2023, 5, 1)


@pytest.mark.parametrize("value", ["2023/13/01", "2023-02-30", "5/1/2023", "明年", 45000, None])
def test_unreadable_dates_are_none(value):
    assert parse_date(value) is None


def test_a_good_row_becomes_an_import_row():
    rows, errors = validate([row(status="", phone=13900000001)])
    assert errors == []
    (good,) = rows
    assert good.line == 2
    assert (good.name, good.gender, good.unit_name, good.category) == (
        "王建国",
        "M",
        "县自然资源局",
        "government",
    )
    assert good.appointed_on == date(2021, 9, 28)
    assert good.status == "serving"  # blank means 在任
    assert good.phone == "13900000001"  # a number cell keeps all digits


def test_every_bad_cell_of_every_row_is_reported():
    rows, errors = validate(
        [
            row(),
            row(name="", gender="男性"),
            row(name="李四", appointed="2023/13/01", since="2099-01-01"),
            row(name="王五", status="退休", phone="12345"),
            row(name="赵六", category="事业单位"),
        ]
    )
    messages = [str(error) for error in errors]
    assert messages == [
        "第 3 行「姓名」：不能为空。",
        "第 3 行「性别」：应填写“男”或“女”，而不是“男性”。",
        "第 4 行「任命日期」：无法识别的日期“2023/13/01”，请使用 2023-05-01 格式。",
        "第 4 行「任现职时间」：日期“2099-01-01”晚于今天，请核对。",
        "第 5 行「状态」：应填写“在任”或“已离任”（留空视为在任），而不是“退休”。",
        "第 5 行「手机号」：“12345”不是 11 位手机号码；没有可留空。",
        "第 6 行「单位类别」：无法识别的单位类别“事业单位”，可选：政府组成部门、法院、检察院、"
        "监察委员会、垂直管理单位、镇街、其他。",
    ]
    assert [r.line for r in rows] == [2]


def test_category_is_required_only_for_a_new_unit():
    _, errors = validate([row(unit="县新单位", category="")])
    assert [str(e) for e in errors] == [
        "第 2 行「单位类别」：单位“县新单位”尚未登记，请填写单位类别"
        "（政府组成部门、法院、检察院、监察委员会、垂直管理单位、镇街、其他）。"
    ]
    rows, errors = validate([row(category="")], known_units={"县自然资源局": "government"})
    assert errors == [] and rows[0].category == ""
    # One row naming the category is enough for the other rows of the same new unit.
    rows, errors = validate([row(name="甲", category=""), row(name="乙", category="法院")])
    assert errors == [] and {r.category for r in rows} == {"court"}


def test_category_must_agree_with_the_registered_unit():
    _, errors = validate([row(category="法院")], known_units={"县自然资源局": "government"})
    assert "已登记为“政府组成部门”，与填写的“法院”不一致" in str(errors[0])
    _, errors = validate([row(name="甲", category="法院"), row(name="乙", category="检察院")])
    assert str(errors[0]) == (
        "第 3 行「单位类别」：与第 2 行为单位“县自然资源局”填写的类别“法院”不一致。"
    )


def test_duplicate_rows_name_both_rows():
    _, errors = validate([row(), row(name="李四"), row(post="副局长")])
    assert [str(e) for e in errors] == [
        "第 4 行「姓名」：与第 2 行重复（同一单位“县自然资源局”下姓名“王建国”出现两次），"
        "请合并为一行。"
    ]


def test_the_templates_example_row_is_refused():
    _, errors = validate([EXAMPLE_ROW])
    assert [str(e) for e in errors] == ["第 2 行：这是模板中的示例行，请删除后再导入。"]


def test_missing_columns_are_named_and_order_is_free():
    _, errors = validate([("王建国", "男")], header=("姓名", "性别"))
    assert str(errors[0]).startswith("第 1 行：表头缺少列：单位、职务、任命日期、任现职时间、届次")
    reordered = [COLUMNS[i] for i in (2, 0, 1, 3, 4, 5, 6, 7, 8, 9)]
    cells = row()
    rows, errors = validate([[cells[i] for i in (2, 0, 1, 3, 4, 5, 6, 7, 8, 9)]], header=reordered)
    assert errors == [] and rows[0].name == "王建国" and rows[0].unit_name == "县自然资源局"


def test_overlong_text_is_reported():
    _, errors = validate([row(name="名" * 51)])
    assert str(errors[0]) == "第 2 行「姓名」：不能超过 50 个字（现有 51 个）。"


# --- the upload page -------------------------------------------------------------------------


@pytest.mark.django_db
def test_good_file_imports_and_creates_units(client, office_clerk):
    UnitFactory(name="县人民法院", category="court")
    content = workbook_bytes(
        [
            row(),
            row(name="李娜", gender="女", post="副局长", appointed=date(2022, 3, 1), since=""),
            row(name="周强", unit="县人民法院", category="", post="副院长", status="已离任"),
        ]
    )
    # The blank 任现职时间 makes row 3 bad: fix it and import again.
    client.force_login(office_clerk)
    response = post_import(client, content)
    assert response.status_code == 200
    assert "第 3 行" in response.content.decode() and Official.objects.count() == 0

    content = workbook_bytes(
        [
            row(),
            row(
                name="李娜",
                gender="女",
                post="副局长",
                appointed=date(2022, 3, 1),
                since="2022/3/1",
            ),
            row(name="周强", unit="县人民法院", category="", post="副院长", status="已离任"),
        ]
    )
    response = post_import(client, content)
    assert response.status_code == 302 and response["Location"] == reverse("roster_officials")
    page = client.get(response["Location"])
    assert "导入完成：新增 3 人，更新 0 人，新增单位 1 个" in page.content.decode()
    assert Unit.objects.get(name="县自然资源局").category == "government"
    li = Official.objects.get(name="李娜")
    assert (li.gender, li.in_post_since, li.unit.name) == ("F", date(2022, 3, 1), "县自然资源局")
    assert Official.objects.get(name="周强").status == "left"
    event = AuditEvent.objects.get(action="roster.imported")
    assert event.actor == office_clerk
    assert event.data["created"] == 3 and event.data["units_created"] == 1
    assert event.data["filename"] == "名册.xlsx"


@pytest.mark.django_db
def test_file_with_bad_rows_imports_nothing_and_lists_every_problem(client, office_clerk):
    OfficialFactory(name="已有人员")
    before = (Official.objects.count(), Unit.objects.count(), AuditEvent.objects.count())
    rows = [row(name=f"人员{i}", unit="县新建局") for i in range(10)]
    rows[5] = row(name="人员5", unit="县新建局", appointed="2023/13/01")  # line 7
    rows[8] = row(name="人员8", unit="县新建局", gender="", phone="1380000")  # line 10
    client.force_login(office_clerk)
    response = post_import(client, workbook_bytes(rows))
    html = response.content.decode()
    assert response.status_code == 200
    assert "文件中有 2 行存在 3 处问题，未导入任何数据" in html
    assert "无法识别的日期“2023/13/01”，请使用 2023-05-01 格式" in html
    assert "第 7 行" in html and "第 10 行" in html
    assert "不能为空，应填写“男”或“女”。" in html
    assert "“1380000”不是 11 位手机号码" in html
    # The errors table comes before the upload form, on the same response.
    assert html.index("import-errors") < html.index('type="file"')
    assert (Official.objects.count(), Unit.objects.count()) == before[:2]
    assert AuditEvent.objects.filter(action="roster.imported").count() == 0


@pytest.mark.django_db
def test_duplicate_rows_are_refused(client, office_clerk):
    client.force_login(office_clerk)
    response = post_import(client, workbook_bytes([row(), row(name="李四"), row()]))
    html = response.content.decode()
    assert "与第 2 行重复" in html and "第 4 行" in html
    assert Official.objects.count() == 0


@pytest.mark.django_db
def test_existing_official_is_updated_and_post_change_is_kept(client, office_clerk):
    unit = UnitFactory(name="县自然资源局")
    official = OfficialFactory(
        name="王建国",
        unit=unit,
        post="副局长",
        appointed_on=date(2018, 1, 10),
        in_post_since=date(2018, 1, 10),
    )
    same = OfficialFactory(name="李娜", unit=unit, post="副局长", phone="13900000002")
    client.force_login(office_clerk)
    content = workbook_bytes(
        [
            row(post="局长", appointed="2021-09-28", since="2021-09-28"),
            row(
                name="李娜",
                gender="女",
                post="副局长",
                phone="13900000002",
                appointed=same.appointed_on,
                since=same.in_post_since,
            ),
        ]
    )
    response = post_import(client, content)
    assert response.status_code == 302
    official.refresh_from_db()
    assert (official.post, official.in_post_since) == ("局长", date(2021, 9, 28))
    (history,) = PostHistory.objects.filter(official=official)
    assert (history.unit_name, history.post) == ("县自然资源局", "副局长")
    assert (history.started_on, history.ended_on) == (date(2018, 1, 10), date(2021, 9, 28))
    assert Official.objects.count() == 2  # matched by name within the unit: no duplicates
    same.refresh_from_db()
    assert same.gender == "F" and not PostHistory.objects.filter(official=same).exists()
    message = client.get(reverse("roster_officials")).content.decode()
    assert "导入完成：新增 0 人，更新 2 人，新增单位 0 个" in message


@pytest.mark.django_db
def test_two_same_named_officials_in_one_unit_are_ambiguous(office_clerk):
    unit = UnitFactory(name="县自然资源局")
    OfficialFactory.create_batch(2, name="王建国", unit=unit)
    with pytest.raises(ImportRejected) as caught:
        import_roster(actor=office_clerk, upload=upload(workbook_bytes([row(category="")])))
    assert "已有 2 位名叫“王建国”的人员，无法确定更新哪一位" in str(caught.value.errors[0])


def _docx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def _xlsm_bytes() -> bytes:
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes([row()])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for item in source.infolist():
            archive.writestr(item, source.read(item))
        archive.writestr("xl/vbaProject.bin", b"\x00macro")
    return out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (_docx_bytes(), "该文件不是 Excel 工作簿（.xlsx）"),
        ("姓名,性别\n王建国,男\n".encode(), "该文件不是 Excel 工作簿（.xlsx）"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "该文件不是 Excel 工作簿（.xlsx）"),
        (_xlsm_bytes(), "文件含有宏，不能导入"),
        (workbook_bytes([]), "文件中没有可导入的数据"),
    ],
    ids=["docx", "txt", "xls", "xlsm", "empty"],
)
def test_files_that_are_not_a_plain_xlsx_are_refused(client, office_clerk, content, message):
    client.force_login(office_clerk)
    response = post_import(client, content, name="名册.xlsx")
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Official.objects.count() == 0
    if message.startswith("该文件"):
        event = AuditEvent.objects.get(action="upload.refused")
        assert event.data["filename"] == "名册.xlsx"


@pytest.mark.django_db
def test_oversized_file_is_refused(client, office_clerk, settings):
    settings.PINGYI_MAX_UPLOAD_MB = 1
    client.force_login(office_clerk)
    response = post_import(client, b"PK" + b"\x00" * (1024 * 1024 + 1))
    assert "文件超过 1 MB" in response.content.decode()


@pytest.mark.django_db
def test_no_file_is_a_chinese_error(client, office_clerk):
    client.force_login(office_clerk)
    response = client.post(reverse("roster_import"), {})
    assert "请选择要导入的 Excel 文件。" in response.content.decode()


@pytest.mark.django_db
def test_five_hundred_officials_import_in_one_go(client, office_clerk):
    client.force_login(office_clerk)
    response = post_import(client, workbook_bytes(many_rows(500, units=40)))
    assert response.status_code == 302
    assert Official.objects.count() == 500 and Unit.objects.count() == 40
    assert AuditEvent.objects.get(action="roster.imported").data["created"] == 500


def _queries_for(client, content) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = post_import(client, content)
    assert response.status_code == 302, response.content.decode()[:2000]
    return len(queries)


@pytest.mark.django_db
def test_import_query_count_does_not_grow_with_rows(client, office_clerk):
    client.force_login(office_clerk)
    create_50 = _queries_for(client, workbook_bytes(many_rows(50, prefix="甲")))
    create_500 = _queries_for(client, workbook_bytes(many_rows(500, prefix="乙", units=30)))
    # The same people again with a new post: 50 and 500 updates with post history.
    update_50 = _queries_for(client, workbook_bytes(many_rows(50, prefix="甲", post="副局长")))
    update_500 = _queries_for(
        client, workbook_bytes(many_rows(500, prefix="乙", units=30, post="副局长"))
    )
    assert Official.objects.count() == 550
    assert PostHistory.objects.count() == 550
    # Ten times the rows, (almost) the same queries: at most one lookup skipped for an empty
    # list, plus on SQLite bulk statements split by its parameter limit.
    slack = 2 if connection.vendor == "postgresql" else 8
    assert create_500 <= create_50 + slack, (create_50, create_500)
    assert update_500 <= update_50 + slack, (update_50, update_500)
    assert create_500 < 30 and update_500 < 30


@pytest.mark.django_db
def test_export_then_import_round_trips_without_errors_or_duplicates(client, office_clerk):
    court = UnitFactory(name="县人民法院", category="court")
    OfficialFactory.create_batch(3, unit=court, post="副院长", phone="13900000009")
    OfficialFactory(name="=SUM(A1)", status="left", gender="F")  # never a formula
    client.force_login(office_clerk)
    exported = client.get(reverse("roster_export"))
    assert exported.status_code == 200
    content = b"".join(exported.streaming_content) if exported.streaming else exported.content
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    assert [cell.value for cell in sheet[1]] == list(COLUMNS)
    assert sheet.max_row == 5
    count = Official.objects.count()

    response = post_import(client, content, name="导出.xlsx")
    assert response.status_code == 302, response.content.decode()
    assert Official.objects.count() == count
    assert not PostHistory.objects.exists()
    event = AuditEvent.objects.filter(action="roster.imported").latest("id")
    assert event.data["created"] == 0 and event.data["updated"] == 0
    assert event.data["unchanged"] == 4
    assert Official.objects.filter(name="=SUM(A1)").exists()


@pytest.mark.django_db
def test_template_download_has_headers_example_and_explanations(client, office_clerk):
    client.force_login(office_clerk)
    response = client.get(reverse("roster_import_template"))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert "filename*=utf-8''" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["名册", "说明"]
    sheet = book["名册"]
    assert [cell.value for cell in sheet[1]] == list(COLUMNS)
    assert sheet["A2"].value == "张三"
    notes = " ".join(str(c.value) for r in book["说明"].iter_rows() for c in r if c.value)
    for column in COLUMNS:
        assert column in notes
    assert "在任 或 已离任" in notes and "政府组成部门" in notes
    # Uploading the template untouched imports nothing: its example row is refused.
    page = post_import(client, response.content)
    assert "这是模板中的示例行，请删除后再导入。" in page.content.decode()
    assert Official.objects.count() == 0


@pytest.mark.django_db
def test_service_refuses_unreadable_upload_without_writing(office_clerk):
    with pytest.raises(ImportFileError):
        import_roster(actor=office_clerk, upload=upload(b"not a workbook"))
    assert AuditEvent.objects.filter(action="roster.imported").count() == 0
