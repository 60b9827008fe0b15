# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""danang.mail.forwarding run in-process against in-memory systems (R-50): audit changes nothing,
enforce stops only enabled outside forwards and records each once, before it is stopped."""

from __future__ import annotations

import datetime
from pathlib import Path

import time_machine
import yaml
from ansible_collections.danang.mail.plugins.module_utils.forwarding import (
    INBOX_RULE_FORWARD,
    MAILBOX_FORWARDING_SMTP,
    SIEVE_REDIRECT,
    SIEVE_UNPARSEABLE,
    Forward,
)
from ansible_collections.danang.mail.plugins.modules import forwarding
from fake_system import OBM

ICT = datetime.timezone(datetime.timedelta(hours=7))
EXCHANGE = {"exchange_server": "mail.example", "ad_uri": "ldap://127.0.0.1:1"}
DUNG, OANH = "dungnv@danang.gov.vn", "oanhtt@danang.gov.vn"
OUT = Forward("obm", DUNG, "dungnv@gmail.com", SIEVE_REDIRECT, "nomade")
IN = Forward("obm", DUNG, "oanhtt@danang.gov.vn", SIEVE_REDIRECT, "nomade")
OFF = Forward("exchange", OANH, "oanh@yahoo.com", INBOX_RULE_FORWARD, "rule 2", enabled=False)
SMTP = Forward("exchange", OANH, "oanh@yahoo.com", MAILBOX_FORWARDING_SMTP, "ForwardingSmtpAddress")


def at_7_in_the_morning():
    # 00:30 UTC is already 07:30 in Da Nang: the record carries the city's date.
    return time_machine.travel(datetime.datetime(2027, 3, 2, 0, 30, tzinfo=datetime.UTC), tick=False)


def arguments(tmp_path: Path, **more: object) -> dict:
    return {
        **OBM,
        **EXCHANGE,
        "backend": ["obm", "exchange"],
        "journal_path": str(tmp_path / "forwards-removed.yml"),
        **more,
    }


def test_audit_reports_and_changes_nothing(run_module, fake_systems, tmp_path):
    fake_systems["obm"].forwards = [OUT, IN]
    fake_systems["exchange"].forwards = [OFF, SMTP]
    result = run_module(forwarding, arguments(tmp_path))
    assert result["rc"] == 0 and result["changed"] is False, result
    assert [(r["target"], r["outside"], r["action"]) for r in result["forwards"]] == [
        ("oanh@yahoo.com", True, "none"),  # disabled: reported, left alone
        ("oanh@yahoo.com", True, "remove"),
        ("dungnv@gmail.com", True, "remove"),
        ("oanhtt@danang.gov.vn", False, "none"),
    ]
    assert result["summary"] == {
        "forwards": 4,
        "inside": 1,
        "outside": 3,
        "outside_disabled": 1,
        "to_remove": 2,
        "removed": 0,
        "failed": 0,
        "unknown": 0,
    }
    assert "remove_forwards" not in fake_systems["obm"].called() + fake_systems["exchange"].called()
    assert not (tmp_path / "forwards-removed.yml").exists() and result["records"] == []


def test_enforce_stops_outside_ones_records_once_and_check_mode_only_shows(
    run_module, fake_systems, tmp_path
):
    fake_systems["obm"].forwards = [OUT, IN]
    fake_systems["exchange"].forwards = [OFF, SMTP]
    args = arguments(tmp_path, mode="enforce")
    with at_7_in_the_morning():
        planned = run_module(forwarding, args, check=True, diff=True)
        assert fake_systems["obm"].forwards == [OUT, IN] and not (tmp_path / "forwards-removed.yml").exists()
        done = run_module(forwarding, args)
        again = run_module(forwarding, args)
    assert planned["changed"] is True and len(planned["records"]) == 2
    assert planned["diff"]["after"] == {f"obm:{DUNG}": ["sieve_redirect -> oanhtt@danang.gov.vn (nomade)"]}
    assert done["rc"] == 0 and done["changed"] is True and done["summary"]["removed"] == 2, done
    assert fake_systems["obm"].forwards == [IN] and fake_systems["exchange"].forwards == [OFF]
    journal = yaml.safe_load((tmp_path / "forwards-removed.yml").read_text(encoding="utf-8"))
    assert journal == [
        {
            "system": "exchange",
            "holder": OANH,
            "target": "oanh@yahoo.com",
            "mechanism": "mailbox_forwarding_smtp",
            "how": "mailbox forwarding (ForwardingSmtpAddress)",
            "where": "ForwardingSmtpAddress",
            "removed_on": "2027-03-02",
        },
        {
            "system": "obm",
            "holder": DUNG,
            "target": "dungnv@gmail.com",
            "mechanism": "sieve_redirect",
            "how": "Sieve redirect (OBM forwarding)",
            "where": "nomade",
            "removed_on": "2027-03-02",
        },
    ]
    assert (tmp_path / "forwards-removed.yml").stat().st_mode & 0o777 == 0o600
    assert (again["changed"], again["records"], again["summary"]["to_remove"]) == (False, [], 0)


def test_a_refused_stop_fails_the_run_but_is_recorded_and_the_others_are_stopped(
    run_module, fake_systems, tmp_path
):
    fake_systems["obm"].forwards = [OUT]
    fake_systems["exchange"].forwards = [SMTP]
    fake_systems["exchange"].refuse = {OANH}
    result = run_module(forwarding, arguments(tmp_path, mode="enforce"))
    assert result["rc"] == 1 and "1 forward(s) could not be stopped" in result["msg"]
    rows = {r["system"]: r for r in result["forwards"]}
    assert rows["obm"]["removed"] is True and rows["exchange"]["error"] == "refused by the fake system"
    # Recorded before the system was asked: the holder is told even of a stop a re-run completes.
    assert len(yaml.safe_load((tmp_path / "forwards-removed.yml").read_text(encoding="utf-8"))) == 2


def test_a_journal_that_is_not_a_list_stops_the_run_before_any_system_is_read(
    run_module, fake_systems, tmp_path
):
    (tmp_path / "forwards-removed.yml").write_text("just: a mapping\n", encoding="utf-8")
    fake_systems["obm"].forwards = [OUT]
    result = run_module(forwarding, arguments(tmp_path, mode="enforce"))
    assert result["rc"] == 1 and "must be a list of records" in result["msg"]
    assert fake_systems["obm"].called() == []


def test_a_script_that_cannot_be_read_is_reported_and_never_removed(run_module, fake_systems, tmp_path):
    broken = Forward("obm", DUNG, "", SIEVE_UNPARSEABLE, "roundcube: line 3: unterminated string", True)
    fake_systems["obm"].forwards = [broken]
    result = run_module(forwarding, arguments(tmp_path, mode="enforce", backend=["obm"]))
    assert result["rc"] == 0 and result["changed"] is False, result
    [row] = result["forwards"]
    assert (row["unknown"], row["outside"], row["action"]) == (True, False, "none")
    # (the run also warns; where a warning goes depends on whether controller code was imported in
    # this process, so the count is what is checked)
    assert result["summary"]["unknown"] == 1
    assert "remove_forwards" not in fake_systems["obm"].called()
