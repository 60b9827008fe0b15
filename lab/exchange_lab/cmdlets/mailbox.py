# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mailbox cmdlets: New-, Enable- and Get-Mailbox (Set-Mailbox: mailbox_settings; the rest: mailbox_store).

AD attributes are written as Exchange writes them (mailNickname, proxyAddresses, homeMDB,
mDB* quotas in KB, msExchMailboxGuid...), the store keeps the mailbox itself: disabling strips the
attributes and leaves a disconnected mailbox that Connect-Mailbox attaches again.
"""

from __future__ import annotations

import uuid
from typing import Any

from ldap3.utils.dn import escape_rdn
from psrpcore.types import ErrorCategory

from exchange_lab.clock import to_filetime, to_generalized_time
from exchange_lab.cmdlets import common
from exchange_lab.cmdlets.binder import Bound
from exchange_lab.cmdlets.common import check_unique, resolve
from exchange_lab.cmdlets.errors import CmdletError, task_error
from exchange_lab.cmdlets.objects import (
    POLICY_EXCLUDED,
    first,
    mailbox_object,
)
from exchange_lab.cmdlets.organization import DATABASES, check_accepted_domain, database_dn, find_database
from exchange_lab.cmdlets.types import UNLIMITED
from exchange_lab.directory import UF_ACCOUNTDISABLE, UF_NORMAL_ACCOUNT, ssha

NEVER_EXPIRES = 9223372036854775807
# msExchRecipientDisplayType of user and shared mailboxes.
DISPLAY_TYPE = {1: 1073741824, 4: -2147483642}
LIMIT_EXCEEDED = (
    "By default, only the first 1000 items are returned. Use the ResultSize parameter to specify the "
    'number of items returned. To return all items, specify "-ResultSize Unlimited". Be aware that, '
    "depending upon the actual number of items, returning all items can take a long time and consume a "
    "large amount of memory. Also, we don't recommend storing the results in a variable. Instead, pipe "
    "the results to another task or script to perform batch changes."
)


def _database_of(entry: dict[str, Any]) -> str:
    home = first(entry, "homeMDB", "")
    return home.split(",", 1)[0].split("=", 1)[-1] if home else ""


def _mailbox(ctx: Any, entry: dict[str, Any]) -> Any:
    return mailbox_object(entry, DATABASES.get(_database_of(entry), {}), ctx.lab.clock.zone)


def _pick_database(ctx: Any, b: Bound) -> dict[str, Any]:
    if b.get("Database"):
        return find_database(b.get("Database"), ctx.task_class)
    stored = ctx.lab.store.connected_counts()
    counts = {name: stored.get(name, 0) for name in DATABASES}
    return DATABASES[min(counts, key=lambda n: (counts[n], n))]


def organizational_unit(ctx: Any, identity: str | None) -> str:
    directory = ctx.lab.directory
    if not identity:
        return directory.users_dn
    if "=" in identity:
        candidate = identity
    else:  # canonical name or bare OU name
        path = identity.split("/")
        if path[0].lower() == directory.domain.lower():
            path = path[1:]
        candidate = ",".join([f"OU={escape_rdn(p)}" for p in reversed(path)] + [directory.base_dn])
        if len(path) == 1 and path[0].lower() == "users":
            candidate = directory.users_dn
    if directory.read(candidate, ["objectClass"]) is None:
        raise common.not_found(identity, ctx.task_class)
    return candidate


def legacy_dn(alias: str, guid: str) -> str:
    return (
        "/o=DaNang/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/"
        f"cn={guid.replace('-', '')[:32]}-{alias}"
    )


def exchange_attributes(
    ctx: Any,
    alias: str,
    primary: str,
    db: dict[str, Any],
    type_details: int,
    policy: bool,
    exchange_guid: str,
) -> dict[str, Any]:
    return {
        "mailNickname": alias,
        "proxyAddresses": [f"SMTP:{primary}"],
        "mail": primary,
        "homeMDB": database_dn(db["Name"], ctx.lab.directory.base_dn),
        "mDBUseDefaults": True,
        "msExchRecipientTypeDetails": type_details,
        "msExchRecipientDisplayType": DISPLAY_TYPE.get(type_details, 1073741824),
        "msExchMailboxGuid": uuid.UUID(exchange_guid),
        "msExchPoliciesExcluded": None if policy else [POLICY_EXCLUDED],
        "msExchWhenMailboxCreated": to_generalized_time(ctx.lab.clock.now()),
        "msExchUserAccountControl": 2 if type_details == 4 else 0,
        "msExchVersion": 88218628259840,
        "legacyExchangeDN": legacy_dn(alias, exchange_guid),
    }


def _store_row(
    ctx: Any, entry_dn: str, guid: str, db: dict[str, Any], display: str, alias: str, type_details: int
) -> None:
    ctx.lab.store.add(
        exchange_guid=guid,
        database=db["Name"],
        user_dn=entry_dn,
        display_name=display,
        alias=alias,
        legacy_dn=legacy_dn(alias, guid),
        type_details=type_details,
        created=ctx.lab.clock.now().isoformat(),
        disconnect_date=None,
        disconnect_reason=None,
    )


def primary_address(ctx: Any, alias: str, given: str | None) -> tuple[str, bool]:
    """The primary SMTP address and whether the e-mail address policy still manages it."""
    if given:
        check_accepted_domain(ctx, given)
        return given, False
    return f"{common.fold_ascii(alias).lower()}@{ctx.lab.directory.domain}", True


def new_mailbox(ctx: Any, b: Bound) -> list[Any]:
    directory = ctx.lab.directory
    shared = b.set_name == "Shared"
    name = common.check_name(ctx, b.get("Name"))
    upn = b.get("UserPrincipalName")
    alias = b.get("Alias") or common.derive_alias(common.fold_ascii(upn.split("@")[0] if upn else name))
    common.check_alias(ctx, alias)
    sam = b.get("SamAccountName") or _free_sam(ctx, common.fold_ascii(alias)[:20])
    common.check_sam(ctx, sam)
    if shared and not upn:
        upn = f"{common.fold_ascii(alias)}@{directory.domain}"
    ou = organizational_unit(ctx, b.get("OrganizationalUnit"))
    dn = f"CN={escape_rdn(name)},{ou}"
    db = _pick_database(ctx, b)
    primary, policy = primary_address(ctx, alias, b.get("PrimarySmtpAddress"))
    common.check_name_free(ctx, dn)
    check_unique(ctx, "alias", alias)
    check_unique(ctx, "upn", upn)
    check_unique(ctx, "sam", sam)
    check_unique(ctx, "addr", primary)
    password = b.get("Password")
    display_name = b.get("DisplayName") or name
    history = common.check_password(ctx, password, sam, display_name, None) if password is not None else None
    now = ctx.lab.clock.now()
    must_change = bool(b.get("ResetPasswordOnNextLogon", False))
    disabled = shared or password is None
    guid = str(uuid.uuid4())
    attributes = {
        "objectClass": [
            "top",
            "person",
            "organizationalPerson",
            "user",
            "securityPrincipal",
            "msLabUserExtras",
            "msExchMailRecipient",
        ],
        "cn": name,
        "sn": b.get("LastName") or name,
        "givenName": b.get("FirstName") or None,
        "initials": b.get("Initials") or None,
        "displayName": display_name,
        "instanceType": 4,
        "nTSecurityDescriptor": b"\x01\x00\x04\x80",
        "objectCategory": f"CN=Person,CN=Schema,CN=Configuration,{directory.base_dn}",
        "objectGUID": uuid.uuid4(),
        "sAMAccountName": sam,
        "userPrincipalName": upn,
        "userAccountControl": UF_NORMAL_ACCOUNT | (UF_ACCOUNTDISABLE if disabled else 0),
        "pwdLastSet": 0 if must_change or password is None else to_filetime(now),
        "accountExpires": NEVER_EXPIRES,
        "whenCreated": to_generalized_time(now),
        "userPassword": ssha(password) if password is not None else None,
        "ntPwdHistory": history,
        **exchange_attributes(ctx, alias, primary, db, 4 if shared else 1, policy, guid),
    }
    directory.add(dn, attributes)
    _store_row(ctx, dn, guid, db, attributes["displayName"], alias, 4 if shared else 1)
    return [_mailbox(ctx, directory.read(dn))]


def _free_sam(ctx: Any, base: str) -> str:
    """Exchange's generated sAMAccountName: the alias cut to 20, a number appended when taken."""
    base = "".join(c for c in base if c not in common._SAM_FORBIDDEN).rstrip(".") or "user"
    candidate, number = base[:20], 1
    while ctx.lab.directory.holders("sam", candidate):
        suffix = str(number)
        candidate, number = base[: 20 - len(suffix)] + suffix, number + 1
    return candidate


def enable_mailbox(ctx: Any, b: Bound) -> list[Any]:
    entry = resolve(ctx, b.get("Identity"))
    if entry.get("msexchmailboxguid"):
        raise task_error(
            f'The user "{common.display(entry)}" is already mailbox-enabled.',
            common.RECIPIENT_TASK,
            ctx.task_class,
            ErrorCategory.InvalidArgument,
            b.get("Identity"),
        )
    shared = b.set_name == "Shared"
    alias = b.get("Alias") or common.derive_alias(common.fold_ascii(first(entry, "sAMAccountName")))
    common.check_alias(ctx, alias)
    primary, policy = primary_address(ctx, alias, b.get("PrimarySmtpAddress"))
    check_unique(ctx, "alias", alias)
    check_unique(ctx, "addr", primary)
    db = _pick_database(ctx, b)
    guid = str(uuid.uuid4())
    changes = exchange_attributes(ctx, alias, primary, db, 4 if shared else 1, policy, guid)
    changes["objectClass"] = [*entry["objectclass"], "msExchMailRecipient"]
    if b.get("DisplayName"):
        changes["displayName"] = b.get("DisplayName")
    if shared:
        changes["userAccountControl"] = (
            int(first(entry, "userAccountControl", UF_NORMAL_ACCOUNT)) | UF_ACCOUNTDISABLE
        )
    ctx.lab.directory.modify(entry["dn"], changes)
    _store_row(
        ctx,
        entry["dn"],
        guid,
        db,
        changes.get("displayName") or common.display(entry),
        alias,
        4 if shared else 1,
    )
    return [_mailbox(ctx, ctx.lab.directory.read(entry["dn"]))]


def get_mailbox(ctx: Any, b: Bound) -> list[Any]:
    directory = ctx.lab.directory
    if b.get("Filter"):
        raise CmdletError(
            "The Exchange lab does not evaluate OPATH filters (-Filter).",
            ErrorCategory.NotImplemented,
            "System.NotImplementedException",
            f"NotImplemented,{ctx.task_class}",
            terminating=True,
        )
    if b.get("Identity"):
        entries = [resolve(ctx, b.get("Identity"), mailbox=True)]
    else:
        base = (
            organizational_unit(ctx, b.get("OrganizationalUnit"))
            if b.get("OrganizationalUnit")
            else directory.base_dn
        )
        entries = directory.search(base, "(&(objectClass=user)(msExchMailboxGuid=*))", ["*"])
        if b.get("Database"):
            db = find_database(b.get("Database"), ctx.task_class)
            entries = [e for e in entries if _database_of(e).lower() == db["Name"].lower()]
        if b.get("Anr"):
            needle = b.get("Anr").lower()
            entries = [
                e
                for e in entries
                if any(
                    str(first(e, a, "")).lower().startswith(needle)
                    for a in ("cn", "displayName", "mailNickname", "sAMAccountName")
                )
            ]
        entries.sort(key=lambda e: first(e, "cn", "").lower())
    wanted = b.get("RecipientTypeDetails")
    if wanted:
        entries = [e for e in entries if _mailbox_type(e) in wanted]
    limit = b.get("ResultSize", 1000)
    if limit != UNLIMITED and len(entries) > limit:
        entries = entries[:limit]
        if "ResultSize" not in b:
            ctx.warn(LIMIT_EXCEEDED)
    return [_mailbox(ctx, e) for e in entries]


def _mailbox_type(entry: dict[str, Any]) -> str:
    return {1: "UserMailbox", 4: "SharedMailbox"}.get(
        int(first(entry, "msExchRecipientTypeDetails", 1)), "UserMailbox"
    )


CMDLETS = {
    "New-Mailbox": new_mailbox,
    "Enable-Mailbox": enable_mailbox,
    "Get-Mailbox": get_mailbox,
}
