"""Never a person someone else's mailbox, on the Exchange lab.

Allocation skips every address in use in the AD domain (proxyAddresses and mail of any object), and
the plan never adopts a mailbox whose stored holder (``CustomAttribute3``) is missing or different:
it reports a conflict, leaves that mailbox and its AD account as they are, and reconciles the others.
"""

from __future__ import annotations

import datetime
import uuid

import pytest

ldap3 = pytest.importorskip("ldap3")
pytest.importorskip("pypsrp")

import exchange_city  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils import ledger, plan  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange import ExchangeBackend  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange_ad import (  # noqa: E402
    ACCOUNTDISABLE,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange_transport import (  # noqa: E402
    ExchangeTransport,
    Invocation,
    Secret,
)
from exchange_city import City, connection  # noqa: E402
from lab_city import add_person, allocate_into  # noqa: E402

pytestmark = pytest.mark.integration
city = exchange_city.city  # the fixture

DAY = datetime.date(2026, 11, 29)  # the city fixture's issue date
SCOPE = ("stttt",)
NEWCOMER = {
    "id": "CB-2099-000001",
    "full_name": "Khổng Minh Triết",
    "department": "cntt",
    "requested_on": "2026-11-29",
}


def cmdlets(city: City, *invocations: Invocation) -> None:
    transport = ExchangeTransport(connection(city.lab))
    try:
        outcomes = transport.run(list(invocations))
    finally:
        transport.close()
    assert [o.status for o in outcomes] == ["ok"] * len(invocations), outcomes


def hand_made(city: City, address: str) -> None:
    """A user mailbox made by hand at ``address`` (an alias of its own, no holder id)."""
    alias = f"hand{uuid.uuid4().hex[:8]}"
    cmdlets(
        city,
        Invocation.of(
            "New-Mailbox",
            {
                "Name": f"Made by hand {alias}",
                "Alias": alias,
                "UserPrincipalName": f"{alias}@{city.domain}",
                "PrimarySmtpAddress": address,
                "Password": Secret("Hand-Made-Pass-42!"),
                "OrganizationalUnit": city.ou,
            },
            address,
        ),
    )


def test_holders_a_hand_made_mailbox_at_the_next_address_gives_the_newcomer_the_next_number(
    city: City,
) -> None:
    hand_made(city, f"trietkm@{city.domain}")
    add_person(city.desired, "stttt", NEWCOMER)
    with ExchangeBackend(city.config()) as backend:
        in_use = backend.addresses_in_use()
    assert f"trietkm@{city.domain}" in in_use
    allocate_into(city.desired, city.domain, DAY, taken=in_use)
    newcomer = city.address(NEWCOMER["id"])
    assert newcomer == f"trietkm1@{city.domain}"

    before = city.mailboxes()[f"trietkm@{city.domain}"]
    the_plan, results, _backend = city.reconcile(scope=SCOPE)
    assert all(r.ok for r in results) and the_plan.conflicts == ()
    boxes = city.mailboxes()
    assert boxes[newcomer]["CustomAttribute3"] == NEWCOMER["id"]
    assert boxes[f"trietkm@{city.domain}"] == before  # the hand-made mailbox is untouched


def test_holders_conflicts_are_left_untouched_legacy_is_stamped_and_the_others_reconciled(
    city: City,
) -> None:
    city.reconcile(scope=SCOPE)
    theirs, legacy = city.address("CB-2017-000101"), city.address("CB-2017-000102")
    other = city.address("CB-2017-000103")
    cmdlets(
        city,
        # Another holder's mailbox at a ledger address.
        Invocation.of(
            "Set-Mailbox",
            {"Identity": theirs, "CustomAttribute3": "CB-1999-000999", "DisplayName": "Someone else"},
            theirs,
        ),
        # A mailbox this project made before it stored holder ids.
        Invocation.of("Set-Mailbox", {"Identity": legacy, "CustomAttribute3": ""}, legacy),
    )
    # A newcomer allocated in this run without the read of addresses in use, and a mailbox without
    # any holder already at that address.
    add_person(city.desired, "stttt", NEWCOMER)
    allocate_into(city.desired, city.domain, DAY)
    newcomer = city.address(NEWCOMER["id"])
    hand_made(city, newcomer)
    city.edit_person("stttt", "CB-2017-000103", state="disabled")  # an ordinary change
    boxes, users = city.mailboxes(), city.ad_users()

    desired = city.accounts(SCOPE)
    issued = {e.address: e.issued_on for e in ledger.load_ledger(str(city.ledger_path)).entries}
    # The legacy mailbox was made by the lab's clock; an early issue date keeps the test off it.
    issued[legacy] = datetime.date(2000, 1, 1)
    with ExchangeBackend(city.config()) as backend:
        observed = backend.read()
        the_plan = plan.make_plan(desired, observed, backend.render, issued_on=issued, allocated={newcomer})
        assert {c.address: c.stored_holder for c in the_plan.conflicts} == {
            theirs: "CB-1999-000999",
            newcomer: None,
        }
        assert sorted((c.action, c.address, dict(c.after)) for c in the_plan.changes) == [
            ("disable", other, {"enabled": False}),
            ("update", legacy, {"holder_id": "CB-2017-000102"}),
        ]
        results = backend.apply(the_plan.changes, {})
    assert all(r.ok for r in results), results

    after_boxes, after_users = city.mailboxes(), city.ad_users()
    assert after_boxes[theirs] == boxes[theirs] and after_users[theirs] == users[theirs]
    assert after_boxes[newcomer] == boxes[newcomer]
    assert not after_boxes[newcomer].get("CustomAttribute3")
    assert after_boxes[legacy]["CustomAttribute3"] == "CB-2017-000102"
    assert int(after_users[other]["userAccountControl"]) & ACCOUNTDISABLE
