# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Exchange lab's AD as AD behaves, through the real clients (pypsrp, ldap3) and the backend:
resets obey the fine-grained policy the project sets, the constructed password attributes are
readable over LDAP, lastLogonTimestamp lags behind logons and the client's idle facts bear it.
The rules themselves (sources cited there): lab/exchange_lab/test_password_policy.py.
"""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime, timedelta

import exchange_city
import pytest
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.organisation import (
    GLOBAL_SECURITY_GROUP,
    PSO_CONTAINER,
    PasswordPolicy,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.system import ExchangeSystem
from exchange_city import City
from ldap3 import MODIFY_ADD, MODIFY_DELETE
from test_exchange_lab import PASSWORD, ldap_entry, new_user_mailbox, run, secure

pytestmark = pytest.mark.integration
city = exchange_city.city  # the fixture
REFUSED = "does not meet the length, complexity, or history requirement of the domain"
DAY = 864_000_000_000


def wait_for(ldap, dn: str, attribute: str, want) -> list[bytes]:
    """The attribute's values once ``want(values)`` holds (the lab follows LDAP writes within 1 s)."""
    deadline = time.monotonic() + 5
    while True:
        values = ldap_entry(ldap, dn, attribute).get(attribute, [])
        if want(values) or time.monotonic() > deadline:
            return values
        time.sleep(0.2)


def reset(pool, alias: str, password: str, **extra) -> list[str]:
    _, errors, _ = run(pool, "Set-Mailbox", Identity=alias, Password=secure(pool, password), **extra)
    return [str(e) for e in errors]


def test_resets_obey_the_projects_pso_and_its_computed_attributes(exchange_lab, pool, ldap):
    mailbox = new_user_mailbox(exchange_lab, pool)
    alias, dn = mailbox["Alias"], mailbox["DistinguishedName"]
    # The PSO and its group as the project's organisation writes them (over LDAP, behind the lab).
    name = exchange_lab.unique("pso")
    group = f"CN={name},{exchange_lab.managed_ou}"
    pso = f"CN={name},{PSO_CONTAINER},{exchange_lab.base_dn}"
    values = {
        "cn": name,
        "sAMAccountName": name,
        "groupType": str(GLOBAL_SECURITY_GROUP),
        "instanceType": "4",
        "objectCategory": f"CN=Group,CN=Schema,CN=Configuration,{exchange_lab.base_dn}",
    }
    assert ldap.add(group, ["top", "group"], values), ldap.result
    policy = {"cn": name, **PasswordPolicy().attributes(group)}
    assert ldap.add(pso, ["top", "msDS-PasswordSettings"], policy), ldap.result
    try:
        assert reset(pool, alias, "Mua-Xuan-26") == []  # 11 characters: the domain's 7 applies
        assert ldap.modify(group, {"member": [(MODIFY_ADD, [dn])]}), ldap.result
        found = wait_for(ldap, dn, "msDS-ResultantPSO", lambda v: v)
        assert [v.decode().lower() for v in found] == [pso.lower()]  # slapd spells types cn=, dc=
        entry = ldap_entry(ldap, dn, "pwdLastSet", "msDS-UserPasswordExpiryTimeComputed", "ntPwdHistory")
        expiry = int(entry["msDS-UserPasswordExpiryTimeComputed"][0])
        assert expiry == int(entry["pwdLastSet"][0]) + 180 * DAY  # the PSO's 180 days, not 42
        assert (
            b"Mua-Xuan" not in entry["ntPwdHistory"][0]
            and "Mua-Xuan".encode("utf-16-le") not in entry["ntPwdHistory"][0]
        )

        assert REFUSED in reset(pool, alias, "Mua-Xuan-27")[0]  # 11 < 12
        assert REFUSED in reset(pool, alias, "muaxuandanang2026")[0]  # 2 classes
        # The first password, in the history: a reset (not a change) is not held to it unless the
        # request asks for it with the policy hints control (MS-ADTS 3.1.1.3.4.1.27).
        assert reset(pool, alias, PASSWORD) == []
        assert reset(pool, alias, "Da-Nang-Mua-Xuan-26", ResetPasswordOnNextLogon=True) == []
        entry = ldap_entry(ldap, dn, "pwdLastSet", "msDS-UserPasswordExpiryTimeComputed")
        assert entry["pwdLastSet"] == entry["msDS-UserPasswordExpiryTimeComputed"] == [b"0"]

        assert ldap.modify(group, {"member": [(MODIFY_DELETE, [dn])]}), ldap.result
        assert wait_for(ldap, dn, "msDS-ResultantPSO", lambda v: not v) == []
    finally:
        ldap.delete(pso)
        ldap.delete(group)
        run(pool, "Remove-Mailbox", Identity=alias, Confirm=False)


def test_last_logon_timestamp_lags_and_the_client_reads_the_stores_logon(city: City) -> None:
    """lastLogonTimestamp is AD's replicated, up-to-14-days-late value; the client's last_access
    (R-23) takes the later of it plus that lag and the store's LastLogonTime, so a lagging AD does
    not make a mailbox in use look idle."""
    _plan, results, _ = city.reconcile(scope=("stttt",))
    assert all(r.ok for r in results)
    address = city.address("CB-2017-000101")
    dn = city.ad_users()[address]["dn"]
    control = city.lab.control()
    first = datetime(2026, 1, 5, 8, 30, tzinfo=UTC)
    control.simulate_logon(address, first)
    control.simulate_logon(address, first + timedelta(days=8))  # under 9 days: AD keeps the first
    with exchange_city.ad_admin(city.lab) as conn:
        assert ldap_entry(conn, dn, "lastLogonTimestamp", "lastLogon") == {
            "lastLogonTimestamp": [str(filetime(first)).encode()],
            "lastLogon": [str(filetime(first + timedelta(days=8))).encode()],  # the DC's own
        }

    with ExchangeSystem(dataclasses.replace(city.config(), statistics=True)) as backend:  # mailbox_info
        backend.read()
        facts = backend.facts[address]
    assert datetime.fromisoformat(facts.own["last_logon_ad"]) == first
    # AD's value counts with its 14 days of lag: later than the store's logon here.
    assert datetime.fromisoformat(str(facts.last_access)) == first + timedelta(days=14)

    control.simulate_logon(address, first + timedelta(days=15))  # past 14 days: always rewritten
    with exchange_city.ad_admin(city.lab) as conn:
        stamp = ldap_entry(conn, dn, "lastLogonTimestamp")["lastLogonTimestamp"]
    assert stamp == [str(filetime(first + timedelta(days=15))).encode()]


def filetime(when: datetime) -> int:
    return int((when - datetime(1601, 1, 1, tzinfo=UTC)).total_seconds()) * 10_000_000
