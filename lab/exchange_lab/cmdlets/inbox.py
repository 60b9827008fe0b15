# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Get-, Remove-, Disable-InboxRule over the inbox-rule store EWS shares (inbox_rules.py).

A rule's Identity is '<mailbox canonical name>\\<rule id>' as Exchange shows it; -Identity takes
that form, or a rule id or name with -Mailbox. Internal forwarding targets show as EX: addresses
(the recipient's LegacyExchangeDN), external ones as SMTP addresses, as Get-InboxRule shows them.
"""

from __future__ import annotations

from typing import Any

from psrpcore.types import ErrorCategory

from exchange_lab.cmdlets import common
from exchange_lab.cmdlets.binder import Bound
from exchange_lab.cmdlets.errors import task_error
from exchange_lab.cmdlets.objects import canonical_name, first, ps_object
from exchange_lab.directory import guid_from_bytes


def _owner(ctx: Any, b: Bound) -> tuple[dict[str, Any], str | None]:
    """The mailbox whose rules are meant, and the rule part of -Identity (if any)."""
    identity = b.get("Identity")
    mailbox = b.get("Mailbox")
    rule = None
    if identity and "\\" in identity:
        mailbox, rule = identity.rsplit("\\", 1)
    elif identity:
        rule = identity
    return common.resolve(ctx, mailbox or ctx.user, mailbox=True), rule


def _recipient(ctx: Any, address: str) -> str:
    """'"Name" [EX:/o=...]' for a mailbox of the organisation, '"addr" [SMTP:addr]' otherwise."""
    ref = ctx.lab.directory.resolve_mailbox(address)
    if ref is not None:
        entry = ctx.lab.directory.read(ref.dn, ["displayName", "legacyExchangeDN"])
        return f'"{first(entry, "displayName")}" [EX:{first(entry, "legacyExchangeDN")}]'
    return f'"{address}" [SMTP:{address}]'


def _rule_object(ctx: Any, mailbox: dict[str, Any], rule: dict[str, Any]) -> Any:
    owner = canonical_name(mailbox["dn"])
    identity = f"{owner}\\{rule['id']}"
    props = {
        "Name": rule["name"],
        "Identity": identity,
        "RuleIdentity": str(rule["id"]),
        "MailboxOwnerId": owner,
        "Enabled": bool(rule["enabled"]),
        "Priority": int(rule["priority"]),
        "ForwardTo": [_recipient(ctx, a) for a in rule.get("forward_to") or []] or None,
        "RedirectTo": [_recipient(ctx, a) for a in rule.get("redirect_to") or []] or None,
        "ForwardAsAttachmentTo": [_recipient(ctx, a) for a in rule.get("forward_as_attachment_to") or []]
        or None,
    }
    return ps_object(["Microsoft.Exchange.Management.Common.InboxRule"], props, rule["name"])


def _matching(ctx: Any, guid: str, wanted: str | None) -> list[dict[str, Any]]:
    rules = ctx.lab.rules.list(guid)
    if wanted is None:
        return rules
    found = [r for r in rules if str(r["id"]) == wanted or r["name"].lower() == wanted.lower()]
    if not found:
        raise task_error(
            f"The operation couldn't be performed because object '{wanted}' couldn't be found on "
            f"'{common.DC}'.",
            common.NOT_FOUND,
            ctx.task_class,
            ErrorCategory.NotSpecified,
            wanted,
        )
    return found


def get_inbox_rule(ctx: Any, b: Bound) -> list[Any]:
    mailbox, wanted = _owner(ctx, b)
    guid = guid_from_bytes(first(mailbox, "msExchMailboxGuid"))
    return [_rule_object(ctx, mailbox, r) for r in _matching(ctx, guid, wanted)]


def remove_inbox_rule(ctx: Any, b: Bound) -> None:
    mailbox, wanted = _owner(ctx, b)
    guid = guid_from_bytes(first(mailbox, "msExchMailboxGuid"))
    for rule in _matching(ctx, guid, wanted):
        ctx.lab.rules.remove(guid, rule["id"])


def disable_inbox_rule(ctx: Any, b: Bound) -> None:
    mailbox, wanted = _owner(ctx, b)
    guid = guid_from_bytes(first(mailbox, "msExchMailboxGuid"))
    for rule in _matching(ctx, guid, wanted):
        ctx.lab.rules.set_enabled(guid, rule["id"], False)


CMDLETS = {
    "Get-InboxRule": get_inbox_rule,
    "Remove-InboxRule": remove_inbox_rule,
    "Disable-InboxRule": disable_inbox_rule,
}
