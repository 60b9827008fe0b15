# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a report says, apart from how it is drawn (R-47, R-60).

``report_figures`` computes a ``Report`` from the ledger, the journals, the request records and one
bulk read of each system (pure, no I/O); ``report_html`` draws it as one self-contained HTML file
with its charts embedded (``report_charts``), and ``report_files`` writes that file, one CSV per
table and a Markdown summary. Everything here is plain data
in a fixed order, so the same inputs give the same files byte for byte (R-60 reports are kept and
compared): no clock is read here, the only times are the period and ``as_of``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Optional, Union

Cell = Union[str, int, float, None]


@dataclass(frozen=True)
class Table:
    """One table, written as ``<stem>-<id>.csv`` and shown in the HTML and the Markdown."""

    id: str  # [a-z0-9-]+, unique in the report: the CSV file's suffix and the HTML anchor
    title: str  # Vietnamese heading
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""  # how the figures were obtained, shown under the table


@dataclass(frozen=True)
class Chart:
    """A bar chart: one bar (or one stack) per category, one colour per series.

    ``alt`` is the chart's text alternative (the HTML ``alt`` and the figure's caption); the values
    themselves are also in ``table`` (the id of a table of the same section), so a reader without
    images loses nothing.
    """

    id: str  # [a-z0-9-]+, unique in the report
    title: str
    categories: tuple[str, ...]
    series: tuple[tuple[str, tuple[float, ...]], ...]  # (label, one value per category)
    alt: str
    table: str  # id of the table holding the same values
    x_label: str = ""
    y_label: str = ""
    stacked: bool = False
    horizontal: bool = False  # long category names (agencies) read better down the side


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    summary: tuple[str, ...] = ()  # one sentence per line, figures included
    tables: tuple[Table, ...] = ()
    charts: tuple[Chart, ...] = ()


@dataclass(frozen=True)
class Period:
    """A reporting period of R-60: a half year (``2026H1``, ``2026H2``) or a year (``2026``)."""

    name: str
    first: datetime.date
    last: datetime.date
    due_centre: datetime.date  # 10 July / 10 January
    due_department: datetime.date  # 20 July / 20 January


@dataclass(frozen=True)
class Report:
    kind: str  # "r60" (operation and use, six-monthly or annual) or "r47" (passwords)
    title: str
    as_of: str  # the data's as-of time, ISO 8601 in city time (UTC+07:00)
    headline: tuple[tuple[str, Cell], ...]  # the key figures, (label, value), shown first
    sections: tuple[Section, ...]
    period: Optional[Period] = None  # r60 only
