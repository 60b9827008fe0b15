# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tables a request arrives in: CSV and XLSX files read as rows of text, built for hostile files.

- Every cell comes back as text, never evaluated: an XLSX formula (``=HYPERLINK(…)``) is refused
  with its row and column, because its cached result is whatever the file's author wrote there;
  a CSV cell starting with ``= + - @`` stays plain text and the desired-state rules refuse it where
  it cannot be a name or a code.
- Limits before anything is built: the file's size, the XLSX archive's members and unpacked size (a
  zip bomb is refused before openpyxl opens it), rows, columns and characters per cell.
- Encoding: CSV is UTF-8 (a byte-order mark is accepted); legacy text (TCVN3, VNI) is the callers'
  check (``legacy_problems``), on the name columns, and refuses the whole file.
"""

from __future__ import annotations

import csv
import datetime
import io
import traceback
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils import strict_yaml
from ansible_collections.danang.mail.plugins.module_utils.model import Problem, ValidationFailed, excerpt
from ansible_collections.danang.mail.plugins.module_utils.vietnamese import legacy_encoding_of

try:
    import openpyxl

    HAS_OPENPYXL = True
    OPENPYXL_IMPORT_ERROR: Optional[str] = None
except ImportError:  # the module reports it with missing_required_lib('openpyxl')
    HAS_OPENPYXL = False
    OPENPYXL_IMPORT_ERROR = traceback.format_exc()

FILE_MAX_BYTES = 8 * 1024 * 1024
XLSX_MAX_UNPACKED = 64 * 1024 * 1024  # what the archive's members hold once inflated
XLSX_MAX_MEMBERS = 500
MAX_ROWS = 20_000  # the city has about 10,000 civil servants
MAX_COLUMNS = 64
MAX_CELL_CHARS = 512


@dataclass(frozen=True)
class Sheet:
    """A sheet's rows of text (trailing empty rows dropped); row 1 is ``rows[0]``."""

    name: str
    rows: tuple[tuple[str, ...], ...]


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _where(row: int, column: int) -> str:
    return f"row {row}, column {_column_name(column)}"


def _column_name(column: int) -> str:
    """1 -> A, 27 -> AA (how a spreadsheet names a column)."""
    name = ""
    while column:
        column, rest = divmod(column - 1, 26)
        name = chr(ord("A") + rest) + name
    return name


def _trimmed(rows: list[tuple[str, ...]]) -> tuple[tuple[str, ...], ...]:
    while rows and not any(rows[-1]):
        rows.pop()
    return tuple(rows)


def _check_cell(text: str, source: str, row: int, column: int, problems: list[Problem]) -> None:
    if len(text) > MAX_CELL_CHARS:
        message = f"has {len(text)} characters; a cell holds at most {MAX_CELL_CHARS}"
        problems.append(Problem(source, _where(row, column), "", message))


def _check_archive(data: bytes, source: str) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile:
        message = "not an XLSX workbook (an .xlsx file is a zip archive): save it as Excel Workbook (.xlsx)"
        raise ValidationFailed([Problem(source, "", "", message)]) from None
    unpacked = sum(member.file_size for member in members)
    if len(members) > XLSX_MAX_MEMBERS or unpacked > XLSX_MAX_UNPACKED:
        message = (
            f"the workbook unpacks to {len(members)} parts and {unpacked} bytes; at most "
            f"{XLSX_MAX_MEMBERS} parts and {XLSX_MAX_UNPACKED // (1024 * 1024)} MiB are read: "
            "check it is the "
            "right file"
        )
        raise ValidationFailed([Problem(source, "", "", message)])


def read_xlsx(data: bytes, source: str) -> tuple[Sheet, ...]:
    """Every sheet of an XLSX workbook as text; raises ``ValidationFailed`` with every problem."""
    if not HAS_OPENPYXL:
        raise RuntimeError("the Python library openpyxl is needed to read XLSX files")
    _check_archive(data, source)
    try:
        # data_only=False: a formula is seen as a formula (refused below), never as its cached result
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        message = (
            f"cannot read the workbook ({excerpt(type(exc).__name__, quote=False)}): save it again as .xlsx"
        )
        raise ValidationFailed([Problem(source, "", "", message)]) from None
    problems: list[Problem] = []
    sheets = []
    try:
        for worksheet in workbook.worksheets:
            where = f"{source} [{worksheet.title}]"
            if worksheet.sheet_state != "visible":
                message = "a hidden sheet: a reviewer cannot see it; delete it or show it"
                problems.append(Problem(where, "", "", message))
                continue
            rows: list[tuple[str, ...]] = []
            for row_number, row in enumerate(worksheet.iter_rows(max_col=MAX_COLUMNS + 1), start=1):
                if row_number > MAX_ROWS + 1:
                    problems.append(Problem(where, "", "", f"more than {MAX_ROWS} rows: split the file"))
                    break
                texts = []
                for column, cell in enumerate(row, start=1):
                    value = getattr(cell, "value", None)
                    if getattr(cell, "data_type", "") == "f":
                        message = (
                            f"a formula ({excerpt(value)}): formulas are never evaluated; "
                            "type the value itself"
                        )
                        problems.append(Problem(where, _where(row_number, column), "", message))
                        value = None
                    text = _cell_text(value)
                    if text and column > MAX_COLUMNS:
                        message = f"more than {MAX_COLUMNS} columns: remove the extra ones"
                        problems.append(Problem(where, _where(row_number, column), "", message))
                        break
                    _check_cell(text, where, row_number, column, problems)
                    texts.append(text)
                while texts and not texts[-1]:
                    texts.pop()
                rows.append(tuple(texts))
            sheets.append(Sheet(worksheet.title, _trimmed(rows)))
    finally:
        workbook.close()
    if problems:
        raise ValidationFailed(problems)
    return tuple(sheets)


def read_csv(data: bytes, source: str, delimiter: Optional[str] = None) -> Sheet:
    """A UTF-8 CSV file as one sheet; the delimiter (``,`` ``;`` or tab) is guessed from the first
    line when not given. Raises ``ValidationFailed``."""
    text = strict_yaml.decode(data, source)
    if delimiter is None:
        first = text.split("\n", 1)[0]
        delimiter = max((",", ";", "\t"), key=first.count)
    problems: list[Problem] = []
    rows: list[tuple[str, ...]] = []
    try:
        for row_number, row in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), 1):
            if row_number > MAX_ROWS + 1:
                problems.append(Problem(source, "", "", f"more than {MAX_ROWS} rows: split the file"))
                break
            if len(row) > MAX_COLUMNS:
                message = f"{len(row)} columns; at most {MAX_COLUMNS} are read"
                problems.append(Problem(source, f"row {row_number}", "", message))
                continue
            for column, cell in enumerate(row, start=1):
                _check_cell(cell, source, row_number, column, problems)
            rows.append(tuple(cell.strip() for cell in row))
    except csv.Error as exc:
        problems.append(Problem(source, "", "", f"not a CSV file: {excerpt(str(exc), quote=False)}"))
    if problems:
        raise ValidationFailed(problems)
    return Sheet("", _trimmed(rows))


def legacy_problems(cells: Iterable[tuple[str, str, str]], source: str) -> list[Problem]:
    """One problem refusing the whole file when any ``(where, field, text)`` reads as TCVN3 or VNI
    text (R-15): legacy text can also look like valid Vietnamese, so one such cell makes every name
    of the file suspect."""
    found = []
    for where, field, text in cells:
        legacy = legacy_encoding_of(text) if text else None
        if legacy is not None:
            found.append((where, field, legacy))
    if not found:
        return []
    where, field, (encoding, converted) = found[0]
    encodings = "/".join(sorted({legacy[0] for _w, _f, legacy in found}))
    message = (
        f"the whole file is refused: {len(found)} cell(s) look like legacy {encodings} text (first: {where} "
        f"{field}, {encoding} for {excerpt(converted)}). Convert the file to Unicode (TCVN 6909) and "
        "import it again (R-15)"
    )
    return [Problem(source, "", "", message)]
