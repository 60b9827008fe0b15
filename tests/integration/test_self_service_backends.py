# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The self-service page's library (module_utils/self_service) on both labs (R-40, R-42, R-43):
a person on both systems signs in with the initial password, changes it, and only the new one
works afterwards (LDAP binds, EWS); when OBM, written second, refuses, Exchange is put back with
the old password, the forced change and the issue record as they were.

The page's OBM identity (``uid=password-portal,ou=sysusers,dc=local``) is the obm_server role's
when it has one, else the test's own; the test grants it access in its cities' domains through the
lab's cn=config (root over ldapi, as the role does) and removes that afterwards.
"""

from __future__ import annotations

import secrets
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import both_labs
import exchange_city
import ldap3
import obm_city
import pytest
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.organisation import PasswordPolicy
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.passwords import (
    password_invocation,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.transport import ExchangeTransport
from ansible_collections.danang.mail.plugins.module_utils.password_change import (
    CHANGED,
    REFUSED,
    ROLLED_BACK,
)
from ansible_collections.danang.mail.plugins.module_utils.self_service import open_service
from both_labs import SiteCity
from lab_city import password_for
from test_password_policy_exchange import ews_logon, ldap_binds

city, site_city = both_labs.city, both_labs.site_city  # the fixtures
pytestmark = pytest.mark.integration
AN, BINH = "CB-2017-000101", "CB-2017-000102"
SCOPE = ("stttt",)
PORTAL_DN = "uid=password-portal,ou=sysusers,dc=local"
NEW = "Mk7+hEa/N4dPyt"  # R-42, no name of the lab city's people, no date
# The lab's ACL for the page until the obm_server role grants it (as design decision 4 words it).
ACCESS = (
    f'to attrs=userPassword,pwdReset by dn.exact="{PORTAL_DN}" =wx by * break',
    f'to * by dn.exact="{PORTAL_DN}" read by * break',
)


def _ldapi(lab: Any) -> str:
    return "ldapi://" + str(lab.lab_dir / "ldap" / "run" / "ldapi").replace("/", "%2F")


def _root(lab: Any, tool: str, *args: str, ldif: str = "") -> str:
    """ldapsearch/ldapmodify as root over ldapi (SASL EXTERNAL), as the obm_server role runs them."""
    proc = subprocess.run(
        [tool, "-Q", "-Y", "EXTERNAL", "-H", _ldapi(lab), *args],
        input=ldif,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _database(lab: Any) -> tuple[str, list[str]]:
    """The DN of the lab's dc=local database in cn=config and its olcAccess values."""
    out = _root(
        lab,
        "ldapsearch",
        "-LLL",
        "-o",
        "ldif-wrap=no",
        "-b",
        "cn=config",
        f"(olcSuffix={lab.base_dn})",
        "olcAccess",
    )
    lines = out.splitlines()
    dn = next(line.split(": ", 1)[1] for line in lines if line.startswith("dn: "))
    return dn, [line.split(": ", 1)[1] for line in lines if line.startswith("olcAccess: ")]


@pytest.fixture(scope="module")
def portal_password(obm_lab: Any) -> Iterator[str]:
    """The page's OBM identity (the role's entry and secret when it has them, else the test's own)
    with read access and write access to passwords in every domain: the role grants them in its
    own domains only, and each test city has a domain of its own."""
    db = _database(obm_lab)[0]
    admin = ldap3.Connection(
        ldap3.Server(obm_lab.ldap_host, port=obm_lab.ldap_port),
        obm_lab.admin_dn,
        obm_lab.admin_password,
        auto_bind=True,
    )
    role_secret = obm_lab.lab_dir / "secrets" / "password-portal"
    created = not (role_secret.exists() and admin.search(PORTAL_DN, "(objectClass=*)", ldap3.BASE))
    if created:
        password = secrets.token_urlsafe(24)
        admin.search(obm_lab.admin_dn, "(objectClass=*)", ldap3.BASE, attributes=["pwdPolicySubentry"])
        policy = admin.response[0]["attributes"]["pwdPolicySubentry"]
        admin.delete(PORTAL_DN)
        assert admin.add(
            PORTAL_DN,
            ["account", "simpleSecurityObject"],
            {"uid": "password-portal", "userPassword": password, "pwdPolicySubentry": policy},
        ), admin.result
    else:
        password = role_secret.read_text(encoding="utf-8").split()[0]
    admin.unbind()
    changes = "".join(f"-\nadd: olcAccess\nolcAccess: {{{1 + i}}}{rule}\n" for i, rule in enumerate(ACCESS))
    _root(obm_lab, "ldapmodify", ldif=f"dn: {db}\nchangetype: modify\n{changes[2:]}")
    try:
        yield password
    finally:
        # Ours end in "break" (the role's do not); one per modify: cn=config renumbers after each.
        while ours := [v for v in _database(obm_lab)[1] if PORTAL_DN in v and v.endswith("by * break")]:
            _root(
                obm_lab,
                "ldapmodify",
                ldif=f"dn: {db}\nchangetype: modify\ndelete: olcAccess\nolcAccess: {ours[0]}\n",
            )
        if created:  # a new connection: slapd may have been restarted since
            admin = ldap3.Connection(
                ldap3.Server(obm_lab.ldap_host, port=obm_lab.ldap_port),
                obm_lab.admin_dn,
                obm_lab.admin_password,
                auto_bind=True,
            )
            admin.delete(PORTAL_DN)
            admin.unbind()


def portal_config(site: SiteCity, portal_password: str) -> dict[str, Any]:
    """The page's configuration file (decision 5) for the site's city, as the role writes it."""
    obm, ex = site.obm, site.city.lab
    return {
        "domain": site.domain,
        "systems": ["exchange", "obm"],
        "obm": {
            "ldap_uri": f"ldap://{obm.ldap_host}:{obm.ldap_port}",
            "ldap_starttls": True,
            "ca_file": obm.ca_file,
            "base_dn": obm.base_dn,
            "bind_dn": PORTAL_DN,
            "bind_password": portal_password,
        },
        "exchange": {
            "exchange_server": ex.host,
            "exchange_port": ex.port,
            "exchange_path": ex.path,
            "exchange_auth": "basic",
            "exchange_encryption": "never",
            "exchange_username": ex.admin_upn,
            "exchange_password": ex.admin_password,
            "ad_uri": ex.ad_uri,
            "ad_bind_user": ex.admin_dn,
            "ad_bind_password": ex.admin_password,
            "ad_base_dn": ex.base_dn,
            "ad_managed_ou": site.city.ou,
        },
    }


def obm_binds(site: SiteCity, address: str, password: str) -> bool:
    entry = obm_city.entries(site.obm, site.domain)[address]
    server = ldap3.Server(site.obm.ldap_host, port=site.obm.ldap_port)
    conn = ldap3.Connection(server, entry["dn"], password)
    try:
        return bool(conn.bind())
    finally:
        conn.unbind()


def obm_entry(site: SiteCity, address: str) -> dict[str, Any]:
    conn = site.ldap_admin()
    conn.search(
        f"ou=users,dc={site.domain},{site.obm.base_dn}",
        f"(mail={ldap3.utils.conv.escape_filter_chars(address)})",
        attributes=["pwdReset", "pwdChangedTime", "pwdHistory"],
    )
    found = dict(conn.response[0]["attributes"], dn=conn.response[0]["dn"])
    conn.unbind()
    return found


def flag(entry: dict[str, Any], name: str) -> bool:
    values = entry.get(name)
    values = values if isinstance(values, list) else [values]
    return any(str(v).upper() == "TRUE" for v in values if v is not None)


def portal_modify(site: SiteCity, portal_password: str, dn: str, changes: dict[str, Any]) -> dict[str, Any]:
    """One modify as the page's identity; slapd's result."""
    server = ldap3.Server(site.obm.ldap_host, port=site.obm.ldap_port)
    conn = ldap3.Connection(server, PORTAL_DN, portal_password, auto_bind=True)
    conn.modify(dn, changes)
    result = dict(conn.result)
    conn.unbind()
    return result


def ad_user(site: SiteCity, address: str) -> dict[str, Any]:
    return next(u for u in site.city.ad_users().values() if str(u.get("mail", "")).lower() == address)


def test_sign_in_and_change_on_both_systems(site_city: SiteCity, portal_password: str) -> None:
    site = site_city
    _plan, results, _ = site.city.reconcile(scope=SCOPE)
    assert all(r.ok for r in results)
    site.make_obm_accounts(SCOPE)
    an = site.city.address(AN)
    initial = password_for(AN)
    before = obm_entry(site, an)
    assert flag(before, "pwdReset")

    with open_service(portal_config(site, portal_password)) as service:
        assert service.sign_in(an, initial + "x") is None
        assert service.sign_in(f"nobody@{site.domain}", initial) is None
        assert service.sign_in(an.replace(site.domain, "gmail.com"), initial) is None
        holder = service.sign_in(an.upper(), initial)  # the initial password signs in
        assert holder is not None and holder.address == an
        assert holder.systems == ("exchange", "obm") and holder.must_change
        assert "name" in service.problems(holder, "Mk7+" + holder.names[-1].split()[-1] + "/N4dPyt")
        assert service.problems(holder, NEW) == []

        result = service.change(holder, initial, NEW)
        assert result.outcome == CHANGED, result
        assert service.sign_in(an, initial) is None
        assert service.sign_in(an, NEW) is not None

    assert obm_binds(site, an, NEW) and not obm_binds(site, an, initial)
    assert ews_logon(site.city.lab, an, NEW) and not ews_logon(site.city.lab, an, initial)
    assert site.imap_ok(an, NEW) and not site.imap_ok(an, initial)  # saslauthd binds
    after = obm_entry(site, an)
    # The page's modify leaves no pwdReset, and slapd stamps pwdChangedTime.
    assert not flag(after, "pwdReset")
    assert after["pwdChangedTime"] and after["pwdChangedTime"] >= before["pwdChangedTime"]
    assert int(ad_user(site, an)["pwdLastSet"]) != 0

    # Measured: for ppolicy an identity without manage access on userPassword (the page's =wx) is
    # no password administrator: its write alone removes pwdReset, records the old password in
    # pwdHistory and stamps pwdChangedTime (only an administrator's write gets pwdReset: TRUE).
    binh = site.city.address(BINH)
    dn = obm_entry(site, binh)["dn"]
    assert flag(obm_entry(site, binh), "pwdReset")
    result = portal_modify(site, portal_password, dn, {"userPassword": [(ldap3.MODIFY_REPLACE, [NEW])]})
    entry = obm_entry(site, binh)
    assert result["result"] == 0 and not flag(entry, "pwdReset")
    assert len(entry["pwdHistory"]) == 1 and entry["pwdChangedTime"] >= before["pwdChangedTime"]


def under_the_citys_policy(site: SiteCity, address: str) -> str:
    """The project's PSO (history 5) for the user; its DN. Exchange's Set-Mailbox -Password is an
    administrator's reset, which a DC does not hold to the history (MS-ADTS 3.1.1.3.4.1.27): the
    put-back of the old password must pass under it."""
    lab = site.city.lab
    user = ad_user(site, address)["dn"]
    pso = f"CN=itest-{lab.unique()},CN=Password Settings Container,CN=System,{lab.base_dn}"
    attributes = {"cn": pso[3:].split(",")[0], **PasswordPolicy().attributes(user)}
    conn = exchange_city.ad_admin(lab)
    assert conn.add(pso, ["top", "msDS-PasswordSettings"], attributes), conn.result
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # the lab follows PSO writes within a second
        conn.search(user, "(objectClass=*)", ldap3.BASE, attributes=["msDS-ResultantPSO"])
        if conn.response and conn.response[0]["attributes"].get("msDS-ResultantPSO"):
            break
        time.sleep(0.2)
    conn.unbind()
    return pso


def test_a_refusal_on_obm_leaves_both_systems_as_they_were(site_city: SiteCity, portal_password: str) -> None:
    site = site_city
    _plan, results, _ = site.city.reconcile(scope=SCOPE)
    assert all(r.ok for r in results)
    site.make_obm_accounts(SCOPE)
    binh = site.city.address(BINH)
    pso = under_the_citys_policy(site, binh)
    config = portal_config(site, portal_password)
    initial, refused = password_for(BINH), "Hy4=kPeN/T7mAd"
    try:
        # OBM cannot be asked: nothing is written anywhere.
        with open_service(config) as service:
            holder = service.sign_in(binh, initial)
            assert holder is not None and holder.must_change
            issued = ad_user(site, binh).get("extensionAttribute1")
            obm_city.obm_lab_ctl(site.obm, "stop", "slapd")
            try:
                result = service.change(holder, initial, NEW)
            finally:
                obm_city.obm_lab_ctl(site.obm, "start", "slapd")
                obm_city.wait_lab_port(site.obm, site.obm.ldap_port)
            assert result.outcome == REFUSED, result
        assert int(ad_user(site, binh)["pwdLastSet"]) == 0

        # ppolicy's history (pwdInHistory 5) holds ``refused``: the page's own identity set it and
        # then gave the person a new initial password, on OBM and (the administrator) on Exchange.
        dn = obm_entry(site, binh)["dn"]
        for password, reset in ((refused, []), (initial + "2", ["TRUE"])):
            changes = {
                "userPassword": [(ldap3.MODIFY_REPLACE, [password])],
                "pwdReset": [(ldap3.MODIFY_REPLACE, reset)],
            }
            assert portal_modify(site, portal_password, dn, changes)["result"] == 0
        initial += "2"
        transport = ExchangeTransport(exchange_city.connection(site.city.lab))
        try:
            outcome = transport.run([password_invocation(binh, initial, must_change=True)])[0]
            assert outcome.status == "ok", outcome.error
        finally:
            transport.close()
        before = ad_user(site, binh)
        assert int(before["pwdLastSet"]) == 0 and before.get("extensionAttribute1") == issued

        with open_service(config) as service:
            holder = service.sign_in(binh, initial)
            assert holder is not None
            result = service.change(holder, initial, refused)
        assert (result.outcome, result.system) == (ROLLED_BACK, "obm"), result
        assert "constraintViolation" in result.reason and refused not in result.reason

        after = ad_user(site, binh)  # Exchange put back: old password, forced change, issue record
        assert int(after["pwdLastSet"]) == 0 and after.get("extensionAttribute1") == issued
        user_dn = ad_user(site, binh)["dn"]  # the lab's AD lets a must-change account bind
        assert ldap_binds(site.city.lab, user_dn, initial) and not ldap_binds(site.city.lab, user_dn, refused)
        assert obm_binds(site, binh, initial) and not obm_binds(site, binh, refused)
        assert flag(obm_entry(site, binh), "pwdReset")
    finally:
        conn = exchange_city.ad_admin(site.city.lab)
        conn.delete(pso)
        conn.unbind()
