#!/usr/bin/env python3
"""Benchmark: reconcile N synthetic people into the Exchange lab, batched pipelines against one
per cmdlet. Not a test.

    flock /tmp/danang-exlab.lock .venv/bin/python tests/benchmarks/bench_exchange.py [--people 20000]

The Exchange lab must be up (``lab/lab_up.yml --tags exchange``); it is shared between
worktrees, hence the lock. Everything happens in an OU and a mail domain of the benchmark's own
(``OU=bench,OU=DanangMail``, ``bench.danang.gov.vn``), emptied before and after. Aliases are
organisation-wide in Exchange, so every alias the lab already holds (the lab city after ``make lab``)
is reserved when the synthetic people are allocated. A change that fails stops the benchmark: every
failure is named and no figure is printed.

Measures, with the project's code (ExchangeSystem: read -> make_plan -> apply):
  - the first run (New-Mailbox + Set-Mailbox per account, ``--batch-size`` statements a pipeline);
  - the no-op re-run (one Get-Mailbox pipeline, one paged AD search, plan: nothing to do);
  - the way without batching: the same cmdlets, ONE pipeline per cmdlet, on a sample of
    ``--sample`` accounts, extrapolated to N;
and counts PSRP pipelines and WS-Management HTTP requests (round trips) for each.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "collections"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_names  # noqa: E402
import ldap3  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.accounts import desired_accounts  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.allocation import allocate  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.ad import (  # noqa: E402
    ADConnection,
    choose_sam_names,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.config import ExchangeConfig  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import Invocation  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.render import (  # noqa: E402
    read_invocation,
    step_for,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.system import ExchangeSystem  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.transport import (  # noqa: E402
    ExchangeConnection,
    ExchangeTransport,
)
from ansible_collections.danang.mail.plugins.module_utils.desired_state import load_desired_state  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.model import city_today  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.plan import CREATE, Change, make_plan  # noqa: E402
from pypsrp import wsman as pypsrp_wsman  # noqa: E402

DOMAIN = "bench.danang.gov.vn"
LOCAL_PART = re.compile(r"[a-z0-9]+(?:[.-][a-z0-9]+)*")
LAB_VARS = REPO / "inventories" / "lab" / "group_vars" / "all" / "exchange.yml"
SECRET = REPO / ".lab" / "exchange" / "secrets" / "administrator"


class HttpCounter:
    """Counts the WS-Management HTTP requests pypsrp sends (each is one round trip) and the bytes
    of their answers."""

    def __init__(self) -> None:
        self.count = 0
        self.received = 0
        original = pypsrp_wsman._TransportHTTP.send

        def send(transport: Any, *args: Any, **kwargs: Any) -> Any:
            self.count += 1
            answer = original(transport, *args, **kwargs)
            self.received += len(answer or b"")
            return answer

        pypsrp_wsman._TransportHTTP.send = send  # type: ignore[method-assign]


HTTP = HttpCounter()


def lab_facts() -> dict[str, Any]:
    facts = yaml.safe_load(LAB_VARS.read_text(encoding="utf-8"))
    base = facts["exchange_ad_base_dn"]
    return {
        "host": facts["exchange_host"],
        "port": int(facts["exchange_port"]),
        "upn": f"administrator@{facts['exchange_domain']}",
        "password": SECRET.read_text(encoding="utf-8").split()[0],
        "ad_host": facts["exchange_ad_host"],
        "ad_port": int(facts["exchange_ad_port"]),
        "base_dn": base,
        "admin_dn": f"CN=Administrator,CN=Users,{base}",
        "managed_ou": f"OU=DanangMail,{base}",
    }


def connection(lab: dict[str, Any], batch_size: int) -> ExchangeConnection:
    return ExchangeConnection(
        server=lab["host"],
        port=lab["port"],
        auth="basic",
        encryption="never",
        username=lab["upn"],
        password=lab["password"],
        timeout=600,
        batch_size=batch_size,
    )


def ad(lab: dict[str, Any]) -> Any:
    server = ldap3.Server(lab["ad_host"], port=lab["ad_port"], get_info=ldap3.NONE)
    return ldap3.Connection(server, lab["admin_dn"], lab["password"], auto_bind=True)


def reset_ou(lab: dict[str, Any], ou: str) -> None:
    """Empty (or make) the benchmark's OU over LDAP."""
    conn = ad(lab)
    conn.search(ou, "(objectClass=*)", attributes=["1.1"])
    for dn in sorted((e["dn"] for e in conn.response or []), key=len, reverse=True):
        conn.delete(dn)
    conn.add(ou, ["organizationalUnit"], {"ou": ou.split(",", 1)[0][3:]})
    conn.unbind()


def workload(work: Path, people: int, seed: int, taken: set[str]) -> dict[str, Any]:
    agencies = work / "desired_state" / "agencies"
    agencies.mkdir(parents=True)
    for doc in bench_names.synthetic_city(people, seed):
        (agencies / f"{doc['abbreviation']}.yml").write_text(
            "---\n" + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
    state = load_desired_state(str(work / "desired_state"))
    allocated = allocate(state.address_requests(), (), domain=DOMAIN, reserved=taken, today=city_today())
    holders = {e.id: e.address for e in allocated.entries}
    accounts, problems = desired_accounts(state, holders, system="exchange")
    if problems:
        raise SystemExit(f"synthetic desired state has problems: {problems[:3]}")
    return accounts


def aliases_outside(lab: dict[str, Any], ou: str) -> set[str]:
    """The aliases the organisation holds outside the benchmark's OU: not for the synthetic people."""
    transport = ExchangeTransport(connection(lab, 50))
    try:
        boxes = transport.query(Invocation.of("Get-Mailbox", {"ResultSize": "Unlimited"}))
    finally:
        transport.close()
    aliases = {
        str(b["Alias"]).lower() for b in boxes if not str(b["DistinguishedName"]).lower().endswith(ou.lower())
    }
    return {a for a in aliases if LOCAL_PART.fullmatch(a)}  # others can never be allocated anyway


def stop_on_failures(what: str, failures: list[str]) -> None:
    """Figures of a run in which work failed would measure something else: name it all and stop."""
    if failures:
        print(f"\n{what}: {len(failures)} failed, no figures:", file=sys.stderr)
        for failure in failures:
            print(f"  {failure}", file=sys.stderr)
        raise SystemExit(1)


def password_for(holder: str) -> str:
    return f"Bn-{abs(hash(holder)) % 10**10:010d}#Aa"


def timed_run(config: ExchangeConfig, accounts: dict[str, Any]) -> dict[str, Any]:
    http_before, received_before = HTTP.count, HTTP.received
    start = time.perf_counter()
    with ExchangeSystem(config) as backend:
        observed = backend.read()
        read_s = time.perf_counter() - start
        plan = make_plan(accounts, observed, backend.render)
        passwords = {a.holder_id: password_for(a.holder_id) for a in accounts.values() if not a.shared}
        results = backend.apply(plan.changes, passwords) if plan.changes else []
        pipelines = backend.transport.round_trips
    return {
        "seconds": time.perf_counter() - start,
        "read_seconds": read_s,
        "changes": len(plan.changes),
        "failed": [f"{r.address}: {r.action}: {r.error}" for r in results if not r.ok],
        "pipelines": pipelines,
        "http": HTTP.count - http_before,
        "received": HTTP.received - received_before,
    }


def mailbox_reads(lab: dict[str, Any], ou: str) -> dict[str, dict[str, float]]:
    """The backend's Get-Mailbox read, as it is (Select-Object) and with whole objects: seconds,
    bytes received, mailboxes."""
    transport = ExchangeTransport(connection(lab, 50))
    figures = {}
    try:
        for name, invocation in (
            ("selected", read_invocation(ou)),
            ("whole", dataclasses.replace(read_invocation(ou), select=())),
        ):
            received, start = HTTP.received, time.perf_counter()
            records = transport.query(invocation)
            figures[name] = {
                "seconds": time.perf_counter() - start,
                "received": HTTP.received - received,
                "mailboxes": len(records),
            }
    finally:
        transport.close()
    return figures


def one_pipeline_per_cmdlet(
    lab: dict[str, Any], ou: str, accounts: list[Any], batch_size: int
) -> dict[str, Any]:
    """The same creates as the backend, but each cmdlet in a pipeline of its own."""
    names = choose_sam_names([a.address for a in accounts], ())
    now = datetime.datetime.now(datetime.UTC)
    invocations: list[Invocation] = []
    for account in accounts:
        step = step_for(
            Change(CREATE, account.address, account),
            managed_ou=ou,
            now=now,
            password=password_for(account.holder_id),
            sam_account_name=names[account.address],
        )
        invocations.extend(step.invocations)
    transport = ExchangeTransport(connection(lab, batch_size))
    http_before = HTTP.count
    start = time.perf_counter()
    outcomes = transport.run(invocations, batch_size=1)
    failed = [f"{o.invocation}: {o.status}: {o.error}" for o in outcomes if o.status != "ok"]
    seconds = time.perf_counter() - start
    pipelines = transport.round_trips
    transport.close()
    return {"seconds": seconds, "pipelines": pipelines, "http": HTTP.count - http_before, "failed": failed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=20000, help="synthetic people (default 20000)")
    parser.add_argument(
        "--sample", type=int, default=200, help="accounts for the one-pipeline-per-cmdlet way"
    )
    parser.add_argument("--batch-size", type=int, default=50, help="statements per pipeline (default 50)")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="leave the benchmark's mailboxes in the lab")
    args = parser.parse_args()

    lab = lab_facts()
    ou = f"OU=bench,{lab['managed_ou']}"
    taken = aliases_outside(lab, ou)
    with tempfile.TemporaryDirectory() as tmp:
        accounts = workload(Path(tmp), args.people, args.seed, taken)
    persons = sum(1 for a in accounts.values() if not a.shared)
    print(
        f"workload: {args.people} people -> {len(accounts)} accounts ({persons} persons), "
        f"batch {args.batch_size}"
    )

    transport = ExchangeTransport(connection(lab, args.batch_size))
    domains = transport.query(Invocation.of("Get-AcceptedDomain", {}))
    if not any(str(d.get("DomainName")).lower() == DOMAIN for d in domains):
        transport.query(Invocation.of("New-AcceptedDomain", {"Name": DOMAIN, "DomainName": DOMAIN}))
    transport.close()

    sample = sorted((a for a in accounts.values() if not a.shared), key=lambda a: a.address)[: args.sample]
    reset_ou(lab, ou)
    single = one_pipeline_per_cmdlet(lab, ou, sample, args.batch_size)
    reset_ou(lab, ou)
    stop_on_failures("one pipeline per cmdlet", single["failed"])

    config = ExchangeConfig(
        exchange=connection(lab, args.batch_size),
        ad=ADConnection(
            uri=f"ldap://{lab['ad_host']}:{lab['ad_port']}",
            bind_user=lab["admin_dn"],
            password=lab["password"],
            base_dn=lab["base_dn"],
            managed_ou=ou,
        ),
        databases=("DB01", "DB02"),
    )
    try:
        first = timed_run(config, accounts)
        stop_on_failures("first run", first["failed"])
        noop = timed_run(config, accounts)
        stop_on_failures("no-op re-run", noop["failed"])
        reads = mailbox_reads(lab, ou)
    finally:
        if not args.keep:
            reset_ou(lab, ou)

    n = len(accounts)
    per_account = single["seconds"] / max(1, len(sample))
    print(f"\n{'':34} {'accounts':>8} {'seconds':>9} {'acc/s':>7} {'pipelines':>9} {'HTTP':>7} {'failed':>6}")

    def row(name: str, count: int, figures: dict[str, Any]) -> None:
        rate = count / figures["seconds"] if figures["seconds"] else 0
        print(
            f"{name:34} {count:8d} {figures['seconds']:9.1f} {rate:7.1f} {figures['pipelines']:9d} "
            f"{figures['http']:7d} {len(figures['failed']):6d}"
        )

    row("first run (batched)", n, first)
    row("no-op re-run", n, noop)
    row("one pipeline per cmdlet (sample)", len(sample), single)
    print(
        f"\nno-op read: {noop['read_seconds']:.1f} s; first run read {first['read_seconds']:.1f} s\n"
        f"one pipeline per cmdlet, extrapolated to {n} accounts: {per_account * n:.0f} s, "
        f"{single['pipelines'] * n // max(1, len(sample))} pipelines, "
        f"{single['http'] * n // max(1, len(sample))} HTTP requests "
        f"(batched: {first['seconds']:.0f} s, {first['pipelines']} pipelines, {first['http']} HTTP requests)"
    )
    print(f"no-op re-run received {noop['received']:,} bytes")
    for name, read in reads.items():
        print(
            f"Get-Mailbox of {read['mailboxes']} mailboxes, {name}: {read['seconds']:.1f} s, "
            f"{read['received']:,} bytes received"
        )


if __name__ == "__main__":
    main()
