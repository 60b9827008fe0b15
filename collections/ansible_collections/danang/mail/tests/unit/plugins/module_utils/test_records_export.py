# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The records software's export (R-72) and the XLSX form: CSV and XLSX read as text, one request
per agency and day, legacy encodings refused whole (R-15), formulas never evaluated, limits."""

from __future__ import annotations

import datetime
import io
import shutil
import unicodedata
import zipfile
from pathlib import Path

import pytest
from ansible_collections.danang.mail.plugins.module_utils.model import ValidationFailed
from ansible_collections.danang.mail.plugins.module_utils.request_files import read_request
from ansible_collections.danang.mail.plugins.module_utils.request_import import (
    plan_import,
    write_files,
)
from ansible_collections.danang.mail.plugins.module_utils.request_tables import XLSX_MAX_UNPACKED
from ansible_collections.danang.mail.plugins.module_utils.workdays import WorkingCalendar
from openpyxl import Workbook, load_workbook

REPO = Path(__file__).resolve().parents[8]
LAB = REPO / "inventories" / "lab"
MAPPING = LAB / "records_mapping.yml"
HEADER = (
    "STT",
    "Mã hồ sơ",
    "Họ và tên",
    "Mã cơ quan",
    "Mã phòng ban",
    "Cấp bậc",
    "Ngày đề nghị",
    "Loại yêu cầu",
)
ROWS = (
    (
        "1",
        "CB-2026-000011",
        "Trần Văn Hải",
        "Sở Thông tin và Truyền thông",
        "cntt",
        "2",
        "07/12/2026",
        "Cấp mới",
    ),
    ("2", "CB-2026-000012", "Phạm Thị Mai", "stc", "", "", "07/12/2026", "Cấp mới"),
    ("3", "CB-2017-000103", "Lê Quang Nam", "stttt", "thanhtra", "1", "07/12/2026", "Thay đổi"),
    ("4", "CB-2024-000805", "Lê Thị Thanh Hương", "stttt", "thanhtra", "", "08/12/2026", "Thu hồi"),
)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    copy = tmp_path / "desired_state"
    shutil.copytree(LAB / "desired_state", copy)
    return copy


def csv_file(tmp_path: Path, rows=ROWS, encoding: str = "utf-8-sig", delimiter: str = ",") -> Path:
    path = tmp_path / "export.csv"
    lines = [delimiter.join(f'"{cell}"' for cell in row) for row in (HEADER, *rows)]
    # Windows-1258 has no code for some toned letters: "?" stands for them, as a careless export does
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding, errors="replace"))
    return path


def xlsx_file(tmp_path: Path, rows=ROWS, hidden: bool = False) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Cấp Email"
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    if hidden:
        workbook.create_sheet("old").sheet_state = "hidden"
    path = tmp_path / "export.xlsx"
    workbook.save(path)
    return path


def imported(root: Path, path: Path, mapping: Path | None = MAPPING):
    plan = plan_import(
        str(root), read_request(str(path), str(mapping) if mapping else None), WorkingCalendar()
    )
    write_files(plan)
    return plan


def refused(root: Path, path: Path, mapping: Path | None = MAPPING) -> str:
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    with pytest.raises(ValidationFailed) as failed:
        imported(root, path, mapping)
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before
    return "\n".join(str(p) for p in failed.value.problems)


def check_export_result(root: Path, plan) -> None:
    assert sorted(r.id for r in plan.records) == [
        "2026-12-07-stc-1",
        "2026-12-07-stttt-1",
        "2026-12-08-stttt-1",
    ]
    by_id = {r.id: r for r in plan.records}
    assert [(i.action, i.id, i.fields) for i in by_id["2026-12-07-stttt-1"].items] == [
        ("new", "CB-2026-000011", ()),
        ("change", "CB-2017-000103", ("department",)),  # the row repeats the person: only what differs
    ]
    assert by_id["2026-12-08-stttt-1"].items[0].action == "cancel"
    assert by_id["2026-12-07-stc-1"].requester["email"] == "vanthu-snv@danang.gov.vn"
    assert plan.state.find_person("CB-2026-000011").rank == 2
    assert plan.state.find_person("CB-2026-000012").department is None
    assert (root / "requests" / "2026-12-08-stttt-1.yml").exists()


def test_csv_export_one_record_per_agency_and_day(root: Path, tmp_path: Path) -> None:
    check_export_result(root, imported(root, csv_file(tmp_path)))


def test_semicolon_csv_is_read_too(root: Path, tmp_path: Path) -> None:
    check_export_result(root, imported(root, csv_file(tmp_path, delimiter=";")))


def test_xlsx_export_gives_the_same_result(root: Path, tmp_path: Path) -> None:
    check_export_result(root, imported(root, xlsx_file(tmp_path)))


def test_xlsx_date_cells_are_dates(root: Path, tmp_path: Path) -> None:
    rows = [list(ROWS[1])]
    rows[0][6] = datetime.datetime(2026, 12, 7)
    plan = imported(root, xlsx_file(tmp_path, rows=rows))
    assert [r.id for r in plan.records] == ["2026-12-07-stc-1"]


@pytest.mark.parametrize("maker", [csv_file, xlsx_file], ids=["csv", "xlsx"])
def test_legacy_encoded_export_is_refused_whole(root: Path, tmp_path: Path, maker) -> None:
    rows = (
        *ROWS[:2],
        ("5", "CB-2026-000013", "NguyÔn V¨n Dòng", "stttt", "cntt", "", "07/12/2026", "Cấp mới"),
    )
    found = refused(root, maker(tmp_path, rows=rows))
    assert "the whole file is refused" in found and "TCVN3" in found and "row 4" in found


def test_vni_export_is_refused_whole(root: Path, tmp_path: Path) -> None:
    rows = (("5", "CB-2026-000013", "Nguyeãn Vaên Duõng", "stttt", "cntt", "", "07/12/2026", "Cấp mới"),)
    assert "VNI" in refused(root, csv_file(tmp_path, rows=rows))


def test_export_in_a_legacy_code_page_is_refused(root: Path, tmp_path: Path) -> None:
    rows = (("5", "CB-2026-000013", "Trần Văn Hải", "stttt", "cntt", "", "07/12/2026", "Cấp mới"),)
    assert "save the file as UTF-8" in refused(root, csv_file(tmp_path, rows=rows, encoding="cp1258"))


def test_xlsx_formula_is_never_evaluated(root: Path, tmp_path: Path) -> None:
    rows = (
        (
            "1",
            "CB-2026-000011",
            '=HYPERLINK("http://evil","Trần Văn Hải")',
            "stttt",
            "cntt",
            "",
            "07/12/2026",
            "Cấp mới",
        ),
    )
    found = refused(root, xlsx_file(tmp_path, rows=rows))
    assert "row 2, column C" in found and "formulas are never evaluated" in found


def test_csv_formula_text_stays_text_and_is_refused_as_a_name(root: Path, tmp_path: Path) -> None:
    rows = (("1", "CB-2026-000011", "=cmd|' /C calc'!A0", "stttt", "cntt", "", "07/12/2026", "Cấp mới"),)
    assert "full_name" in refused(root, csv_file(tmp_path, rows=rows))


def test_hidden_sheet_is_refused(root: Path, tmp_path: Path) -> None:
    assert "a hidden sheet" in refused(root, xlsx_file(tmp_path, hidden=True))


def test_zip_bomb_is_refused_before_openpyxl_opens_it(root: Path, tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (XLSX_MAX_UNPACKED + 1))
    assert path.stat().st_size < 1024 * 1024
    assert "unpacks to" in refused(root, path)


def test_not_a_workbook_and_a_link_are_refused(root: Path, tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"PK not really")
    assert "not an XLSX workbook" in refused(root, path)
    link = tmp_path / "link.csv"
    link.symlink_to(csv_file(tmp_path))
    assert "symbolic link" in refused(root, link)


def test_mapping_problems_name_the_mapping_file(root: Path, tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yml"
    mapping.write_text("columns: {id: Mã hồ sơ}\nactions: {Cấp mới: hire}\n", encoding="utf-8")
    found = refused(root, csv_file(tmp_path), mapping)
    for text in ("columns.agency: is required", "columns.full_name", "actions.Cấp mới", "requester"):
        assert text in found
    assert "needs its column mapping" in refused(root, csv_file(tmp_path), None)


def test_export_header_must_match_the_mapping(root: Path, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("Mã,Tên\nCB-1,Lê Lợi\n", encoding="utf-8")
    assert "no column headed 'mã hồ sơ'" in refused(root, path)


def test_the_xlsx_form_template_filled_in_imports(root: Path, tmp_path: Path) -> None:
    workbook = load_workbook(REPO / "forms" / "mau-01.xlsx")
    header = workbook["Phieu"]
    values = {
        "agency": "stttt",
        "received_on": "2026-12-07",
        "requester_name": "Trần Thị Bình",
        "requester_email": "vanthu-stttt@danang.gov.vn",
    }
    for row in header.iter_rows(min_row=2):
        if row[1].value in values:
            row[2].value = values[row[1].value]
    lines = workbook["DanhSach"]
    lines.append(("new", "CB-2026-000021", "Võ Thị Sáu", None, None, None, "cntt", "3", "obm"))
    lines.append(("cancel", "CB-2024-000805"))
    buffer = io.BytesIO()
    workbook.save(buffer)
    path = tmp_path / "filled.xlsx"
    path.write_bytes(buffer.getvalue())
    plan = imported(root, path, None)
    assert [(i.action, i.id) for i in plan.records[0].items] == [
        ("new", "CB-2026-000021"),
        ("cancel", "CB-2024-000805"),
    ]
    person = plan.state.find_person("CB-2026-000021")
    assert person.rank == 3 and person.systems == frozenset({"obm"})


def test_the_xlsx_form_02_filled_in_imports(root: Path, tmp_path: Path) -> None:
    workbook = load_workbook(REPO / "forms" / "mau-02.xlsx")
    values = {
        "form": 2,  # typed as a number: a spreadsheet drops the leading 0
        "agency": "stttt",
        "received_on": datetime.datetime(2026, 12, 7),  # a date cell
        "requester_name": "Trần Thị Bình",
        "requester_email": "vanthu-stttt@danang.gov.vn",
        "requester_phone": "02363822123",
    }
    for row in workbook["Phieu"].iter_rows(min_row=2):
        if row[1].value in values:
            row[2].value = values[row[1].value]
    workbook["DanhSach"].append(("khtc", "Phòng Kế hoạch - Tài chính", "CB-2017-000104"))
    path = tmp_path / "filled-02.xlsx"
    workbook.save(path)
    plan = imported(root, path, None)
    assert plan.records[0].form == "02"
    assert [i.holder for i in plan.records[0].items] == ["department/stttt/khtc"]


def test_a_bad_line_of_the_xlsx_form_is_named_by_its_row(root: Path, tmp_path: Path) -> None:
    workbook = load_workbook(REPO / "forms" / "mau-01.xlsx")
    values = {
        "agency": "stttt",
        "received_on": "2026-12-07",
        "requester_name": "Bình",
        "requester_email": "a@b.vn",
    }
    for row in workbook["Phieu"].iter_rows(min_row=2):
        if row[1].value in values:
            row[2].value = values[row[1].value]
    lines = workbook["DanhSach"]  # a clerk types from row 3, under the grey row of keys
    lines["A3"], lines["B3"] = "cancel", "CB-2024-000805"
    lines["A4"], lines["B4"] = "hire", "CB-2026-000041"
    path = tmp_path / "bad-01.xlsx"
    workbook.save(path)
    assert "DanhSach row 4: action: must be one of new, change, cancel" in refused(root, path, None)


def test_a_name_written_decomposed_or_with_double_spaces_is_no_change(root: Path, tmp_path: Path) -> None:
    name = unicodedata.normalize("NFD", "Lê  Quang Nam")
    rows = (("3", "CB-2017-000103", name, "stttt", "thanhtra", "1", "07/12/2026", "Thay đổi"),)
    plan = imported(root, csv_file(tmp_path, rows=rows))
    assert plan.records[0].items[0].fields == ("department",)
