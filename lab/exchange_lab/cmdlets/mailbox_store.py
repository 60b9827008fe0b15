# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A mailbox's life in the store: Disable- and Remove-Mailbox strip the AD attributes and leave a
disconnected (or soft-deleted) mailbox, Connect-Mailbox attaches it again, Get-MailboxStatistics
reads it.
"""

from __future__ import annotations

from typing import Any

from psrpcore.types import ErrorCategory

from exchange_lab.cmdlets import common
from exchange_lab.cmdlets.binder import Bound
from exchange_lab.cmdlets.common import check_unique, resolve
from exchange_lab.cmdlets.errors import task_error
from exchange_lab.cmdlets.mailbox import exchange_attributes, primary_address
from exchange_lab.cmdlets.objects import (
    first,
    statistics_object,
)
from exchange_lab.cmdlets.organization import DATABASES, find_database
from exchange_lab.directory import guid_from_bytes

EXCHANGE_ATTRIBUTES = (
    "mailNickname",
    "proxyAddresses",
    "mail",
    "homeMDB",
    "mDBUseDefaults",
    "mDBStorageQuota",
    "mDBOverQuotaLimit",
    "mDBOverHardQuotaLimit",
    "submissionContLength",
    "delivContLength",
    "msExchRecipientTypeDetails",
    "msExchRecipientDisplayType",
    "msExchMailboxGuid",
    "msExchHideFromAddressLists",
    "msExchGenericForwardingAddress",
    "altRecipient",
    "deliverAndRedirect",
    "msExchPoliciesExcluded",
    "msExchWhenMailboxCreated",
    "msExchUserAccountControl",
    "protocolSettings",
    "msExchVersion",
    "legacyExchangeDN",
    "extensionAttribute1",
    "extensionAttribute3",
)


def disable_mailbox(ctx: Any, b: Bound) -> None:
    entry = resolve(ctx, b.get("Identity"), mailbox=True)
    guid = guid_from_bytes(first(entry, "msExchMailboxGuid"))
    changes: dict[str, Any] = {a: None for a in EXCHANGE_ATTRIBUTES if entry.get(a.lower())}
    changes["objectClass"] = [c for c in entry["objectclass"] if c.lower() != "msexchmailrecipient"]
    ctx.lab.directory.modify(entry["dn"], changes)
    ctx.lab.store.update(guid, disconnect_date=ctx.lab.clock.now().isoformat(), disconnect_reason="Disabled")


def remove_mailbox(ctx: Any, b: Bound) -> None:
    entry = resolve(ctx, b.get("Identity"), mailbox=True)
    guid = guid_from_bytes(first(entry, "msExchMailboxGuid"))
    ctx.lab.directory.delete(entry["dn"])
    if b.get("Permanent"):
        ctx.lab.store.delete(guid)
    else:
        ctx.lab.store.update(
            guid,
            user_dn=None,
            disconnect_date=ctx.lab.clock.now().isoformat(),
            disconnect_reason="SoftDeleted",
        )


def _disconnected(ctx: Any, identity: str, db: dict[str, Any]) -> dict[str, Any]:
    rows = [
        r
        for r in ctx.lab.store.disconnected()
        if identity.lower()
        in (r["exchange_guid"], r["display_name"].lower(), r["legacy_dn"].lower(), r["alias"].lower())
    ]
    in_db = [r for r in rows if r["database"] == db["Name"]]
    if not in_db:
        raise task_error(
            f'The mailbox "{identity}" doesn\'t exist on database "{db["Name"]}". '
            "Make sure that you typed the "
            "mailbox identity correctly and the mailbox is disconnected.",
            "Microsoft.Exchange.Configuration.Tasks.MdbAdminTaskException",
            ctx.task_class,
            ErrorCategory.InvalidArgument,
            identity,
        )
    if len(in_db) > 1:
        raise task_error(
            f"The operation couldn't be performed because '{identity}' matches multiple entries.",
            common.AMBIGUOUS,
            ctx.task_class,
            target=identity,
        )
    return in_db[0]


def connect_mailbox(ctx: Any, b: Bound) -> None:
    db = find_database(b.get("Database"), ctx.task_class)
    row = _disconnected(ctx, b.get("Identity"), db)
    user_identity = b.get("User") or row["user_dn"]
    if not user_identity:
        raise task_error(
            "The mailbox's user was deleted: specify -User.",
            common.RECIPIENT_TASK,
            ctx.task_class,
            ErrorCategory.InvalidArgument,
        )
    entry = resolve(ctx, user_identity, mailbox=False)
    if entry.get("msexchmailboxguid"):
        raise task_error(
            f'The user "{common.display(entry)}" is already mailbox-enabled.',
            common.RECIPIENT_TASK,
            ctx.task_class,
            ErrorCategory.InvalidArgument,
            user_identity,
        )
    alias = b.get("Alias") or common.derive_alias(common.fold_ascii(first(entry, "sAMAccountName")))
    common.check_alias(ctx, alias)
    primary, _ = primary_address(ctx, alias, None)
    check_unique(ctx, "alias", alias)
    check_unique(ctx, "addr", primary)
    shared = b.set_name == "Shared" or row["type_details"] == 4
    changes = exchange_attributes(ctx, alias, primary, db, 4 if shared else 1, True, row["exchange_guid"])
    changes["objectClass"] = [*entry["objectclass"], "msExchMailRecipient"]
    ctx.lab.directory.modify(entry["dn"], changes)
    ctx.lab.store.update(
        row["exchange_guid"],
        user_dn=entry["dn"],
        disconnect_date=None,
        disconnect_reason=None,
        alias=alias,
        display_name=common.display(entry),
    )


def get_mailbox_statistics(ctx: Any, b: Bound) -> list[Any]:
    store = ctx.lab.store
    if b.set_name == "Identity":
        entry = resolve(ctx, b.get("Identity"), mailbox=True)
        row = store.get(guid_from_bytes(first(entry, "msExchMailboxGuid")))
        return (
            [statistics_object(row, entry, DATABASES.get(row["database"], {}), ctx.lab.clock.zone)]
            if row
            else []
        )
    if b.set_name == "Server":
        rows = store.by_database()
    else:
        rows = store.by_database(find_database(b.get("Database"), ctx.task_class)["Name"])
        if b.get("StoreMailboxIdentity"):
            rows = [r for r in rows if r["exchange_guid"] == b.get("StoreMailboxIdentity").lower()]
    result = []
    for row in rows:
        entry = (
            ctx.lab.directory.read(row["user_dn"]) if row["user_dn"] and not row["disconnect_date"] else None
        )
        result.append(statistics_object(row, entry, DATABASES.get(row["database"], {}), ctx.lab.clock.zone))
    return result


CMDLETS = {
    "Disable-Mailbox": disable_mailbox,
    "Remove-Mailbox": remove_mailbox,
    "Connect-Mailbox": connect_mailbox,
    "Get-MailboxStatistics": get_mailbox_statistics,
}
