# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A report's files (R-47, R-60): one self-contained HTML file (``report_html.render``), one CSV per
table and a Markdown summary, named after the report (``r60-2026H2``, ``r47-2026-12-07``).

Every value goes through ``escaping`` (a CSV cell never runs as a formula, a Markdown cell is
inert text). The files' bytes depend on the report alone, so the same inputs give the same files;
each is written atomically (``files.write_atomically``), and a target that is a symbolic link is
refused before anything is written: a link planted in the reports directory must not make the run
overwrite another file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from ansible_collections.danang.mail.plugins.module_utils import report_html
from ansible_collections.danang.mail.plugins.module_utils.escaping import csv_field, markdown_cell
from ansible_collections.danang.mail.plugins.module_utils.files import write_atomically
from ansible_collections.danang.mail.plugins.module_utils.model import Problem, ValidationFailed
from ansible_collections.danang.mail.plugins.module_utils.report_model import Cell, Report, Table

MODE = 0o640  # the lists name people
MARKDOWN_ROWS = 20  # a longer table is in its CSV file only; the summary says how many rows


def stem(report: Report) -> str:
    """``r60-<period>`` or ``r47-<as-of date>``."""
    if report.period is not None:
        return f"{report.kind}-{report.period.name}"
    return f"{report.kind}-{report.as_of[:10]}"


def _value(cell: Cell) -> str:
    if isinstance(cell, float):  # fixed notation, never 1.2e+06; at most 2 decimals
        return f"{cell:.2f}".rstrip("0").rstrip(".")
    return "" if cell is None else str(cell)


def csv_text(table: Table) -> str:
    lines = [table.columns, *table.rows]
    return "".join(",".join(csv_field(_value(c)) for c in line) + "\n" for line in lines)


def _markdown_table(columns: tuple[Cell, ...], rows: tuple[tuple[Cell, ...], ...]) -> list[str]:
    def line(cells: tuple[Cell, ...]) -> str:
        return "| " + " | ".join(markdown_cell(_value(c)) for c in cells) + " |"

    return [line(columns), "|" + "---|" * len(columns), *(line(r) for r in rows)]


def markdown_text(report: Report) -> str:
    name = stem(report)
    out = [f"# {markdown_cell(report.title)}", ""]
    if report.period is not None:
        period = report.period
        out += [
            f"- Kỳ báo cáo: {period.name} ({period.first.isoformat()} đến {period.last.isoformat()})",
            f"- Hạn gửi Trung tâm: {period.due_centre.isoformat()}; "
            f"hạn gửi Sở: {period.due_department.isoformat()}",
        ]
    out += [f"- Số liệu tính đến: {report.as_of}", "", "## Số liệu chính", ""]
    out += _markdown_table(("Chỉ số", "Giá trị"), report.headline)
    for section in report.sections:
        out += ["", f"## {markdown_cell(section.title)}", ""]
        out += [markdown_cell(line) for line in section.summary]
        for table in section.tables:
            out += ["", f"### {markdown_cell(table.title)}", ""]
            if len(table.rows) > MARKDOWN_ROWS:
                out.append(f"{len(table.rows)} dòng: xem tệp {markdown_cell(f'{name}-{table.id}.csv')}.")
            elif not table.rows:
                out.append("Không có.")
            else:
                out += _markdown_table(table.columns, table.rows)
            if table.note:
                out += ["", f"_{markdown_cell(table.note)}_"]
    return "\n".join(out) + "\n"


def data_files(report: Report) -> dict[str, bytes]:
    """File name -> bytes of the Markdown summary and of one CSV per table."""
    name = stem(report)
    found = {f"{name}.md": markdown_text(report).encode("utf-8")}
    for section in report.sections:
        for table in section.tables:
            found[f"{name}-{table.id}.csv"] = csv_text(table).encode("utf-8")
    return found


def contents(report: Report) -> dict[str, bytes]:
    """File name -> bytes, for every file of ``report`` (the HTML file too); names sorted."""
    found = {**data_files(report), f"{stem(report)}.html": report_html.render(report).encode("utf-8")}
    return dict(sorted(found.items()))


def changed(directory: str, files: Mapping[str, bytes]) -> list[str]:
    """The names whose file in ``directory`` is missing or different; a symbolic link (or anything
    but a regular file) at a target, or a directory that is not one, raises ``ValidationFailed``."""
    if os.path.islink(directory) or not os.path.isdir(directory):
        raise ValidationFailed(
            [Problem(directory, "", "", "the output directory must exist and not be a link")]
        )
    problems = []
    differ = []
    for name, data in sorted(files.items()):
        path = os.path.join(directory, name)
        if os.path.islink(path) or (os.path.lexists(path) and not os.path.isfile(path)):
            problems.append(Problem(path, "", "", "is a symbolic link or not a regular file: refused"))
            continue
        if not os.path.exists(path):
            differ.append(name)
            continue
        with open(path, "rb") as handle:
            if handle.read() != data:
                differ.append(name)
    if problems:
        raise ValidationFailed(problems)
    return differ


def write(directory: str, files: Mapping[str, bytes]) -> list[str]:
    """Write the files that differ (checked first, all of them, see ``changed``); their names."""
    differ = changed(directory, files)
    for name in differ:
        write_atomically(os.path.join(directory, name), files[name], MODE)
    return differ
