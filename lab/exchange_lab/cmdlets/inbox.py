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
from exchange_lab.cmdlets.errors import CmdletError, task_error
from exchange_lab.cmdlets.objects import canonical_name, first, ps_object
from exchange_lab.cmdlets.recipients import recipient_address, resolve_recipient
from exchange_lab.directory import guid_from_bytes
from exchange_lab.inbox_rules import RuleError

# Set-InboxRule parameters the lab keeps -> the rule's key (inbox_rules.py).
SETTABLE = {
    "Name": "name",
    "Priority": "priority",
    "ForwardTo": "forward_to",
    "RedirectTo": "redirect_to",
    "ForwardAsAttachmentTo": "forward_as_attachment_to",
    "DeleteMessage": "delete",
    "MarkAsRead": "mark_as_read",
    "StopProcessingRules": "stop_processing_rules",
}


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
    """'"Name" [EX:/o=...]' for a recipient of the organisation (a mailbox or a mail contact),
    '"addr" [SMTP:addr]' otherwise."""
    try:
        entry = resolve_recipient(ctx, address)
    except CmdletError:
        return f'"{address}" [SMTP:{address}]'
    return f'"{first(entry, "displayName")}" [EX:{first(entry, "legacyExchangeDN")}]'


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
        "DeleteMessage": bool(rule["delete"]),
        "MarkAsRead": bool(rule["mark_as_read"]),
        "StopProcessingRules": bool(rule["stop_processing_rules"]),
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


def set_inbox_rule(ctx: Any, b: Bound) -> None:
    """The given properties replace the rule's; a recipient list names mailboxes, mail contacts or
    SMTP addresses, ``$null`` clears it (learn.microsoft.com/powershell/module/exchange/set-inboxrule).
    A rule left without any action is refused, as EWS refuses it (``MissingAction``)."""
    mailbox, wanted = _owner(ctx, b)
    guid = guid_from_bytes(first(mailbox, "msExchMailboxGuid"))
    for rule in _matching(ctx, guid, wanted):
        for param, key in SETTABLE.items():
            if param in b:
                value = b.get(param)
                if key in ("forward_to", "redirect_to", "forward_as_attachment_to"):
                    value = [recipient_address(ctx, v) for v in value or []]
                rule[key] = value
        try:
            ctx.lab.rules.update(guid, rule)
        except RuleError as error:
            raise task_error(
                str(error), common.VALIDATION, ctx.task_class, ErrorCategory.InvalidData
            ) from None


def disable_inbox_rule(ctx: Any, b: Bound) -> None:
    mailbox, wanted = _owner(ctx, b)
    guid = guid_from_bytes(first(mailbox, "msExchMailboxGuid"))
    for rule in _matching(ctx, guid, wanted):
        ctx.lab.rules.set_enabled(guid, rule["id"], False)


CMDLETS = {
    "Get-InboxRule": get_inbox_rule,
    "Remove-InboxRule": remove_inbox_rule,
    "Disable-InboxRule": disable_inbox_rule,
    "Set-InboxRule": set_inbox_rule,
}
