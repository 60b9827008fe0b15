"""The shared model: errors as values, and the city's clock."""

from __future__ import annotations

import datetime

import time_machine
from ansible_collections.danang.mail.plugins.module_utils import model
from ansible_collections.danang.mail.plugins.module_utils.model import Problem, ValidationFailed


def test_problems_are_listed_in_file_order_with_numbers_compared_as_numbers() -> None:
    problems = [
        Problem("b.yml", "people[10] (id X)", "rank", "m"),
        Problem("a.yml", "people[2] (id Y)", "state", "m"),
        Problem("b.yml", "people[2] (id Z)", "full_name", "m"),
    ]
    ordered = ValidationFailed(problems).problems
    assert [(p.source, p.entry) for p in ordered] == [
        ("a.yml", "people[2] (id Y)"),
        ("b.yml", "people[2] (id Z)"),
        ("b.yml", "people[10] (id X)"),
    ]


def test_a_problem_reads_file_entry_field_message() -> None:
    assert str(Problem("stttt.yml", "people[0]", "rank", "must be an integer")) == (
        "stttt.yml: people[0]: rank: must be an integer"
    )
    assert str(Problem("", "", "", "alone")) == "alone"


def test_city_today_is_the_date_in_da_nang_not_on_the_control_node() -> None:
    # 20:00 UTC on 1 May is already 2 May in Da Nang (UTC+7, no daylight saving).
    evening_utc = datetime.datetime(2025, 5, 1, 20, 0, tzinfo=datetime.UTC)
    assert evening_utc.astimezone(model.CITY_TIMEZONE).date() == datetime.date(2025, 5, 2)
    with time_machine.travel(evening_utc.timestamp(), tick=False):
        assert model.city_today() == datetime.date(2025, 5, 2)
