# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mailbox cmdlets: New-, Enable-, Get-, Set-, Disable-, Remove-, Connect-Mailbox, Get-MailboxStatistics.

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
    TYPE_DETAILS_VALUE,
    canonical_name,
    first,
    mailbox_object,
    statistics_object,
)
from exchange_lab.cmdlets.organization import DATABASES, check_accepted_domain, database_dn, find_database
from exchange_lab.cmdlets.types import UNLIMITED, MultiValuedChange, format_size
from exchange_lab.directory import UF_ACCOUNTDISABLE, UF_NORMAL_ACCOUNT, guid_from_bytes, ssha

NEVER_EXPIRES = 9223372036854775807
# msExchRecipientDisplayType of user and shared mailboxes.
DISPLAY_TYPE = {1: 1073741824, 4: -2147483642}
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
QUOTAS = (
    ("IssueWarningQuota", "mDBStorageQuota"),
    ("ProhibitSendQuota", "mDBOverQuotaLimit"),
    ("ProhibitSendReceiveQuota", "mDBOverHardQuotaLimit"),
)
SIZES = (*QUOTAS, ("MaxSendSize", "submissionContLength"), ("MaxReceiveSize", "delivContLength"))
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


def _organizational_unit(ctx: Any, identity: str | None) -> str:
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


def _legacy_dn(alias: str, guid: str) -> str:
    return (
        "/o=DaNang/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/"
        f"cn={guid.replace('-', '')[:32]}-{alias}"
    )


def _exchange_attributes(
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
        "legacyExchangeDN": _legacy_dn(alias, exchange_guid),
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
        legacy_dn=_legacy_dn(alias, guid),
        type_details=type_details,
        created=ctx.lab.clock.now().isoformat(),
        disconnect_date=None,
        disconnect_reason=None,
    )


def _primary_address(ctx: Any, alias: str, given: str | None) -> tuple[str, bool]:
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
    ou = _organizational_unit(ctx, b.get("OrganizationalUnit"))
    dn = f"CN={escape_rdn(name)},{ou}"
    db = _pick_database(ctx, b)
    primary, policy = _primary_address(ctx, alias, b.get("PrimarySmtpAddress"))
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
        **_exchange_attributes(ctx, alias, primary, db, 4 if shared else 1, policy, guid),
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
    primary, policy = _primary_address(ctx, alias, b.get("PrimarySmtpAddress"))
    check_unique(ctx, "alias", alias)
    check_unique(ctx, "addr", primary)
    db = _pick_database(ctx, b)
    guid = str(uuid.uuid4())
    changes = _exchange_attributes(ctx, alias, primary, db, 4 if shared else 1, policy, guid)
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
            _organizational_unit(ctx, b.get("OrganizationalUnit"))
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


def _kb(value: Any) -> int | None:
    return None if value == UNLIMITED else (int(value) + 1023) // 1024


def _merge_addresses(ctx: Any, entry: dict[str, Any], b: Bound, alias: str, policy: bool) -> list[str] | None:
    """The new proxyAddresses, or None when unchanged."""
    current = list(entry.get("proxyaddresses", []))
    if "EmailAddresses" in b and "PrimarySmtpAddress" in b:
        raise task_error(
            "The EmailAddresses and PrimarySmtpAddress parameters can't be used together.",
            common.RECIPIENT_TASK,
            ctx.task_class,
            ErrorCategory.InvalidArgument,
        )
    addresses = current
    change = b.get("EmailAddresses")
    if isinstance(change, MultiValuedChange):
        removed = {a.split(":", 1)[1].lower() for a in change.remove}
        addresses = [a for a in current if a.split(":", 1)[1].lower() not in removed]
        for added in change.add:
            if added.startswith("SMTP:"):
                addresses = [("smtp:" + a[5:]) if a.startswith("SMTP:") else a for a in addresses]
            if added.split(":", 1)[1].lower() not in {a.split(":", 1)[1].lower() for a in addresses}:
                addresses.append(added)
    elif change is not None:
        addresses = list(change)
        if not any(a.startswith("SMTP:") for a in addresses) and addresses:
            first_smtp = next((i for i, a in enumerate(addresses) if a.lower().startswith("smtp:")), None)
            if first_smtp is not None:
                addresses[first_smtp] = "SMTP:" + addresses[first_smtp][5:]
    primary = b.get("PrimarySmtpAddress")
    if primary is not None:
        check_accepted_domain(ctx, primary)
    if primary is None and policy and "Alias" in b:
        primary = f"{common.fold_ascii(alias).lower()}@{ctx.lab.directory.domain}"
    if primary:
        addresses = [("smtp:" + a[5:]) if a.startswith("SMTP:") else a for a in addresses]
        addresses = [a for a in addresses if a.split(":", 1)[1].lower() != primary.lower()]
        addresses.insert(0, f"SMTP:{primary}")
    if sum(1 for a in addresses if a.startswith("SMTP:")) != 1:
        raise task_error(
            "The e-mail address list must contain exactly one primary SMTP address.",
            common.VALIDATION,
            ctx.task_class,
            ErrorCategory.InvalidData,
        )
    return None if addresses == current else addresses


def check_quota_order(ctx: Any, values: dict[str, Any], target: str | None = None) -> None:
    """Each of IssueWarningQuota and ProhibitSendQuota <= ProhibitSendReceiveQuota (Unlimited is largest).

    Exactly what Set-Mailbox's page states; a warning quota above the send quota is accepted.
    """

    def size(name: str) -> float:
        value = values[name]
        return float("inf") if value is None else value * 1024

    def shown(name: str) -> str:  # None (unlimited) too
        return format_size(None if values[name] is None else values[name] * 1024)

    for low, high in (
        ("ProhibitSendQuota", "ProhibitSendReceiveQuota"),
        ("IssueWarningQuota", "ProhibitSendReceiveQuota"),
    ):
        if size(low) > size(high):
            raise task_error(
                f"The value of property '{low}' must be less than or equal to that of property '{high}'. "
                f"{low}: '{shown(low)}', {high}: '{shown(high)}'.",
                common.VALIDATION,
                ctx.task_class,
                ErrorCategory.InvalidData,
                target,  # Exchange writes a task's errors against the object it was given
            )


def set_mailbox(ctx: Any, b: Bound) -> None:
    directory = ctx.lab.directory
    entry = resolve(ctx, b.get("Identity"), mailbox=True)
    dn = entry["dn"]
    changes: dict[str, Any] = {}
    alias = b.get("Alias") or first(entry, "mailNickname")
    if "Alias" in b:
        common.check_alias(ctx, alias)
        check_unique(ctx, "alias", alias, dn)
        changes["mailNickname"] = alias
    policy = not entry.get("msexchpoliciesexcluded")
    if "EmailAddressPolicyEnabled" in b:
        policy = b.get("EmailAddressPolicyEnabled")
        changes["msExchPoliciesExcluded"] = None if policy else [POLICY_EXCLUDED]
    if "PrimarySmtpAddress" in b:
        policy = False
        changes["msExchPoliciesExcluded"] = [POLICY_EXCLUDED]
    addresses = _merge_addresses(ctx, entry, b, alias, policy)
    if addresses is not None:
        for address in addresses:
            if address.lower().startswith("smtp:"):
                check_unique(ctx, "addr", address[5:], dn)
        changes["proxyAddresses"] = addresses
        changes["mail"] = next(a[5:] for a in addresses if a.startswith("SMTP:"))
    if "DisplayName" in b:
        changes["displayName"] = b.get("DisplayName")
    if "UserPrincipalName" in b:
        check_unique(ctx, "upn", b.get("UserPrincipalName"), dn)
        changes["userPrincipalName"] = b.get("UserPrincipalName")
    if "SamAccountName" in b:
        common.check_sam(ctx, b.get("SamAccountName"))
        check_unique(ctx, "sam", b.get("SamAccountName"), dn)
        changes["sAMAccountName"] = b.get("SamAccountName")
    if "UseDatabaseQuotaDefaults" in b:
        changes["mDBUseDefaults"] = b.get("UseDatabaseQuotaDefaults")
    for param, attribute in SIZES:
        if param in b:
            changes[attribute] = _kb(b.get(param))
    quota_values = {
        param: changes[attr] if attr in changes else (int(first(entry, attr)) if first(entry, attr) else None)
        for param, attr in QUOTAS
    }
    check_quota_order(ctx, quota_values, b.get("Identity"))
    if "ForwardingSmtpAddress" in b:
        changes["msExchGenericForwardingAddress"] = b.get("ForwardingSmtpAddress")
    if "ForwardingAddress" in b:
        target = b.get("ForwardingAddress")
        # A mailbox or a mail contact (learn.microsoft.com/powershell/module/exchange/set-mailbox).
        from exchange_lab.cmdlets.recipients import resolve_recipient

        changes["altRecipient"] = resolve_recipient(ctx, target)["dn"] if target else None
    for number in (1, 3):  # CustomAttributeN is AD's extensionAttributeN
        if f"CustomAttribute{number}" in b:
            changes[f"extensionAttribute{number}"] = b.get(f"CustomAttribute{number}") or None
    if "Password" in b:
        # An administrator's reset (the User Options or Reset Password role): AD stamps pwdLastSet
        # now, or 0 with -ResetPasswordOnNextLogon $true.
        changes["ntPwdHistory"] = common.check_password(
            ctx, b.get("Password"), first(entry, "sAMAccountName", ""), first(entry, "displayName", ""), entry
        )
        changes["userPassword"] = ssha(b.get("Password"))
        changes["pwdLastSet"] = to_filetime(ctx.lab.clock.now())
        directory.forget_credentials()
    if "ResetPasswordOnNextLogon" in b:
        # AD accepts only 0 (must change) or -1 (now) for pwdLastSet.
        changes["pwdLastSet"] = 0 if b.get("ResetPasswordOnNextLogon") else to_filetime(ctx.lab.clock.now())
    for param, attribute in (
        ("DeliverToMailboxAndForward", "deliverAndRedirect"),
        ("HiddenFromAddressListsEnabled", "msExchHideFromAddressLists"),
    ):
        if param in b:
            changes[attribute] = b.get(param)
    if "AccountDisabled" in b:
        uac = int(first(entry, "userAccountControl", UF_NORMAL_ACCOUNT))
        changes["userAccountControl"] = (
            uac | UF_ACCOUNTDISABLE if b.get("AccountDisabled") else uac & ~UF_ACCOUNTDISABLE
        )
    if "Type" in b:
        if b.get("Type") not in ("Regular", "Shared"):
            raise task_error(
                f"The lab only converts between Regular and Shared mailboxes, not {b.get('Type')}.",
                common.RECIPIENT_TASK,
                ctx.task_class,
                ErrorCategory.InvalidArgument,
            )
        details = TYPE_DETAILS_VALUE["SharedMailbox" if b.get("Type") == "Shared" else "UserMailbox"]
        changes["msExchRecipientTypeDetails"] = details
        changes["msExchRecipientDisplayType"] = DISPLAY_TYPE[details]
    if "Database" in b:
        raise task_error(
            "The mailbox database can't be changed with Set-Mailbox. Use New-MoveRequest.",
            common.RECIPIENT_TASK,
            ctx.task_class,
            ErrorCategory.InvalidArgument,
        )
    current = {k.lower(): entry.get(k.lower()) for k in changes}
    effective = {k: v for k, v in changes.items() if _ldap_form(v) != current[k.lower()]}
    if "Name" in b and b.get("Name") != first(entry, "cn"):
        name = common.check_name(ctx, b.get("Name"))
        new_dn = f"CN={escape_rdn(name)},{dn.split(',', 1)[1]}"
        common.check_name_free(ctx, new_dn)
        dn = directory.rename(dn, f"CN={escape_rdn(name)}")
        effective["cn"] = name
    if not effective:
        ctx.warn(
            f"The command completed successfully but no settings of '{canonical_name(dn)}' have "
            "been modified."
        )
        return
    effective.pop("cn", None)
    if effective:
        directory.modify(dn, effective)
    guid = guid_from_bytes(first(entry, "msExchMailboxGuid"))
    if guid and ("displayName" in effective or "mailNickname" in effective):
        ctx.lab.store.update(
            guid, display_name=effective.get("displayName", common.display(entry)), alias=alias
        )


def _ldap_form(value: Any) -> list[Any] | None:
    if value is None or value == []:
        return None
    values = value if isinstance(value, list) else [value]
    return [
        ("TRUE" if v else "FALSE") if isinstance(v, bool) else str(v) if isinstance(v, int) else v
        for v in values
    ]


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
    primary, _ = _primary_address(ctx, alias, None)
    check_unique(ctx, "alias", alias)
    check_unique(ctx, "addr", primary)
    shared = b.set_name == "Shared" or row["type_details"] == 4
    changes = _exchange_attributes(ctx, alias, primary, db, 4 if shared else 1, True, row["exchange_guid"])
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
    "New-Mailbox": new_mailbox,
    "Enable-Mailbox": enable_mailbox,
    "Get-Mailbox": get_mailbox,
    "Set-Mailbox": set_mailbox,
    "Disable-Mailbox": disable_mailbox,
    "Remove-Mailbox": remove_mailbox,
    "Connect-Mailbox": connect_mailbox,
    "Get-MailboxStatistics": get_mailbox_statistics,
}
