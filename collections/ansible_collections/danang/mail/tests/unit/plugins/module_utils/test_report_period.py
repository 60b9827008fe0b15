"""R-60's periods and due dates."""

from __future__ import annotations

import datetime

import pytest
from ansible_collections.danang.mail.plugins.module_utils.model import ValidationFailed, excerpt
from ansible_collections.danang.mail.plugins.module_utils.report_period import (
    contains,
    parse_period,
    period_text,
)


def d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


@pytest.mark.parametrize(
    ("name", "first", "last", "centre", "department", "words"),
    [
        ("2026H1", "2026-01-01", "2026-06-30", "2026-07-10", "2026-07-20", "6 tháng đầu năm 2026"),
        ("2026H2", "2026-07-01", "2026-12-31", "2027-01-10", "2027-01-20", "6 tháng cuối năm 2026"),
        ("2026", "2026-01-01", "2026-12-31", "2027-01-10", "2027-01-20", "năm 2026"),
    ],
)
def test_periods_and_due_dates(name, first, last, centre, department, words):
    period = parse_period(name)
    assert (period.name, period.first, period.last) == (name, d(first), d(last))
    assert (period.due_centre, period.due_department) == (d(centre), d(department))
    assert period_text(period) == words
    assert contains(period, d(first)) and contains(period, d(last))
    assert not contains(period, d(first) - datetime.timedelta(days=1))


@pytest.mark.parametrize("value", ["2026H3", "2026h2", "26H2", "2026-H2", "", None, 2026, "2026H2\n=1"])
def test_anything_else_is_refused_naming_the_value(value):
    with pytest.raises(ValidationFailed) as raised:
        parse_period(value)
    problem = raised.value.problems[0]
    assert problem.source == "period" and problem.message.endswith(f"not {excerpt(value)}")


@pytest.mark.parametrize(
    ("word", "today", "name"),
    [
        ("previous-half", "2026-07-01", "2026H1"),
        ("previous-half", "2027-01-01", "2026H2"),
        ("previous-half", "2026-06-30", "2025H2"),
        ("previous-year", "2027-01-01", "2026"),
        ("previous-year", "2026-12-31", "2025"),
    ],
)
def test_the_scheduled_runs_report_on_the_period_just_ended(word, today, name):
    assert parse_period(word, d(today)).name == name


def test_the_words_need_the_date():
    with pytest.raises(ValidationFailed):
        parse_period("previous-half")
