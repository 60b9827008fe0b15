# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exchange's bulk read: ONE pipeline ``Get-Mailbox -ResultSize Unlimited -OrganizationalUnit
<managed OU>``, ONE paged AD search of that OU (joined on the DN), ONE pipeline per right of the
shared mailboxes (FullAccess, Send As: ``rights.rights_reads``) and with ``statistics`` one
``Get-MailboxStatistics -Database`` per database. No writes here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.backends.contract import AccountFacts, BackendError
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.ad import (
    AD_LOGON_LAG,
    ADError,
    ADUser,
    Directory,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.config import ExchangeConfig
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.render import (
    SHARED,
    as_bool,
    observe,
    read_invocation,
    size_mb,
    statistics_invocation,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.rights import (
    observed_rights,
    rights_reads,
    shared_dns,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.transport import (
    ExchangeError,
    ExchangeTransport,
)
from ansible_collections.danang.mail.plugins.module_utils.plan import Observed
from ansible_collections.danang.mail.plugins.module_utils.times import UTC, dotnet_time, iso


@dataclass
class Seen:
    """What the last read saw."""

    mailboxes: dict[str, dict[str, Any]] = field(default_factory=dict)  # address -> Get-Mailbox record
    users: dict[str, ADUser] = field(default_factory=dict)  # lower-cased DN -> AD user
    in_use: dict[str, str] = field(default_factory=dict)  # every address a mailbox answers to -> its primary
    facts: dict[str, AccountFacts] = field(default_factory=dict)
    done: bool = False


def read_into(
    seen: Seen, transport: ExchangeTransport, directory: Directory, config: ExchangeConfig
) -> dict[str, Observed]:
    """Every mailbox of the managed OU, keyed by primary SMTP address; ``seen`` holds the rest.
    Raises ``BackendError`` (nothing changed) when Exchange or AD cannot be used."""
    try:
        records = transport.query(read_invocation(config.ad.managed_ou))
        seen.users = directory.users()
        full_access, send_as = (transport.query(read) for read in rights_reads(config.ad.managed_ou))
        statistics = _statistics(transport, config, records) if config.statistics else {}
    except (ExchangeError, ADError) as exc:
        raise BackendError(str(exc)) from None
    seen.mailboxes, seen.in_use, seen.facts = {}, {}, {}
    sams = {
        user.sam_account_name.lower(): str(record.get("PrimarySmtpAddress") or "").lower()
        for record in records
        if (user := seen.users.get(str(record.get("DistinguishedName") or "").lower()))
        and user.sam_account_name
    }
    rights = observed_rights(full_access, send_as, shared_dns(records), sams)
    observed: dict[str, Observed] = {}
    for record in records:
        address = str(record.get("PrimarySmtpAddress") or "").lower()
        if not address:
            continue
        seen.mailboxes[address] = record
        for proxy in record.get("EmailAddresses") or []:
            if str(proxy).lower().startswith("smtp:"):
                seen.in_use.setdefault(str(proxy)[5:].lower(), address)
        seen.in_use[address] = address
        user = seen.users.get(str(record.get("DistinguishedName") or "").lower())
        shared = str(record.get("RecipientTypeDetails")) == SHARED
        # A shared mailbox's AD account is disabled by design (nobody logs on to it). A password
        # policy lock is not the desired state's disable: the plan must not lift it.
        enabled = shared or user is None or user.enabled or user.policy_locked
        observed[address] = observe(record, user, shared, enabled, rights.get(address))
        seen.facts[address] = _facts(address, record, user, shared, enabled, statistics)
    seen.done = True
    return observed


def _statistics(
    transport: ExchangeTransport, config: ExchangeConfig, records: Sequence[Mapping[str, Any]]
) -> dict[str, Mapping[str, Any]]:
    """Get-MailboxStatistics, one pipeline per database, keyed by mailbox GUID."""
    databases = sorted({*config.databases, *(str(r["Database"]) for r in records if r.get("Database"))})
    found: dict[str, Mapping[str, Any]] = {}
    for database in databases:
        for stat in transport.query(statistics_invocation(database)):
            if stat.get("MailboxGuid"):
                found[str(stat["MailboxGuid"]).lower()] = stat
    return found


def _facts(
    address: str,
    record: Mapping[str, Any],
    user: Optional[ADUser],
    shared: bool,
    enabled: bool,
    statistics: Mapping[str, Mapping[str, Any]],
) -> AccountFacts:
    stat = statistics.get(str(record.get("ExchangeGuid") or "").lower(), {})
    # Exchange sends its server's local time with an offset, AD UTC: compared as moments, not texts.
    try:
        last_logon = dotnet_time(stat.get("LastLogonTime"))
    except ValueError as exc:
        raise BackendError(f"Get-MailboxStatistics of {address}: LastLogonTime: {exc}") from None
    ad_logon = user.last_logon if user else None
    # lastLogonTimestamp may be up to 14 days older than the last logon: counted at its value plus
    # that lag, so a mailbox in use never looks idle.
    times = [t for t in (last_logon, ad_logon + AD_LOGON_LAG if ad_logon else None) if t]
    return AccountFacts(
        address=address,
        dn=record.get("DistinguishedName"),
        shared=shared,
        enabled=enabled,
        mailbox=True,
        # The mailbox's own quota; None while the database's defaults apply (R-30 needs its own).
        quota_mb=None
        if as_bool(record.get("UseDatabaseQuotaDefaults"))
        else size_mb(record.get("ProhibitSendReceiveQuota")),
        used_mb=size_mb(stat.get("TotalItemSize")) if stat else None,
        # LastLogonTime is stamped by background assistants too; AD's lastLogonTimestamp
        # (replicated, up to ~14 days late) is the other half of "not accessed".
        last_login=iso(last_logon, UTC),
        created=iso(user.created, UTC) if user else None,  # AD whenCreated
        last_access=iso(max(times), UTC) if times else None,
        password_changed=iso(user.password_changed, UTC) if user else None,
        must_change_password=bool(user and user.must_change_password and not shared),
        locked=bool(user and user.policy_locked),
        reclaimed=bool(user and user.reclaimed),
        own={
            "database": str(record.get("Database") or "") or None,
            "sam_account_name": user.sam_account_name if user else None,
            "last_logon_ad": iso(ad_logon, UTC),
            "password_issued": iso(user.password_issued, UTC) if user else None,
        },
    )
