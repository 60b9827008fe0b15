# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A report's bar charts as PNG bytes (R-47, R-60), the same bytes for the same chart.

R-60 reports are kept and compared, so nothing of the machine may reach the image: the PNG carries
no Software or date chunk, the figure has a fixed width and dpi (its height follows the number of
categories only), matplotlib's own defaults are used rather than the user's matplotlibrc, and every
text is set in the DejaVu Sans file matplotlib ships (it has the Vietnamese letters; a system copy
of another version would draw other pixels). The Agg canvas is used directly, without pyplot, so
no GUI backend and no global figure list are involved.
"""

from __future__ import annotations

import io
import textwrap
import traceback
from pathlib import Path
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.report_model import Chart

try:
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    HAS_MATPLOTLIB = True
    MATPLOTLIB_IMPORT_ERROR: Optional[str] = None
except ImportError:  # the report module reports it with missing_required_lib('matplotlib')
    HAS_MATPLOTLIB = False
    MATPLOTLIB_IMPORT_ERROR = traceback.format_exc()

WIDTH_IN = 8.0  # 800 px at DPI: wide enough for agency names, shrunk by the page on a phone
DPI = 100
BAR_IN = 0.38  # height per category of a horizontal chart
MAX_HEIGHT_IN = 40.0
LABEL_WIDTH = 32  # characters per line of a category label
NO_DATA = "Không có số liệu"  # "no figures": an empty chart still says so in the image
# Colour-blind-safe (Okabe-Ito), in a fixed order: series keep their colour from one report to the next.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")


def _font() -> FontProperties:
    return FontProperties(fname=str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"))


def _label(text: str) -> str:
    return "\n".join(textwrap.wrap(text, LABEL_WIDTH)) or text


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _height(chart: Chart) -> float:
    if chart.horizontal:
        lines = sum(max(1, len(textwrap.wrap(c, LABEL_WIDTH))) for c in chart.categories)
        return min(MAX_HEIGHT_IN, 1.6 + BAR_IN * max(len(chart.categories), 1) + 0.12 * lines)
    return 4.5


def _draw(figure: Figure, chart: Chart, font: FontProperties) -> None:
    axes = figure.add_subplot()
    axes.set_title(chart.title, fontproperties=font, fontsize=13, loc="left")
    values = [value for _label_, series in chart.series for value in series]
    if not chart.categories or not chart.series or not any(values):
        axes.text(0.5, 0.5, NO_DATA, ha="center", va="center", transform=axes.transAxes, fontproperties=font)
    positions = range(len(chart.categories))
    count = max(len(chart.series), 1)
    thickness = 0.8 if chart.stacked else 0.8 / count
    base = [0.0] * len(chart.categories)
    for index, (name, series) in enumerate(chart.series):
        shift = 0.0 if chart.stacked else (index - (count - 1) / 2) * thickness
        where = [p + shift for p in positions]
        heights = [float(v) for v in series]
        colour = COLOURS[index % len(COLOURS)]
        if chart.horizontal:
            bars = axes.barh(where, heights, thickness, left=base, label=name, color=colour)
        else:
            bars = axes.bar(where, heights, thickness, bottom=base, label=name, color=colour)
        if not chart.stacked:
            # The value on each bar: the reader need not guess it from the grid.
            labels = axes.bar_label(bars, labels=[_number(v) for v in heights], padding=2)
            for text in labels:
                text.set_fontproperties(font)
        if chart.stacked:
            base = [b + h for b, h in zip(base, heights, strict=True)]
    ticks = [_label(c) for c in chart.categories]
    value_axis, category_axis = (axes.xaxis, axes.yaxis) if chart.horizontal else (axes.yaxis, axes.xaxis)
    category_axis.set_ticks(list(positions), labels=ticks)
    if chart.horizontal:
        axes.invert_yaxis()  # the first category at the top, as in the table
        axes.set_ylim(len(chart.categories) - 0.5 if chart.categories else 0.5, -0.5)
    elif len(chart.categories) > 4:
        for text in axes.get_xticklabels():
            text.set_rotation(30)
            text.set_horizontalalignment("right")
    top = max(values + ([max(base)] if base else []) + [0.0])
    (axes.set_xlim if chart.horizontal else axes.set_ylim)(0, top * 1.15 if top > 0 else 1)
    value_axis.get_major_locator().set_params(integer=True)
    axes.grid(axis="x" if chart.horizontal else "y", color="#dddddd")
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    x_label, y_label = (chart.y_label, chart.x_label) if chart.horizontal else (chart.x_label, chart.y_label)
    axes.set_xlabel(x_label, fontproperties=font)
    axes.set_ylabel(y_label, fontproperties=font)
    for text in axes.get_xticklabels() + axes.get_yticklabels():
        text.set_fontproperties(font)
    if len(chart.series) > 1:
        axes.legend(prop=font, loc="best", frameon=False)


def png(chart: Chart) -> bytes:
    """``chart`` drawn as PNG bytes; ``RuntimeError`` without matplotlib (see ``HAS_MATPLOTLIB``)."""
    if not HAS_MATPLOTLIB:
        raise RuntimeError("the Python library matplotlib is needed to draw the report's charts")
    for name, series in chart.series:
        if len(series) != len(chart.categories):
            counts = f"{len(series)} values for {len(chart.categories)} categories"
            raise ValueError(f"chart {chart.id!r}: series {name!r} has {counts}")
    with matplotlib.rc_context():
        matplotlib.rcdefaults()  # the user's matplotlibrc must not change the pixels
        matplotlib.rcParams.update(_RC)
        figure = Figure(figsize=(WIDTH_IN, _height(chart)), dpi=DPI)
        FigureCanvasAgg(figure)
        _draw(figure, chart, _font())
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="png", dpi=DPI, metadata=_NO_METADATA)
    return out.getvalue()


_RC: dict[str, Any] = {"font.size": 10, "axes.titleweight": "bold"}
# matplotlib writes "Software: matplotlib version..." unless told not to; it writes no date in a PNG.
_NO_METADATA: dict[str, Any] = {"Software": None}
