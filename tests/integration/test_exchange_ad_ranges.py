# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A group over AD's MaxValRange (1,500 values) through the lab's AD and the backend's reader.

AD sends such a ``member`` as ``member;range=0-1499`` and then ``member;range=1500-*`` on request
("Attribute Range Retrieval",
https://learn.microsoft.com/en-us/windows/win32/adsi/attribute-range-retrieval; MaxValRange 1,500:
https://learn.microsoft.com/en-us/troubleshoot/windows-server/active-directory/view-set-ldap-policy-using-ntdsutil).
The lab's rules themselves: lab/exchange_lab/test_ad_ranges.py.
"""

from __future__ import annotations

import pytest
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.ad import ADConnection, Directory
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.organisation import (
    GLOBAL_SECURITY_GROUP,
)
from ldap3 import BASE, Connection, Server

pytestmark = pytest.mark.integration
MEMBERS = 1600


def test_a_group_over_max_val_range_comes_in_ranges_and_the_backend_reads_it_whole(exchange_lab, ldap):
    """The policy group of exchange_org (read by ``Directory.entry``, organisation_io.read_org) grows
    with the city: past 1,500 members only ranged reads give all of them."""
    lab = exchange_lab
    name = lab.unique("range")
    holder = f"CN={name},{lab.base_dn}"  # outside the managed OU: no test counts these
    assert ldap.add(holder, ["top", "container"], {"cn": name}), ldap.result
    members = [f"CN=m{i:04},{holder}" for i in range(MEMBERS)]
    for position, dn in enumerate(members):
        assert ldap.add(dn, ["top", "container"], {"cn": f"m{position:04}"}), ldap.result
    group = f"CN={name}-group,{holder}"
    values = {
        "cn": f"{name}-group",
        "sAMAccountName": f"{name}-g",
        "groupType": str(GLOBAL_SECURITY_GROUP),
        "instanceType": "4",
        "objectCategory": f"CN=Group,CN=Schema,CN=Configuration,{lab.base_dn}",
        "member": members,
    }
    assert ldap.add(group, ["top", "group"], values), ldap.result

    # On the wire, as AD answers a client that does not follow ranges.
    host, port = lab.ad_uri.rsplit(":", 1)
    raw = Connection(  # ldap3's empty attributes would trip over the ranged name (KeyError)
        Server(f"{host}:{port}"),
        lab.admin_dn,
        lab.admin_password,
        auto_bind=True,
        auto_range=False,
        return_empty_attributes=False,
    )
    try:
        assert raw.search(group, "(objectClass=*)", BASE, attributes=["member"])
        first = raw.response[0]["raw_attributes"]
        assert list(first) == ["member;range=0-1499"] and len(first["member;range=0-1499"]) == 1500
        assert raw.search(group, "(objectClass=*)", BASE, attributes=["member;range=1500-*"])
        rest = raw.response[0]["raw_attributes"]
        assert list(rest) == ["member;range=1500-*"] and len(rest["member;range=1500-*"]) == MEMBERS - 1500
    finally:
        raw.unbind()

    directory = Directory(
        ADConnection(
            uri=lab.ad_uri,
            bind_user=lab.admin_dn,
            password=lab.admin_password,
            base_dn=lab.base_dn,
            managed_ou=lab.managed_ou,
        )
    )
    try:
        found = directory.entry(group, ["member"])
    finally:
        directory.close()
    assert found is not None
    assert sorted(str(m).lower() for m in found["member"]) == sorted(m.lower() for m in members)
