# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/reclaim.yml on both labs at once (R-23, R-02): a person idle on OBM and on Exchange is
warned, then reclaimed on both systems; a person idle on OBM but who logged on to Exchange is not
(a person on both systems is idle only if idle on both); a second run changes nothing.

The accounts are made now by the project's own backends; the OBM lab stamps them with the real
time and the Exchange lab with its clock, set here to the same moment. The run is judged months
later by moving the clock of ansible-playbook and its modules (tests/clock), and the Exchange logon
is placed with the lab's clock: nothing sleeps and nothing depends on the machine's date.
"""

from __future__ import annotations

import datetime
from typing import Any

import both_labs
import pytest
from ansible_collections.danang.mail.plugins.module_utils import (
    reclaim,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.system import ObmSystem
from ansible_collections.danang.mail.plugins.module_utils.model import CITY_TIMEZONE
from both_labs import SiteCity
from lab_city import working_morning
from obm_city import lab_config

city, site_city = both_labs.city, both_labs.site_city  # the fixtures
pytestmark = pytest.mark.integration
IDLE, USED = "CB-2017-000101", "CB-2017-000103"
SCOPE = ("stttt",)
BOUNCE = "Hop thu da bi thu hoi (R-23): khong duoc su dung qua 3 thang."  # SMTP replies are ASCII


def run_at(site: SiteCity, now: datetime.datetime) -> dict[str, Any]:
    extra = {
        "danang_mail_reclaim_bounce": BOUNCE,
        "danang_mail_reclaim_report_dir": str(site.root / "reclaim-reports"),
    }
    return site.task_at("reclaim.yml", "Judge every personal mailbox", now, extra)


def test_idle_on_both_systems_is_reclaimed_on_both_used_on_one_is_not(site_city: SiteCity) -> None:
    site = site_city
    control = site.city.lab.control()
    now = datetime.datetime.now(datetime.UTC)
    control.set_clock(now)  # the Exchange lab's clock: the moment the OBM lab stamps too
    try:
        _plan, results, _ = site.city.reconcile(scope=SCOPE)
        assert all(r.ok for r in results)
        site.make_obm_accounts(SCOPE)
        idle, used = site.city.address(IDLE), site.city.address(USED)
        # USED logs on to Exchange two months later; on OBM neither ever logs in.
        control.simulate_logon(used, now + datetime.timedelta(days=60))

        due = reclaim.add_months(now.astimezone(CITY_TIMEZONE).date(), 3)
        warned = run_at(site, working_morning(due - datetime.timedelta(days=10)))
        rows = {r["address"]: r for r in warned["accounts"]}
        assert rows[idle]["action"] == "warn" and rows[used]["action"] == "none"

        on_due = working_morning(due)
        done = run_at(site, on_due)
        rows = {r["address"]: r for r in done["accounts"]}
        assert rows[idle]["action"] == "reclaim" and rows[used]["action"] == "none", rows[used]
        assert idle in done["ledger_changes"] and used not in done["ledger_changes"]
        with ObmSystem(lab_config(site.obm, site.domain)) as backend:
            backend.read()
            assert backend.facts[idle].reclaimed and not backend.facts[used].reclaimed
            assert not backend.facts[idle].enabled and backend.facts[used].enabled  # logins refused
        assert int(site.city.ad_users()[idle]["userAccountControl"]) & 2  # Exchange: AD account disabled
        assert site.city.mailboxes()[idle]["HiddenFromAddressListsEnabled"] is True
        assert site.city.mailboxes()[used]["HiddenFromAddressListsEnabled"] is False
        assert run_at(site, on_due)["changed"] is False  # a second run changes nothing
    finally:
        control.reset_clock()
