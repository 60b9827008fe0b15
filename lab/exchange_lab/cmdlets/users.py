# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Get-User, Set-User and Get-/Set-CASMailbox."""

from __future__ import annotations

from typing import Any

from ldap3.utils.dn import escape_rdn

from exchange_lab.clock import to_filetime
from exchange_lab.cmdlets import common
from exchange_lab.cmdlets.binder import Bound
from exchange_lab.cmdlets.objects import MANAGEMENT, canonical_name, first, ps_object, user_object
from exchange_lab.cmdlets.types import UNLIMITED

_USER_ATTRIBUTES = {
    "FirstName": "givenName",
    "Initials": "initials",
    "DisplayName": "displayName",
    "WindowsEmailAddress": "mail",
    "Department": "department",
    "Title": "title",
    "Office": "physicalDeliveryOfficeName",
    "Phone": "telephoneNumber",
    "MobilePhone": "mobile",
    "Company": "company",
}
# protocolSettings values Exchange writes for a disabled protocol; absent means enabled.
_PROTOCOLS = {
    "OWAEnabled": "HTTP",
    "ImapEnabled": "IMAP4",
    "PopEnabled": "POP3",
    "ActiveSyncEnabled": "MobileSync",
    "MAPIEnabled": "MAPI",
    "EwsEnabled": "EWS",
}


def get_user(ctx: Any, b: Bound) -> list[Any]:
    directory = ctx.lab.directory
    if b.get("Identity"):
        entries = [common.resolve(ctx, b.get("Identity"))]
    else:
        base = directory.base_dn
        if b.get("OrganizationalUnit"):
            from exchange_lab.cmdlets.mailbox import organizational_unit

            base = organizational_unit(ctx, b.get("OrganizationalUnit"))
        entries = sorted(
            directory.search(base, "(objectClass=user)", ["*"]), key=lambda e: first(e, "cn", "").lower()
        )
        if b.get("Anr"):
            needle = b.get("Anr").lower()
            entries = [
                e
                for e in entries
                if any(
                    str(first(e, a, "")).lower().startswith(needle)
                    for a in ("cn", "displayName", "sAMAccountName")
                )
            ]
    objects = [user_object(e, ctx.lab.clock.zone) for e in entries]
    wanted = b.get("RecipientTypeDetails")
    if wanted:
        objects = [o for o in objects if _prop(o, "RecipientTypeDetails") in wanted]
    limit = b.get("ResultSize", 1000)
    if limit != UNLIMITED and len(objects) > limit:
        objects = objects[:limit]
        if "ResultSize" not in b:
            from exchange_lab.cmdlets.mailbox import LIMIT_EXCEEDED

            ctx.warn(LIMIT_EXCEEDED)
    return objects


def _prop(obj: Any, name: str) -> Any:
    return next(p.value for p in obj.PSObject.adapted_properties if p.name == name)


def set_user(ctx: Any, b: Bound) -> None:
    directory = ctx.lab.directory
    entry = common.resolve(ctx, b.get("Identity"))
    dn = entry["dn"]
    changes: dict[str, Any] = {param: b.get(p) for p, param in _USER_ATTRIBUTES.items() if p in b}
    if "LastName" in b:
        changes["sn"] = b.get("LastName") or first(entry, "cn")
    if "UserPrincipalName" in b:
        common.check_unique(ctx, "upn", b.get("UserPrincipalName"), dn)
        changes["userPrincipalName"] = b.get("UserPrincipalName")
    if "SamAccountName" in b:
        common.check_sam(ctx, b.get("SamAccountName"))
        common.check_unique(ctx, "sam", b.get("SamAccountName"), dn)
        changes["sAMAccountName"] = b.get("SamAccountName")
    if "ResetPasswordOnNextLogon" in b:
        # AD accepts only 0 (must change) or -1 (now) for pwdLastSet.
        changes["pwdLastSet"] = 0 if b.get("ResetPasswordOnNextLogon") else to_filetime(ctx.lab.clock.now())
    if "Name" in b and b.get("Name") != first(entry, "cn"):
        name = common.check_name(ctx, b.get("Name"))
        new_dn = f"CN={escape_rdn(name)},{dn.split(',', 1)[1]}"
        common.check_name_free(ctx, new_dn)
        dn = directory.rename(dn, f"CN={escape_rdn(name)}")
    if changes:
        directory.modify(dn, changes)
    elif "Name" not in b:
        ctx.warn(
            f"The command completed successfully but no settings of '{canonical_name(dn)}' have "
            "been modified."
        )


def _cas_object(entry: dict[str, Any]) -> Any:
    disabled = {v.split("§", 1)[0] for v in entry.get("protocolsettings", []) if v.split("§")[1:2] == ["0"]}
    identity = canonical_name(entry["dn"])
    props = {
        "Name": first(entry, "cn"),
        "Identity": identity,
        "PrimarySmtpAddress": next(
            (a[5:] for a in entry.get("proxyaddresses", []) if a.startswith("SMTP:")), ""
        ),
        **{param: protocol not in disabled for param, protocol in _PROTOCOLS.items()},
    }
    return ps_object([f"{MANAGEMENT}.CASMailbox", f"{MANAGEMENT}.ADPresentationObject"], props, identity)


def get_cas_mailbox(ctx: Any, b: Bound) -> list[Any]:
    if b.get("Identity"):
        return [_cas_object(common.resolve(ctx, b.get("Identity"), mailbox=True))]
    entries = ctx.lab.directory.search(
        ctx.lab.directory.base_dn, "(&(objectClass=user)(msExchMailboxGuid=*))", ["*"]
    )
    return [_cas_object(e) for e in entries]


def set_cas_mailbox(ctx: Any, b: Bound) -> None:
    entry = common.resolve(ctx, b.get("Identity"), mailbox=True)
    settings = {v.split("§", 1)[0]: v for v in entry.get("protocolsettings", [])}
    for param, protocol in _PROTOCOLS.items():
        if param in b:
            if b.get(param):
                settings.pop(protocol, None)
            else:
                settings[protocol] = f"{protocol}§0"
    ctx.lab.directory.modify(entry["dn"], {"protocolSettings": sorted(settings.values())})


CMDLETS = {
    "Get-User": get_user,
    "Set-User": set_user,
    "Get-CASMailbox": get_cas_mailbox,
    "Set-CASMailbox": set_cas_mailbox,
}
