# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reports' charts (R-60): the same chart gives the same PNG bytes whatever the machine's
matplotlib settings, nothing of the machine or the clock is written into the file, the Vietnamese
letters are drawn, and empty or all-zero figures still give a chart."""

from __future__ import annotations

import struct
import warnings
import zlib

import matplotlib
import pytest
from ansible_collections.danang.mail.plugins.module_utils import report_charts
from ansible_collections.danang.mail.plugins.module_utils.report_model import Chart

AGENCIES = ("Sở Thông tin và Truyền thông thành phố Đà Nẵng", "UBND quận Hải Châu", "Sở Y tế")
ACCOUNTS = Chart(
    id="accounts",
    title="Số hộp thư theo cơ quan và hệ thống",
    categories=AGENCIES,
    series=(("OBM", (41, 17, 0)), ("Exchange", (3, 0, 28))),
    alt="Số hộp thư của từng cơ quan trên OBM và Exchange.",
    table="accounts",
    x_label="Cơ quan",
    y_label="Số hộp thư",
    horizontal=True,
)


def chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """The PNG's chunks (type, data), each one's CRC checked."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    found, at = [], 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, data = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        assert struct.unpack(">I", png[at + 8 + length : at + 12 + length])[0] == zlib.crc32(kind + data)
        found.append((kind, data))
        at += 12 + length
    return found


def size(png: bytes) -> tuple[int, int]:
    kind, data = chunks(png)[0]
    assert kind == b"IHDR"
    return struct.unpack(">II", data[:8])


def test_the_same_chart_gives_the_same_bytes():
    assert report_charts.png(ACCOUNTS) == report_charts.png(ACCOUNTS)


def test_no_text_or_time_chunk_is_written():
    kinds = {kind for kind, _data in chunks(report_charts.png(ACCOUNTS))}
    assert kinds <= {b"IHDR", b"pHYs", b"IDAT", b"IEND"}, kinds


def test_the_machines_matplotlib_settings_do_not_change_the_pixels():
    before = report_charts.png(ACCOUNTS)
    with matplotlib.rc_context({"font.size": 22, "axes.facecolor": "#ff0000", "figure.dpi": 300}):
        during = report_charts.png(ACCOUNTS)
        assert matplotlib.rcParams["font.size"] == 22  # the caller's settings are given back
    assert during == before


def test_fixed_width_and_a_height_that_follows_the_categories():
    width, height = size(report_charts.png(ACCOUNTS))
    more = Chart(**{**ACCOUNTS.__dict__, "categories": AGENCIES * 4, "series": (("OBM", (1,) * 12),)})
    assert width == size(report_charts.png(more))[0] == 800
    assert size(report_charts.png(more))[1] > height


def test_vietnamese_letters_are_drawn():
    # matplotlib warns "Glyph ... missing from font" and draws a box when a letter is missing.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report_charts.png(Chart(**{**ACCOUNTS.__dict__, "title": "Ặ ằ ẵ ỷ ữ ợ đ Đ ệ ộ ứ ỳ"}))


@pytest.mark.parametrize(
    "chart",
    [
        Chart(id="empty", title="Trống", categories=(), series=(), alt="Không có số liệu.", table="t"),
        Chart(id="none", title="Không có dãy", categories=("a", "b"), series=(), alt="x", table="t"),
        Chart(id="zero", title="Toàn 0", categories=("a", "b"), series=(("s", (0, 0)),), alt="x", table="t"),
        Chart(
            id="stack",
            title="Chồng, toàn 0",
            categories=("a", "b"),
            series=(("s", (0, 0)), ("t", (0, 0))),
            alt="x",
            table="t",
            stacked=True,
            horizontal=True,
        ),
        Chart(id="frac", title="Lẻ", categories=("a",), series=(("s", (0.25,)),), alt="x", table="t"),
    ],
    ids=lambda chart: chart.id,
)
def test_empty_zero_and_small_figures_still_give_a_chart(chart: Chart):
    png = report_charts.png(chart)
    assert size(png)[0] == 800
    assert png == report_charts.png(chart)


def test_a_series_of_the_wrong_length_is_refused_with_its_name():
    chart = Chart(id="bad", title="x", categories=("a", "b"), series=(("OBM", (1,)),), alt="x", table="t")
    with pytest.raises(ValueError, match="chart 'bad': series 'OBM' has 1 values for 2 categories"):
        report_charts.png(chart)
