# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pipelines on several Exchange sessions at once (``exchange_runspaces``).

Exchange spends about a second of server time on a New-Mailbox, so one session creating 20,000
mailboxes waits most of its time; its throttling policy lets a user hold several sessions at once
(PowerShellMaxConcurrency, 18 by default). :func:`run_groups` sends each group of invocations as one
pipeline and spreads the groups over the transport's sessions (:meth:`ExchangeTransport.lanes`),
each session running its groups in order. Every session keeps the transport's guarantees: a
pipeline that may have started is never sent twice, one refused by the throttling budget is sent
again after the wait Exchange hints, and an outcome that is not known is ``unknown`` (the caller
re-reads).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import (
    Invocation,
    Outcome,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.transport import (
    BatchResult,
    ExchangeTransport,
)


def run_groups(transport: ExchangeTransport, groups: Sequence[Sequence[Invocation]]) -> list[Outcome]:
    """Each group as one pipeline, the groups over up to ``runspaces`` sessions; one outcome per
    invocation, in the order given."""
    groups = [g for g in groups if g]
    if not groups:
        return []
    lanes = transport.lanes(len(groups))
    width = len(lanes)

    def lane_work(index: int) -> list[list[Outcome]]:
        return [lanes[index].run(group, batch_size=len(group)) for group in groups[index::width]]

    if width == 1:
        done = [lane_work(0)]
    else:
        with ThreadPoolExecutor(max_workers=width) as executor:
            done = list(executor.map(lane_work, range(width)))
    return [outcome for i in range(len(groups)) for outcome in done[i % width][i // width]]


def query_groups(
    transport: ExchangeTransport, groups: Sequence[Sequence[Invocation]]
) -> tuple[list[dict[str, Any]], list[Outcome]]:
    """Reads: each group as one pipeline, the groups over the sessions as :func:`run_groups` does;
    every group's output records and one outcome per invocation (a read whose connection dropped
    is sent again: it changes nothing)."""
    groups = [g for g in groups if g]
    if not groups:
        return [], []
    lanes = transport.lanes(len(groups))
    width = len(lanes)

    def lane_work(index: int) -> list[BatchResult]:
        return [lanes[index].read_batch(group) for group in groups[index::width]]

    with ThreadPoolExecutor(max_workers=width) as executor:
        done = list(executor.map(lane_work, range(width)))
    results = [done[i % width][i // width] for i in range(len(groups))]
    return [r for result in results for r in result.output], [
        o for result in results for o in result.outcomes
    ]
