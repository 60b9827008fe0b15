#!/usr/bin/env python3
"""Benchmark: building the six-monthly report (R-60) of a synthetic city. Not a pytest test.

    .venv/bin/python tests/benchmarks/bench_report.py [--people 2000] [--seed 3] [--no-html]

The city is ``bench_names.synthetic_city`` (agencies of at most 2,000 people, each with an agency
mailbox and 4 department mailboxes), allocated by the project's allocator. What the systems would
return is made up deterministically from the seed, as one bulk read gives it: every address on OBM,
one in three on Exchange too, with quotas, sizes, creation and last-access times, password facts
and forwards (one person in ten forwarding outside the city); request records for one person in
four, and a notification journal. No lab is needed. It prints the time to compute the figures
(``report_figures.r60``), to write the CSV and Markdown files, and to draw the HTML file
(``report_html.render``), each the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import datetime
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "collections"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_names  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils import (  # noqa: E402
    report_figures,
    report_files,
    report_html,
    report_inputs,
)
from ansible_collections.danang.mail.plugins.module_utils.allocation import allocate  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.backends.contract import AccountFacts  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.desired_state import load_desired_state  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.forwarding import SIEVE_REDIRECT, Forward  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.model import CITY_TIMEZONE  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.password_policy import PasswordFacts  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.report_period import parse_period  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.request_records import Item, RequestRecord  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.workdays import WorkingCalendar  # noqa: E402

T = TypeVar("T")
DOMAIN = "danang.gov.vn"
AS_OF = datetime.datetime(2027, 1, 1, 6, 0, tzinfo=CITY_TIMEZONE)
START = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)


def moment(rng: random.Random, days: int) -> datetime.datetime:
    return START + datetime.timedelta(days=rng.randrange(days), seconds=rng.randrange(86400))


def made_up(people: int, seed: int, work: Path) -> report_inputs.Inputs:
    agencies = work / "desired_state" / "agencies"
    agencies.mkdir(parents=True)
    for doc in bench_names.synthetic_city(people, seed):
        text = "---\n" + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
        (agencies / f"{doc['abbreviation']}.yml").write_text(text, encoding="utf-8")
    state = load_desired_state(str(work / "desired_state"))
    ledger = allocate(state.address_requests(), (), domain=DOMAIN, today=datetime.date(2026, 8, 3)).entries
    rng = random.Random(seed)
    calendar = WorkingCalendar()
    reads: dict[str, tuple[dict, dict, list]] = {"obm": ({}, {}, []), "exchange": ({}, {}, [])}
    for index, entry in enumerate(ledger):
        person = entry.kind == "person"
        for system in ("obm", "exchange") if index % 3 == 0 else ("obm",):
            facts, passwords, forwards = reads[system]
            quota = rng.choice((1024, 2048, 5120))
            created, last = moment(rng, 400), moment(rng, 730)
            facts[entry.address] = AccountFacts(
                entry.address, None, not person, True, True, quota, round(rng.random() * quota * 1.05, 1),
                last.isoformat(), last.isoformat(), None, False, False, created.isoformat(),
            )  # fmt: skip
            if person:
                changed = moment(rng, 730)
                passwords[entry.address] = PasswordFacts(
                    entry.address, system, True, rng.random() < 0.05, changed, changed, rng.random() < 0.02
                )
                if rng.random() < 0.1:
                    forwards.append(
                        Forward(system, entry.address, f"x{index}@gmail.com", SIEVE_REDIRECT, "nomade")
                    )
    records = []
    people_ids = [(p.id, p.agency) for p in state.people()]
    for n, (pid, agency) in enumerate(people_ids[::4]):
        received = datetime.date(2026, 7, 1) + datetime.timedelta(days=n % 180)
        due = calendar.add_working_days(received, 1)
        done = due + datetime.timedelta(days=rng.choice((0, 0, 0, 1)))
        records.append(
            RequestRecord(f"{received}-{agency}-{n + 1}", "01", agency, received, due,
                          {"name": "Văn thư", "email": f"vanthu@{DOMAIN}"}, (Item("new", id=pid),), done)
        )  # fmt: skip
    lines = [
        {"key": f"k{n}", "kind": rng.choice(("request-result", "password-warn", "reclaim")), "state": "sent",
         "at": (AS_OF - datetime.timedelta(hours=n)).isoformat()}
        for n in range(people)
    ]  # fmt: skip
    return report_inputs.Inputs(
        state=state,
        ledger=ledger,
        records=records,
        systems={
            s: report_inputs.SystemRead(f, p, w, {"scanned": 10**6} if s == "obm" else None)
            for s, (f, p, w) in reads.items()
        },
        as_of=AS_OF,
        calendar=calendar,
        city_domains=(DOMAIN,),
        notifications=report_inputs.notifications(lines, "notifications/2026-12.yml"),
    )


def best(repeat: int, call: Callable[[], T]) -> tuple[float, T]:
    times: list[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        value = call()
        times.append(time.perf_counter() - start)
    return min(times), value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-html", action="store_true", help="skip report_html.render")
    args = parser.parse_args()
    period = parse_period("2026H2")
    with tempfile.TemporaryDirectory() as tmp:
        inputs = made_up(args.people, args.seed, Path(tmp))
        accounts = sum(len(r.facts) for r in inputs.systems.values())
        print(f"city: {args.people} people, {len(inputs.ledger)} addresses, {accounts} accounts, "
              f"{len(inputs.records)} requests, {len(inputs.notifications)} notifications")  # fmt: skip
        seconds, report = best(args.repeat, lambda: report_figures.r60(inputs, period))
        print(f"figures (report_figures.r60): {seconds:.3f} s")
        seconds, files = best(args.repeat, lambda: report_files.data_files(report))
        size = sum(len(b) for b in files.values())
        print(f"CSV + Markdown ({len(files)} files, {size:,} bytes): {seconds:.3f} s")
        if not args.no_html:
            seconds, html = best(args.repeat, lambda: report_html.render(report))
            print(f"HTML (report_html.render, {len(html):,} characters): {seconds:.3f} s")


if __name__ == "__main__":
    main()
