# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What danang.mail.mailbox returns about a reconcile run: the plan as rows, the counts, the
per-change results, the initial passwords that accounts now hold, and why the run failed. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.backends.contract import Result
from ansible_collections.danang.mail.plugins.module_utils.plan import Change, Plan


def plan_rows(plan: Plan) -> list[dict[str, Any]]:
    return [
        {
            "address": c.address,
            "action": c.action,
            "kind": c.account.kind,
            "holder_id": c.account.holder_id,
            "before": dict(c.before),
            "after": dict(c.after),
        }
        for c in plan.changes
    ]


def conflict_rows(plan: Plan) -> list[dict[str, Any]]:
    return [
        {
            "address": c.address,
            "holder_id": c.account.holder_id,
            "stored_holder": c.stored_holder,
            "reason": c.reason,
        }
        for c in plan.conflicts
    ]


def plan_summary(plan: Plan) -> dict[str, int]:
    return {
        **plan.count(),
        "unchanged": len(plan.unchanged),
        "unmanaged": len(plan.unmanaged),
        "conflict": len(plan.conflicts),
    }


def held_passwords(
    changes: Sequence[Change], passwords: Mapping[str, str], issued: Iterable[str]
) -> dict[str, str]:
    """Holder id -> initial password, only for the accounts that now hold one (``issued``: the
    addresses the system set a password on); a create undone after a failure hands none over."""
    by_address = {c.address: c.account.holder_id for c in changes}
    return {by_address[a]: passwords[by_address[a]] for a in sorted(issued) if by_address.get(a) in passwords}


def result_rows(changes: Sequence[Change], results: Iterable[Result]) -> list[dict[str, Any]]:
    """One row per result, with the change's kind and holder."""
    kinds = {c.address: c.account.kind for c in changes}
    holders = {c.address: c.account.holder_id for c in changes}
    return [
        {
            "address": r.address,
            "action": r.action,
            "kind": kinds.get(r.address),
            "holder_id": holders.get(r.address),
            "ok": r.ok,
            "error": r.error,
        }
        for r in results
    ]


def failure_message(plan: Plan, results: Sequence[Result], *, check_mode: bool) -> Optional[str]:
    """Why the run fails, naming the first failed change and the first conflict (the other accounts
    were done); None when nothing failed."""
    failed = [r for r in results if not r.ok]
    texts = []
    if failed:
        texts.append(
            f"{len(failed)} of {len(results)} change(s) failed (the others were applied; a re-run "
            f"finishes the job), first: {failed[0].address}: {failed[0].error}"
        )
    if plan.conflicts:
        texts.append(
            f"{len(plan.conflicts)} account(s) in conflict, left untouched (the others were "
            f"{'planned' if check_mode else 'reconciled'}), first: {plan.conflicts[0].message}"
        )
    return "; ".join(texts) or None
