# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""danang.mail.reclaim run in-process against in-memory systems (R-23, R-03): warn, reclaim, purge,
the ledger line and the notices, second runs change nothing; the clock is pinned (time-machine)."""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path

import time_machine
import yaml
from ansible_collections.danang.mail.plugins.module_utils.ledger import load_ledger
from ansible_collections.danang.mail.plugins.modules import reclaim
from fake_system import OBM, person

ICT = datetime.timezone(datetime.timedelta(hours=7))
DUNG, OANH = "dungnv@danang.gov.vn", "oanhtt@danang.gov.vn"
EXCHANGE = {"exchange_server": "mail.example", "ad_uri": "ldap://127.0.0.1:1"}
CREATED = "2026-11-02T02:00:00+00:00"  # due 2027-02-02 in Da Nang with 3 months


def at(day: datetime.date):
    return time_machine.travel(datetime.datetime(day.year, day.month, day.day, 8, tzinfo=ICT), tick=False)


def setup(town, fake_systems, tmp_path: Path) -> dict:
    options = town(person("CB-1", "Nguyễn Văn Dũng"), person("CB-2", "Trần Thị Oanh"))
    for system in ("obm", "exchange"):
        for address in (DUNG, OANH):
            fake_systems[system].mailbox(address)
            fake_systems[system].facts[address].created = CREATED
    # Oanh used Exchange in January: not idle on both systems, not reclaimed.
    fake_systems["exchange"].facts[OANH].last_access = "2027-01-10T01:00:00+00:00"
    (tmp_path / "export").mkdir()
    return {
        **options,
        **OBM,
        **EXCHANGE,
        "backend": ["obm", "exchange"],
        "mode": "enforce",
        "export_dir": str(tmp_path / "export"),
        "notices_path": str(tmp_path / "notices.yml"),
    }


def test_warn_reclaim_purge_and_second_runs_change_nothing(run_module, town, fake_systems, tmp_path):
    args = setup(town, fake_systems, tmp_path)
    with at(datetime.date(2027, 1, 25)):
        warned = run_module(reclaim, args)
        again = run_module(reclaim, args)
    assert warned["rc"] == 0, warned
    assert warned["notices"] == [
        {"address": DUNG, "agency_address": "stttt@danang.gov.vn", "kind": "warn", "due": "2027-02-02"}
    ]
    assert (warned["changed"], again["changed"], again["notices"]) == (True, False, [])
    rows = {row["address"]: row for row in warned["accounts"]}
    assert rows[OANH]["action"] == "none" and rows[OANH]["due"] == "2027-04-10"
    assert rows[DUNG]["systems"]["exchange"]["since"] == "2026-11-02"

    with at(datetime.date(2027, 2, 2)):
        planned = run_module(reclaim, args, check=True, diff=True)
        assert load_ledger(args["ledger"]).reclaimed() == {}  # check mode wrote nothing
        done = run_module(reclaim, args)
        again = run_module(reclaim, args)
    assert planned["changed"] is True and planned["diff"]["after"][DUNG]["state"] == "reclaimed"
    assert done["rc"] == 0, done
    assert ("reclaim", [DUNG]) in fake_systems["obm"].calls and ("reclaim", [DUNG]) in fake_systems[
        "exchange"
    ].calls
    assert load_ledger(args["ledger"]).reclaimed() == {"CB-1": datetime.date(2027, 2, 2)}
    assert done["ledger_changes"] == [DUNG]
    assert done["notices"][0]["kind"] == "reclaimed" and done["notices"][0]["due"] == "2027-03-04"
    assert (again["changed"], again["notices"]) == (False, [])
    assert fake_systems["obm"].bounce.startswith("This mailbox was reclaimed")

    with at(datetime.date(2027, 3, 4)):
        purged = run_module(reclaim, args)
        again = run_module(reclaim, args)
    assert purged["rc"] == 0, purged
    assert (tmp_path / "export" / f"{DUNG}.mbox").exists()
    assert DUNG not in fake_systems["obm"].facts and DUNG not in fake_systems["exchange"].facts
    assert [n["kind"] for n in purged["notices"]] == ["purged"]
    assert again["changed"] is False
    kinds = [n["kind"] for n in yaml.safe_load((tmp_path / "notices.yml").read_text())]
    assert kinds == ["warn", "reclaimed", "purged"]
    assert load_ledger(args["ledger"]).reclaimed() == {"CB-1": datetime.date(2027, 2, 2)}  # address kept


def test_a_purge_waiting_for_its_export_is_not_a_failure(run_module, town, fake_systems, tmp_path):
    """Exchange exports in the background: a purge queued behind its export is reported as waiting,
    the run does not fail, and the purge happens on a later run once the export is done."""
    args = setup(town, fake_systems, tmp_path)
    with at(datetime.date(2027, 2, 2)):
        assert run_module(reclaim, args)["rc"] == 0
    fake_systems["exchange"].exporting.add(DUNG)
    with at(datetime.date(2027, 3, 4)):
        waiting = run_module(reclaim, args)
    assert waiting["rc"] == 0, waiting
    assert (waiting["summary"]["failed"], waiting["summary"]["waiting"]) == (0, 1)
    row = next(r for r in waiting["accounts"] if r["address"] == DUNG)
    assert (row["done"], row["errors"], row["waiting"]) == (False, {}, {"exchange": "export queued"})
    assert DUNG in fake_systems["exchange"].facts
    fake_systems["exchange"].exporting.clear()
    with at(datetime.date(2027, 3, 5)):
        purged = run_module(reclaim, args)
    assert purged["rc"] == 0 and DUNG not in fake_systems["exchange"].facts


def test_audit_changes_nothing(run_module, town, fake_systems, tmp_path):
    args = {**setup(town, fake_systems, tmp_path), "mode": "audit"}
    with at(datetime.date(2027, 2, 2)):
        result = run_module(reclaim, args)
    assert (result["rc"], result["changed"]) == (0, False)
    assert [r["action"] for r in result["accounts"]] == ["reclaim", "none"]
    assert "reclaim" not in fake_systems["obm"].called()
    assert load_ledger(args["ledger"]).reclaimed() == {} and not (tmp_path / "notices.yml").exists()


def test_unknown_creation_is_never_reclaimed(run_module, town, fake_systems, tmp_path):
    args = setup(town, fake_systems, tmp_path)
    fake_systems["obm"].facts[DUNG] = dataclasses.replace(fake_systems["obm"].facts[DUNG], created=None)
    with at(datetime.date(2027, 6, 1)):
        result = run_module(reclaim, args)
    row = next(r for r in result["accounts"] if r["address"] == DUNG)
    assert (row["action"], result["summary"]["unknown"]) == ("none", 1)
    assert "obm cannot say when the account was created" in row["reason"]


def test_a_wrong_option_is_refused_before_anything(run_module, town, fake_systems, tmp_path):
    args = {**setup(town, fake_systems, tmp_path), "bounce": "Hộp thư\nđã thu hồi", "idle_months": 0}
    result = run_module(reclaim, args)
    assert result["rc"] == 1 and len(result["problems"]) == 2
    assert fake_systems["obm"].called() == []


def test_a_day_off_is_skipped_with_working_days_only(run_module, town, fake_systems, tmp_path):
    args = {**setup(town, fake_systems, tmp_path), "working_days_only": True}
    with at(datetime.date(2027, 3, 6)):  # a Saturday
        result = run_module(reclaim, args)
    assert (result["rc"], result["changed"], result["working_day"]) == (0, False, False)
    assert fake_systems["obm"].called() == []
    with at(datetime.date(2027, 3, 8)):  # the Monday after: what fell due is done
        result = run_module(reclaim, args)
    assert result["working_day"] is True and result["summary"]["reclaim"] == 1
