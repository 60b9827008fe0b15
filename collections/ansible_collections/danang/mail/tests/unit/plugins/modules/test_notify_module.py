# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""danang.mail.notify run in-process on a copy of the lab tree against in-memory systems: a closed
request's result reaches the requester (R-22), the other runs' notices their recipients (R-23, R-44,
R-47, R-50), check mode sends and writes nothing, a second run sends nothing, a crash between send
and record gives no second copy, and no password ever travels by mail."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path
from typing import Any

import pytest
import time_machine
import yaml
from ansible_collections.danang.mail.plugins.module_utils.request_records import (
    Item,
    RequestRecord,
    record_text,
)
from ansible_collections.danang.mail.plugins.modules import notify
from fake_system import OBM

ROOT = Path(__file__).resolve().parents[8]
LAB = ROOT / "inventories" / "lab" / "desired_state"
TEMPLATES = ROOT / "playbooks" / "templates" / "notifications"
EXCHANGE = {"exchange_server": "mail.example", "ad_uri": "ldap://127.0.0.1:1"}
# 17:00 on 2026-12-08 in Da Nang
AT = datetime.datetime(2026, 12, 8, 10, 0, tzinfo=datetime.UTC)
REQUESTER = "vanthu-stttt@danang.gov.vn"
TUNG = "tungpt@danang.gov.vn"  # OBM only in the lab tree


@pytest.fixture
def args(tmp_path: Path) -> dict[str, Any]:
    root = tmp_path / "desired_state"
    shutil.copytree(LAB, root)
    (root / "requests").mkdir()
    record = RequestRecord(
        "2026-12-07-stttt-1",
        "01",
        "stttt",
        datetime.date(2026, 12, 7),
        datetime.date(2026, 12, 8),
        {"name": "Trần Thị Bình", "email": REQUESTER},
        (Item("new", id="CB-2017-000101"), Item("change", id="CB-2017-000102", fields=("rank",))),
        datetime.date(2026, 12, 8),
    )
    (root / "requests" / record.file_name).write_text(record_text(record), encoding="utf-8")
    return {
        **OBM,
        **EXCHANGE,
        "desired_state": str(root),
        "ledger": str(root / "ledger.yml"),
        "journal_dir": str(root / "notifications"),
        "password_notices": str(tmp_path / "password-notices.yml"),
        "reclaim_notices": str(tmp_path / "reclaim-notices.yml"),
        "templates": str(TEMPLATES),
        "sender": {"address": "cntt@danang.gov.vn", "name": "Tổ Công nghệ thông tin"},
        "department": "stttt@danang.gov.vn",
    }


def lines(path: str, *records: dict[str, Any]) -> None:
    Path(path).write_text(yaml.safe_dump(list(records), allow_unicode=True), encoding="utf-8")


def test_check_mode_then_send_then_nothing_twice(run_module, fake_systems, args) -> None:
    lines(
        args["reclaim_notices"],
        {
            "address": TUNG,
            "agency_address": "stttt@danang.gov.vn",
            "kind": "warn",
            "due": "2026-12-20",
            "recorded_on": "2026-12-06",
        },
    )
    with time_machine.travel(AT, tick=False):
        planned = run_module(notify, args, check=True, diff=True)
        assert planned["rc"] == 0 and planned["changed"] is True, planned
        assert {(r["recipient"], r["status"], r["via"]) for r in planned["notifications"]} == {
            (REQUESTER, "would_send", "obm"),
            (TUNG, "would_send", "obm"),
        }
        assert not Path(args["journal_dir"]).exists()
        assert fake_systems["obm"].mailboxes == {} and fake_systems["obm"].called() == []
        assert 'state: "sending"' in planned["diff"]["after"]

        done = run_module(notify, args)
        assert done["rc"] == 0 and done["summary"] == {"sent": 2}, done
        again = run_module(notify, args)
    assert again["changed"] is False and again["summary"] == {"already_sent": 2}
    message = fake_systems["obm"].mailboxes[REQUESTER][0]
    assert message["Date"] == "Tue, 08 Dec 2026 17:00:00 +0700"
    assert message["Auto-Submitted"] == "auto-generated"
    text = message.get_body(("plain",)).get_content()
    assert "Nguyễn Văn Dũng - dungnv@danang.gov.vn - đã thực hiện" in text
    assert "Sở Thông tin và Truyền thông" in text
    assert len(fake_systems["obm"].mailboxes[TUNG]) == 1
    assert (Path(args["journal_dir"]) / "2026-12.yml").stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in Path(args["journal_dir"]).iterdir()) == ["2026-12.yml"]
    assert Path(args["desired_state"], "notifications.lock").is_file()  # one lock, beside the directory


def test_a_crash_between_send_and_record_gives_no_second_copy(run_module, fake_systems, args) -> None:
    with time_machine.travel(AT, tick=False):
        assert run_module(notify, args)["summary"] == {"sent": 1}
        journal = Path(args["journal_dir"]) / "2026-12.yml"
        kept = [row for row in journal.read_text(encoding="utf-8").splitlines() if '"sent"' not in row]
        journal.write_text("\n".join(kept) + "\n", encoding="utf-8")  # as a kill after the send leaves it
        again = run_module(notify, args)
    assert again["summary"] == {"found": 1} and len(fake_systems["obm"].mailboxes[REQUESTER]) == 1


def test_a_person_on_exchange_only_is_mailed_by_exchange(run_module, fake_systems, args) -> None:
    agency = Path(args["desired_state"]) / "agencies" / "stttt.yml"
    agency.write_text(agency.read_text(encoding="utf-8").replace("systems: [obm]", "systems: [exchange]"))
    lines(
        args["password_notices"],
        {
            "key": f"password-warn:{TUNG}:2026-12-01",
            "kind": "password_warn",
            "address": TUNG,
            "due": "2026-12-01",
            "recorded_on": "2026-12-08",
        },
    )
    with time_machine.travel(AT, tick=False):
        result = run_module(notify, args)
    assert {r["recipient"]: r["via"] for r in result["notifications"]} == {REQUESTER: "obm", TUNG: "exchange"}
    assert len(fake_systems["exchange"].mailboxes[TUNG]) == 1


def test_a_password_never_travels_by_mail(run_module, fake_systems, args) -> None:
    # A notices file edited (or forged) to carry a password: refused before anything is sent.
    lines(
        args["password_notices"],
        {
            "key": "r47:abc",
            "kind": "r47_list",
            "recorded_on": "2026-12-08",
            "rows": [
                {"address": TUNG, "reason": "initial_password_unchanged", "initial_password": "Xy7#kL9!mQ2w"}
            ],
        },
    )
    with time_machine.travel(AT, tick=False):
        result = run_module(notify, args)
    assert result["rc"] == 1 and "never carries a password" in result["msg"]
    assert fake_systems["obm"].mailboxes == {} and not Path(args["journal_dir"]).exists()


def test_a_template_error_names_the_file_and_sends_nothing(run_module, fake_systems, args, tmp_path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    (templates / "request_result.txt.j2").write_text("{{ no_such_value }}\n", encoding="utf-8")
    with time_machine.travel(AT, tick=False):
        result = run_module(notify, {**args, "templates": str(templates)})
    assert result["rc"] == 1 and "request_result.txt.j2" in result["msg"] and "no_such_value" in result["msg"]
    assert fake_systems["obm"].mailboxes == {}


def test_a_symlinked_journal_directory_is_refused(run_module, fake_systems, args, tmp_path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    Path(args["journal_dir"]).symlink_to(elsewhere)
    with time_machine.travel(AT, tick=False):
        result = run_module(notify, args)
    assert result["rc"] == 1 and "symbolic link" in result["msg"] and args["journal_dir"] in result["msg"]
    assert fake_systems["obm"].mailboxes == {} and list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("name", ["notifications.yml", "2026-13.yml", ".2026-12.yml.x1.tmp"])
def test_a_file_that_is_not_a_month_is_refused_by_name(run_module, fake_systems, args, name) -> None:
    Path(args["journal_dir"]).mkdir()
    (Path(args["journal_dir"]) / name).write_text("---\n[]\n", encoding="utf-8")
    with time_machine.travel(AT, tick=False):
        result = run_module(notify, args)
    assert result["rc"] == 1 and f"{args['journal_dir']}/{name}" in result["msg"], result
    assert "YYYY-MM.yml" in result["msg"] and fake_systems["obm"].mailboxes == {}


def test_a_symlinked_month_file_is_refused(run_module, fake_systems, args, tmp_path) -> None:
    Path(args["journal_dir"]).mkdir()
    (tmp_path / "real.yml").write_text("---\n[]\n", encoding="utf-8")
    (Path(args["journal_dir"]) / "2026-12.yml").symlink_to(tmp_path / "real.yml")
    with time_machine.travel(AT, tick=False):
        result = run_module(notify, args)
    assert result["rc"] == 1 and "2026-12.yml" in result["msg"] and "symbolic link" in result["msg"]
    assert fake_systems["obm"].mailboxes == {}


def test_the_sender_must_be_a_mailbox_of_the_city(run_module, fake_systems, args) -> None:
    sender = {"address": "it@danang-gov.example", "name": "x"}
    with time_machine.travel(AT, tick=False):
        result = run_module(notify, {**args, "sender": sender})
    assert result["rc"] == 1 and "it@danang-gov.example is not a mailbox of the city" in result["msg"]
    with time_machine.travel(AT, tick=False):
        result = run_module(notify, {**args, "sender": sender, "city_domains": ["danang-gov.example"]})
    assert result["rc"] == 0 and result["skipped"]  # every recipient is now outside the city
    assert fake_systems["obm"].mailboxes == {}


def test_the_warning_and_the_result_name_the_password_page(run_module, fake_systems, args) -> None:
    # people are told where to change a password (OBM refuses an initial one over IMAP).
    page = "https://mail-password.danang.gov.vn/"
    warning = {"kind": "password_warn", "address": TUNG, "due": "2026-12-01", "recorded_on": "2026-12-08"}
    lines(args["password_notices"], {"key": f"password-warn:{TUNG}:2026-12-01", **warning})
    with time_machine.travel(AT, tick=False):
        assert run_module(notify, {**args, "self_service_url": page})["summary"] == {"sent": 2}
    for recipient in (TUNG, REQUESTER):
        message = fake_systems["obm"].mailboxes[recipient][0]
        assert page in message.get_body(("plain",)).get_content()
        assert f'<a href="{page}">' in message.get_body(("html",)).get_content()


def test_a_password_page_address_that_is_not_https_is_refused(run_module, fake_systems, args) -> None:
    with time_machine.travel(AT, tick=False):
        result = run_module(notify, {**args, "self_service_url": "http://mail-password.danang.gov.vn/"})
    assert result["rc"] == 1 and "self_service_url" in result["msg"] and fake_systems["obm"].mailboxes == {}
