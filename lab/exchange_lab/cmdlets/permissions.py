# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Get-/Add-/Remove-MailboxPermission and Get-/Add-/Remove-ADPermission.

Behaviour from Exchange's own task classes (Exchange 2013+ decompiled, PiratesRE/exchange_diff,
Microsoft.Exchange.Management.Recipient/: AddMailboxPermission.cs, RemoveMailboxPermission.cs,
SetMailboxPermissionTaskBase.cs, GetMailboxPermission.cs, AcePresentationObject.cs,
ADAcePresentationObject.cs) and Microsoft's cmdlet pages:

- Where: a mailbox's entries live in its mailbox database (the lab's store, ``mailbox_acl/<ExchangeGuid>``),
  an AD object's ones (Send As) beside the object (``ad_acl/<objectGUID>``: the lab's AD has no
  security descriptors). A trustee is kept by objectGUID, as an ACE keeps a SID: a renamed user keeps
  its rights, a deleted one shows as its SID (``sid_of``, the lab's stand-in).
- Output: MailboxAcePresentationObject / ADAcePresentationObject (AccessRights, Deny, InheritanceType,
  User as DOMAIN\\sam, Identity as the object's canonical name, IsInherited); one AD object per ACE,
  so each extended right (Send-As) is an object of its own with AccessRights {ExtendedRight}.
- Defaults: Get-MailboxPermission lists the entries every mailbox has (NT AUTHORITY\\SELF, the inherited
  ones: get-mailboxpermission page, Description); Get-ADPermission the extended rights the AD user
  class gives SELF (its defaultSecurityDescriptor: Send-As, Receive-As, User-Change-Password).
- Add merges into an entry of the same trustee and type (AddAccessRule), no error, and writes the
  added entry; Remove writes nothing, and a missing entry is a warning ("Can't remove the access
  control entry on the object … because the ACE doesn't exist on the object.",
  remove-mailboxpermission page, -BypassMasterAccountSid); both Remove cmdlets are ConfirmImpact High.
- FullAccess (allowed or denied: ToGrantFullAccess reads the rights only) for a trustee with a
  mailbox puts it on the mailbox user's msExchDelegateListLink (automapping) unless -AutoMapping
  $false, which takes it off; Remove of FullAccess takes it off, even when the entry was missing.
- Add-MailboxPermission refuses SendAs and -AutoMapping $true without FullAccess (InternalValidate;
  the messages are the lab's wording).
"""

from __future__ import annotations

import uuid
from typing import Any

from psrpcore.types import ErrorCategory

from exchange_lab.cmdlets import common
from exchange_lab.cmdlets.binder import Bound
from exchange_lab.cmdlets.errors import task_error
from exchange_lab.cmdlets.objects import canonical_name, first, ps_object
from exchange_lab.directory import guid_from_bytes

TASKS = "Microsoft.Exchange.Management.RecipientTasks"
MAILBOX_ACE = [f"{TASKS}.MailboxAcePresentationObject", f"{TASKS}.AcePresentationObject"]
AD_ACE = [f"{TASKS}.ADAcePresentationObject", f"{TASKS}.AcePresentationObject"]
CONFIGURABLE = "Microsoft.Exchange.Data.ConfigurableObject"
DELEGATES = "msExchDelegateListLink"
SID_PREFIX = "S-1-5-21-"

# (user, rights, deny, inherited); '{d}' is the domain's NetBIOS name.
_MAILBOX_DEFAULTS = [
    ("NT AUTHORITY\\SELF", ["FullAccess", "ReadPermission"], False, False),
    *(
        (f"{{d}}\\{who}", ["FullAccess"], True, True)
        for who in ("Administrator", "Domain Admins", "Enterprise Admins", "Organization Management")
    ),
    *(
        (f"{{d}}\\{who}", ["ChangeOwner", "ChangePermission", "DeleteItem", "ReadPermission"], False, True)
        for who in ("Administrator", "Domain Admins", "Enterprise Admins", "Organization Management")
    ),
    ("NT AUTHORITY\\SYSTEM", ["FullAccess"], False, True),
    ("NT AUTHORITY\\NETWORK", ["ReadPermission"], False, True),
    ("{d}\\Exchange Servers", ["FullAccess", "ReadPermission"], False, True),
    (
        "{d}\\Exchange Trusted Subsystem",
        ["ChangeOwner", "ChangePermission", "DeleteItem", "ReadPermission"],
        False,
        True,
    ),
    ("{d}\\Managed Availability Servers", ["ReadPermission"], False, True),
]
_AD_DEFAULTS = [("NT AUTHORITY\\SELF", right) for right in ("Send-As", "Receive-As", "User-Change-Password")]


def sid_of(guid: str) -> str:
    """The lab's stand-in SID of an account (its objectGUID's four 32-bit parts)."""
    raw = uuid.UUID(guid).bytes_le
    return SID_PREFIX + "-".join(str(int.from_bytes(raw[i : i + 4], "little")) for i in range(0, 16, 4))


def _guid_of_sid(sid: str) -> str | None:
    parts = sid[len(SID_PREFIX) :].split("-")
    try:
        raw = b"".join(int(p).to_bytes(4, "little") for p in parts)
        return str(uuid.UUID(bytes_le=raw))
    except (ValueError, OverflowError):
        return None


def _trustee(ctx: Any, text: str) -> tuple[str, dict[str, Any] | None]:
    """-User: (objectGUID, entry); an orphaned SID names a deleted account (entry None)."""
    if text.upper().startswith(SID_PREFIX):
        guid = _guid_of_sid(text)
        if guid is not None:
            return guid, None
    entry = common.resolve(ctx, text)  # not found / ambiguous as Exchange refuses them
    return guid_from_bytes(first(entry, "objectGUID")), entry


def _account(ctx: Any, guid: str) -> str:
    """DOMAIN\\sam of a trustee now, or its SID when the account is gone."""
    directory = ctx.lab.directory
    for dn in directory.resolve(guid):
        entry = directory.read(dn, ["sAMAccountName", "objectGUID"])
        if entry and guid_from_bytes(first(entry, "objectGUID")) == guid:
            return f"{directory.netbios}\\{first(entry, 'sAMAccountName')}"
    return sid_of(guid)


def _ace(kind: list[str], identity: str, user: str, ace: dict[str, Any], inherited: bool, **more: Any) -> Any:
    props = {
        "AccessRights": ace["rights"],
        **more,
        "Deny": ace["deny"],
        "InheritanceType": ace.get("inheritance", "All"),
        "User": user,
        "Identity": identity,
        "IsInherited": inherited,
        "IsValid": True,
        "ObjectState": "Unchanged",
    }
    return ps_object([*kind, CONFIGURABLE], props, identity)


def _acl_key(prefix: str, entry: dict[str, Any], attribute: str) -> str:
    return f"{prefix}/{guid_from_bytes(first(entry, attribute))}"


def _merge(acl: list[dict[str, Any]], ace: dict[str, Any]) -> None:
    """AddAccessRule: an entry of the same trustee, type and object type takes the new rights."""
    for held in acl:
        if _same(held, ace):
            held["rights"] = [*held["rights"], *(r for r in ace["rights"] if r not in held["rights"])]
            return
    acl.append(ace)


def _same(one: dict[str, Any], other: dict[str, Any]) -> bool:
    keys = ("user", "deny", "extended", "inheritance")
    return all(one.get(key) == other.get(key) for key in keys)


def _take(acl: list[dict[str, Any]], ace: dict[str, Any]) -> bool:
    """RemoveAccessRule: the rights go from the matching entry; False when it held none of them."""
    for held in acl:
        if _same(held, ace) and set(ace["rights"]) & set(held["rights"]):
            held["rights"] = [r for r in held["rights"] if r not in ace["rights"]]
            if not held["rights"]:
                acl.remove(held)
            return True
    return False


def _not_there(ctx: Any, dn: str, account: str) -> None:
    ctx.warn(
        f'Can\'t remove the access control entry on the object "{dn}" for account "{account}" because the '
        "ACE doesn't exist on the object."
    )


def _automap(ctx: Any, mailbox: dict[str, Any], trustee: dict[str, Any] | None, on: bool) -> None:
    """msExchDelegateListLink, for a trustee that is a mailbox user only (ApplyDelegationInternal)."""
    if trustee is None or not trustee.get("msexchmailboxguid"):
        return
    links = [dn for dn in mailbox.get(DELEGATES.lower(), []) if dn.lower() != trustee["dn"].lower()]
    ctx.lab.directory.modify(mailbox["dn"], {DELEGATES: [*links, trustee["dn"]] if on else links})


# -- mailbox permissions ---------------------------------------------------------------------------
def _mailbox_acl(ctx: Any, b: Bound) -> tuple[dict[str, Any], str, list[dict[str, Any]]]:
    mailbox = common.resolve(ctx, b.get("Identity"), mailbox=True)
    key = _acl_key("mailbox_acl", mailbox, "msExchMailboxGuid")
    return mailbox, key, ctx.lab.store.config(key, [])


def get_mailbox_permission(ctx: Any, b: Bound) -> list[Any]:
    mailbox, _, acl = _mailbox_acl(ctx, b)
    identity = canonical_name(mailbox["dn"])
    netbios = ctx.lab.directory.netbios
    rows = [
        (user.format(d=netbios), {"rights": rights, "deny": deny}, inherited)
        for user, rights, deny, inherited in _MAILBOX_DEFAULTS
    ]
    explicit = [(_account(ctx, ace["user"]), ace, False) for ace in acl]
    explicit.sort(key=lambda row: not row[1]["deny"])  # canonical order: explicit Deny first
    rows = rows[:1] + explicit + rows[1:]
    wanted = b.get("User")
    if wanted:
        names = {row[0].lower() for row in rows}
        if wanted.lower() in names:
            rows = [row for row in rows if row[0].lower() == wanted.lower()]
        else:
            account = _account(ctx, _trustee(ctx, wanted)[0])
            rows = [row for row in rows if row[0] == account]
    return [_ace(MAILBOX_ACE, identity, *row) for row in rows]


def _check_add(ctx: Any, b: Bound) -> None:
    """AddMailboxPermission.InternalValidate: no SendAs here, AutoMapping only with FullAccess."""
    rights = b.get("AccessRights")
    if "SendAs" in rights:
        message = "SendAs can't be granted with Add-MailboxPermission; use Add-ADPermission -ExtendedRights."
    elif b.get("AutoMapping") is True and "FullAccess" not in rights:
        message = "AutoMapping can be specified only when FullAccess is granted."
    else:
        return
    raise task_error(
        message, "System.InvalidOperationException", ctx.task_class, ErrorCategory.InvalidOperation
    )


def _requested_mailbox_ace(b: Bound, guid: str) -> dict[str, Any]:
    return {
        "user": guid,
        "deny": bool(b.get("Deny")),
        "rights": list(b.get("AccessRights")),
        "inheritance": b.get("InheritanceType") or "All",
    }


def add_mailbox_permission(ctx: Any, b: Bound) -> list[Any]:
    _check_add(ctx, b)
    mailbox, key, acl = _mailbox_acl(ctx, b)
    guid, trustee = _trustee(ctx, b.get("User"))
    ace = _requested_mailbox_ace(b, guid)
    _merge(acl, dict(ace))
    ctx.lab.store.set_config(key, acl)
    if "FullAccess" in ace["rights"]:  # ToGrantFullAccess looks at the rights only, not at -Deny
        _automap(ctx, mailbox, trustee, b.get("AutoMapping") is not False)
    return [_ace(MAILBOX_ACE, canonical_name(mailbox["dn"]), _account(ctx, guid), ace, False)]


def remove_mailbox_permission(ctx: Any, b: Bound) -> None:
    mailbox, key, acl = _mailbox_acl(ctx, b)
    guid, trustee = _trustee(ctx, b.get("User"))
    ace = _requested_mailbox_ace(b, guid)
    if _take(acl, ace):
        ctx.lab.store.set_config(key, acl)
    else:
        _not_there(ctx, mailbox["dn"], _account(ctx, guid))
    if "FullAccess" in ace["rights"]:  # the delegation goes even when the entry was not there
        _automap(ctx, mailbox, trustee, False)


# -- AD permissions (Send As) ------------------------------------------------------------------------
def _ad_acl(ctx: Any, b: Bound) -> tuple[dict[str, Any], str, list[dict[str, Any]]]:
    entry = common.resolve(ctx, b.get("Identity"))
    key = _acl_key("ad_acl", entry, "objectGUID")
    return entry, key, ctx.lab.store.config(key, [])


def _ad_ace(identity: str, user: str, ace: dict[str, Any]) -> Any:
    """One ACE, one object: an extended right is an object ACE of its own (ADAcePresentationObject)."""
    extended = [ace["extended"]] if ace.get("extended") else None
    return _ace(
        AD_ACE,
        identity,
        user,
        ace,
        False,
        ExtendedRights=extended,
        ChildObjectTypes=None,
        InheritedObjectType=None,
        Properties=None,
    )


def _requested(b: Bound, guid: str) -> list[dict[str, Any]]:
    """The ACEs -AccessRights and -ExtendedRights name: one per extended right (with ExtendedRight)."""
    base = {"user": guid, "deny": bool(b.get("Deny")), "inheritance": b.get("InheritanceType") or "All"}
    aces = [{**base, "rights": ["ExtendedRight"], "extended": e} for e in b.get("ExtendedRights") or []]
    rights = [r for r in b.get("AccessRights") or [] if not (aces and r == "ExtendedRight")]
    if rights:
        aces.append({**base, "rights": rights, "extended": None})
    return aces


def get_ad_permission(ctx: Any, b: Bound) -> list[Any]:
    entry, _, acl = _ad_acl(ctx, b)
    identity = canonical_name(entry["dn"])
    rows = [
        (user, {"rights": ["ExtendedRight"], "extended": right, "deny": False, "inheritance": "None"})
        for user, right in _AD_DEFAULTS
    ]
    rows += [(_account(ctx, ace["user"]), ace) for ace in acl]
    wanted = b.get("User")
    if wanted:
        if wanted.lower() in {user.lower() for user, _ in _AD_DEFAULTS}:
            account = wanted
        else:
            account = _account(ctx, _trustee(ctx, wanted)[0])
        rows = [row for row in rows if row[0].lower() == account.lower()]
    return [_ad_ace(identity, user, ace) for user, ace in rows]


def add_ad_permission(ctx: Any, b: Bound) -> list[Any]:
    entry, key, acl = _ad_acl(ctx, b)
    guid, _ = _trustee(ctx, b.get("User"))
    aces = _requested(b, guid)
    for ace in aces:
        _merge(acl, dict(ace))
    ctx.lab.store.set_config(key, acl)
    account = _account(ctx, guid)
    return [_ad_ace(canonical_name(entry["dn"]), account, ace) for ace in aces]


def remove_ad_permission(ctx: Any, b: Bound) -> None:
    entry, key, acl = _ad_acl(ctx, b)
    guid, _ = _trustee(ctx, b.get("User"))
    for ace in _requested(b, guid):
        if not _take(acl, ace):
            _not_there(ctx, entry["dn"], _account(ctx, guid))
    ctx.lab.store.set_config(key, acl)


CMDLETS = {
    "Get-MailboxPermission": get_mailbox_permission,
    "Add-MailboxPermission": add_mailbox_permission,
    "Remove-MailboxPermission": remove_mailbox_permission,
    "Get-ADPermission": get_ad_permission,
    "Add-ADPermission": add_ad_permission,
    "Remove-ADPermission": remove_ad_permission,
}
