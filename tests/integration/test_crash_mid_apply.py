# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A run killed in the middle of apply loses no initial password (issue 10, section 5; R-40, R-45).

playbooks/site.yml on the lab city in both labs is killed (SIGKILL to ansible-playbook and its
module processes) as soon as a few persons exist on one system - OBM, or Exchange after OBM was
done - then run again. Every person then has one password in the credentials files the operator
gets, the same on both systems, and logs in with it (OBM over IMAP; Exchange's AD stand-in holds its
hash, as AD refuses a logon while "must change" is set).
"""

from __future__ import annotations

import base64
import hashlib
from collections import defaultdict

import pytest

pytest.importorskip("ldap3")
pytest.importorskip("pypsrp")

import both_labs
from both_labs import SiteCity

pytestmark = pytest.mark.integration
city, site_city = both_labs.city, both_labs.site_city  # the fixtures
KILL_AFTER = 5  # persons on the system when the run is killed


def holds_password(entry: dict, password: str) -> bool:
    stored = entry["userPassword"]
    stored = stored.decode() if isinstance(stored, bytes) else str(stored)
    raw = base64.b64decode(stored[6:])
    return hashlib.sha1(password.encode() + raw[20:]).digest() == raw[:20]


def persons_on_exchange(town: SiteCity, persons: set[str]) -> dict[str, dict]:
    return {a: e for a, e in town.city.ad_users().items() if a in persons}


@pytest.mark.parametrize("system", ["obm", "exchange"])
def test_a_run_killed_mid_apply_loses_no_initial_password(site_city: SiteCity, system: str) -> None:
    town = site_city
    persons = {a.lower() for a, account in town.city.accounts().items() if not account.shared}
    if system == "obm":

        def created() -> int:
            return len(town.obm_logins())
    else:

        def created() -> int:
            return len(persons_on_exchange(town, persons))

    assert town.run_until("site.yml", lambda: created() >= KILL_AFTER), "the run ended before the kill"
    on_obm_at_kill, on_exchange_at_kill = len(town.obm_logins()), len(persons_on_exchange(town, persons))
    assert on_obm_at_kill >= 1 if system == "obm" else on_exchange_at_kill >= 1

    town.run("site.yml")

    passwords: dict[str, set[str]] = defaultdict(set)
    for entries in town.credentials().values():
        for entry in entries:
            passwords[str(entry["address"]).lower()].add(entry["password"])
    obm = sorted(a.lower() for a in town.obm_logins())
    exchange = persons_on_exchange(town, persons)
    assert len(obm) >= 50 and len(exchange) >= 50
    missing = [a for a in sorted(set(obm) | set(exchange)) if a not in passwords]
    assert not missing, f"{len(missing)} person(s) never got a password: {missing[:5]}"
    several = [a for a, found in passwords.items() if len(found) != 1]
    assert not several, f"persons with more than one password (R-45): {several[:5]}"
    refused = [a for a in obm if not town.imap_ok(a, next(iter(passwords[a])))]
    assert not refused, f"IMAP refuses the recorded password of {refused[:5]}"
    different = [a for a, entry in exchange.items() if not holds_password(entry, next(iter(passwords[a])))]
    assert not different, f"Exchange holds another password than the recorded one for {different[:5]}"
    assert not (town.credentials_dir / "pending.vault.yml").exists() or town.pending() == {}
