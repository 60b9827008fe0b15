# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run of danang.mail.forwarding (R-50): read every forward of each system in one bulk pass,
judge them (``forwarding.judge``), stop the outside ones, record each stop.

The module is the edge (options, exit); this holds the steps between, through the backend contract
only (``Forwarding``: ``read_forwards``, ``remove_forwards``), so every system is handled alike.

The record of a stopped forward (holder, target, how it was set, when) goes to the journal BEFORE
the system is asked to stop it: a run killed half-way never leaves a forward stopped that nobody
will be told of. A stop that then fails is in the row's ``error`` and the run fails; the next run
stops it (and records it again only on another day).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils import journal
from ansible_collections.danang.mail.plugins.module_utils.backends.contract import Forwarding, Result
from ansible_collections.danang.mail.plugins.module_utils.forwarding import (
    MECHANISMS,
    Finding,
    Forward,
    judge,
)

HEADER = (
    "---\n# R-50: forwards outside the city stopped by danang.mail.forwarding, one per line; the holder"
    " is to be told.\n"
)
KEY = ("system", "holder", "target", "mechanism", "where", "removed_on")


@dataclass
class Run:
    findings: list[Finding] = field(default_factory=list)
    results: dict[Forward, Result] = field(default_factory=dict)
    records: list[dict[str, Any]] = field(default_factory=list)  # new journal lines (or would-be)


def read_all(backends: Mapping[str, Forwarding], city_domains: Sequence[str]) -> list[Finding]:
    forwards: list[Forward] = []
    for backend in backends.values():
        forwards += backend.read_forwards()
    return judge(forwards, city_domains)


def record(forward: Forward, today: datetime.date) -> dict[str, Any]:
    return {
        "system": forward.system,
        "holder": forward.holder,
        "target": forward.target,
        "mechanism": forward.mechanism,
        "how": MECHANISMS.get(forward.mechanism, forward.mechanism),
        "where": forward.where,
        "removed_on": today.isoformat(),
    }


def new_records(run: Run, known: set[tuple[str, ...]], today: datetime.date) -> list[dict[str, Any]]:
    """The journal lines of this run's stops not yet recorded."""
    lines = [record(f.forward, today) for f in run.findings if f.remove]
    return [r for r in lines if tuple(str(r[k]) for k in KEY) not in known]


def remove(run: Run, backends: Mapping[str, Forwarding]) -> None:
    """Stop the outside, enabled forwards: one ``remove_forwards`` call per system."""
    for system, backend in backends.items():
        targets = [f.forward for f in run.findings if f.remove and f.forward.system == system]
        if targets:
            run.results.update(zip(targets, backend.remove_forwards(targets), strict=True))


def rows(run: Run) -> list[dict[str, Any]]:
    out = []
    for finding in run.findings:
        result: Optional[Result] = run.results.get(finding.forward)
        out.append(
            {
                **finding.as_dict(),
                "action": "remove" if finding.remove else "none",
                "removed": bool(result and result.ok),
                "error": result.error if result and not result.ok else None,
            }
        )
    return out


def summary(run: Run) -> dict[str, int]:
    return {
        "forwards": len(run.findings),
        "inside": sum(1 for f in run.findings if not f.outside),
        "outside": sum(1 for f in run.findings if f.outside),
        "outside_disabled": sum(1 for f in run.findings if f.outside and not f.forward.enabled),
        "to_remove": sum(1 for f in run.findings if f.remove),
        "removed": sum(1 for r in run.results.values() if r.ok),
        "failed": sum(1 for r in run.results.values() if not r.ok),
        "unknown": sum(1 for f in run.findings if f.unknown),
    }


def diff(run: Run) -> dict[str, Any]:
    """Ansible's diff: per system and holder, the forwards before and after (outside ones stopped)."""

    def listing(findings: Sequence[Finding]) -> dict[str, list[str]]:
        shown: dict[str, list[str]] = {}
        for f in findings:
            key = f"{f.forward.system}:{f.forward.holder or '(organisation)'}"
            shown.setdefault(key, []).append(
                f"{f.forward.mechanism} -> {f.forward.target} ({f.forward.where})"
            )
        return shown

    active = [f for f in run.findings if f.forward.enabled]
    return {"before": listing(active), "after": listing([f for f in active if not f.remove])}


def append_records(path: str, text: str, records: Sequence[Mapping[str, Any]]) -> None:
    journal.append(path, text, HEADER, records)
