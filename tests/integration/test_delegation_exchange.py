"""Who may open a shared mailbox on Exchange (R-71, R-10, R-46, R-51), through the backend contract
against the Exchange lab: the owner and the delegate get FullAccess and Send As, the delegate opens
the share over EWS (exchangelib, as Outlook's delegate access does) and sends as it, anyone else is
refused; a new delegate takes the rights over; a right given by hand shows in the plan and is
removed; a second run changes nothing.

Sources: learn.microsoft.com/powershell/module/exchange/add-mailboxpermission (FullAccess,
-AutoMapping) and …/add-adpermission (Example 1: -ExtendedRights "Send As"); a DELEGATE account of
exchangelib on a mailbox it holds no rights on gets ErrorAccessDenied from Exchange 2019
(ecederstrand/exchangelib issue #676).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import pytest

pytest.importorskip("ldap3")
pytest.importorskip("pypsrp")
exchangelib = pytest.importorskip("exchangelib")

import exchange_city  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils import plan  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.accounts import Account  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import (  # noqa: E402
    Invocation,
    Secret,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.system import ExchangeSystem  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.transport import ExchangeTransport  # noqa: E402
from exchange_city import City, connection  # noqa: E402
from exchangelib import DELEGATE, Configuration, Credentials, Mailbox, Message, Version  # noqa: E402
from exchangelib.errors import ErrorAccessDenied, ErrorSendAsDenied  # noqa: E402
from exchangelib.version import EXCHANGE_2016  # noqa: E402
from lab_city import password_for  # noqa: E402

pytestmark = pytest.mark.integration
city = exchange_city.city  # the fixture
OWN_PASSWORD = "Uy-quyen#2026xyz"  # a password of the holder's own: the lab refuses must-change logons


def reconcile(city: City, desired: Mapping[str, Account], *, check: bool = False) -> plan.Plan:
    with ExchangeSystem(city.config()) as backend:
        the_plan = plan.make_plan(desired, backend.read(), backend.render)
        if not check:
            passwords = {a.holder_id: password_for(a.holder_id) for a in desired.values() if not a.shared}
            results = backend.apply(the_plan.changes, passwords)
            assert all(r.ok for r in results), [r for r in results if not r.ok]
    return the_plan


def opened_by(account: Account, desired: Mapping[str, Account], *addresses: str) -> Account:
    """``account`` opened by the persons at ``addresses``, with their holder ids as desired_accounts
    gives them (the backend grants only to the account that stores the holder's id)."""
    pairs = tuple(sorted((a, desired[a].holder_id) for a in addresses))
    return dataclasses.replace(account, access=tuple(a for a, _ in pairs), access_holders=pairs)


def powershell(city: City, *invocations: Invocation) -> None:
    transport = ExchangeTransport(connection(city.lab))
    try:
        assert all(o.status == "ok" for o in transport.run(list(invocations)))
    finally:
        transport.close()


def ews(city: City, mailbox: str, user: str) -> exchangelib.Account:
    config = Configuration(
        service_endpoint=f"{city.lab.base_url}/EWS/Exchange.asmx",
        credentials=Credentials(user, OWN_PASSWORD),
        version=Version(build=EXCHANGE_2016),
    )
    return exchangelib.Account(mailbox, config=config, autodiscover=False, access_type=DELEGATE)


def opens(city: City, share: str, user: str) -> bool:
    try:
        ews(city, share, user).inbox.refresh()
    except ErrorAccessDenied:
        return False
    return True


def sends_as(city: City, share: str, user: str) -> bool:
    message = Message(
        account=ews(city, user, user),
        subject="Công văn",
        body="b",
        to_recipients=[user],
        author=Mailbox(email_address=share),
    )
    try:
        message.send(save_copy=False)
    except ErrorSendAsDenied:
        return False
    return True


def test_owner_and_delegate_hold_full_access_and_send_as_and_nobody_else(city: City) -> None:
    desired = dict(city.accounts(("sgddt",)))
    (agency,) = (a for a in desired.values() if a.kind == "agency")
    owner, delegate, other = sorted(a.address for a in desired.values() if a.kind == "person")[:3]
    share = agency.address
    desired[share] = opened_by(agency, desired, owner, delegate)
    # chanthurac@: a reserved shared mailbox the technical team opens (its own local part
    # here: the organisation's spam mailbox of the lab holds the alias chanthurac).
    reserved = opened_by(
        Account(
            f"chanthurac-{city.domain.split('.')[0]}@{city.domain}",
            "reserved",
            "reserved/chanthurac",
            "Chặn thư rác",
            "sgddt",
        ),
        desired,
        other,
    )
    desired[reserved.address] = reserved
    reconcile(city, desired)
    powershell(
        city,
        *(
            Invocation.of(
                "Set-Mailbox",
                {"Identity": a, "Password": Secret(OWN_PASSWORD), "ResetPasswordOnNextLogon": False},
                a,
            )
            for a in (owner, delegate, other)
        ),
    )
    second = reconcile(city, desired, check=True).changes
    assert second == (), second  # the rights read back as rendered

    assert opens(city, share, delegate) and opens(city, share, owner) and not opens(city, share, other)
    assert sends_as(city, share, delegate) and not sends_as(city, share, other)
    assert opens(city, reserved.address, other) and not opens(city, reserved.address, delegate)

    # A new delegate: the rights move.
    desired[share] = opened_by(agency, desired, owner, other)
    (moved,) = reconcile(city, desired).changes
    assert (moved.action, moved.before, moved.after) == (
        plan.UPDATE,
        {"full_access": sorted((owner, delegate)), "send_as": sorted((owner, delegate))},
        {"full_access": sorted((owner, other)), "send_as": sorted((owner, other))},
    )
    assert opens(city, share, other) and not opens(city, share, delegate)
    assert sends_as(city, share, other) and not sends_as(city, share, delegate)

    # A right given by hand is reported in check mode, then removed.
    powershell(
        city,
        Invocation.of(
            "Add-MailboxPermission",
            {"Identity": share, "User": delegate, "AccessRights": "FullAccess"},
            share,
        ),
    )
    (found,) = reconcile(city, desired, check=True).changes
    assert found.before == {"full_access": sorted((delegate, owner, other))}
    assert opens(city, share, delegate)
    reconcile(city, desired)
    assert not opens(city, share, delegate)
    assert reconcile(city, desired, check=True).changes == ()
