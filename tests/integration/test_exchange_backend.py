"""The Exchange backend against the Exchange lab with the real clients: what is Exchange's own
(its mailbox and AD layout, PowerShell values as data, its faults and throttling). What every system
promises is proved once for both labs in ``test_backend_contract.py``.

pypsrp speaks PSRP to the lab's WS-Management endpoint and ldap3 speaks LDAP to its AD stand-in;
nothing of the project is mocked. Every test works on its own copy of the lab city
(``exchange_city.city``).
"""

from __future__ import annotations

import datetime
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
from exchange_city import City, connection  # noqa: E402
from lab_city import add_person, allocate_into  # noqa: E402

pytestmark = pytest.mark.integration
city = exchange_city.city  # the fixture


# --- layout and names -------------------------------------------------------------------------
def test_mailboxes_and_accounts_are_laid_out_as_exchange_does_names_are_data(city: City) -> None:
    """The rendered attributes as Exchange and AD hold them (the contract checks they are what render
    says); names that pass validation yet carry apostrophes (U+0027, U+2019) travel as typed values."""
    city.edit_person("stttt", "CB-2017-000101", full_name="Nguyễn Văn Y\u2019Dũng")
    _plan, results, _ = city.reconcile(scope=("stttt",))
    assert all(r.ok for r in results), [r for r in results if not r.ok]
    boxes, users = city.mailboxes(), city.ad_users()
    dung, maryam = city.address("CB-2017-000101"), city.address("CB-2018-000212")
    box = boxes[dung]
    assert box["RecipientTypeDetails"] == "UserMailbox"
    assert box["Name"] == f"Nguyễn Văn Y\u2019Dũng ({dung.split('@')[0]})"
    assert box["DisplayName"] == "Nguyễn Văn Y\u2019Dũng" and box["Alias"] == dung.split("@")[0]
    assert box["UserPrincipalName"] == dung
    assert str(box["UseDatabaseQuotaDefaults"]) == "False"
    assert str(box["ProhibitSendReceiveQuota"]).startswith("2 GB")
    assert str(box["MaxSendSize"]).startswith("28 MB") and str(box["MaxReceiveSize"]).startswith("28 MB")
    assert parse_issue_record(box["CustomAttribute1"]) is not None

    user = users[dung]
    assert user["displayName"] == "Nguyễn Văn Y\u2019Dũng"
    assert user["givenName"] == "Y\u2019Dũng" and user["sn"] == "Nguyễn Văn"
    assert int(user["pwdLastSet"]) == 0  # must change at first logon
    assert not int(user["userAccountControl"]) & ACCOUNTDISABLE
    assert len(user["sAMAccountName"]) <= 20
    assert boxes[maryam]["DisplayName"] == "H'Maryam Niê" and users[maryam]["givenName"] == "H'Maryam"

    agency = boxes[city.address("agency/stttt")]
    assert agency["RecipientTypeDetails"] == "SharedMailbox"
    assert agency["DisplayName"] == "Sở Thông tin và Truyền thông"
    assert {b["Database"] for b in boxes.values()} == {"DB01", "DB02"}  # spread over both

    disabled = city.address("CB-2019-000318")
    assert int(users[disabled]["userAccountControl"]) & ACCOUNTDISABLE
    assert disabled in boxes  # kept


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


# --- Exchange's shapes --------------------------------------------------------------------------
def test_a_secondary_address_of_a_mailbox_is_in_use_and_the_newcomer_is_refused(city: City) -> None:
    """EmailAddresses arrives as Exchange serialises it: a ProxyAddressCollection object wrapping
    <LST> (the lab sends that shape, after the Get-Mailbox capture from an Exchange 2016 server in
    3gstudent/3gstudent.github.io, _posts/---2022-10-1-pypsrp在Exchange Powershell下的优化.md).
    A newcomer whose address a managed mailbox holds as a SECONDARY address is refused, untouched."""
    city.reconcile(scope=("stttt",))
    add_person(
        city.desired,
        "stttt",
        {
            "id": "CB-2099-000001",
            "full_name": "Khổng Minh Triết",
            "department": "cntt",
            "requested_on": "2026-11-29",
        },
    )
    allocate_into(city.desired, city.domain, datetime.date(2026, 11, 29))  # without the addresses in use
    newcomer, holder = city.address("CB-2099-000001"), city.address("CB-2017-000101")
    transport = ExchangeTransport(connection(city.lab))
    try:
        transport.query(
            Invocation.of("Set-Mailbox", {"Identity": holder, "EmailAddresses": {"add": f"smtp:{newcomer}"}})
        )
    finally:
        transport.close()
    assert f"smtp:{newcomer}" in [a.lower() for a in city.ad_users()[holder]["proxyAddresses"]]
    before = city.mailboxes()[holder]

    _plan, results, _ = city.reconcile(scope=("stttt",))
    refused = [r for r in results if r.address == newcomer]
    assert [(r.action, r.ok) for r in refused] == [("create", False)], results
    assert refused[0].error == f"the address is already used by the mailbox {holder}: nothing done"
    assert city.mailboxes()[holder] == before and newcomer not in city.mailboxes()


# --- faults -----------------------------------------------------------------------------------------
FAULTS = {
    "connection dropped mid-batch": {"drop_next_pipeline": True},
    "5th New-Mailbox fails": {"fail_nth_cmdlet": 5, "fail_cmdlet": "New-Mailbox"},
    "7th Set-Mailbox fails": {"fail_nth_cmdlet": 7, "fail_cmdlet": "Set-Mailbox"},
}


@pytest.mark.parametrize("fault", FAULTS, ids=list(FAULTS))
def test_fault_leaves_a_state_a_rerun_completes(city: City, fault: str) -> None:
    scope = ("stttt", "stc")
    control = city.lab.control()
    _first, results, backend = city.reconcile(
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
    second, results, _ = city.reconcile(scope=scope)
    assert all(r.ok for r in results), [r for r in results if not r.ok]
    assert len(second.changes) <= len(failed)
    third, _results, _ = city.reconcile(scope=scope)
    assert third.changes == ()
    assert set(city.mailboxes()) == {a for a, acc in desired.items() if acc.state != "removed"}
