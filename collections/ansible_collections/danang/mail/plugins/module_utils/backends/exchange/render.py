# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Exchange backend's pure half: how an account looks in Exchange and which cmdlets make it so.

No I/O here, so unit tests check every invocation the backend can emit against the cmdlet
definitions (the lab's and ``shared/reference/exchange-cmdlets.json``).

- :func:`render` — the managed attributes (``MANAGED``): Exchange ``Name`` (:func:`exchange_name`),
  display, first and last names in full Vietnamese (R-15: only these carry Vietnamese text); alias in
  ASCII (the local part, R-12); user or shared mailbox (R-10, R-11); quotas with
  ``UseDatabaseQuotaDefaults $false`` (R-30: without it Exchange ignores the mailbox's own quotas);
  message size limits (R-31, ``MESSAGE_SIZE_MB``); for persons whether the initial password's issue
  time is recorded (R-41, ``ad.issue_record``); the holder id (``CustomAttribute3``); for shared
  mailboxes who holds FullAccess and Send As (``rights``, R-71).
- :func:`observed_attributes` — the same keys read back from ``Get-Mailbox`` and AD;
  :func:`observe` — the ``Observed`` of a mailbox, with its stored holder and AD creation time.
- :func:`step_for` — the cmdlets (and AD switches) that carry out one planned change.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.accounts import QUOTA_WARNING_PERCENT, Account
from ansible_collections.danang.mail.plugins.module_utils.backends.apply import NO_PASSWORD
from ansible_collections.danang.mail.plugins.module_utils.backends.apply import Step as BaseStep
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.ad import (
    HOLDER_ATTRIBUTE,
    ISSUE_ATTRIBUTE,
    ADUser,
    issue_record,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import (
    SWITCH,
    Invocation,
    Secret,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.rights import (
    RIGHTS,
    parent_dn,
    render_rights,
    rights_invocations,
)
from ansible_collections.danang.mail.plugins.module_utils.plan import (
    CREATE,
    REMOVE,
    Attributes,
    Change,
    Observed,
)
from ansible_collections.danang.mail.plugins.module_utils.vietnamese import nfc

try:
    from ldap3.utils.dn import escape_rdn
except ImportError:  # the module reports the missing library first (missing_required_lib)
    escape_rdn = None  # type: ignore[assignment]

# a 20 MB attachment travels Base64-encoded in 76-character lines: 20 MiB x 4/3 x 78/76 =
# 27.4 MiB, plus headers and the text. Exchange limits the whole encoded message, so send and receive
# limits are 28 MB (Microsoft's "about 33 % above the real maximum" gives 26.7, too tight with CRLF).
MESSAGE_SIZE_MB = 28
NAME_MAX = 64  # Exchange Name (the AD cn): at most 64 characters, unique
USER, SHARED = "UserMailbox", "SharedMailbox"
_SIZE = re.compile(r"^\s*([\d.,]+)\s*(B|KB|MB|GB|TB)?\s*(?:\(([\d,.\s]+)\s*bytes\))?\s*$", re.IGNORECASE)
_UNITS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}

# Managed attribute -> Set-Mailbox parameter; the quotas are always set together (Exchange checks
# IssueWarningQuota and ProhibitSendQuota <= ProhibitSendReceiveQuota on the resulting values).
SET_MAILBOX = {
    "name": "Name",
    "display_name": "DisplayName",
    "alias": "Alias",
    "use_database_quota_defaults": "UseDatabaseQuotaDefaults",
    "issue_warning_mb": "IssueWarningQuota",
    "prohibit_send_mb": "ProhibitSendQuota",
    "prohibit_send_receive_mb": "ProhibitSendReceiveQuota",
    "max_send_mb": "MaxSendSize",
    "max_receive_mb": "MaxReceiveSize",
    "holder_id": HOLDER_ATTRIBUTE,
}
QUOTAS = ("issue_warning_mb", "prohibit_send_mb", "prohibit_send_receive_mb")
SIZES = frozenset({*QUOTAS, "max_send_mb", "max_receive_mb"})
SET_USER = {"first_name": "FirstName", "last_name": "LastName"}
MANAGED = (*SET_MAILBOX, *SET_USER, "recipient_type", "password_issue_recorded", *RIGHTS)


def size_mb(value: Any) -> Optional[float]:
    """An Exchange size as MB: ``"152.1 MB (159,449,088 bytes)"`` → 152.063, ``"2 GB"`` → 2048;
    ``"Unlimited"`` and empty → None. The byte count in brackets wins over the rounded figure."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        count = float(value)
    else:
        text = str(value).strip()
        if not text or text.lower() == "unlimited":
            return None
        match = _SIZE.match(text)
        if not match:
            raise ValueError(f"not an Exchange size: {text!r}")
        number, unit, exact = match.groups()
        if exact:
            count = float(re.sub(r"[,.\s]", "", exact))
        else:
            count = float(number.replace(",", "")) * _UNITS[(unit or "B").upper()]
    megabytes = count / 1024**2
    return int(megabytes) if megabytes == int(megabytes) else round(megabytes, 3)


def size_value(megabytes: Optional[float]) -> str:
    """A size parameter value (typed ``Unlimited<ByteQuantifiedSize>`` on the server)."""
    return "Unlimited" if megabytes is None else f"{int(megabytes)}MB"


def as_bool(value: Any) -> Optional[bool]:
    if isinstance(value, bool) or value is None:
        return value
    return str(value).strip().lower() == "true"


def exchange_name(account: Account) -> str:
    """Exchange ``Name`` (AD cn): ``<display name> (<local part>)``, at most 64 characters.

    The local part is unique in the domain (the ledger, R-13), so the Name is unique even for two
    people called alike; the display name is shortened to fit, never the local part.
    """
    suffix = f" ({account.local_part})"
    room = NAME_MAX - len(suffix)
    if room < 1:
        return account.local_part[:NAME_MAX]
    return f"{nfc(account.display_name)[:room].rstrip()}{suffix}"


def warning_mb(quota_mb: int) -> int:
    return quota_mb * QUOTA_WARNING_PERCENT // 100


def render(account: Account) -> Attributes:
    quota = int(account.quota_mb)
    attributes: dict[str, Any] = {
        "name": exchange_name(account),
        "display_name": nfc(account.display_name),
        "alias": account.local_part,
        "recipient_type": SHARED if account.shared else USER,
        "use_database_quota_defaults": False,
        "issue_warning_mb": warning_mb(quota),
        "prohibit_send_mb": quota,
        "prohibit_send_receive_mb": quota,
        "max_send_mb": MESSAGE_SIZE_MB,
        "max_receive_mb": MESSAGE_SIZE_MB,
        "holder_id": account.holder_id,
    }
    if not account.shared:
        attributes["first_name"] = nfc(account.first_name) if account.first_name else None
        attributes["last_name"] = nfc(account.last_name) if account.last_name else None
        attributes["password_issue_recorded"] = True
    else:
        attributes.update(render_rights(account))
    return attributes


def observed_attributes(record: Mapping[str, Any], user: Optional[ADUser], shared: bool) -> dict[str, Any]:
    """The managed attributes of a ``Get-Mailbox`` record and its AD user, as :func:`render` has them."""
    attributes: dict[str, Any] = {
        "name": record.get("Name"),
        "display_name": record.get("DisplayName"),
        "alias": record.get("Alias"),
        "recipient_type": str(record.get("RecipientTypeDetails")),
        "use_database_quota_defaults": as_bool(record.get("UseDatabaseQuotaDefaults")),
        "holder_id": record.get(HOLDER_ATTRIBUTE) or None,
    }
    for key in sorted(SIZES):
        attributes[key] = size_mb(record.get(SET_MAILBOX[key]))
    if not shared:
        attributes["first_name"] = user.given_name if user else None
        attributes["last_name"] = user.surname if user else None
        # Recorded, or no longer needed: the holder has set a password of their own.
        recorded = bool(record.get(ISSUE_ATTRIBUTE)) or (user is not None and not user.must_change_password)
        attributes["password_issue_recorded"] = recorded
    return attributes


def observe(
    record: Mapping[str, Any],
    user: Optional[ADUser],
    shared: bool,
    enabled: bool,
    rights: Optional[Mapping[str, Any]] = None,
) -> Observed:
    """``rights``: a shared mailbox's ``full_access`` and ``send_as`` (``rights.observed_rights``)."""
    attributes = observed_attributes(record, user, shared)
    if shared:
        attributes.update(rights or {key: [] for key in RIGHTS})
    return Observed(
        str(record.get("PrimarySmtpAddress") or "").lower(),
        enabled,
        attributes,
        holder=attributes["holder_id"],
        created=user.created if user else None,
    )


# --- the cmdlets of a change --------------------------------------------------------------------
@dataclass
class ExchangeStep(BaseStep):
    """What one change needs of Exchange: cmdlets (in order), AD switches before and after them."""

    invocations: list[Invocation] = field(default_factory=list)
    ad_before: Optional[bool] = None  # enable (True) / disable (False) before the cmdlets
    ad_after: Optional[bool] = None
    unsure: bool = False  # needs the verifying re-read
    # FullAccess and Send As, sent after every change's cmdlets: a trustee made in the run exists then.
    rights: list[Invocation] = field(default_factory=list)


# What the backend reads of a mailbox (read, observed_attributes, apply, the organisation's spam
# mailbox) and of its statistics. Exchange sends 228 properties a mailbox (about 15 KB); a read keeps
# only these (Select-Object in the same pipeline), most of a no-op's time being deserialising.
MAILBOX_PROPERTIES = (
    "Name",
    "DisplayName",
    "Alias",
    "PrimarySmtpAddress",
    "EmailAddresses",
    "DistinguishedName",
    "RecipientTypeDetails",
    "ExchangeGuid",
    "Database",
    "UseDatabaseQuotaDefaults",
    "HiddenFromAddressListsEnabled",  # reclaimed mailboxes are hidden (reclaim.py)
    *sorted(SET_MAILBOX[key] for key in SIZES),
    ISSUE_ATTRIBUTE,
    HOLDER_ATTRIBUTE,
)
STATISTICS_PROPERTIES = ("MailboxGuid", "TotalItemSize", "LastLogonTime")


def read_invocation(managed_ou: str) -> Invocation:
    return Invocation.of(
        "Get-Mailbox",
        {"ResultSize": "Unlimited", "OrganizationalUnit": managed_ou},
        select=MAILBOX_PROPERTIES,
    )


def statistics_invocation(database: str) -> Invocation:
    return Invocation.of("Get-MailboxStatistics", {"Database": database}, select=STATISTICS_PROPERTIES)


def quota_invocation(address: str, megabytes: int) -> Invocation:
    params = {
        "Identity": address,
        "UseDatabaseQuotaDefaults": False,
        "IssueWarningQuota": size_value(warning_mb(int(megabytes))),
        "ProhibitSendQuota": size_value(megabytes),
        "ProhibitSendReceiveQuota": size_value(megabytes),
    }
    return Invocation.of("Set-Mailbox", params, address)


def step_for(
    change: Change,
    *,
    managed_ou: str,
    now: Optional[datetime.datetime] = None,
    password: Optional[str] = None,
    database: Optional[str] = None,
    sam_account_name: Optional[str] = None,
    dn: Optional[str] = None,
    reclaimed: bool = False,
) -> ExchangeStep:
    """The cmdlets for ``change``. ``password`` is required for a person's create; ``now`` (the
    issue time AD records, R-41) for a person's create and for recording an issue time. Shared
    mailboxes need neither; a change of their rights needs the mailbox's ``dn`` (Send As).
    ``reclaimed``: the account carries the reclaim marker, which enabling it clears (a new request,
    R-20): then it is shown in the address lists again."""
    account = change.account
    address = account.address
    if change.action == REMOVE:
        return ExchangeStep(
            change,
            invocations=[Invocation.of("Remove-Mailbox", {"Identity": address, "Confirm": False}, address)],
        )
    if change.action == CREATE:
        return _create(change, managed_ou, now, password, database, sam_account_name)
    step = ExchangeStep(change)
    after = dict(change.after)
    mailbox: dict[str, Any] = {}
    for key in after:
        if key in SET_MAILBOX:
            value = after[key]
            mailbox[SET_MAILBOX[key]] = size_value(value) if key in SIZES else value
    if any(key in after for key in QUOTAS):
        want = render(account)
        mailbox.update({SET_MAILBOX[k]: size_value(want[k]) for k in QUOTAS})
    if "recipient_type" in after:
        mailbox["Type"] = "Shared" if after["recipient_type"] == SHARED else "Regular"
    if after.get("password_issue_recorded"):
        mailbox[ISSUE_ATTRIBUTE] = issue_record(_needed(now))
    if reclaimed and after.get("enabled"):
        mailbox["HiddenFromAddressListsEnabled"] = False  # the AD enable removes the marker
    if mailbox:
        step.invocations.append(Invocation.of("Set-Mailbox", {"Identity": address, **mailbox}, address))
    user = {SET_USER[k]: after[k] for k in SET_USER if k in after and after[k] is not None}
    if user:
        step.invocations.append(Invocation.of("Set-User", {"Identity": address, **user}, address))
    if any(key in after for key in RIGHTS):
        if dn is None:
            step.error = "the mailbox's distinguished name is unknown: read first"
            return step
        if "name" in after:  # Set-Mailbox -Name renames the AD object before the grants run
            dn = renamed_dn(dn, after["name"])
        step.rights = rights_invocations(address, dn, change.before, after)
    if "enabled" in after and not account.shared:
        if after["enabled"]:
            step.ad_after = True
        else:
            step.ad_before = False  # first: nobody keeps access while the rest runs
    return step


def _create(
    change: Change,
    managed_ou: str,
    now: Optional[datetime.datetime],
    password: Optional[str],
    database: Optional[str],
    sam_account_name: Optional[str],
) -> ExchangeStep:
    account = change.account
    step = ExchangeStep(change)
    want = render(account)
    params: dict[str, Any] = {
        "Name": want["name"],
        "Alias": want["alias"],
        "DisplayName": want["display_name"],
        "PrimarySmtpAddress": account.address,
        "OrganizationalUnit": managed_ou,
    }
    if database:
        params["Database"] = database
    if sam_account_name:
        params["SamAccountName"] = sam_account_name
    if account.shared:
        params = {"Shared": SWITCH, **params}
    else:
        if not password:
            step.error = NO_PASSWORD
            return step
        params.update(
            UserPrincipalName=account.address,  # the SSO login is the address
            Password=Secret(password),
            ResetPasswordOnNextLogon=True,  # R-40; a Boolean, not a switch
        )
        params.update({SET_USER[k]: want[k] for k in SET_USER if want[k]})
    settings: dict[str, Any] = {SET_MAILBOX[k]: size_value(want[k]) for k in sorted(SIZES)}
    settings["UseDatabaseQuotaDefaults"] = False
    settings[HOLDER_ATTRIBUTE] = account.holder_id  # whose mailbox it is, checked by the plan
    if not account.shared:
        settings[ISSUE_ATTRIBUTE] = issue_record(_needed(now))  # AD forgets it once pwdLastSet is 0
    step.invocations = [
        Invocation.of("New-Mailbox", params, account.address),
        Invocation.of("Set-Mailbox", {"Identity": account.address, **settings}, account.address),
    ]
    if account.shared:
        step.rights = rights_invocations(account.address, created_dn(want["name"], managed_ou), {}, want)
    if not account.enabled and not account.shared:
        step.ad_after = False
    return step


def created_dn(name: str, managed_ou: str) -> str:
    """The DN New-Mailbox -Name -OrganizationalUnit gives the mailbox's AD object: CN=<Name>,<OU>."""
    return f"CN={escape_rdn(name)},{managed_ou}"


def renamed_dn(dn: str, name: str) -> str:
    """The DN of the AD object at ``dn`` after Set-Mailbox -Name (which renames its cn)."""
    return f"CN={escape_rdn(name)},{parent_dn(dn)}"


def _needed(now: Optional[datetime.datetime]) -> datetime.datetime:
    if now is None:
        raise ValueError("a person's initial password needs its issue time (now)")
    return now
