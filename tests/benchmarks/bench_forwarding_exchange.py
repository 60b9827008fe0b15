#!/usr/bin/env python3
"""Benchmark: the forwarding audit (R-50) of an N-mailbox city on the Exchange lab, inbox rules
read over batched PSRP (what ``read_forwards`` does) against EWS GetInboxRules with impersonation.
Not a test.

    .venv/bin/python tests/benchmarks/bench_forwarding_exchange.py --people 2000

The Exchange lab must be up (``lab/lab_up.yml --tags exchange``). The script makes an OU of its
own (``OU=bench-forwarding,OU=DanangMail``) and a mail domain (``fwd.bench.danang.gov.vn``) with N
shared mailboxes (no password needed), gives every tenth an inbox rule forwarding outside (EWS
with impersonation, as a user's Outlook would), then times, each ``--repeat`` times (median):

- PSRP: ``ExchangeForwarding.read_forwards()`` (Get-Mailbox, Get-Recipient, Get-InboxRule -Mailbox
  per mailbox in pipelines of ``--batch-size`` over ``--runspaces`` sessions, Get-TransportRule);
- EWS: the same Get-Mailbox listing, then one GetInboxRules per mailbox with impersonation
  (exchangelib ``account.rules``), over ``--threads`` threads.

With ``--latency`` the lab's per-cmdlet server time model is on for the PSRP row (the lab has no
such model for EWS: that row then measures the protocol only). Everything is removed at the end.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "collections"))
sys.path.insert(0, str(REPO / "lab"))

import ldap3  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.forward_targets import (  # noqa: E402
    mailbox_read,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.forwarding import (  # noqa: E402
    ExchangeForwarding,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import (  # noqa: E402
    SWITCH,
    Invocation,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.parallel import run_groups  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.transport import (  # noqa: E402
    ExchangeConnection,
    ExchangeTransport,
)
from exchange_lab.control import LabControl  # noqa: E402
from exchangelib import IMPERSONATION, Account, Configuration, Credentials, Version  # noqa: E402
from exchangelib.properties import Actions, Address, Rule  # noqa: E402
from exchangelib.version import EXCHANGE_2016  # noqa: E402

LAB_VARS = REPO / "inventories" / "lab" / "group_vars" / "all" / "exchange.yml"
SECRET = REPO / ".lab" / "exchange" / "secrets" / "administrator"
DOMAIN = "fwd.bench.danang.gov.vn"


def lab_facts() -> dict:
    facts = yaml.safe_load(LAB_VARS.read_text(encoding="utf-8"))
    base = facts["exchange_ad_base_dn"]
    return {
        "host": facts["exchange_host"],
        "port": int(facts["exchange_port"]),
        "upn": f"administrator@{facts['exchange_domain']}",
        "password": SECRET.read_text(encoding="utf-8").split()[0],
        "ad": (facts["exchange_ad_host"], int(facts["exchange_ad_port"])),
        "admin_dn": f"CN=Administrator,CN=Users,{base}",
        "ou": f"OU=bench-forwarding,OU=DanangMail,{base}",
        "url": f"http://{facts['exchange_host']}:{facts['exchange_port']}",
    }


def transport(lab: dict, runspaces: int = 4, batch_size: int = 50) -> ExchangeTransport:
    return ExchangeTransport(
        ExchangeConnection(
            server=lab["host"],
            port=lab["port"],
            auth="basic",
            encryption="never",
            username=lab["upn"],
            password=lab["password"],
            timeout=300,
            runspaces=runspaces,
            batch_size=batch_size,
        )
    )


def ldap(lab: dict) -> ldap3.Connection:
    server = ldap3.Server(lab["ad"][0], port=lab["ad"][1], get_info=ldap3.NONE)
    return ldap3.Connection(server, lab["admin_dn"], lab["password"], auto_bind=True)


def clean(lab: dict) -> None:
    psrp = transport(lab, runspaces=8)
    try:
        with ldap(lab) as conn:
            if not conn.search(lab["ou"], "(objectClass=organizationalUnit)", ldap3.BASE):
                return
        boxes = psrp.query(
            Invocation.of("Get-Mailbox", {"ResultSize": "Unlimited", "OrganizationalUnit": lab["ou"]})
        )
        removes = [
            Invocation.of("Remove-Mailbox", {"Identity": str(b["DistinguishedName"]), "Confirm": False})
            for b in boxes
        ]
        run_groups(psrp, [removes[i : i + 50] for i in range(0, len(removes), 50)])
    finally:
        psrp.close()
    with ldap(lab) as conn:
        conn.search(lab["ou"], "(objectClass=*)", attributes=["1.1"])
        for dn in sorted((e["dn"] for e in conn.response or []), key=len, reverse=True):
            conn.delete(dn)


def populate(lab: dict, people: int) -> list[str]:
    with ldap(lab) as conn:
        conn.add(lab["ou"], ["organizationalUnit"], {"ou": "bench-forwarding"})
    psrp = transport(lab, runspaces=8)
    try:
        domains = {
            str(d.get("DomainName")).lower() for d in psrp.query(Invocation.of("Get-AcceptedDomain", {}))
        }
        if DOMAIN not in domains:
            psrp.query(Invocation.of("New-AcceptedDomain", {"Name": DOMAIN, "DomainName": DOMAIN}))
        addresses = [f"fwd{n:05d}@{DOMAIN}" for n in range(people)]
        news = [
            Invocation.of(
                "New-Mailbox",
                {
                    "Shared": SWITCH,
                    "Name": f"fwd{n:05d}",
                    "Alias": f"fwd{n:05d}",
                    "PrimarySmtpAddress": address,
                    "OrganizationalUnit": lab["ou"],
                },
            )
            for n, address in enumerate(addresses)
        ]
        outcomes = run_groups(psrp, [news[i : i + 50] for i in range(0, len(news), 50)])
        failed = [o for o in outcomes if o.status != "ok"]
        if failed:
            raise SystemExit(f"{len(failed)} mailboxes not made: {failed[0].error}")
    finally:
        psrp.close()

    def add_rule(address: str) -> None:
        actions = Actions(forward_to_recipients=[Address(email_address="ra.ngoai@gmail.com")])
        ews(lab, address).create_rule(
            Rule(display_name="Gửi ra ngoài", priority=1, is_enabled=True, actions=actions)
        )

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(add_rule, addresses[::10]))
    return addresses


def ews(lab: dict, address: str) -> Account:
    config = Configuration(
        service_endpoint=f"{lab['url']}/EWS/Exchange.asmx",
        credentials=Credentials(lab["upn"], lab["password"]),
        version=Version(build=EXCHANGE_2016),
        max_connections=32,
    )
    return Account(address, config=config, autodiscover=False, access_type=IMPERSONATION)


def psrp_audit(lab: dict, runspaces: int, batch_size: int) -> tuple[float, int]:
    started = time.monotonic()
    session = transport(lab, runspaces=runspaces, batch_size=batch_size)
    try:
        forwards = ExchangeForwarding(session, lab["ou"], batch_size).read_forwards()
    finally:
        session.close()
    return time.monotonic() - started, sum(1 for f in forwards if f.holder.endswith(DOMAIN))


def ews_audit(lab: dict, threads: int) -> tuple[float, int]:
    started = time.monotonic()
    session = transport(lab)
    try:
        boxes = session.query(mailbox_read(lab["ou"]))
    finally:
        session.close()
    addresses = [str(b["PrimarySmtpAddress"]) for b in boxes]
    with ThreadPoolExecutor(threads) as pool:
        rules = list(pool.map(lambda a: ews(lab, a).rules, addresses))
    found = sum(len(r.actions.forward_to_recipients or []) for rs in rules for r in rs)
    return time.monotonic() - started, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=50, help="Get-InboxRule per pipeline (50)")
    parser.add_argument("--runspaces", type=int, default=4, help="PSRP sessions (4, the backend's default)")
    parser.add_argument("--threads", type=int, default=4, help="EWS threads (4)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--latency", action="store_true", help="the lab's per-cmdlet server time, PSRP row")
    parser.add_argument("--psrp-only", action="store_true", help="leave out the EWS rows")
    args = parser.parse_args()
    lab = lab_facts()
    control = LabControl(lab["url"])
    clean(lab)
    try:
        started = time.monotonic()
        populate(lab, args.people)
        made = time.monotonic() - started
        print(f"{args.people} mailboxes, {len(range(0, args.people, 10))} rules: {made:.0f} s")
        rows = {
            f"PSRP, {args.runspaces} sessions x {args.batch_size} per pipeline": lambda: psrp_audit(
                lab, args.runspaces, args.batch_size
            ),
            "PSRP, 1 session": lambda: psrp_audit(lab, 1, args.batch_size),
            f"EWS GetInboxRules, impersonation, {args.threads} threads": lambda: ews_audit(lab, args.threads),
            "EWS GetInboxRules, impersonation, 1 thread": lambda: ews_audit(lab, 1),
        }
        if args.psrp_only:
            rows = {name: measure for name, measure in rows.items() if name.startswith("PSRP")}
        if args.latency:
            control.set_throttling(latency=True)
        for name, measure in rows.items():
            times, found = [], 0
            for _ in range(args.repeat):
                elapsed, found = measure()
                times.append(elapsed)
            each = ", ".join(f"{t:.1f}" for t in times)
            print(f"{name}: median {statistics.median(times):.1f} s ({each}), {found} forwards")
    finally:
        control.clear_faults()
        clean(lab)


if __name__ == "__main__":
    main()
