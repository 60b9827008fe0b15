# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decreed days off and working days the city relies on, shipped with the collection.

Data, not code: one line per day, ``(date, "off" | "working", the decree)``. A Python module rather
than a YAML file because AnsiballZ ships only the ``.py`` files of ``module_utils`` with a module.
These days win over the ``holidays`` package (``workdays.py``): decreed swaps reach the package late
(release 0.105 missed the 2025 swap below). ``holidays==0.109`` already has every day listed here;
the list pins them, with their decree, against a package regression. An environment adds its own
file on top (``workdays.load_overrides``, the module option ``calendar_overrides``).

Review before each year starts: add the year's decreed Tết days and swaps (Bộ Nội vụ announces them
in the autumn), run ``pytest tests/unit/plugins/module_utils/test_workdays.py``, then raise
``REVIEWED_THROUGH``. A deadline past it is computed with a warning.
"""

from __future__ import annotations

REVIEWED_THROUGH = 2026

_TB_6150 = "Thông báo 6150/TB-BLĐTBXH (13/11/2024): Tết Ất Tỵ and 30/4-1/5 2025, civil service"
_TB_9441 = "Thông báo 9441/TB-BNV (16/10/2025): Tết Bính Ngọ and Quốc khánh 2026, civil service"

DAYS: tuple[tuple[str, str, str], ...] = (
    # Tết Ất Tỵ 2025: Saturday 25/1 to Sunday 2/2; Monday 27/1 for mùng 4 falling on Saturday 1/2.
    ("2025-01-27", "off", _TB_6150),
    ("2025-01-28", "off", _TB_6150),
    ("2025-01-29", "off", _TB_6150),
    ("2025-01-30", "off", _TB_6150),
    ("2025-01-31", "off", _TB_6150),
    # 30/4-1/5 2025: Friday 2/5 off, worked on Saturday 26/4.
    ("2025-04-26", "working", _TB_6150),
    ("2025-05-02", "off", _TB_6150),
    # Tết Bính Ngọ 2026: Monday 16/2 (29 Tết) to Friday 20/2 (mùng 4), 14/2-22/2 with the weekends.
    ("2026-02-16", "off", _TB_9441),
    ("2026-02-17", "off", _TB_9441),
    ("2026-02-18", "off", _TB_9441),
    ("2026-02-19", "off", _TB_9441),
    ("2026-02-20", "off", _TB_9441),
    # Quốc khánh 2026: Monday 31/8 off, worked on Saturday 22/8.
    ("2026-08-22", "working", _TB_9441),
    ("2026-08-31", "off", _TB_9441),
)
