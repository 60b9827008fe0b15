"""The Exchange backend under Exchange's throttling, on parallel sessions, against the Exchange lab.

The lab throttles as Exchange does (``lab/exchange_lab/throttling.py``; the fault's text, code and
defaults with their sources in ``lab/exchange_lab/test_throttling.py``): a user's cmdlet budget
(PowerShellMaxCmdlets per PowerShellMaxCmdletsTimePeriod), and the next request refused with the
WS-Management fault "The user load quota of X requests per Y seconds has been exceeded ... at least
N milliseconds". Nothing of the project is mocked.
"""

from __future__ import annotations

import pytest

pytest.importorskip("ldap3")
pytest.importorskip("pypsrp")

import exchange_city
from exchange_city import City

pytestmark = pytest.mark.integration
city = exchange_city.city  # the fixture


def test_a_tight_cmdlet_budget_is_waited_out_on_the_same_sessions(city: City) -> None:
    """Three sessions send pipelines of five changes against a budget of 20 cmdlets a second: the
    client waits the milliseconds each refusal names and sends the refused pipeline again on the
    session it has (a refused pipeline never ran), without counting it as a failed attempt, so one
    run does everything and a second has nothing to do. Sessions opened: the read's and two more,
    whatever the number of refusals."""
    scope = ("stttt", "stc")
    control = city.lab.control()
    before = control.status()
    try:
        first, results, backend = city.reconcile(
            scope=scope,
            batch_size=5,
            runspaces=3,
            retries=0,  # throttling is not a failure: its waits use up no retry
            before_apply=lambda: control.set_throttling(max_cmdlets=20, cmdlets_period=1),
        )
    finally:
        control.reset_throttling()
    assert len(first.changes) > 20
    assert all(r.ok for r in results), [r for r in results if not r.ok]
    _pipelines, throttled = backend.transport.counters()
    assert throttled > 0, "the budget never refused a pipeline: the test proves nothing"
    after = control.status()
    assert after["shells_opened"] - before["shells_opened"] <= 3
    assert after["shells"] == before["shells"]  # every session closed
    second, results, _ = city.reconcile(scope=scope)
    assert second.changes == () and results == []
