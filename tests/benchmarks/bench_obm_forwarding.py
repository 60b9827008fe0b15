#!/usr/bin/env python3
"""Benchmark: the OBM forwarding audit (R-50, ``ObmSystem.read_forwards``) of a city. Not a pytest test.

    .venv/bin/python tests/benchmarks/bench_obm_forwarding.py [--people 2000] [--workers 1 4 8]

Uses the shared lab of ``inventories/lab`` (run it under the integration lock, lab up), in a
domain of its own (``fwbench.danang.gov.vn``): N person entries, each with an active Sieve script
(one in ten with a redirect outside the city, every one with a :copy redirect inside) and one in
five with a second, inactive script. Then it times ``read_forwards`` once per ``--workers`` value
and removes everything it made. See tests/benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "collections"))

import ldap3  # noqa: E402
import yaml  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.config import ObmConfig  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.cyrus import CyrusAdmin, quote  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.forwarding import ObmForwarding  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.managesieve import ManageSieve  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.system import ObmSystem  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.forwarding import judge  # noqa: E402

DOMAIN = "fwbench.danang.gov.vn"
LAB = REPO / ".lab" / "obm"


def secret(name: str) -> str:
    return (LAB / "secrets" / name).read_text(encoding="utf-8").split()[0]


def remove_subtree(conn: ldap3.Connection, base: str) -> None:
    conn.search(base, "(objectClass=*)", attributes=["1.1"])
    for dn in sorted((e["dn"] for e in conn.response), key=len, reverse=True):
        conn.delete(dn)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4, 8])
    args = parser.parse_args()
    facts = yaml.safe_load((REPO / "inventories/lab/group_vars/all/obm.yml").read_text(encoding="utf-8"))
    config = ObmConfig(
        ldap_uri=f"ldap://{facts['obm_ldap_host']}:{facts['obm_ldap_port']}",
        ldap_bind_dn=facts["obm_ldap_admin_dn"],
        ldap_bind_password=secret("ldapadmin"),
        imap_admin_password=secret("cyrus"),
        imap_host=facts["obm_imap_host"],
        imap_port=int(facts["obm_imap_port"]),
        sieve_port=int(facts["obm_sieve_port"]),
        domain=DOMAIN,
        ca_file=str(LAB / "tls" / "ca.crt"),
    )
    server = ldap3.Server(facts["obm_ldap_host"], port=int(facts["obm_ldap_port"]))
    conn = ldap3.Connection(server, config.ldap_bind_dn, config.ldap_bind_password, auto_bind=True)
    base = f"dc={DOMAIN},{config.ldap_base_dn}"
    users = [f"u{i:05d}" for i in range(args.people)]
    remove_subtree(conn, base)  # what an interrupted run left
    started = time.monotonic()
    conn.add(base, ["dcObject", "organization"], {"dc": DOMAIN, "o": DOMAIN})
    conn.add(f"ou=users,{base}", ["organizationalUnit"], {"ou": "users"})
    for login in users:
        address = f"{login}@{DOMAIN}"
        attributes = {"uid": login, "cn": login, "sn": login, "mail": address, "mailBox": address}
        assert conn.add(f"uid={login},ou=users,{base}", ["inetOrgPerson", "obmUser"], attributes), conn.result
    cyrus = CyrusAdmin(config.imap_host, config.imap_port, config.imap_admin, config.imap_admin_password)
    cyrus.ca_file = config.ca_file
    boxes = [quote(f"user/{login}@{DOMAIN}") for login in users]
    cyrus.pipeline([f"SETACL {box} {config.imap_admin} x" for box in boxes])
    cyrus.pipeline([f"DELETE {box}" for box in boxes])
    assert all(r.ok for r in cyrus.pipeline([f"CREATE {box}" for box in boxes]))
    session = ManageSieve(config.imap_host, config.sieve_port, config.imap_admin, config.imap_admin_password)
    session.ca_file = config.ca_file
    for i, login in enumerate(users):
        session.login(f"{login}@{DOMAIN}")
        text = f'require ["copy"];\r\nredirect :copy "{users[(i + 1) % len(users)]}@{DOMAIN}";\r\n'
        if i % 10 == 0:
            text += f'if header :contains "subject" "x" {{ redirect "{login}@gmail.example"; }}\r\n'
        assert session.put_script("nomade", text).ok and session.set_active("nomade").ok
        if i % 5 == 0:
            assert session.put_script("old", f'redirect "{login}@yahoo.example";\r\n').ok
    print(f"set up {len(users)} people with scripts in {time.monotonic() - started:.1f} s")
    try:
        for workers in args.workers:
            with ObmSystem(config) as backend:
                backend.forwarding = ObmForwarding(config, backend.directory, workers=workers)
                started = time.monotonic()
                found = backend.read_forwards()
                elapsed = time.monotonic() - started
            removable = sum(1 for f in judge(found, ("danang.gov.vn",)) if f.remove)
            print(
                f"read_forwards, {workers} session(s): {elapsed:.2f} s for {len(users)} people "
                f"({1000 * elapsed / len(users):.2f} ms each), {len(found)} forwards, {removable} to remove"
            )
    finally:
        for login in users:
            session.login(f"{login}@{DOMAIN}")
            session.set_active("")
            for name in session.list_scripts():
                session.delete_script(name)
        session.close()
        cyrus.pipeline([f"SETACL {box} {config.imap_admin} x" for box in boxes])
        cyrus.pipeline([f"DELETE {box}" for box in boxes])
        cyrus.close()
        remove_subtree(conn, base)
        conn.unbind()


if __name__ == "__main__":
    main()
