"""A report's HTML file opened in a real browser (R-60, R-47; issue: the file opens without network
access, every chart renders and has a text alternative, and nothing is fetched from outside).

Debian's headless chromium (tests/integration/browser.py) opens a file rendered from a Report built
here with known figures. An HTTP server on loopback stands for "outside": a page that slipped an
image from it into the report must not reach it; the same page without the report's
Content-Security-Policy does, which shows that the policy, not chance, keeps it away.
"""

from __future__ import annotations

import datetime
import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("selenium")
pytest.importorskip("matplotlib")

import browser
from ansible_collections.danang.mail.plugins.module_utils import report_html
from ansible_collections.danang.mail.plugins.module_utils.report_model import (
    Chart,
    Period,
    Report,
    Section,
    Table,
)

pytestmark = pytest.mark.integration

AGENCIES = ("Sở Thông tin và Truyền thông", "UBND quận Hải Châu", "Sở Y tế")


def known_report() -> Report:
    accounts = Table(
        id="accounts",
        title="Số hộp thư theo cơ quan và hệ thống",
        columns=("Cơ quan", "OBM", "Exchange"),
        rows=tuple(zip(AGENCIES, (41, 17, 0), (3, 0, 28), strict=True)),
        note="Đọc một lần từ mỗi hệ thống.",
    )
    quota = Table(
        id="quota",
        title="Mức dùng dung lượng",
        columns=("Mức dùng", "Số hộp thư"),
        rows=(("0-50 %", 60), ("50-90 %", 24), ("≥ 90 %", 5)),
    )
    return Report(
        kind="r60",
        title="Báo cáo tình hình vận hành hệ thống thư điện tử 6 tháng cuối năm 2026",
        as_of="2026-12-31T23:59:59+07:00",
        headline=(("Tổng số hộp thư", 89), ("Hộp thư gần đầy", 5), ("Lọc thư rác (Exchange)", None)),
        period=Period(
            "2026H2",
            datetime.date(2026, 7, 1),
            datetime.date(2026, 12, 31),
            datetime.date(2027, 1, 10),
            datetime.date(2027, 1, 20),
        ),
        sections=(
            Section(
                id="accounts",
                title="Hộp thư",
                summary=("Thành phố có 89 hộp thư trên hai hệ thống.",),
                tables=(accounts,),
                charts=(
                    Chart(
                        id="accounts",
                        title=accounts.title,
                        categories=AGENCIES,
                        series=(("OBM", (41, 17, 0)), ("Exchange", (3, 0, 28))),
                        alt="Sở Thông tin và Truyền thông có 44 hộp thư, UBND quận Hải Châu 17, Sở Y tế 28.",
                        table="accounts",
                        horizontal=True,
                    ),
                ),
            ),
            Section(
                id="quota",
                title="Dung lượng",
                tables=(quota,),
                charts=(
                    Chart(
                        id="quota",
                        title=quota.title,
                        categories=("0-50 %", "50-90 %", "≥ 90 %"),
                        series=(("Hộp thư", (60, 24, 5)),),
                        alt="60 hộp thư dùng dưới một nửa, 24 từ một nửa đến 90 %, 5 gần đầy.",
                        table="quota",
                    ),
                ),
            ),
        ),
    )


class _Outside(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.paths.append(self.path)  # type: ignore[attr-defined]
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def outside() -> Iterator[http.server.HTTPServer]:
    """A web server on loopback standing for the Internet: it records every path asked of it."""
    server = http.server.HTTPServer(("127.0.0.1", 0), _Outside)
    server.paths = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def driver(obm_lab):  # the lab's bring-up installs chromium and chromium-driver
    assert not browser.missing(), f"{browser.missing()} missing: make lab-up installs them"
    with browser.chromium() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "bao-cao-2026H2.html"
    path.write_text(report_html.render(known_report()), encoding="utf-8")
    return path


def test_every_chart_renders_with_a_text_alternative_and_nothing_else_is_requested(driver, html: Path):
    page = browser.open_file(driver, html)
    assert browser.problems(page, html) == []
    assert [image["width"] for image in page.images] == [800, 800]
    assert all(image["src"].startswith("data:image/png;base64,") for image in page.images)
    assert page.images[1]["alt"] == "60 hộp thư dùng dưới một nửa, 24 từ một nửa đến 90 %, 5 gần đầy."


def test_a_broken_image_and_a_missing_alternative_are_found(driver, html: Path, tmp_path: Path):
    """problems() itself: the check above would pass on nothing if it could not see these."""
    text = html.read_text(encoding="utf-8").replace("base64,iVBOR", "base64,AAAA", 1)
    broken = tmp_path / "broken.html"
    broken.write_text(re.sub(r' alt="60[^"]*"', ' alt=""', text), encoding="utf-8")
    found = browser.problems(browser.open_file(driver, broken), broken)
    assert len(found) == 2
    assert found[0].startswith("image 0 ('Sở Thông tin") and found[0].endswith("did not decode")
    assert found[1] == "image 1 has no text alternative"


def test_title_period_and_figures_are_visible_text(driver, html: Path):
    page = browser.open_file(driver, html)
    assert page.title == known_report().title
    assert known_report().title in page.text
    assert "2026H2: từ 01/07/2026 đến 31/12/2026" in page.text
    assert "20/01/2027" in page.text
    assert "89 Tổng số hộp thư" in page.text.replace("\n", " ")
    assert "UBND quận Hải Châu 17 0" in page.text


def _with_outside_image(html: Path, url: str, out: Path, keep_csp: bool) -> Path:
    text = html.read_text(encoding="utf-8").replace("<main>", f'<main><img src="{url}" alt="x">', 1)
    if not keep_csp:
        start = text.index('<meta http-equiv="Content-Security-Policy"')
        text = text[:start] + text[text.index(">", start) + 1 :]
    out.write_text(text, encoding="utf-8")
    return out


def test_an_outside_image_slipped_into_the_file_is_blocked(driver, html: Path, outside, tmp_path: Path):
    url = f"http://127.0.0.1:{outside.server_port}/tracker.png"
    page = browser.open_file(driver, _with_outside_image(html, url, tmp_path / "csp.html", keep_csp=True))
    assert [r.blocked for r in page.requests if r.url == url] in ([], ["csp"])
    assert url not in page.sent()
    assert outside.paths == []
    # The same page without the policy does reach the server: the policy is what stops it.
    browser.open_file(driver, _with_outside_image(html, url, tmp_path / "open.html", keep_csp=False))
    assert outside.paths == ["/tracker.png"]
