# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Set-Mailbox: quotas and sizes (with Exchange's order rule), addresses (the e-mail address policy
or explicit ones), type (Regular and Shared), name and hidden-from-lists, written as Exchange writes
the AD attributes.
"""

from __future__ import annotations

from typing import Any

from ldap3.utils.dn import escape_rdn
from psrpcore.types import ErrorCategory

from exchange_lab.clock import to_filetime
from exchange_lab.cmdlets import common
from exchange_lab.cmdlets.binder import Bound
from exchange_lab.cmdlets.common import check_unique, resolve
from exchange_lab.cmdlets.errors import task_error
from exchange_lab.cmdlets.mailbox import DISPLAY_TYPE
from exchange_lab.cmdlets.objects import (
    POLICY_EXCLUDED,
    TYPE_DETAILS_VALUE,
    canonical_name,
    first,
)
from exchange_lab.cmdlets.organization import check_accepted_domain
from exchange_lab.cmdlets.types import UNLIMITED, MultiValuedChange, format_size
from exchange_lab.directory import UF_ACCOUNTDISABLE, UF_NORMAL_ACCOUNT, guid_from_bytes, ssha

QUOTAS = (
    ("IssueWarningQuota", "mDBStorageQuota"),
    ("ProhibitSendQuota", "mDBOverQuotaLimit"),
    ("ProhibitSendReceiveQuota", "mDBOverHardQuotaLimit"),
)
SIZES = (*QUOTAS, ("MaxSendSize", "submissionContLength"), ("MaxReceiveSize", "delivContLength"))


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


CMDLETS = {"Set-Mailbox": set_mailbox}
