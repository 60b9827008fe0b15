"""A seeded city for the report tests (R-60, R-47): every figure it gives is known and worked out in
test_report_figures.py. The period is 2026H2; the data is as of 31 December 2026, 17:00 in Da Nang."""

from __future__ import annotations

import datetime

from ansible_collections.danang.mail.plugins.module_utils.backends.contract import AccountFacts
from ansible_collections.danang.mail.plugins.module_utils.forwarding import (
    INBOX_RULE_FORWARD,
    SIEVE_REDIRECT,
    SIEVE_UNPARSEABLE,
    Forward,
)
from ansible_collections.danang.mail.plugins.module_utils.ledger import LedgerEntry
from ansible_collections.danang.mail.plugins.module_utils.model import (
    CITY_TIMEZONE,
    Agency,
    Department,
    DesiredState,
    Person,
)
from ansible_collections.danang.mail.plugins.module_utils.password_policy import PasswordFacts
from ansible_collections.danang.mail.plugins.module_utils.report_inputs import (
    Inputs,
    SystemRead,
    forwards_removed,
    notifications,
    reclaim_notices,
)
from ansible_collections.danang.mail.plugins.module_utils.request_records import Item, RequestRecord
from ansible_collections.danang.mail.plugins.module_utils.vietnamese import parse_person_name
from ansible_collections.danang.mail.plugins.module_utils.workdays import WorkingCalendar

AS_OF = datetime.datetime(2026, 12, 31, 17, 0, tzinfo=CITY_TIMEZONE)
D = "@danang.gov.vn"
UTC = datetime.UTC


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def moment(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text)


def person(pid: str, name: str, agency: str) -> Person:
    return Person(pid, parse_person_name(name), agency, None, 0, day("2026-01-05"))


STATE = DesiredState(
    (
        Agency(
            "snv",
            "Sở Nội vụ",
            False,
            (),
            (person("CB-3", "Lê Văn An", "snv"), person("CB-4", "Phạm Thị Bình", "snv")),
        ),
        Agency(
            "stttt",
            "Sở Thông tin và Truyền thông",
            True,
            (Department("cntt", "Phòng Công nghệ thông tin", True, "stttt"),),
            (person("CB-1", "Nguyễn Văn Dũng", "stttt"), person("CB-2", "Trần Thị Oanh", "stttt")),
        ),
    )
)

LEDGER = (
    LedgerEntry(f"stttt{D}", "agency", "agency/stttt", day("2026-03-01")),
    LedgerEntry(
        f"cntt{D}",
        "department",
        "department/stttt/cntt",
        day("2026-08-01"),
        abbreviation="cntt",
        agency="stttt",
    ),
    LedgerEntry(f"dungnv{D}", "person", "CB-1", day("2026-01-10")),
    LedgerEntry(f"oanhtt{D}", "person", "CB-2", day("2026-07-15")),
    LedgerEntry(f"anlv{D}", "person", "CB-3", day("2026-09-01")),
    LedgerEntry(
        f"binhpt{D}", "person", "CB-4", day("2026-02-01"), "reclaimed", reclaimed_on=day("2026-10-01")
    ),
)


def record(rid: str, due: str, done: str | None, *items: Item) -> RequestRecord:
    return RequestRecord(
        id=rid,
        form="01",
        agency=rid.split("-")[3],
        received_on=day(rid[:10]),
        due_on=day(due),
        requester={"name": "Người yêu cầu", "email": f"vanthu{D}"},
        items=items,
        done_on=day(done) if done else None,
    )


RECORDS = (
    record(
        "2026-06-29-stttt-1", "2026-06-30", "2026-07-01", Item("change", id="CB-1", fields=("department",))
    ),
    record(
        "2026-07-06-stttt-1",
        "2026-07-07",
        "2026-07-07",
        Item("new", id="CB-2"),
        Item("change", id="CB-1", fields=("full_name",)),
    ),
    record("2026-09-01-snv-1", "2026-09-02", "2026-09-03", Item("new", id="CB-3"), Item("cancel", id="CB-4")),
    record("2026-12-18-stttt-1", "2026-12-21", None, Item("new", id="CB-9")),
    record("2026-12-30-stttt-1", "2026-12-31", None, Item("change", id="CB-2", fields=("rank",))),
)


def facts(
    address: str,
    quota: float | None,
    used: float | None,
    created: str | None,
    last: str | None = None,
    *,
    shared: bool = False,
    enabled: bool = True,
    reclaimed: bool = False,
) -> AccountFacts:
    return AccountFacts(
        address, None, shared, enabled, True, quota, used, last, last, None, False, False, created, reclaimed
    )


OBM_FACTS = {
    f.address: f
    for f in (
        facts(f"stttt{D}", 1000, 100, "2026-03-01T02:00:00Z", shared=True),
        facts(f"cntt{D}", 1000, 950, "2026-08-01T02:00:00Z", shared=True),
        facts(f"dungnv{D}", 1000, 500, "2026-01-10T02:00:00Z", "2026-12-20T02:00:00Z"),
        facts(f"oanhtt{D}", 1000, 1200, "2026-07-15T02:00:00Z"),
        facts(f"anlv{D}", None, 10, None),
        facts(f"chanthurac{D}", 1000, 0, "2026-01-01T00:00:00Z", shared=True),
    )
}
EXCHANGE_FACTS = {
    f.address: f
    for f in (
        # Last used on 1 October in Da Nang (30 September in UTC): due 1 January, not idle yet.
        facts(f"dungnv{D}", 2000, 1900, "2026-01-10T02:00:00Z", "2026-09-30T18:00:00Z"),
        facts(f"binhpt{D}", 2000, 100, "2026-02-01T02:00:00Z", enabled=False, reclaimed=True),
    )
}


def pw(
    address: str,
    system: str,
    *,
    enabled: bool = True,
    must: bool = False,
    issued: str | None = None,
    changed: str | None = None,
    locked: bool = False,
) -> PasswordFacts:
    return PasswordFacts(
        address,
        system,
        enabled,
        must,
        moment(issued) if issued else None,
        moment(changed) if changed else None,
        locked,
    )


OBM_PASSWORDS = {
    p.address: p
    for p in (
        pw(f"dungnv{D}", "obm", changed="2026-11-01T09:00:00+07:00"),
        pw(f"oanhtt{D}", "obm", must=True, issued="2026-07-15T09:00:00+07:00"),
        pw(f"anlv{D}", "obm", changed="2026-09-15T09:00:00+07:00"),
    )
}
EXCHANGE_PASSWORDS = {
    p.address: p
    for p in (
        pw(f"dungnv{D}", "exchange", changed="2026-06-01T09:00:00+07:00", locked=True),
        pw(f"binhpt{D}", "exchange", enabled=False, changed="2026-02-01T09:00:00+07:00"),
        pw(f"ghost{D}", "exchange"),
    )
}
OBM_FORWARDS = (
    Forward("obm", f"dungnv{D}", "dung@gmail.com", SIEVE_REDIRECT, "nomade"),
    Forward("obm", f"oanhtt{D}", f"annv{D}", SIEVE_REDIRECT, "nomade"),
    Forward("obm", f"anlv{D}", "an@yahoo.com", SIEVE_REDIRECT, "old", enabled=False),
    Forward("obm", f"cntt{D}", "", SIEVE_UNPARSEABLE, "broken: parse error"),
)
EXCHANGE_FORWARDS = (
    Forward("exchange", f"dungnv{D}", "dung@sub.danang.gov.vn", INBOX_RULE_FORWARD, "rule 1"),
)
RSPAMD_STAT = {
    "scanned": 1200,
    "actions": {"reject": 30, "add header": 50, "greylist": 20, "no action": 1100},
    "learned": 7,
}

NOTIFICATIONS = [
    {"key": "k1", "kind": "request-result", "state": "sending", "at": "2026-07-07T10:00:00+07:00"},
    {"key": "k1", "kind": "request-result", "state": "sent", "at": "2026-07-07T10:00:05+07:00"},
    {"key": "k2", "kind": "request-result", "state": "sending", "at": "2026-09-03T10:00:00+07:00"},
    {"key": "k2", "kind": "request-result", "state": "found", "at": "2026-09-04T10:00:00+07:00"},
    {"key": "k3", "kind": "password-warn", "state": "sending", "at": "2026-12-16T10:00:00+07:00"},
    # 30 June in UTC, 1 July in Da Nang: in the period.
    {"key": "k4", "kind": "password-warn", "state": "sent", "at": "2026-06-30T17:30:00Z"},
    {"key": "k5", "kind": "reclaim", "state": "sent", "at": "2026-10-01T08:00:00+07:00"},
    {"key": "k6", "kind": "r47", "state": "sent", "at": "2027-01-01T00:10:00+07:00"},
]
RECLAIM_NOTICES = [
    {"address": f"binhpt{D}", "kind": "warn", "due": "2026-10-01", "recorded_on": "2026-09-17"},
    {"address": f"binhpt{D}", "kind": "reclaimed", "due": "2026-10-31", "recorded_on": "2026-10-01"},
    {"address": f"dungnv{D}", "kind": "reclaimed", "due": "2026-05-31", "recorded_on": "2026-05-01"},
    {"address": f"cuong{D}", "kind": "purged", "due": "2026-11-20", "recorded_on": "2026-11-20"},
]
FORWARDS_REMOVED = [
    {
        "system": "obm",
        "holder": f"dungnv{D}",
        "target": "dung@gmail.com",
        "mechanism": "sieve_redirect",
        "removed_on": "2026-08-10",
    },
    {
        "system": "exchange",
        "holder": f"binhpt{D}",
        "target": "b@x.com",
        "mechanism": "mailbox_forwarding_smtp",
        "removed_on": "2026-11-11",
    },
    {
        "system": "obm",
        "holder": f"anlv{D}",
        "target": "an@yahoo.com",
        "mechanism": "sieve_redirect",
        "removed_on": "2026-03-03",
    },
]


def inputs(as_of: datetime.datetime = AS_OF) -> Inputs:
    return Inputs(
        state=STATE,
        ledger=LEDGER,
        records=RECORDS,
        systems={
            "obm": SystemRead(OBM_FACTS, OBM_PASSWORDS, OBM_FORWARDS, RSPAMD_STAT),
            "exchange": SystemRead(EXCHANGE_FACTS, EXCHANGE_PASSWORDS, EXCHANGE_FORWARDS),
        },
        as_of=as_of,
        calendar=WorkingCalendar(),
        city_domains=("danang.gov.vn",),
        notifications=notifications(NOTIFICATIONS, "notifications/2026-12.yml"),
        reclaim_notices=reclaim_notices(RECLAIM_NOTICES, "reclaim-notices.yml"),
        forwards_removed=forwards_removed(FORWARDS_REMOVED, "forwards-removed.yml"),
    )
