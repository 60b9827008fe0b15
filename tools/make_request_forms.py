# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the XLSX request forms an agency clerk fills: forms/mau-01.xlsx and forms/mau-02.xlsx.

    .venv/bin/python tools/make_request_forms.py [--check]

The files are reproducible (fixed document dates and archive timestamps), so the committed ones
must equal what this script writes; ``--check`` fails when they differ (tests/tooling runs it).
Layout, read by ``request_forms.xlsx_form_data``: sheet ``Phieu`` (label, key, value: the form's
header) and sheet ``DanhSach`` (row 1 the labels, row 2 the keys, then one line per row).
"""

from __future__ import annotations

import datetime
import io
import re
import sys
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

FORMS = Path(__file__).resolve().parents[1] / "forms"
FIXED = datetime.datetime(2026, 12, 1)
ZIP_TIME = (2026, 12, 1, 0, 0, 0)
FIXED_W3C = b"2026-12-01T00:00:00Z"
HEADER = (
    ("Mẫu số (form)", "form"),
    ("Cơ quan, viết tắt (agency)", "agency"),
    ("Ngày đề nghị, YYYY-MM-DD (received_on)", "received_on"),
    ("Người nhận kết quả: họ tên (R-22)", "requester_name"),
    ("Người nhận kết quả: thư điện tử", "requester_email"),
    ("Người nhận kết quả: điện thoại", "requester_phone"),
)
LINES = {
    "01": (
        ("Yêu cầu: new / change / cancel", "action"),
        ("Mã hồ sơ cán bộ (R-72)", "id"),
        ("Họ và tên", "full_name"),
        ("Họ (khi tên có nhiều chữ)", "family_name"),
        ("Tên đệm", "middle_name"),
        ("Tên", "given_name"),
        ("Phòng ban, viết tắt", "department"),
        ("Cấp bậc lãnh đạo (R-14)", "rank"),
        ("Hệ thống: exchange, obm", "systems"),
    ),
    "02": (
        ("Phòng ban, viết tắt (trống: hộp thư cơ quan)", "department"),
        ("Tên phòng ban mới", "name"),
        ("Người phụ trách: mã hồ sơ (R-71)", "owner"),
        ("Người được ủy quyền: mã hồ sơ", "delegate"),
    ),
}
TITLES = {"01": "Mẫu 01: hộp thư cá nhân", "02": "Mẫu 02: hộp thư cơ quan, phòng ban"}
BOLD = Font(bold=True)
KEYS = PatternFill("solid", fgColor="DDDDDD")


def workbook_bytes(form: str) -> bytes:
    workbook = Workbook()
    workbook.properties.creator = "danang.mail"
    workbook.properties.title = TITLES[form]
    workbook.properties.created = workbook.properties.modified = FIXED
    header = workbook.active
    header.title = "Phieu"
    header.append(("Mục", "Khóa (không sửa)", "Giá trị"))
    for label, key in HEADER:
        header.append((label, key, form if key == "form" else None))
    for cell in header[1]:
        cell.font = BOLD
    for row in header.iter_rows(min_row=2, max_row=len(HEADER) + 1):
        row[1].fill = KEYS
        row[2].number_format = "@"  # text: a phone number keeps its 0, the form number "01"
    header.column_dimensions["A"].width = 42
    header.column_dimensions["B"].width = 18
    header.column_dimensions["C"].width = 36
    lines = workbook.create_sheet("DanhSach")
    lines.append([label for label, _key in LINES[form]])
    lines.append([key for _label, key in LINES[form]])
    for cell in lines[1]:
        cell.font = BOLD
    for cell in lines[2]:
        cell.fill = KEYS
    for index, _field in enumerate(LINES[form]):
        letter = chr(ord("A") + index)
        lines.column_dimensions[letter].width = 24
        for row in range(3, 203):
            lines[f"{letter}{row}"].number_format = "@"
    if form == "01":
        actions = DataValidation(type="list", formula1='"new,change,cancel"', allow_blank=True)
        lines.add_data_validation(actions)
        actions.add("A3:A202")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _fixed_timestamps(buffer.getvalue())


def _fixed_timestamps(data: bytes) -> bytes:
    """The same archive with every member dated ``ZIP_TIME``: the bytes depend on the content only."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            content = source.read(member)
            if member.filename == "docProps/core.xml":  # openpyxl stamps the save time in
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + FIXED_W3C, content)
            target.writestr(info, content)
    return out.getvalue()


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for form in LINES:
        path = FORMS / f"mau-{form}.xlsx"
        data = workbook_bytes(form)
        if check:
            if not path.exists() or path.read_bytes() != data:
                stale.append(str(path))
        else:
            path.write_bytes(data)
    if stale:
        print(f"out of date, run tools/make_request_forms.py: {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
