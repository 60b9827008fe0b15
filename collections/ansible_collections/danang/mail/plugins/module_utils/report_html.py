# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A report as one self-contained HTML file (R-47, R-60).

The file needs nothing outside itself: the charts are PNG ``data:`` URLs, the style is inline, and a
Content-Security-Policy meta forbids every other source, so a value that slipped through as markup
still could not fetch anything (and scripts cannot run at all). Every value is escaped by Jinja2's
autoescape; agency names come from files the agencies write. Each chart has a text alternative and
a link to the table holding its figures. The same Report gives the same text: nothing here reads a
clock, the only dates are the period's and ``as_of``.
"""

from __future__ import annotations

import base64
import datetime
import re
import traceback
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils import report_charts
from ansible_collections.danang.mail.plugins.module_utils.report_model import Cell, Report

try:
    import jinja2

    HAS_JINJA2 = True
    JINJA2_IMPORT_ERROR: Optional[str] = None
except ImportError:  # the report module reports it with missing_required_lib('Jinja2')
    HAS_JINJA2 = False
    JINJA2_IMPORT_ERROR = traceback.format_exc()

# Nothing but this file, its inline style and data: images; no script, no frame, no form target.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
ID = re.compile(r"^[a-z0-9-]+$")
NOT_AVAILABLE = "—"  # a None cell: the figure is not available (e.g. spam counters on Exchange)

TEMPLATE = """\
<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{ csp }}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ report.title }}</title>
<style>
body { font-family: "DejaVu Sans", "Noto Sans", Arial, sans-serif; line-height: 1.45; color: #1a1a1a;
  margin: 0 auto; padding: 0 1rem 2rem; max-width: 60rem; }
h1 { font-size: 1.5rem; margin: 1.2rem 0 .6rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .5rem; border-bottom: 2px solid #0072B2; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; }
dl.facts dt { font-weight: bold; }
dl.facts dd { margin: 0; }
.headline { display: grid; grid-template-columns: repeat(auto-fit, minmax(10rem, 1fr)); gap: .6rem;
  margin: 1rem 0; padding: 0; list-style: none; }
.headline li { border: 1px solid #ccc; border-radius: .4rem; padding: .6rem; }
.headline .value { display: block; font-size: 1.6rem; font-weight: bold; color: #0072B2; }
nav ol { padding-left: 1.2rem; }
figure { margin: 1rem 0; }
figure img { display: block; max-width: 100%; height: auto; }
figcaption { font-size: .9rem; color: #444; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: .5rem 0; font-size: .9rem; }
caption { text-align: left; font-weight: bold; padding: .3rem 0; }
th, td { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f0f4f8; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.note { font-size: .85rem; color: #555; }
@media (max-width: 30rem) { dl.facts { grid-template-columns: 1fr; } dl.facts dd { margin-bottom: .4rem; } }
</style>
</head>
<body>
<header>
<h1>{{ report.title }}</h1>
<dl class="facts">
{% if report.period %}
<dt>Kỳ báo cáo</dt>
<dd>{{ report.period.name }}: từ {{ report.period.first | day }} đến {{ report.period.last | day }}</dd>
<dt>Hạn báo cáo của Trung tâm</dt><dd>{{ report.period.due_centre | day }}</dd>
<dt>Hạn báo cáo của Sở</dt><dd>{{ report.period.due_department | day }}</dd>
{% endif %}
<dt>Số liệu tính đến</dt><dd><time datetime="{{ report.as_of }}">{{ report.as_of | moment }}</time></dd>
</dl>
</header>
<main>
{% if report.headline %}
<ul class="headline" aria-label="Số liệu chính">
{% for label, value in report.headline %}
<li><span class="value">{{ value | cell }}</span> {{ label }}</li>
{% endfor %}
</ul>
{% endif %}
{% if report.sections | length > 1 %}
<nav aria-label="Mục lục"><ol>
{% for section in report.sections %}
<li><a href="#s-{{ section.id }}">{{ section.title }}</a></li>
{% endfor %}
</ol></nav>
{% endif %}
{% for section in report.sections %}
<section id="s-{{ section.id }}">
<h2>{{ section.title }}</h2>
{% for line in section.summary %}
<p>{{ line }}</p>
{% endfor %}
{% for chart in section.charts %}
<figure id="c-{{ chart.id }}">
<img src="{{ images[chart.id] }}" alt="{{ chart.alt }}">
<figcaption>{{ chart.alt }}
(số liệu: <a href="#t-{{ chart.table }}">bảng &ldquo;{{ titles[chart.table] }}&rdquo;</a>)</figcaption>
</figure>
{% endfor %}
{% for table in section.tables %}
<div class="scroll" id="t-{{ table.id }}">
<table>
<caption>{{ table.title }}</caption>
<thead><tr>{% for column in table.columns %}<th scope="col">{{ column }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in table.rows %}
<tr>{% for value in row %}
<td{{ ' class="num"' | safe if value is number }}>{{ value | cell }}</td>{% endfor %}
</tr>
{% endfor %}
</tbody>
</table>
{% if table.note %}<p class="note">{{ table.note }}</p>{% endif %}
</div>
{% endfor %}
</section>
{% endfor %}
</main>
</body>
</html>
"""


def cell(value: Cell) -> str:
    """A table cell or headline figure as text: integers whole, other numbers to one decimal."""
    if value is None:
        return NOT_AVAILABLE
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.1f}"
    return str(value)


def day(value: datetime.date) -> str:
    """A date as Vietnamese readers write it: 10/07/2026."""
    return value.strftime("%d/%m/%Y")


def moment(value: str) -> str:
    """``as_of`` as a reader writes it, its offset kept: 31/12/2026 23:59 (UTC+07:00); a value that
    is not ISO 8601 is shown as it is."""
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        return value
    offset = parsed.strftime("%z")
    zone = f" (UTC{offset[:3]}:{offset[3:]})" if offset else ""
    return parsed.strftime("%d/%m/%Y %H:%M") + zone


def check(report: Report) -> None:
    """Raise ``ValueError`` naming the id when ids are malformed, repeated, or a chart's table is
    not in its section: the anchors and the chart-to-table links depend on them."""
    seen: dict[str, set[str]] = {"section": set(), "table": set(), "chart": set()}

    def claim(kind: str, value: str) -> None:
        if not ID.match(value):
            raise ValueError(f"{kind} id {value!r}: only a-z, 0-9 and '-' may be used")
        if value in seen[kind]:
            raise ValueError(f"{kind} id {value!r} is used twice")
        seen[kind].add(value)

    for section in report.sections:
        claim("section", section.id)
        for table in section.tables:
            claim("table", table.id)
        tables = {table.id for table in section.tables}
        for chart in section.charts:
            claim("chart", chart.id)
            if chart.table not in tables:
                raise ValueError(
                    f"chart {chart.id!r}: table {chart.table!r} is not in its section {section.id!r}"
                )


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(cell=cell, day=day, moment=moment)
    return environment


def render(report: Report) -> str:
    """The whole HTML file's text for ``report``.

    Raises ``ValueError`` for malformed ids, ``RuntimeError`` without Jinja2 or matplotlib (the
    module checks ``HAS_JINJA2`` and ``report_charts.HAS_MATPLOTLIB`` first, for
    ``missing_required_lib``).
    """
    if not HAS_JINJA2:
        raise RuntimeError("the Python library Jinja2 is needed to write the HTML report")
    check(report)
    images: dict[str, str] = {}
    titles: dict[str, str] = {}
    for section in report.sections:
        titles.update((table.id, table.title) for table in section.tables)
        for chart in section.charts:
            encoded = base64.b64encode(report_charts.png(chart)).decode("ascii")
            images[chart.id] = "data:image/png;base64," + encoded
    context: dict[str, Any] = {"report": report, "csp": CSP, "images": images, "titles": titles}
    return _environment().from_string(TEMPLATE).render(context)
