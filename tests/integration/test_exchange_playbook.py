"""playbooks/exchange.yml through ansible-playbook against the Exchange lab.

The module danang.mail.mailbox (backend exchange, with its action plugin and the credentials file)
and the role danang.mail.exchange_org, as an operator runs them. The city is a copy of the lab
city in its own mail domain and managed OU (``exchange_city.city``). The
credentials file starts with the password OBM issued to one person (as site.yml's OBM play leaves
it): Exchange must give that person the same one (R-45), and a new one to everybody else.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ldap3 = pytest.importorskip("ldap3")
pytest.importorskip("pypsrp")

import exchange_city  # noqa: E402
from ansible.parsing.vault import VaultLib, VaultSecret  # noqa: E402
from ansible_collections.danang.mail.plugins.plugin_utils.credentials import (  # noqa: E402
    load_credentials,
    write_credentials,
)
from exchange_city import City, ad_admin  # noqa: E402

pytestmark = pytest.mark.integration
city = exchange_city.city  # the fixture

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")
VAULT_PASSWORD = "lab-only-vault-password-for-this-test"
OBM_PASSWORD = "Obm-Issued-7#Kx2qLm"


def run(town: City, *extra: str) -> tuple[subprocess.CompletedProcess[str], dict[str, int]]:
    root = town.root
    (root / "vault-password").write_text(VAULT_PASSWORD, encoding="utf-8")
    overrides = {
        "exchange_ad_managed_ou": town.ou,
        "danang_mail_domain": town.domain,
        "danang_mail_credentials_file": str(root / "credentials.vault.yml"),
        # The copy's exchange.yml would look for the lab's secret beside the copy, on the lab's ports.
        **town.lab.playbook_vars,
    }
    (root / "overrides.yml").write_text(yaml.safe_dump(overrides), encoding="utf-8")
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(
        [
            str(ANSIBLE_PLAYBOOK),
            "-i",
            str(root / "hosts.yml"),
            str(REPO / "playbooks" / "exchange.yml"),
            "--vault-password-file",
            str(root / "vault-password"),
            "-e",
            f"@{root / 'overrides.yml'}",
            *extra,
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    recap = re.search(r"^localhost\s+:\s+(.*)$", proc.stdout, re.MULTILINE)
    counters = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", recap.group(1))} if recap else {}
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    return proc, counters


def vault() -> tuple[str, Any]:
    return ("default", VaultSecret(VAULT_PASSWORD.encode()))


def holds_password(entry: dict[str, Any], password: str) -> bool:
    """Whether the AD stand-in's stored {SSHA} hash is of ``password`` (a logon is refused while
    pwdLastSet is 0, as in AD, so the password is checked on the stored hash)."""
    stored = entry["userPassword"]
    stored = stored.decode() if isinstance(stored, bytes) else str(stored)
    assert stored.startswith("{SSHA}")
    raw = base64.b64decode(stored[6:])
    digest, salt = raw[:20], raw[20:]
    return hashlib.sha1(password.encode() + salt).digest() == digest


def test_playbook_reconciles_with_the_shared_credentials_file(city: City) -> None:
    dung = city.address("CB-2017-000101")
    credentials = city.root / "credentials.vault.yml"
    issued_by_obm = {
        "CB-2017-000101": {
            "address": dung,
            "password": OBM_PASSWORD,
            "issued_at": "2026-11-29T09:00:00+07:00",
            "systems": ["obm"],
        }
    }
    write_credentials(str(credentials), issued_by_obm, vault())

    check, recap = run(city, "--check", "--diff")
    assert recap["changed"] >= 1 and city.mailboxes() == {}
    assert OBM_PASSWORD not in check.stdout + check.stderr

    first, recap = run(city)
    assert recap["failed"] == 0 and recap["changed"] >= 2
    assert OBM_PASSWORD not in first.stdout + first.stderr
    entries = load_credentials(str(credentials), VaultLib([vault()]))
    assert entries["CB-2017-000101"]["password"] == OBM_PASSWORD  # one password per person
    assert sorted(entries["CB-2017-000101"]["systems"]) == ["exchange", "obm"]
    users = city.ad_users()
    assert holds_password(users[dung], OBM_PASSWORD)
    nam = city.address("CB-2017-000103")
    assert entries["CB-2017-000103"]["password"] != OBM_PASSWORD
    assert holds_password(users[nam], entries["CB-2017-000103"]["password"])
    assert len({e["password"] for e in entries.values()}) == len(entries)

    # The role: the spam-report mailbox and the password policy's group of persons.
    assert f"chanthurac@{city.domain}" in city.mailboxes()
    conn = ad_admin(city.lab)
    conn.search(city.ou, "(objectClass=group)", attributes=["member"])
    [group] = conn.response
    members = {m.lower() for m in group["attributes"]["member"]}
    assert users[dung]["dn"].lower() in members
    conn.search(
        f"CN=Password Settings Container,CN=System,{city.lab.base_dn}",
        "(objectClass=msDS-PasswordSettings)",
        attributes=["msDS-PSOAppliesTo", "msDS-MinimumPasswordLength"],
    )
    pso = next(e for e in conn.response if e["dn"].lower().startswith("cn=danangmail-users,"))
    conn.unbind()
    assert pso["attributes"]["msDS-MinimumPasswordLength"] == ["12"]
    assert [d.lower() for d in pso["attributes"]["msDS-PSOAppliesTo"]] == [group["dn"].lower()]

    _again, recap = run(city)
    assert recap["changed"] == 0 and recap["failed"] == 0
