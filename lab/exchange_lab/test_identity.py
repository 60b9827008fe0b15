# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each -Identity form becomes the LDAP query Exchange's lookup amounts to (no server needed).

Source: MicrosoftDocs/office-docs-powershell, exchange/exchange-ps/ExchangePowerShell/Set-Mailbox.md,
-Identity ("any value that uniquely identifies the mailbox": Name, Alias, distinguished name,
canonical DN, Domain\\Username, email address, GUID, LegacyExchangeDN, SamAccountName, UPN).
"""

from __future__ import annotations

import uuid

import pytest

from exchange_lab.identity import Lookup, canonical_path, lookup

DOMAIN, NETBIOS = "danang.gov.vn", "DANANG"
GUID = uuid.UUID("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")
USERS = "(objectClass=user)"


def one(identity: str) -> Lookup:
    return lookup(identity, DOMAIN, NETBIOS)


@pytest.mark.parametrize(
    ("identity", "filters"),
    [
        # A GUID is the object's (objectGUID) or, for mailbox cmdlets, the mailbox's (ExchangeGuid).
        (
            str(GUID),
            ("(|(objectGUID=" + "".join(f"\\{b:02x}" for b in GUID.bytes_le) + ")(msExchMailboxGuid=",),
        ),
        # LegacyExchangeDN, or an X500 proxy keeping an earlier one.
        (
            "/o=Danang/ou=Exchange/cn=Recipients/cn=an",
            ("(|(legacyExchangeDN=/o=Danang/ou=Exchange/cn=Recipients/cn=an)(proxyAddresses=x500:/o=",),
        ),
        ("danang\\an.nv", ("(|(sAMAccountName=an.nv))",)),
        ("DANANG.GOV.VN\\an.nv", ("(|(sAMAccountName=an.nv))",)),
        # An address is a proxy address (either case of prefix: caseIgnoreMatch) or a UPN first.
        (
            "an@danang.gov.vn",
            ("(|(userPrincipalName=an@danang.gov.vn)(proxyAddresses=smtp:an@danang.gov.vn))", "(|(cn=an@"),
        ),
        # A plain value is one query over Name, Alias and SamAccountName: a value naming two entries
        # by different properties is ambiguous.
        ("an.nv", ("(|(cn=an.nv)(mailNickname=an.nv)(sAMAccountName=an.nv))",)),
        # Typed text never becomes filter syntax (library escaping).
        ("a*)(cn=*", ("(|(cn=a\\2a\\29\\28cn=\\2a)",)),
    ],
)
def test_each_form_is_one_query_in_the_directory(identity, filters):
    found = one(identity)
    assert found.dn is None and len(found.filters) == len(filters)
    for ldap_filter, start in zip(found.filters, filters, strict=True):
        assert ldap_filter.startswith(f"(&{USERS}{start}"), ldap_filter


def test_another_domain_names_nobody():
    assert one("OTHER\\an.nv") == Lookup()


def test_a_distinguished_name_is_read_as_such():
    dn = "CN=Nguyễn Văn An,OU=DanangMail,DC=danang,DC=gov,DC=vn"
    assert one(f" {dn} ") == Lookup(dn=dn)


def test_a_canonical_name_finds_the_name_then_keeps_its_container_path():
    found = one("danang.gov.vn/DanangMail/Nguyễn Văn An")
    assert found.filters == (f"(&{USERS}(|(cn=Nguyễn Văn An)))",)
    assert found.canonical == ("danang.gov.vn", "danangmail", "nguyễn văn an")
    assert canonical_path("CN=Nguyễn Văn An,OU=DanangMail,DC=danang,DC=gov,DC=vn") == found.canonical
    assert canonical_path("CN=Nguyễn Văn An,OU=Other,DC=danang,DC=gov,DC=vn") != found.canonical
    assert canonical_path("CN=Tran\\, B,CN=Users,DC=danang,DC=gov,DC=vn") == (
        "danang.gov.vn",
        "users",
        "tran, b",
    )
