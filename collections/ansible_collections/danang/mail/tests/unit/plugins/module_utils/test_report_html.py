# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A report as one HTML file (R-47, R-60): self-contained under a Content-Security-Policy, the same
text for the same Report, hostile values inert, every table and chart shown; the page as a browser
would parse it (html.parser), not as a string search."""

from __future__ import annotations

import base64
import datetime
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from ansible_collections.danang.mail.plugins.module_utils import report_charts, report_html
from ansible_collections.danang.mail.plugins.module_utils.report_model import (
    Chart,
    Period,
    Report,
    Section,
    Table,
)

COLLECTIONS = Path(__file__).resolve().parents[7]
HOSTILE = (
    "<script>alert(1)</script>",
    '"><img src=http://evil.example/x.png onerror=alert(1)>',
    "</title><style>body{background:url(http://evil.example/)}</style>",
    "{{ 7*7 }} {% raw %}",
    "javascript:alert(1)",
)
TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "h1", "dl", "dt", "dd", "time", "main",
    "ul", "li", "span", "nav", "ol", "a", "section", "h2", "p", "figure", "img", "figcaption", "div",
    "table", "caption", "thead", "tr", "th", "tbody", "td",
}  # fmt: skip
PERIOD = Period(
    "2026H2",
    datetime.date(2026, 7, 1),
    datetime.date(2026, 12, 31),
    datetime.date(2027, 1, 10),
    datetime.date(2027, 1, 20),
)


def report(agencies: tuple[str, ...] = ("Sở Y tế", "UBND quận Hải Châu"), text: str = "Sở Y tế") -> Report:
    table = Table(
        id="accounts",
        title=f"Số hộp thư — {text}",
        columns=("Cơ quan", "OBM", text),
        rows=(*((name, 12, None) for name in agencies), (text, 2.5, 0.0)),
        note=text,
    )
    chart = Chart(
        id="accounts",
        title=text,
        categories=agencies,
        series=((text, tuple(range(len(agencies)))),),
        alt=f"Biểu đồ: {text}",
        table="accounts",
        horizontal=True,
    )
    section = Section(id="accounts", title=text, summary=(text,), tables=(table,), charts=(chart,))
    return Report(
        kind="r60",
        title=f"Báo cáo 6 tháng — {text}",
        as_of="2026-12-31T23:59:59+07:00",
        headline=((text, 89), ("Hộp thư gần đầy", 5)),
        sections=(section, Section(id="empty", title="Trống")),
        period=PERIOD,
    )


class Page(HTMLParser):
    """What a browser would build: the elements with their attributes, and the text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.texts: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {name: value or "" for name, value in attrs}))

    def handle_data(self, data: str) -> None:
        self.texts.append(data)

    def all(self, tag: str) -> list[dict[str, str]]:
        return [attrs for name, attrs in self.elements if name == tag]


def test_the_same_report_gives_the_same_text():
    assert report_html.render(report()) == report_html.render(report())


def test_the_policy_allows_nothing_outside_the_file_and_comes_first():
    page = Page(report_html.render(report()))
    names = [name for name, _attrs in page.elements]
    policy = page.all("meta")[1]
    assert policy == {"http-equiv": "Content-Security-Policy", "content": report_html.CSP}
    assert report_html.CSP.startswith("default-src 'none'; img-src data:; style-src 'unsafe-inline'")
    # Before anything the policy must cover: a meta policy applies only to what follows it.
    assert names.index("meta") < names.index("title") < names.index("style") < names.index("img")
    assert page.all("html") == [{"lang": "vi"}]
    assert page.all("meta")[0] == {"charset": "utf-8"}


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_stay_text(value: str):
    html = report_html.render(report(agencies=(value, "Sở Y tế"), text=value))
    page = Page(html)
    assert {name for name, _attrs in page.elements} <= TAGS
    assert len(page.all("img")) == 1 and len(page.all("style")) == 1 and not page.all("script")
    for _name, attrs in page.elements:
        assert not [a for a in attrs if a.startswith("on")]
        assert not attrs.get("href", "#").startswith(("javascript:", "http"))
    assert page.all("img")[0]["src"].startswith("data:image/png;base64,")
    assert page.all("img")[0]["alt"] == f"Biểu đồ: {value}"
    assert value in page.texts and f"Báo cáo 6 tháng — {value}" in page.texts
    assert "49" not in "".join(page.texts)  # no template was evaluated


def test_every_table_cell_headline_period_and_as_of_are_shown():
    page = Page(report_html.render(report()))
    cells = [text for text in page.texts if text.strip()]
    assert "2026H2: từ 01/07/2026 đến 31/12/2026" in cells
    due = cells.index("Hạn báo cáo của Trung tâm")
    assert cells[due : due + 4] == [
        "Hạn báo cáo của Trung tâm",
        "10/01/2027",
        "Hạn báo cáo của Sở",
        "20/01/2027",
    ]
    assert page.all("time") == [{"datetime": "2026-12-31T23:59:59+07:00"}]
    assert "31/12/2026 23:59 (UTC+07:00)" in cells
    figure = page.texts.index("89")
    assert page.texts[figure : figure + 2] == ["89", " Sở Y tế"]
    rows = ["UBND quận Hải Châu", "12", report_html.NOT_AVAILABLE, "Sở Y tế", "2.5", "0"]
    start = cells.index("UBND quận Hải Châu", cells.index("Cơ quan"))
    assert cells[start : start + 6] == rows
    assert [attrs.get("class") for attrs in page.all("td")].count("num") == 4  # the numbers; None is not one
    assert page.all("section")[1] == {"id": "s-empty"}


def test_each_chart_is_the_drawn_png_with_its_alternative_and_a_link_to_its_table():
    value = report()
    page = Page(report_html.render(value))
    (image,) = page.all("img")
    chart = value.sections[0].charts[0]
    assert base64.b64decode(image["src"].removeprefix("data:image/png;base64,")) == report_charts.png(chart)
    assert image["alt"] == chart.alt
    assert {"href": "#t-accounts"} in page.all("a")
    assert {"class": "scroll", "id": "t-accounts"} in page.all("div")


def test_an_r47_report_has_no_period():
    value = Report(
        kind="r47", title="Danh sách R-47", as_of="2026-12-07T08:00:00+07:00", headline=(), sections=()
    )
    page = Page(report_html.render(value))
    assert "Kỳ báo cáo" not in page.texts and not page.all("img") and not page.all("nav")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": "Accounts"}, "table id 'Accounts': only a-z"),
        ({"id": 'x" onclick="alert(1)'}, "only a-z, 0-9 and '-'"),
    ],
)
def test_ids_that_would_break_the_anchors_are_refused(change: dict[str, str], message: str):
    value = report()
    section = value.sections[0]
    table = Table(**{**section.tables[0].__dict__, **change})
    broken = Report(**{**value.__dict__, "sections": (Section(**{**section.__dict__, "tables": (table,)}),)})
    with pytest.raises(ValueError, match=message):
        report_html.render(broken)


def test_a_repeated_id_and_a_chart_without_its_table_are_refused():
    value = report()
    twice = Report(**{**value.__dict__, "sections": (value.sections[0], value.sections[0])})
    with pytest.raises(ValueError, match="section id 'accounts' is used twice"):
        report_html.render(twice)
    section = Section(**{**value.sections[0].__dict__, "tables": ()})
    with pytest.raises(ValueError, match="chart 'accounts': table 'accounts' is not in its section"):
        report_html.render(Report(**{**value.__dict__, "sections": (section,)}))


@pytest.mark.parametrize(
    ("value", "text"), [(None, "—"), (12, "12"), (12.0, "12"), (12.345, "12.3"), ("", ""), ("a<b", "a<b")]
)
def test_cells(value, text):
    assert report_html.cell(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("2026-12-31T23:59:59+07:00", "31/12/2026 23:59 (UTC+07:00)"),
        ("2026-07-01T08:00:00", "01/07/2026 08:00"),
        ("cuối kỳ", "cuối kỳ"),
    ],
)
def test_as_of(value, text):
    assert report_html.moment(value) == text


@pytest.mark.parametrize("library", ["jinja2", "matplotlib"])
def test_without_a_library_the_import_works_and_render_names_it(library: str):
    # A fresh interpreter where the library cannot be imported (None in sys.modules), as in the
    # sanity import test and on a controller without it: the module must still load to report it.
    program = (
        f"import sys; sys.modules[{library!r}] = None\n"
        "from ansible_collections.danang.mail.plugins.module_utils import report_charts, report_html\n"
        "from ansible_collections.danang.mail.plugins.module_utils import report_model as m\n"
        "print(report_html.HAS_JINJA2, report_charts.HAS_MATPLOTLIB)\n"
        "table = m.Table(id='t', title='t', columns=(), rows=())\n"
        "chart = m.Chart(id='c', title='t', categories=(), series=(), alt='a', table='t')\n"
        "section = m.Section(id='s', title='s', tables=(table,), charts=(chart,))\n"
        "report_html.render(m.Report(kind='r47', title='t', as_of='', headline=(), sections=(section,)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, cwd=COLLECTIONS, check=False
    )
    assert done.stdout == ("False True\n" if library == "jinja2" else "True False\n")
    assert (
        f"RuntimeError: the Python library {'Jinja2' if library == 'jinja2' else library} is needed"
        in done.stderr
    )
