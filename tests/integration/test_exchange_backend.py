"""The Exchange backend against the Exchange lab with the real clients (issue 5, section 5).

pypsrp speaks PSRP to the lab's WS-Management endpoint and ldap3 speaks LDAP to its AD stand-in;
nothing of the project is mocked. Every test works on its own copy of the lab city
(``exchange_city.city``).
"""

from __future__ import annotations

import uuid

import pytest

ldap3 = pytest.importorskip("ldap3")
pytest.importorskip("pypsrp")

import exchange_city  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.ad import (  # noqa: E402
    ACCOUNTDISABLE,
    parse_issue_record,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import (  # noqa: E402
    SWITCH,
    Invocation,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.transport import ExchangeTransport  # noqa: E402
from exchange_city import City, connection, password_for  # noqa: E402

pytestmark = pytest.mark.integration
city = exchange_city.city  # the fixture


# --- first run, second run, check mode ------------------------------------------------------------
def test_first_run_creates_second_run_changes_nothing(city: City) -> None:
    first, results, _ = city.reconcile()
    assert all(r.ok for r in results), [r for r in results if not r.ok]
    desired = city.accounts()
    counts = first.count()
    assert counts["create"] == sum(1 for a in desired.values() if a.state != "removed") > 50

    mailboxes = city.mailboxes()
    users = city.ad_users()
    dung = city.address("CB-2017-000101")
    box = mailboxes[dung]
    assert box["RecipientTypeDetails"] == "UserMailbox"
    assert box["Name"] == f"Nguyễn Văn Dũng ({dung.split('@')[0]})"
    assert box["DisplayName"] == "Nguyễn Văn Dũng" and box["Alias"] == dung.split("@")[0]
    assert box["UserPrincipalName"] == dung
    assert str(box["UseDatabaseQuotaDefaults"]) == "False"
    assert str(box["ProhibitSendReceiveQuota"]).startswith("2 GB")
    assert str(box["MaxSendSize"]).startswith("28 MB") and str(box["MaxReceiveSize"]).startswith("28 MB")
    assert box["Database"] in ("DB01", "DB02")
    issued = parse_issue_record(box["CustomAttribute1"])
    assert issued is not None

    user = users[dung]
    assert user["givenName"] == "Dũng" and user["sn"] == "Nguyễn Văn"
    assert int(user["pwdLastSet"]) == 0  # must change at first logon
    assert not int(user["userAccountControl"]) & ACCOUNTDISABLE
    assert len(user["sAMAccountName"]) <= 20

    agency = mailboxes[city.address("agency/stttt")]
    assert agency["RecipientTypeDetails"] == "SharedMailbox"
    assert agency["DisplayName"] == "Sở Thông tin và Truyền thông"
    databases = {b["Database"] for b in mailboxes.values()}
    assert databases == {"DB01", "DB02"}

    disabled = city.address("CB-2019-000318")
    assert int(users[disabled]["userAccountControl"]) & ACCOUNTDISABLE
    assert disabled in mailboxes  # kept

    second, results, _ = city.reconcile()
    assert second.changes == () and results == []


def test_check_mode_shows_the_plan_and_changes_nothing(city: City) -> None:
    planned, results, _ = city.reconcile(check=True)
    assert results == [] and city.mailboxes() == {}
    assert planned.count()["create"] > 50
    change = next(c for c in planned.changes if c.address == city.address("CB-2017-000101"))
    assert change.after["display_name"] == "Nguyễn Văn Dũng"
    assert password_for("CB-2017-000101") not in repr(planned)  # a plan never holds a password

    city.reconcile()
    city.edit_person("stttt", "CB-2017-000101", state="disabled")
    planned, results, _ = city.reconcile(check=True)
    assert [(c.address, c.action) for c in planned.changes] == [(city.address("CB-2017-000101"), "disable")]
    user = city.ad_users()[city.address("CB-2017-000101")]
    assert not int(user["userAccountControl"]) & ACCOUNTDISABLE


# --- names are data ---------------------------------------------------------------------------------
def test_apostrophes_in_names_arrive_literally(city: City) -> None:
    """Names that pass validation yet carry apostrophes (U+0027, U+2019) travel as typed values."""
    city.edit_person("stttt", "CB-2017-000101", full_name="Nguyễn Văn Y\u2019Dũng")
    _plan, results, _ = city.reconcile(scope=("stttt",))
    assert all(r.ok for r in results), [r for r in results if not r.ok]
    dung = city.address("CB-2017-000101")
    maryam = city.address("CB-2018-000212")
    boxes, users = city.mailboxes(), city.ad_users()
    assert boxes[dung]["DisplayName"] == "Nguyễn Văn Y\u2019Dũng"
    assert (
        users[dung]["displayName"] == "Nguyễn Văn Y\u2019Dũng" and users[dung]["givenName"] == "Y\u2019Dũng"
    )
    assert boxes[maryam]["DisplayName"] == "H'Maryam Niê" and users[maryam]["givenName"] == "H'Maryam"
    second, _results, _ = city.reconcile(scope=("stttt",))
    assert second.changes == ()


NASTY = "Tên \"x\"; $(Remove-Mailbox -Identity *) `whoami` \u2018q\u2019 'a' @{b=1}"


def test_quotes_and_powershell_syntax_in_raw_cmdlet_calls_are_data(city: City) -> None:
    alias = f"nasty{uuid.uuid4().hex[:6]}"
    address = f"{alias}@{city.domain}"
    display = NASTY + "\nsecond line"
    transport = ExchangeTransport(connection(city.lab))
    try:
        outcomes = transport.run(
            [
                Invocation.of(
                    "New-Mailbox",
                    {
                        "Shared": SWITCH,
                        "Name": NASTY[:64],
                        "Alias": alias,
                        "DisplayName": display,
                        "PrimarySmtpAddress": address,
                        "OrganizationalUnit": city.ou,
                    },
                    address,
                ),
                Invocation.of("Set-Mailbox", {"Identity": address, "CustomAttribute1": NASTY}, address),
            ]
        )
        assert [o.status for o in outcomes] == ["ok", "ok"], outcomes
        [box] = transport.query(Invocation.of("Get-Mailbox", {"Identity": address}))
    finally:
        transport.close()
    assert box["Name"] == NASTY[:64] and box["DisplayName"] == display and box["CustomAttribute1"] == NASTY
    user = next(u for u in city.ad_users().values() if u.get("mailNickname") == alias)
    assert user["displayName"] == display and user["cn"] == NASTY[:64]
    assert len(city.mailboxes()) == 1  # nothing else was created or removed


# --- disable, enable, purge -------------------------------------------------------------------------
def test_disable_keeps_the_mailbox_enable_reverses_purge_removes_only_disabled(city: City) -> None:
    scope = ("stttt",)
    city.reconcile(scope=scope)
    dung, nam = city.address("CB-2017-000101"), city.address("CB-2017-000103")

    city.edit_person("stttt", "CB-2017-000101", state="disabled")
    changes, results, _ = city.reconcile(scope=scope)
    assert [(c.address, c.action) for c in changes.changes] == [(dung, "disable")] and results[0].ok
    assert int(city.ad_users()[dung]["userAccountControl"]) & ACCOUNTDISABLE
    assert dung in city.mailboxes()  # the mailbox and its mail stay

    city.edit_person("stttt", "CB-2017-000101", state="active")
    changes, results, _ = city.reconcile(scope=scope)
    assert [(c.address, c.action) for c in changes.changes] == [(dung, "enable")] and results[0].ok
    assert not int(city.ad_users()[dung]["userAccountControl"]) & ACCOUNTDISABLE

    city.edit_person("stttt", "CB-2017-000103", state="removed")
    changes, results, _ = city.reconcile(scope=scope, purge=True)
    assert [(c.address, c.action) for c in changes.changes] == [(nam, "disable")]  # never deleted at once
    assert nam in city.mailboxes()
    changes, results, _ = city.reconcile(scope=scope, purge=True)
    assert [(c.address, c.action) for c in changes.changes] == [(nam, "remove")] and results[0].ok
    assert nam not in city.mailboxes() and nam not in city.ad_users()
    assert dung in city.mailboxes()
    last, _results, _ = city.reconcile(scope=scope, purge=True)
    assert last.changes == ()


# --- faults -----------------------------------------------------------------------------------------
FAULTS = {
    "connection dropped mid-batch": {"drop_next_pipeline": True},
    "5th New-Mailbox fails": {"fail_nth_cmdlet": 5, "fail_cmdlet": "New-Mailbox"},
    "7th Set-Mailbox fails": {"fail_nth_cmdlet": 7, "fail_cmdlet": "Set-Mailbox"},
    "throttled": {"max_cmdlets": 25, "period_seconds": 2},
}


@pytest.mark.parametrize("fault", FAULTS, ids=list(FAULTS))
def test_fault_leaves_a_state_a_rerun_completes(city: City, fault: str) -> None:
    scope = ("stttt", "stc")
    control = city.lab.control()
    first, results, backend = city.reconcile(
        scope=scope, batch_size=10, before_apply=lambda: control.inject_fault(**FAULTS[fault])
    )
    control.clear_faults()
    desired = city.accounts(scope)
    boxes = city.mailboxes()
    # Consistent: nothing outside the plan, every person made holds a recorded password.
    assert set(boxes) <= set(desired)
    persons = {a for a, acc in desired.items() if not acc.shared}
    assert persons & set(boxes) <= backend.password_set
    failed = [r for r in results if not r.ok]
    if fault == "throttled":  # the transport waits as Exchange asks and sends again: most done at once
        assert len(failed) * 4 < len(first.changes), failed
    second, results, _ = city.reconcile(scope=scope)
    assert all(r.ok for r in results), [r for r in results if not r.ok]
    assert len(second.changes) <= len(failed)
    third, _results, _ = city.reconcile(scope=scope)
    assert third.changes == ()
    assert set(city.mailboxes()) == {a for a, acc in desired.items() if acc.state != "removed"}
