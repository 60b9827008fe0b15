# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""-Identity on the Exchange lab, through pypsrp, with the AD stand-in changed over LDAP behind its back."""

from __future__ import annotations

import pytest
from test_exchange_lab import new_user_mailbox, run

pytestmark = pytest.mark.integration


def _dn_of(pool, identity: str) -> tuple[str | None, list]:
    output, errors, _ = run(pool, "Get-Mailbox", Identity=identity)
    return (output[0].adapted_properties["DistinguishedName"] if output else None), errors


def test_every_identity_form_and_ambiguity_are_asked_of_the_directory(exchange_lab, pool, ldap):
    """Each -Identity form Set-Mailbox.md lists (MicrosoftDocs/office-docs-powershell,
    exchange/exchange-ps/ExchangePowerShell/Set-Mailbox.md, -Identity: Name, Alias, DN, canonical
    DN, Domain\\Username, email address, GUID, LegacyExchangeDN, SamAccountName, UPN) names the
    mailbox. A value that is one mailbox's alias and another's name matches both and is refused
    with Exchange's text (learn.microsoft.com/en-us/exchange/troubleshoot/public-folders/
    public-folder-migration-errors: "The operation couldn't be performed because 'Mailbox1' matches
    multiple entries."). Deleting the other entry directly in LDAP is seen at once: its alias is
    free for a newcomer (nothing read the entry first) and the value names one mailbox again."""
    created = new_user_mailbox(exchange_lab, pool)
    dn, alias = created["DistinguishedName"], created["Alias"]
    forms = {
        "Name": created["Name"],
        "Alias": alias,
        "DN": dn,
        "canonical DN": created["Identity"],
        "Domain\\Username": f"{exchange_lab.domain.split('.')[0].upper()}\\{created['SamAccountName']}",
        "email address": created["PrimarySmtpAddress"],
        "GUID": str(created["Guid"]),
        "ExchangeGuid": str(created["ExchangeGuid"]),
        "LegacyExchangeDN": created["LegacyExchangeDN"],
        "SamAccountName": created["SamAccountName"],
        "UPN": created["UserPrincipalName"],
    }
    for form, identity in forms.items():
        assert _dn_of(pool, identity) == (dn, []), form

    namesake = new_user_mailbox(exchange_lab, pool, Name=alias)  # its Name is the first one's alias
    found, errors = _dn_of(pool, alias)
    assert found is None and [str(e) for e in errors] == [
        f"The operation couldn't be performed because '{alias}' matches multiple entries."
    ]
    assert "ManagementObjectAmbiguousException" in errors[0].fq_error

    assert ldap.delete(namesake["DistinguishedName"]), ldap.result  # behind the lab's back
    output, errors, _ = run(
        pool,
        "New-Mailbox",
        Shared=True,
        Name=exchange_lab.unique("s"),
        Alias=namesake["Alias"],
        OrganizationalUnit=exchange_lab.managed_ou,
    )
    assert errors == [], [str(e) for e in errors]
    assert output[0].adapted_properties["Alias"] == namesake["Alias"]
    assert _dn_of(pool, alias) == (dn, [])
    assert _dn_of(pool, namesake["DistinguishedName"])[0] is None
