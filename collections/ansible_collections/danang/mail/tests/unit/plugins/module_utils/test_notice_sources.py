# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""notice_sources and password_notices: who is told what (R-22, R-23, R-44, R-47, R-50), pure, on
the lab tree; and the password run's notices recorded once each."""

from __future__ import annotations

import datetime
from pathlib import Path

from ansible_collections.danang.mail.plugins.module_utils import (
    journal,
    notice_sources,
    notices,
    password_notices,
)
from ansible_collections.danang.mail.plugins.module_utils.desired_state import load_desired_state
from ansible_collections.danang.mail.plugins.module_utils.ledger import load_ledger
from ansible_collections.danang.mail.plugins.module_utils.request_records import Item, RequestRecord

LAB = Path(__file__).resolve().parents[8] / "inventories" / "lab" / "desired_state"
STATE = load_desired_state(LAB)
HOLDERS = load_ledger(str(LAB / "ledger.yml")).holders()
D = datetime.date
DEPARTMENT = "stttt@danang.gov.vn"
CITY = ["danang.gov.vn"]


CLOSED = D(2026, 12, 8)


def record(n: int, email: str = "", done_on: D | None = CLOSED, *items: Item) -> RequestRecord:
    items = items or (Item("new", id="CB-2017-000101"), Item("cancel", id="CB-2017-000103"))
    requester = {"name": "Trần Thị Bình", **({"email": email} if email else {})}
    return RequestRecord(
        f"2026-12-07-stttt-{n}", "01", "stttt", D(2026, 12, 7), D(2026, 12, 8), requester, items, done_on
    )


def gather(records=(), **journals) -> notice_sources.Found:
    return notice_sources.gather(STATE, HOLDERS, records, journals, DEPARTMENT, CITY)


def test_a_closed_request_goes_to_the_requester_else_the_agency_mailbox() -> None:
    found = gather([record(1, "VanThu@danang.gov.vn"), record(2), record(3, done_on=None)])
    assert [(n.key, n.recipient) for n in found.notifications] == [
        ("request-result:2026-12-07-stttt-1", "vanthu@danang.gov.vn"),
        ("request-result:2026-12-07-stttt-2", "stttt@danang.gov.vn"),
    ]
    items = found.notifications[0].context["items"]
    assert items[0] == {
        "action": "new",
        "id": "CB-2017-000101",
        "name": "Nguyễn Văn Dũng",
        "address": "dungnv@danang.gov.vn",
        "fields": [],
        "done": True,
        "reason": "",
    }
    assert items[1]["action"] == "cancel" and items[1]["address"] == "namlq@danang.gov.vn"
    assert found.notifications[0].context["agency_name"] == "Sở Thông tin và Truyền thông"


def test_nothing_is_mailed_outside_the_city() -> None:
    """A result names people and their addresses: a requester's outside e-mail gets the agency
    mailbox instead, and a notices file edited to point outside the city mails nobody."""
    base = {"address": "dungnv@danang.gov.vn", "due": "2027-03-02", "recorded_on": "2027-03-02"}
    found = gather(
        [record(1, "vanthu@gmail.com"), record(2, "x@danang.gov.vn.evil.example")],
        reclaim=[{**base, "kind": "reclaimed", "agency_address": "boss@evil.example"}],
        passwords=[
            {
                "key": "password-warn:a@evil.example:2026-12-01",
                "kind": "password_warn",
                "address": "a@evil.example",
                "due": "2026-12-01",
                "recorded_on": "2026-12-08",
            },
        ],
    )
    assert [(n.key, n.recipient) for n in found.notifications] == [
        ("request-result:2026-12-07-stttt-1", "stttt@danang.gov.vn"),
        ("request-result:2026-12-07-stttt-2", "stttt@danang.gov.vn"),
    ]
    assert sorted(s["reason"] for s in found.skipped) == [
        "a@evil.example is outside the city's domains",
        "boss@evil.example is outside the city's domains",
    ]


def test_an_item_not_applied_says_why() -> None:
    found = gather([record(1, "", D(2026, 12, 8), Item("new", id="CB-2099-000001"))])
    assert found.notifications[0].context["items"][0]["done"] is False
    assert found.notifications[0].context["items"][0]["reason"]


def test_reclaim_warn_to_the_holder_reclaimed_to_the_agency_purged_to_nobody() -> None:
    base = {"address": "dungnv@danang.gov.vn", "agency_address": "stttt@danang.gov.vn", "due": "2027-03-02"}
    found = gather(
        reclaim=[
            {**base, "kind": "warn", "recorded_on": "2027-02-16"},
            {**base, "kind": "reclaimed", "recorded_on": "2027-03-02"},
            {**base, "kind": "purged", "recorded_on": "2027-04-01"},
        ]
    )
    assert [(n.kind, n.recipient, n.key) for n in found.notifications] == [
        (notices.RECLAIM_WARN, "dungnv@danang.gov.vn", "reclaim:dungnv@danang.gov.vn:warn:2027-03-02"),
        (notices.RECLAIMED, "stttt@danang.gov.vn", "reclaim:dungnv@danang.gov.vn:reclaimed:2027-03-02"),
    ]
    assert found.notifications[0].context["name"] == "Nguyễn Văn Dũng"


def test_one_message_per_removed_forward_however_many_ways_it_was_set() -> None:
    line = {"holder": "dungnv@danang.gov.vn", "target": "dung@gmail.com", "removed_on": "2026-12-08"}
    found = gather(
        forwards=[
            {**line, "system": "obm", "how": "Sieve redirect"},
            {**line, "system": "exchange", "how": "ForwardingSmtpAddress"},
            {**line, "holder": None, "system": "exchange", "how": "transport rule"},
        ]
    )
    assert len(found.notifications) == 1
    assert found.notifications[0].key == "forward-removed:dungnv@danang.gov.vn:dung@gmail.com:2026-12-08"
    assert [w["system"] for w in found.notifications[0].context["ways"]] == ["obm", "exchange"]
    assert found.skipped[0]["reason"].startswith("an organisation-wide forward")


def test_password_warnings_and_the_r47_list_recorded_once(tmp_path: Path) -> None:
    row = {
        "address": "hattt@danang.gov.vn",
        "system": "obm",
        "action": "warn",
        "reason": "unchanged_3_months",
        "due": "2026-12-01",
        "managed": True,
        "agency": "stttt",
        "agency_name": "Sở TTTT",
    }
    locked = {**row, "address": "namlq@danang.gov.vn", "action": "lock", "reason": "unchanged_6_months"}
    path = str(tmp_path / "password-notices.yml")
    assert password_notices.record(path, [row, {**row, "system": "exchange"}, locked], D(2026, 12, 8), False)
    assert not Path(path).exists()  # not written unless asked
    first = password_notices.record(path, [row, {**row, "system": "exchange"}, locked], D(2026, 12, 8), True)
    assert [line["kind"] for line in first] == ["password_warn", "r47_list"]
    # The next day the account is locked (action changes): the same list, nothing new.
    again = password_notices.record(path, [row, {**locked, "action": "locked"}], D(2026, 12, 9), True)
    assert again == []
    changed = password_notices.record(
        path, [row, locked, {**locked, "address": "x@danang.gov.vn"}], D(2026, 12, 9), True
    )
    assert [line["kind"] for line in changed] == ["r47_list"]
    found = gather(passwords=journal.read(path)[1])
    assert sorted((n.kind, n.recipient) for n in found.notifications) == [
        ("password_warn", "hattt@danang.gov.vn"),
        ("r47_list", DEPARTMENT),
        ("r47_list", DEPARTMENT),
    ]
    assert Path(path).stat().st_mode & 0o777 == 0o600
    # The first list comes back: the Department is told again, once.
    back = password_notices.record(path, [row, locked], D(2026, 12, 10), True)
    assert [line["key"] for line in back] == [f"r47:2026-12-10:{first[1]['key'].rpartition(':')[2]}"]
    assert password_notices.record(path, [row, locked], D(2026, 12, 11), True) == []


def test_no_department_no_r47_mail() -> None:
    line = {"key": "r47:x", "kind": "r47_list", "recorded_on": "2026-12-08", "rows": []}
    found = notice_sources.gather(STATE, HOLDERS, [], {"passwords": [line]}, None, CITY)
    assert found.notifications == [] and found.skipped == [
        {"key": "r47:x", "reason": found.skipped[0]["reason"]}
    ]
