# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mailbox quotas: which mailboxes a quota run targets, which of them need a change, and the
per-mailbox rows (size, use, percentage, over the warning threshold). Pure: the caller reads the
facts from the mail system and sets the quotas."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Optional

ACCOUNT_CLASSES = ("persons", "shared", "all")
NO_SUCH_MAILBOX = "no such mailbox"

Facts = Mapping[str, Mapping[str, Any]]  # address -> quota_mb, used_mb, shared, mailbox


def quota_targets(
    facts: Facts, addresses: Optional[Iterable[str]], account_class: Optional[str]
) -> list[str]:
    """The addresses given (lower-cased, unknown ones kept so that they fail by name), or every
    mailbox of the class ``persons``, ``shared`` or ``all``, in address order."""
    if addresses is not None:
        return [address.lower() for address in addresses]
    return sorted(
        address
        for address, item in facts.items()
        if account_class == "all" or item["shared"] == (account_class == "shared")
    )


def quotas_to_set(facts: Facts, targets: Iterable[str], quota_mb: int) -> dict[str, int]:
    """Address -> ``quota_mb`` for each target whose quota differs or that the system does not know."""
    return {a: quota_mb for a in targets if a not in facts or facts[a]["quota_mb"] != quota_mb}


def predicted_failures(facts: Facts, to_set: Iterable[str]) -> dict[str, str]:
    """In check mode: the quotas the system would refuse, each named by address."""
    return {a: NO_SUCH_MAILBOX for a in to_set if a not in facts or not facts[a]["mailbox"]}


def used_percent(used_mb: Optional[float], quota_mb: Optional[int]) -> Optional[float]:
    """How full a mailbox is, in percent to two decimals; None when either figure is unknown."""
    if used_mb is None or not quota_mb:
        return None
    return round(100 * used_mb / quota_mb, 2)


def quota_report(
    facts: Facts,
    targets: Iterable[str],
    to_set: Mapping[str, int],
    failed: Mapping[str, str],
    warning_percent: int,
) -> dict[str, Any]:
    """The module's result: ``changed``, one row per target, the addresses at or over
    ``warning_percent``, and the diff of the quotas set."""
    rows, over = [], []
    for address in targets:
        item = facts.get(address)
        changed = address in to_set and address not in failed
        quota = to_set[address] if changed else (item["quota_mb"] if item else None)
        used = item["used_mb"] if item else None
        percent = used_percent(used, quota)
        rows.append(
            {
                "address": address,
                "quota_mb": quota,
                "used_mb": used,
                "used_percent": percent,
                "changed": changed,
            }
        )
        if percent is not None and percent >= warning_percent:
            over.append(address)
    done = [a for a in to_set if a not in failed]
    return {
        "changed": any(row["changed"] for row in rows),
        "accounts": rows,
        "over_warning": over,
        "diff": {
            "before": {a: facts[a]["quota_mb"] if a in facts else None for a in done},
            "after": {a: to_set[a] for a in done},
        },
    }
