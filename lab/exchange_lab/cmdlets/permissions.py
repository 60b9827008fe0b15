# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Get-/Add-/Remove-MailboxPermission and Get-/Add-/Remove-ADPermission.

- Where: the mailbox's access entries live in the mailbox database (the lab's store, key
  ``mailbox_acl/<ExchangeGuid>``), the AD object's ones (Send As) beside the object (key
  ``ad_acl/<objectGUID>``: the lab's AD has no security descriptors). A trustee is kept by its
  objectGUID (as an ACE keeps a SID): a renamed user keeps its rights, a deleted one shows as a SID.
- Output: MailboxAcePresentationObject / ADAcePresentationObject with the properties Exchange's
  creator lists (Microsoft.Exchange.Configuration.MonadDataProvider,
  MailboxAcePresentationObjectCreator: AccessRights, Deny, Identity, InheritanceType, IsInherited,
  User); User as DOMAIN\\sam.
- Defaults: Get-MailboxPermission also lists the entries every mailbox has (NT AUTHORITY\\SELF and the
  inherited ones, learn.microsoft.com/powershell/module/exchange/get-mailboxpermission,
  Description); Get-ADPermission the extended rights the user class gives SELF (AD schema,
  user defaultSecurityDescriptor: Send-As, Receive-As, Change-Password for PS).
- Adding an entry that exists merges it (ObjectSecurity.AddAccessRule), no error; removing a
  missing one is a warning, not an error ("Can't remove the access control entry on the object …
  because the ACE doesn't exist on the object.", Remove-MailboxPermission page, -BypassMasterAccountSid).
- FullAccess with AutoMapping (default $true) adds the trustee to the mailbox user's
  msExchDelegateListLink, so Outlook opens it; -AutoMapping $false and Remove take it out.
"""

from __future__ import annotations

import uuid
from typing import Any

from exchange_lab.cmdlets import common
from exchange_lab.cmdlets.binder import Bound
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
_AD_DEFAULTS = [
    ("NT AUTHORITY\\SELF", [right]) for right in ("Send-As", "Receive-As", "User-Change-Password")
]


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


def _account(ctx: Any, guid: str) -> tuple[str, str | None]:
    """(DOMAIN\\sam, DN) of a trustee now, or (its SID, None) when the account is gone."""
    directory = ctx.lab.directory
    for dn in directory.resolve(guid):
        entry = directory.read(dn, ["sAMAccountName", "objectGUID"])
        if entry and guid_from_bytes(first(entry, "objectGUID")) == guid:
            return f"{directory.netbios}\\{first(entry, 'sAMAccountName')}", entry["dn"]
    return sid_of(guid), None


def _ace(
    kind: list[str], identity: str, user: str, rights: list[str], deny: bool, inherited: bool, **more: Any
):
    props = {
        "AccessRights": rights,
        **more,
        "Deny": deny,
        "InheritanceType": "All",
        "User": user,
        "Identity": identity,
        "IsInherited": inherited,
        "IsValid": True,
        "ObjectState": "Unchanged",
    }
    return ps_object([*kind, CONFIGURABLE], props, identity)


def _acl_key(prefix: str, entry: dict[str, Any], attribute: str) -> str:
    return f"{prefix}/{guid_from_bytes(first(entry, attribute))}"


def _matches(ace: dict[str, Any], guid: str, deny: bool) -> bool:
    return ace["user"] == guid and ace["deny"] == deny


def _merge(acl: list[dict[str, Any]], guid: str, deny: bool, field: str, values: list[str]) -> None:
    for ace in acl:
        if _matches(ace, guid, deny):
            ace[field] = [*ace[field], *(v for v in values if v not in ace[field])]
            return
    acl.append({"user": guid, "deny": deny, "rights": [], "extended": [], field: list(values)})


def _take(acl: list[dict[str, Any]], guid: str, deny: bool, field: str, values: list[str]) -> bool:
    """Remove ``values`` from the trustee's entry; False when it held none of them."""
    for ace in acl:
        if _matches(ace, guid, deny) and set(values) & set(ace[field]):
            ace[field] = [v for v in ace[field] if v not in values]
            if not ace["rights"] and not ace["extended"]:
                acl.remove(ace)
            return True
    return False


def _not_there(ctx: Any, dn: str, account: str) -> None:
    ctx.warn(
        f'Can\'t remove the access control entry on the object "{dn}" for account "{account}" because the '
        "ACE doesn't exist on the object."
    )


def _automap(ctx: Any, mailbox: dict[str, Any], trustee_dn: str | None, on: bool) -> None:
    if trustee_dn is None:
        return
    links = [dn for dn in mailbox.get(DELEGATES.lower(), []) if dn.lower() != trustee_dn.lower()]
    ctx.lab.directory.modify(mailbox["dn"], {DELEGATES: [*links, trustee_dn] if on else links})


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
        (user.format(d=netbios), rights, deny, inherited)
        for user, rights, deny, inherited in _MAILBOX_DEFAULTS
    ]
    explicit = [(_account(ctx, ace["user"])[0], ace["rights"], ace["deny"], False) for ace in acl]
    explicit.sort(key=lambda row: not row[2])  # canonical order: explicit Deny first
    rows = rows[:1] + explicit + rows[1:]
    wanted = b.get("User")
    if wanted:
        names = {row[0].lower() for row in rows}
        if wanted.lower() in names:
            rows = [row for row in rows if row[0].lower() == wanted.lower()]
        else:
            account = _account(ctx, _trustee(ctx, wanted)[0])[0]
            rows = [row for row in rows if row[0] == account]
    return [_ace(MAILBOX_ACE, identity, *row) for row in rows]


def add_mailbox_permission(ctx: Any, b: Bound) -> list[Any]:
    mailbox, key, acl = _mailbox_acl(ctx, b)
    guid, _ = _trustee(ctx, b.get("User"))
    rights, deny = b.get("AccessRights"), bool(b.get("Deny"))
    _merge(acl, guid, deny, "rights", rights)
    ctx.lab.store.set_config(key, acl)
    account, trustee_dn = _account(ctx, guid)
    if "FullAccess" in rights and not deny:
        _automap(ctx, mailbox, trustee_dn, b.get("AutoMapping") is not False)
    return [_ace(MAILBOX_ACE, canonical_name(mailbox["dn"]), account, rights, deny, False)]


def remove_mailbox_permission(ctx: Any, b: Bound) -> None:
    mailbox, key, acl = _mailbox_acl(ctx, b)
    guid, _ = _trustee(ctx, b.get("User"))
    rights, deny = b.get("AccessRights"), bool(b.get("Deny"))
    account, trustee_dn = _account(ctx, guid)
    if not _take(acl, guid, deny, "rights", rights):
        _not_there(ctx, mailbox["dn"], account)
        return
    ctx.lab.store.set_config(key, acl)
    if "FullAccess" in rights and not deny:
        _automap(ctx, mailbox, trustee_dn, False)


# -- AD permissions (Send As) ------------------------------------------------------------------------
def _ad_acl(ctx: Any, b: Bound) -> tuple[dict[str, Any], str, list[dict[str, Any]]]:
    entry = common.resolve(ctx, b.get("Identity"))
    key = _acl_key("ad_acl", entry, "objectGUID")
    return entry, key, ctx.lab.store.config(key, [])


def _ad_ace(identity: str, user: str, rights: list[str], extended: list[str], deny: bool) -> Any:
    return _ace(
        AD_ACE,
        identity,
        user,
        rights,
        deny,
        False,
        ExtendedRights=extended or None,
        ChildObjectTypes=None,
        InheritedObjectType=None,
        Properties=None,
    )


def _ad_rights(b: Bound) -> tuple[list[str], list[str]]:
    extended = b.get("ExtendedRights") or []
    rights = b.get("AccessRights") or []
    if extended and "ExtendedRight" not in rights:
        rights = [*rights, "ExtendedRight"]
    return rights, extended


def get_ad_permission(ctx: Any, b: Bound) -> list[Any]:
    entry, _, acl = _ad_acl(ctx, b)
    identity = canonical_name(entry["dn"])
    rows = [(user, ["ExtendedRight"], extended, False) for user, extended in _AD_DEFAULTS]
    rows += [(_account(ctx, a["user"])[0], a["rights"], a["extended"], a["deny"]) for a in acl]
    wanted = b.get("User")
    if wanted:
        if wanted.lower() == "nt authority\\self":
            account = "NT AUTHORITY\\SELF"
        else:
            account = _account(ctx, _trustee(ctx, wanted)[0])[0]
        rows = [row for row in rows if row[0].lower() == account.lower()]
    return [_ad_ace(identity, *row) for row in rows]


def add_ad_permission(ctx: Any, b: Bound) -> list[Any]:
    entry, key, acl = _ad_acl(ctx, b)
    guid, _ = _trustee(ctx, b.get("User"))
    rights, extended = _ad_rights(b)
    deny = bool(b.get("Deny"))
    _merge(acl, guid, deny, "rights", rights)
    _merge(acl, guid, deny, "extended", extended)
    ctx.lab.store.set_config(key, acl)
    return [_ad_ace(canonical_name(entry["dn"]), _account(ctx, guid)[0], rights, extended, deny)]


def remove_ad_permission(ctx: Any, b: Bound) -> None:
    entry, key, acl = _ad_acl(ctx, b)
    guid, _ = _trustee(ctx, b.get("User"))
    rights, extended = _ad_rights(b)
    deny = bool(b.get("Deny"))
    field, values = ("extended", extended) if extended else ("rights", rights)
    if not _take(acl, guid, deny, field, values):
        _not_there(ctx, entry["dn"], _account(ctx, guid)[0])
        return
    if extended:  # the ExtendedRight bit goes with the last extended right
        for ace in acl:
            if _matches(ace, guid, deny) and not ace["extended"]:
                ace["rights"] = [r for r in ace["rights"] if r != "ExtendedRight"]
        acl = [a for a in acl if a["rights"] or a["extended"]]
    ctx.lab.store.set_config(key, acl)


CMDLETS = {
    "Get-MailboxPermission": get_mailbox_permission,
    "Add-MailboxPermission": add_mailbox_permission,
    "Remove-MailboxPermission": remove_mailbox_permission,
    "Get-ADPermission": get_ad_permission,
    "Add-ADPermission": add_ad_permission,
    "Remove-ADPermission": remove_ad_permission,
}
