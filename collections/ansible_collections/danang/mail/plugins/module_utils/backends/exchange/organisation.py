# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exchange's organisation-wide settings the regulation asks for: a pure plan (no I/O).

:func:`plan_org` compares :class:`OrgSettings` (what the city wants) with :class:`OrgState` (what
``backends.exchange.organisation_io.read_org`` read) and returns one :class:`OrgChange` per item that
differs, each carrying the cmdlets or LDAP writes that make it so:

- ``transport`` — ``Set-TransportConfig -MaxSendSize/-MaxReceiveSize`` 28 MB (R-31: a 20 MB attachment
  Base64-encoded in 76-character lines is 27.4 MB, see ``render.MESSAGE_SIZE_MB``).
- ``remote_domain`` — the built-in remote domain ``Default`` with ``AutoForwardEnabled $false`` (R-50).
- ``accepted_domain:<d>`` — the OBM side of the city (its mail domains) as accepted domains
  (``InternalRelay``), so that mail to OBM counts as inside the organisation for the rule below.
  When OBM and Exchange share one domain (the lab: danang.gov.vn) it is already the authoritative
  accepted domain and nothing is added.
- ``transport_rule`` — rejects automatic forwarding from inside to outside the organisation
  (``-FromScope InOrganization -SentToScope NotInOrganization -MessageTypeMatches AutoForward``,
  5.7.1, R-50): remote domains only govern forwarding by the server; the rule also stops an inbox
  rule's forward or redirect.
- ``spam_mailbox`` — the shared spam-report mailbox ``chanthurac`` (R-51), made and kept like an
  agency mailbox (``render``: quota R-30, sizes R-31).
- ``malware_policy``, ``malware_server:<s>``, ``content_filter``, ``sender_filter`` — spam and virus
  filtering (R-52), planned by ``filters`` when ``OrgSettings.filters`` is given.
- ``password_policy`` — a fine-grained password policy (``msDS-PasswordSettings``, LDAP) applied to
  ``policy_group``, a global security group in the managed OU holding every person's account
  (``policy_members``: added and removed to match).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.accounts import Account
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange import filters as exchange_filters
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import Invocation
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.render import (
    MAILBOX_PROPERTIES,
    MESSAGE_SIZE_MB,
    SHARED,
    as_bool,
    observed_attributes,
    render,
    size_mb,
    size_value,
    step_for,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.rights import RIGHTS
from ansible_collections.danang.mail.plugins.module_utils.model import (
    KIND_RESERVED,
    SPAM_DISPLAY_NAME,
    SPAM_HOLDER_ID,
    SPAM_LOCAL_PART,
)
from ansible_collections.danang.mail.plugins.module_utils.plan import CREATE, UPDATE, Change

try:
    from ldap3.utils.dn import escape_rdn
except ImportError:  # the module reports the missing library first (missing_required_lib)
    escape_rdn = None  # type: ignore[assignment]

TICKS_PER_MINUTE = 600_000_000  # AD intervals are negative counts of 100 ns
GLOBAL_SECURITY_GROUP = -2147483646  # groupType: ADS_GROUP_TYPE_GLOBAL_GROUP | SECURITY_ENABLED
PSO_CONTAINER = "CN=Password Settings Container,CN=System"
FORWARD_RULE_NAME = "danang.mail R-50: no automatic forwarding outside the city"
FORWARD_RULE_TEXT = (
    "Automatic forwarding of official mail outside the city mail system is not allowed (R-50). "
    "Tu dong chuyen tiep thu ra ngoai he thong thu dien tu cua thanh pho khong duoc phep."
)


@dataclass(frozen=True)
class PasswordPolicy:
    """A fine-grained password policy (PSO). R-42: 12 characters, complexity (AD checks 3 of 4
    classes; the regulation's 4 of 4 is enforced by this project on every password it issues).
    R-41: not changed for 6 months - AD expires it after ``max_age_days``; ``mailbox_info`` reports it
    and the operator locks. History 5 with a 1-day minimum age: at the R-44 rhythm (3 months) a
    password cannot come back within 15 months, and the minimum age stops cycling through the history
    in one sitting. Lockout: 10 failures in 30 minutes lock for 30 minutes (slows guessing without
    letting a stranger lock people out for long)."""

    name: str = "DanangMail-Users"
    precedence: int = 10
    min_length: int = 12
    complexity: bool = True
    history: int = 5
    min_age_days: int = 1
    max_age_days: int = 180
    lockout_threshold: int = 10
    lockout_window_minutes: int = 30
    lockout_duration_minutes: int = 30

    def attributes(self, applies_to: str) -> dict[str, str]:
        """The PSO's LDAP attributes, as AD returns them (strings, TRUE/FALSE, negative intervals)."""

        def interval(minutes: int) -> str:
            return str(-minutes * TICKS_PER_MINUTE)

        return {
            "msDS-PasswordSettingsPrecedence": str(self.precedence),
            "msDS-PasswordReversibleEncryptionEnabled": "FALSE",
            "msDS-PasswordHistoryLength": str(self.history),
            "msDS-PasswordComplexityEnabled": "TRUE" if self.complexity else "FALSE",
            "msDS-MinimumPasswordLength": str(self.min_length),
            "msDS-MinimumPasswordAge": interval(self.min_age_days * 1440),
            "msDS-MaximumPasswordAge": interval(self.max_age_days * 1440),
            "msDS-LockoutThreshold": str(self.lockout_threshold),
            "msDS-LockoutObservationWindow": interval(self.lockout_window_minutes),
            "msDS-LockoutDuration": interval(self.lockout_duration_minutes),
            "msDS-PSOAppliesTo": applies_to,
        }


@dataclass(frozen=True)
class OrgSettings:
    domain: str  # the city's mail domain (Exchange's authoritative accepted domain)
    base_dn: str
    managed_ou: str
    message_size_mb: int = MESSAGE_SIZE_MB
    internal_domains: tuple[str, ...] = ()  # the OBM side of the city
    forward_rule_name: str = FORWARD_RULE_NAME
    forward_rule_text: str = FORWARD_RULE_TEXT
    spam_mailbox: bool = True
    password_policy: Optional[PasswordPolicy] = field(default_factory=PasswordPolicy)
    policy_group: str = "DanangMail Users"
    filters: Optional[exchange_filters.FilterSettings] = None

    @property
    def spam_account(self) -> Account:
        return Account(
            # the same account as desired_accounts gives danang.mail.mailbox with a technical team
            f"{SPAM_LOCAL_PART}@{self.domain}",
            KIND_RESERVED,
            SPAM_HOLDER_ID,
            SPAM_DISPLAY_NAME,
            agency="",
        )

    @property
    def pso_dn(self) -> str:
        name = self.password_policy.name if self.password_policy else ""
        return f"CN={escape_rdn(name)},{PSO_CONTAINER},{self.base_dn}"

    @property
    def group_dn(self) -> str:
        return f"CN={escape_rdn(self.policy_group)},{self.managed_ou}"

    @property
    def group_sam_account_name(self) -> str:
        folded = unicodedata.normalize("NFKD", self.policy_group).encode("ascii", "ignore").decode()
        return "".join(c if c.isalnum() or c in "-_." else "-" for c in folded)[:20]

    def rule(self) -> dict[str, str]:
        """The R-50 transport rule's managed properties."""
        return {
            "FromScope": "InOrganization",
            "SentToScope": "NotInOrganization",
            "MessageTypeMatches": "AutoForward",
            "RejectMessageEnhancedStatusCode": "5.7.1",
            "RejectMessageReasonText": self.forward_rule_text,
            "Mode": "Enforce",
        }


@dataclass(frozen=True)
class OrgState:
    """What ``read_org`` found; None where an object does not exist."""

    transport: Mapping[str, Any]
    remote_default: Optional[Mapping[str, Any]]
    accepted_domains: Mapping[str, str]  # lower-cased domain name -> DomainType
    rule: Optional[Mapping[str, Any]]
    spam_mailbox: Optional[Mapping[str, Any]]  # Get-Mailbox record
    pso: Optional[Mapping[str, str]]  # LDAP attributes, single values as strings
    group_members: Optional[frozenset[str]]  # member DNs; None: no group
    policy_members: frozenset[str] = frozenset()  # the DNs that belong in the group
    filters: Optional[exchange_filters.FilterState] = None


@dataclass(frozen=True)
class LdapWrite:
    """One LDAP operation: ``add`` (``values`` are the entry's attributes) or ``modify`` (``values``
    replaced; ``add_members`` / ``delete_members`` change ``member`` value by value)."""

    operation: str
    dn: str
    values: Mapping[str, Any] = field(default_factory=dict)
    add_members: tuple[str, ...] = ()
    delete_members: tuple[str, ...] = ()


@dataclass
class OrgChange:
    item: str
    before: dict[str, Any]
    after: dict[str, Any]
    invocations: list[Invocation] = field(default_factory=list)
    ldap: list[LdapWrite] = field(default_factory=list)

    def report(self) -> dict[str, Any]:
        return {"item": self.item, "before": self.before, "after": self.after}


def read_invocations(settings: OrgSettings) -> dict[str, Invocation]:
    """The reads of the organisation, one pipeline each (their outputs cannot share one)."""
    reads = {
        "transport": Invocation.of("Get-TransportConfig", {}),
        "remote_domains": Invocation.of("Get-RemoteDomain", {}),
        "accepted_domains": Invocation.of("Get-AcceptedDomain", {}),
        "rules": Invocation.of("Get-TransportRule", {}),
    }
    if settings.spam_mailbox:
        reads["shared_mailboxes"] = Invocation.of(
            "Get-Mailbox",
            {
                "OrganizationalUnit": settings.managed_ou,
                "RecipientTypeDetails": SHARED,
                "ResultSize": "Unlimited",
            },
            select=MAILBOX_PROPERTIES,
        )
    if settings.filters is not None:
        reads.update(exchange_filters.read_invocations())
    return reads


def _differ(want: Mapping[str, Any], have: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = [k for k in want if want[k] != have.get(k)]
    return {k: have.get(k) for k in keys}, {k: want[k] for k in keys}


def plan_org(settings: OrgSettings, state: OrgState) -> list[OrgChange]:
    """Every item of ``settings`` that ``state`` does not hold yet, in a fixed order."""
    changes: list[OrgChange] = []
    sizes = {"MaxSendSize": settings.message_size_mb, "MaxReceiveSize": settings.message_size_mb}
    before, after = _differ(sizes, {k: size_mb(state.transport.get(k)) for k in sizes})
    if after:
        params = {k: size_value(v) for k, v in after.items()}
        changes.append(OrgChange("transport", before, after, [Invocation.of("Set-TransportConfig", params)]))

    have_forward = as_bool((state.remote_default or {}).get("AutoForwardEnabled"))
    if state.remote_default is None or have_forward is not False:
        invocation = Invocation.of("Set-RemoteDomain", {"Identity": "Default", "AutoForwardEnabled": False})
        changes.append(
            OrgChange(
                "remote_domain",
                {"AutoForwardEnabled": have_forward},
                {"AutoForwardEnabled": False},
                [invocation],
            )
        )

    for domain in sorted({d.lower() for d in settings.internal_domains}):
        if domain not in state.accepted_domains:
            params = {"Name": domain, "DomainName": domain, "DomainType": "InternalRelay"}
            changes.append(
                OrgChange(
                    f"accepted_domain:{domain}",
                    {},
                    {"DomainName": domain, "DomainType": "InternalRelay"},
                    [Invocation.of("New-AcceptedDomain", params)],
                )
            )

    changes.extend(_rule_changes(settings, state.rule))
    if settings.spam_mailbox:
        changes.extend(_spam_changes(settings, state.spam_mailbox))
    if settings.filters is not None and state.filters is not None:
        planned = exchange_filters.plan_filters(
            settings.filters, state.filters, settings.spam_account.address
        )
        changes.extend(OrgChange(*change) for change in planned)
    if settings.password_policy is not None:
        changes.extend(_policy_changes(settings, settings.password_policy, state))
    return changes


def _rule_changes(settings: OrgSettings, have: Optional[Mapping[str, Any]]) -> list[OrgChange]:
    want = settings.rule()
    name = settings.forward_rule_name
    if have is None:
        params = {"Name": name, **want, "Enabled": True}
        return [
            OrgChange(
                "transport_rule", {}, {"Name": name, **want}, [Invocation.of("New-TransportRule", params)]
            )
        ]
    before, after = _differ(want, {k: None if have.get(k) is None else str(have[k]) for k in want})
    invocations = [Invocation.of("Set-TransportRule", {"Identity": name, **after})] if after else []
    if str(have.get("State") or "Enabled") != "Enabled":
        before["State"], after["State"] = have.get("State"), "Enabled"
        invocations.append(Invocation.of("Enable-TransportRule", {"Identity": name}))
    return [OrgChange("transport_rule", before, after, invocations)] if invocations else []


def _spam_changes(settings: OrgSettings, record: Optional[Mapping[str, Any]]) -> list[OrgChange]:
    account = settings.spam_account
    # The organisation's own mailbox, held by no ledger holder: its holder id is not compared, nor
    # who may open it (the desired state's accounts carry access, rights.py).
    want = {k: v for k, v in render(account).items() if k not in ("holder_id", *RIGHTS)}
    if record is None:
        change = Change(CREATE, account.address, account, {}, want)
        step = step_for(change, managed_ou=settings.managed_ou)
        return [OrgChange("spam_mailbox", {}, {"address": account.address, **want}, step.invocations)]
    have = observed_attributes(record, None, str(record.get("RecipientTypeDetails")) == SHARED)
    have.pop("holder_id", None)
    before, after = _differ(want, have)
    if not after:
        return []
    step = step_for(Change(UPDATE, account.address, account, before, after), managed_ou=settings.managed_ou)
    return [OrgChange("spam_mailbox", before, after, step.invocations)]


def _policy_changes(settings: OrgSettings, policy: PasswordPolicy, state: OrgState) -> list[OrgChange]:
    changes: list[OrgChange] = []
    group = settings.group_dn
    if state.group_members is None:
        members = tuple(sorted(state.policy_members))
        values = {
            "objectClass": ["top", "group"],
            "cn": settings.policy_group,
            "sAMAccountName": settings.group_sam_account_name,
            "groupType": str(GLOBAL_SECURITY_GROUP),
            "description": "Accounts managed by danang.mail, for the password policy (R-41, R-42)",
            "instanceType": "4",
            "objectCategory": f"CN=Group,CN=Schema,CN=Configuration,{settings.base_dn}",
        }
        if members:
            values["member"] = list(members)
        changes.append(
            OrgChange(
                "policy_group",
                {},
                {"dn": group, "members": len(members)},
                ldap=[LdapWrite("add", group, values)],
            )
        )
    else:
        # DNs compare without letter case (AD returns them as stored).
        want = {dn.lower(): dn for dn in state.policy_members}
        have = {dn.lower(): dn for dn in state.group_members}
        add = tuple(sorted(want[k] for k in want.keys() - have.keys()))
        delete = tuple(sorted(have[k] for k in have.keys() - want.keys()))
        if add or delete:
            changes.append(
                OrgChange(
                    "policy_group",
                    {"members": len(state.group_members)},
                    {"members": len(want), "added": len(add), "removed": len(delete)},
                    ldap=[LdapWrite("modify", group, add_members=add, delete_members=delete)],
                )
            )
    want = policy.attributes(group)
    if state.pso is None:
        values = {"objectClass": ["top", "msDS-PasswordSettings"], "cn": policy.name, **want}
        changes.append(
            OrgChange("password_policy", {}, dict(want), ldap=[LdapWrite("add", settings.pso_dn, values)])
        )
    else:
        have = {k: state.pso.get(k) for k in want}
        if have.get("msDS-PSOAppliesTo"):
            have["msDS-PSOAppliesTo"] = _same_dn(str(have["msDS-PSOAppliesTo"]), group)
        before, after = _differ(want, have)
        if after:
            changes.append(
                OrgChange(
                    "password_policy", before, after, ldap=[LdapWrite("modify", settings.pso_dn, after)]
                )
            )
    return changes


def _same_dn(have: str, want: str) -> str:
    """``want`` when ``have`` names the same entry (AD may return other letter case)."""
    return want if have.lower() == want.lower() else have


def reports(changes: Sequence[OrgChange]) -> list[dict[str, Any]]:
    return [c.report() for c in changes]


def diff(changes: Sequence[OrgChange]) -> dict[str, dict[str, Any]]:
    return {"before": {c.item: c.before for c in changes}, "after": {c.item: c.after for c in changes}}
