# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A run killed in the middle of apply loses no initial password (R-40, R-45).

playbooks/site.yml on the lab city in both labs is killed (SIGKILL to ansible-playbook and its
module processes) as soon as a few persons exist on one system - OBM, or Exchange after OBM was
done - then run again. Every person then has one password in the credentials files the operator
gets, the same on both systems, and logs in with it (OBM over IMAP; Exchange's AD stand-in holds its
hash, as AD refuses a logon while "must change" is set).
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections import defaultdict

import pytest

ldap3 = pytest.importorskip("ldap3")
pytest.importorskip("pypsrp")

import both_labs  # noqa: E402
from both_labs import SiteCity  # noqa: E402

pytestmark = pytest.mark.integration
city, site_city = both_labs.city, both_labs.site_city  # the fixtures


def holds_password(entry: dict, password: str) -> bool:
    stored = entry["userPassword"]
    stored = stored.decode() if isinstance(stored, bytes) else str(stored)
    raw = base64.b64decode(stored[6:])
    return hashlib.sha1(password.encode() + raw[20:]).digest() == raw[:20]


def persons_on_exchange(town: SiteCity, persons: set[str]) -> dict[str, dict]:
    return {a: e for a, e in town.city.ad_users().items() if a in persons}


def ldap_bind_ok(town: SiteCity, address: str, password: str) -> bool:
    dn = f"uid={address.split('@')[0]},ou=users,dc={town.domain},{town.obm.base_dn}"
    server = ldap3.Server(town.obm.ldap_host, port=town.obm.ldap_port, connect_timeout=5)
    conn = ldap3.Connection(server, dn, password)
    ok = conn.bind()
    conn.unbind()
    return ok


@pytest.mark.parametrize("system", ["obm", "exchange"])
def test_a_run_killed_mid_apply_loses_no_initial_password(site_city: SiteCity, system: str) -> None:
    town = site_city
    accounts = town.city.accounts()
    persons = {a.lower() for a, account in accounts.items() if not account.shared}  # on Exchange
    active = {a.lower() for a, account in accounts.items() if not account.shared and account.enabled}
    if system == "obm":
        poll = town.ldap_admin()

        def struck() -> bool:
            return len(town.obm_logins(poll)) >= 1
    else:
        # Exchange's cmdlet budget (PowerShellMaxCmdlets) lets the reads and the first pipeline of
        # creates through, then refuses the next for ten minutes: the run is killed while it waits.
        # The reads count 18 cmdlets: with fewer, no create gets through and the run waits 10 minutes.
        town.city.lab.control().set_throttling(max_cmdlets=18, cmdlets_period=600)

        def struck() -> bool:
            return len(persons_on_exchange(town, persons)) >= 1

    assert town.run_until("site.yml", struck), "the run ended before the kill"
    time.sleep(2)  # nothing of the killed run may still be writing
    files_at_kill = town.run_files()
    on_obm, on_exchange = len(town.obm_logins()), len(persons_on_exchange(town, persons))
    town.city.lab.control().clear_faults()
    if system == "obm":  # killed inside OBM's task, before it could record anything
        assert files_at_kill == [] and on_obm >= 1 and on_exchange == 0
    else:
        assert len(files_at_kill) == 1 and on_obm > len(persons) and 1 <= on_exchange < len(persons)

    town.run("site.yml")

    passwords: dict[str, set[str]] = defaultdict(set)
    for entries in town.credentials().values():
        for entry in entries:
            passwords[str(entry["address"]).lower()].add(entry["password"])
    obm = sorted(a.lower() for a in town.obm_logins())
    exchange = persons_on_exchange(town, persons)
    assert set(exchange) == persons and persons < set(obm)  # one person of the lab city is on OBM only
    missing = sorted(set(obm) - set(passwords))
    assert not missing, f"{len(missing)} person(s) never got a password: {missing[:5]}"
    several = [a for a, found in passwords.items() if len(found) != 1]
    assert not several, f"persons with more than one password (R-45): {several[:5]}"
    refused = [a for a in obm if not ldap_bind_ok(town, a, next(iter(passwords[a])))]
    for address in (a for a in obm if a in active):  # IMAP needs the holder's first change
        town.obm.simulate_password_change(address)
    refused += [a for a in obm if a in active and not town.imap_ok(a, next(iter(passwords[a])))]
    assert not refused, f"OBM refuses the recorded password of {refused[:5]}"
    different = [a for a, entry in exchange.items() if not holds_password(entry, next(iter(passwords[a])))]
    assert not different, f"Exchange holds another password than the recorded one for {different[:5]}"
    assert not (town.credentials_dir / "pending.vault.yml").exists() or town.pending() == {}
