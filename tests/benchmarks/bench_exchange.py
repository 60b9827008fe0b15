#!/usr/bin/env python3
"""Benchmark: reconcile N synthetic people into the Exchange lab: parallel sessions against
single-session batching and one pipeline per cmdlet, with the lab's latency model off and on.
Not a test.

    make bench-exchange BENCH_ARGS='--people 2000'

The Exchange lab must be up (``lab/lab_up.yml --tags exchange``); it is shared between worktrees,
hence the lock (``flock /tmp/danang-integration.lock``). Everything happens in an OU and a mail
domain of the benchmark's own (``OU=bench,OU=DanangMail``, ``bench.danang.gov.vn``), emptied
before and after. Aliases are organisation-wide in Exchange, so every alias the lab already holds
is reserved when the synthetic people are allocated. A change that fails stops the benchmark: every
failure is named and no figure is printed.

For each latency setting (``--latency``: the lab's per-cmdlet server time, ``throttling.py``), with
the project's code (ExchangeSystem: read -> make_plan -> apply), each row in a process of its own:
  - on ``--sample`` persons, from an empty OU: (a) one pipeline per cmdlet, (b) single-session
    batching (``--batch-size`` changes a pipeline, one session), (c) parallel sessions
    (``--runspaces`` sessions, ``--parallel-batch`` changes a pipeline): the ratios come from these;
  - the first run of all N people with (c), then the no-op re-run.
Each row: wall time, PSRP pipelines, WS-Management HTTP requests, bytes received, requests the
throttling refused (waited out), peak memory (the process's ru_maxrss, from wait4).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "collections"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(REPO / "lab"))

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
from exchange_lab.control import LabControl  # noqa: E402
from pypsrp import wsman as pypsrp_wsman  # noqa: E402

DOMAIN = "bench.danang.gov.vn"
LOCAL_PART = re.compile(r"[a-z0-9]+(?:[.-][a-z0-9]+)*")
LAB_VARS = REPO / "inventories" / "lab" / "group_vars" / "all" / "exchange.yml"
SECRET = REPO / ".lab" / "exchange" / "secrets" / "administrator"


class HttpCounter:
    """Counts the WS-Management HTTP requests pypsrp sends (each is one round trip) and the bytes
    of their answers, over every session (thread) of the process."""

    def __init__(self) -> None:
        self.count = 0
        self.received = 0
        lock = threading.Lock()
        original = pypsrp_wsman._TransportHTTP.send

        def send(transport: Any, *args: Any, **kwargs: Any) -> Any:
            answer = original(transport, *args, **kwargs)
            with lock:
                self.count += 1
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
        "control": f"http://{facts['exchange_host']}:{facts['exchange_port']}",
    }


def connection(lab: dict[str, Any], batch_size: int, runspaces: int = 1) -> ExchangeConnection:
    return ExchangeConnection(
        server=lab["host"],
        port=lab["port"],
        auth="basic",
        encryption="never",
        username=lab["upn"],
        password=lab["password"],
        timeout=600,
        batch_size=batch_size,
        runspaces=runspaces,
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


def in_child(measure: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``measure()`` in a forked process: its figures, wall time and peak memory (ru_maxrss)."""
    read_end, write_end = os.pipe()
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: no figure may depend on what an earlier row left in memory
        os.close(read_end)
        try:
            result = measure()
        except BaseException as exc:  # reported by the parent, which stops the benchmark
            result = {"failed": [f"{type(exc).__name__}: {exc}"]}
        with os.fdopen(write_end, "w") as out:
            json.dump(result, out)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as answer:
        result = json.loads(answer.read() or '{"failed": ["the measuring process died"]}')
    _pid, _status, usage = os.wait4(pid, 0)
    result.update(seconds=time.perf_counter() - start, peak_mb=usage.ru_maxrss / 1024)
    return result


def timed_run(config: ExchangeConfig, accounts: dict[str, Any]) -> dict[str, Any]:
    with ExchangeSystem(config) as backend:
        observed = backend.read()
        plan = make_plan(accounts, observed, backend.render)
        passwords = {a.holder_id: password_for(a.holder_id) for a in accounts.values() if not a.shared}
        results = backend.apply(plan.changes, passwords) if plan.changes else []
        pipelines, throttled = backend.transport.counters()
    return {
        "accounts": len(accounts),
        "changes": len(plan.changes),
        "failed": [f"{r.address}: {r.action}: {r.error}" for r in results if not r.ok],
        "pipelines": pipelines,
        "throttled": throttled,
        "http": HTTP.count,
        "received": HTTP.received,
    }


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
    outcomes = transport.run(invocations, batch_size=1)
    failed = [f"{o.invocation}: {o.status}: {o.error}" for o in outcomes if o.status != "ok"]
    pipelines, throttled = transport.counters()
    transport.close()
    return {
        "accounts": len(accounts),
        "pipelines": pipelines,
        "throttled": throttled,
        "http": HTTP.count,
        "received": HTTP.received,
        "failed": failed,
    }


def mailbox_reads(lab: dict[str, Any], ou: str) -> dict[str, Any]:
    """The backend's Get-Mailbox read as it is (Select-Object of the managed properties) and with
    whole objects: bytes received and mailboxes of each."""
    transport = ExchangeTransport(connection(lab, 50))
    figures: dict[str, Any] = {"failed": []}
    try:
        for name, invocation in (
            ("selected", read_invocation(ou)),
            ("whole", dataclasses.replace(read_invocation(ou), select=())),
        ):
            received = HTTP.received
            mailboxes = len(transport.query(invocation))
            figures[name] = {"received": HTTP.received - received, "mailboxes": mailboxes}
    finally:
        transport.close()
    return figures


def config_for(lab: dict[str, Any], ou: str, batch_size: int, runspaces: int) -> ExchangeConfig:
    return ExchangeConfig(
        exchange=connection(lab, batch_size, runspaces),
        ad=ADConnection(
            uri=f"ldap://{lab['ad_host']}:{lab['ad_port']}",
            bind_user=lab["admin_dn"],
            password=lab["password"],
            base_dn=lab["base_dn"],
            managed_ou=ou,
        ),
        databases=("DB01", "DB02"),
    )


def measure_latency(
    args: argparse.Namespace, lab: dict[str, Any], ou: str, accounts: dict[str, Any], latency: bool
) -> dict[str, dict[str, Any]]:
    """The rows of one latency setting, each from an empty OU (the no-op after the full run)."""
    LabControl(lab["control"]).set_throttling(latency=latency)
    persons = sorted((a for a in accounts.values() if not a.shared), key=lambda a: a.address)
    sample = persons[: args.sample]
    in_sample = {a.address: a for a in sample}
    single = config_for(lab, ou, args.batch_size, 1)
    parallel = config_for(lab, ou, args.parallel_batch, args.runspaces)
    rows: dict[str, dict[str, Any]] = {}
    for name, measure in (
        ("(a) one pipeline per cmdlet", lambda: one_pipeline_per_cmdlet(lab, ou, sample, args.batch_size)),
        ("(b) one session, batched", lambda: timed_run(single, in_sample)),
        ("(c) parallel sessions", lambda: timed_run(parallel, in_sample)),
        ("(c) first run, all", lambda: timed_run(parallel, accounts)),
        ("no-op re-run, all", lambda: timed_run(parallel, accounts)),
    ):
        if not name.startswith("no-op"):
            reset_ou(lab, ou)
        rows[name] = in_child(measure)
        stop_on_failures(f"{name} (latency {'on' if latency else 'off'})", rows[name]["failed"])
    return rows


def report_reads(reads: dict[str, Any]) -> None:
    selected, whole = reads["selected"], reads["whole"]
    print(
        f"\nGet-Mailbox of {selected['mailboxes']} mailboxes: selected {selected['received'] / 1e6:.1f} MB, "
        f"whole objects {whole['received'] / 1e6:.1f} MB "
        f"(selected / whole x{selected['received'] / whole['received']:.2f})"
    )


def report(latency: bool, rows: dict[str, dict[str, Any]]) -> None:
    print(f"\nlatency model {'ON' if latency else 'OFF'}")
    print(
        f"{'':30} {'accounts':>8} {'seconds':>8} {'pipelines':>9} {'HTTP':>7} "
        f"{'MB recv':>8} {'peak MB':>8} {'throttled':>9}"
    )
    for name, r in rows.items():
        print(
            f"{name:30} {r['accounts']:8d} {r['seconds']:8.1f} {r['pipelines']:9d} {r['http']:7d} "
            f"{r['received'] / 1e6:8.1f} {r['peak_mb']:8.0f} {r['throttled']:9d}"
        )
    a, b, c = (
        rows[k] for k in ("(a) one pipeline per cmdlet", "(b) one session, batched", "(c) parallel sessions")
    )
    for label, other in (("(b) one session, batched", b), ("(a) one pipeline per cmdlet", a)):
        print(
            f"{label} / (c) parallel, same sample: time x{other['seconds'] / c['seconds']:.1f}, "
            f"pipelines x{other['pipelines'] / c['pipelines']:.1f}, HTTP x{other['http'] / c['http']:.1f}, "
            f"bytes x{other['received'] / c['received']:.1f}, "
            f"peak memory x{other['peak_mb'] / c['peak_mb']:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=20000, help="synthetic people (default 20000)")
    parser.add_argument("--sample", type=int, default=100, help="persons for the rows (a), (b), (c)")
    parser.add_argument("--batch-size", type=int, default=50, help="(b): changes per pipeline (50)")
    parser.add_argument("--runspaces", type=int, default=16, help="(c): sessions at once (16)")
    parser.add_argument("--parallel-batch", type=int, default=10, help="(c): changes per pipeline (10)")
    parser.add_argument("--latency", choices=("off", "on", "both"), default="both")
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
        f"workload: {args.people} people -> {len(accounts)} accounts ({persons} persons); sample "
        f"{args.sample}; (b) batch {args.batch_size}; "
        f"(c) {args.runspaces} sessions, batch {args.parallel_batch}"
    )

    transport = ExchangeTransport(connection(lab, args.batch_size))
    domains = transport.query(Invocation.of("Get-AcceptedDomain", {}))
    if not any(str(d.get("DomainName")).lower() == DOMAIN for d in domains):
        transport.query(Invocation.of("New-AcceptedDomain", {"Name": DOMAIN, "DomainName": DOMAIN}))
    transport.close()

    settings = {"off": [False], "on": [True], "both": [False, True]}[args.latency]
    try:
        for latency in settings:
            report(latency, measure_latency(args, lab, ou, accounts, latency))
        report_reads(in_child(lambda: mailbox_reads(lab, ou)))  # the OU still holds the no-op's mailboxes
    finally:
        LabControl(lab["control"]).reset_throttling()
        if not args.keep:
            reset_ou(lab, ou)


if __name__ == "__main__":
    main()
