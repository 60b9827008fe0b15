# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's permission cmdlets through pypsrp and ldap3: FullAccess and Send As on a shared mailbox.

What issue 13 will call: Add-MailboxPermission -AccessRights FullAccess (automapping on the shared
mailbox's msExchDelegateListLink), Add-ADPermission -ExtendedRights "Send As", both read back as
Exchange's ACE objects, and removed (Remove-* are ConfirmImpact High: -Confirm:$false). Sources in
lab/exchange_lab/cmdlets/permissions.py and lab/exchange_lab/test_permissions.py.
"""

from __future__ import annotations

import pytest
from test_exchange_lab import ldap_entry, new_shared_mailbox, new_user_mailbox, run

pytestmark = pytest.mark.integration
ACE_TYPES = "Microsoft.Exchange.Management.RecipientTasks."  # on the wire: no "Deserialized." prefix


def _explicit(pool, cmdlet: str, identity: str, user: str) -> list[dict]:
    output, errors, _ = run(pool, cmdlet, Identity=identity, User=user)
    assert errors == [], [str(e) for e in errors]
    return [{**o.adapted_properties, "types": o.types} for o in output]


def test_full_access_and_send_as_on_a_shared_mailbox(exchange_lab, pool, ldap):
    shared = new_shared_mailbox(exchange_lab, pool)
    alias, shared_dn = shared["Alias"], shared["DistinguishedName"]
    delegate = new_user_mailbox(exchange_lab, pool)
    sam = f"{exchange_lab.domain.split('.')[0].upper()}\\{delegate['SamAccountName']}"

    _, errors, _ = run(
        pool, "Add-MailboxPermission", Identity=alias, User=delegate["Alias"], AccessRights=["FullAccess"]
    )
    assert errors == [], [str(e) for e in errors]
    _, errors, _ = run(
        pool, "Add-ADPermission", Identity=shared_dn, User=delegate["Alias"], ExtendedRights=["Send As"]
    )
    assert errors == [], [str(e) for e in errors]

    # Read back as Exchange's objects; the defaults (SELF, inherited entries) are there too.
    output, errors, _ = run(pool, "Get-MailboxPermission", Identity=alias)
    assert errors == []
    users = {o.adapted_properties["User"]: o.adapted_properties for o in output}
    assert users[sam]["AccessRights"] == ["FullAccess"] and users[sam]["IsInherited"] is False
    assert "NT AUTHORITY\\SELF" in users
    (full,) = _explicit(pool, "Get-MailboxPermission", alias, delegate["Alias"])
    assert full["types"][0] == ACE_TYPES + "MailboxAcePresentationObject"
    (send_as,) = _explicit(pool, "Get-ADPermission", shared_dn, delegate["Alias"])
    assert send_as["types"][0] == ACE_TYPES + "ADAcePresentationObject"
    assert (send_as["ExtendedRights"], send_as["User"], send_as["Deny"]) == (["Send-As"], sam, False)
    links = ldap_entry(ldap, shared_dn, "msExchDelegateListLink").get("msExchDelegateListLink", [])
    assert [dn.decode().lower() for dn in links] == [delegate["DistinguishedName"].lower()]

    # A remote host cannot confirm: without -Confirm:$false nothing is removed.
    _, errors, ps = run(
        pool, "Remove-MailboxPermission", Identity=alias, User=delegate["Alias"], AccessRights=["FullAccess"]
    )
    assert ps.had_errors and len(_explicit(pool, "Get-MailboxPermission", alias, delegate["Alias"])) == 1

    for cmdlet, rights in (
        ("Remove-MailboxPermission", {"AccessRights": ["FullAccess"]}),
        ("Remove-ADPermission", {"ExtendedRights": ["Send As"]}),
    ):
        output, errors, ps = run(
            pool, cmdlet, Identity=alias, User=delegate["Alias"], Confirm=False, **rights
        )
        assert (output, errors, ps.streams.warning) == ([], [], []), cmdlet
    assert _explicit(pool, "Get-MailboxPermission", alias, delegate["Alias"]) == []
    assert _explicit(pool, "Get-ADPermission", alias, delegate["Alias"]) == []
    assert ldap_entry(ldap, shared_dn, "msExchDelegateListLink").get("msExchDelegateListLink", []) == []

    # Removing again: a warning, not an error (the client's second run sees no failure).
    _, errors, ps = run(
        pool,
        "Remove-ADPermission",
        Identity=alias,
        User=delegate["Alias"],
        ExtendedRights=["Send As"],
        Confirm=False,
    )
    assert errors == [] and "doesn't exist on the object" in ps.streams.warning[0].message
