"""Pins the test process's clock when DANANG_TEST_NOW is set (an ISO time with its offset).

No test may depend on the machine's date, time zone or wall clock: ``make unit`` runs the suite a
second time at an hour where the machine's date and the city's (UTC+7) differ, and under another
time zone, so a test that compares against the wall clock fails every day, not only in the evening.
"""

from __future__ import annotations

import datetime
import os

import pytest


def pytest_configure(config: pytest.Config) -> None:
    when = os.environ.get("DANANG_TEST_NOW")
    if when:
        import time_machine

        # A timestamp, not an aware datetime: time-machine would set TZ to the datetime's zone.
        instant = datetime.datetime.fromisoformat(when).timestamp()
        traveller = time_machine.travel(instant, tick=True)
        traveller.start()
        config.add_cleanup(traveller.stop)
