# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read and write the organisation settings of ``exchange_org`` (the plan itself is pure: ``organisation``).

Reads: five pipelines (transport config, remote domains, accepted domains, transport rules, the
shared mailboxes of the managed OU), four for the filters (``filters.read_invocations``) and three
LDAP reads (the policy, its group, the persons of the managed OU). Writes: every cmdlet of the
plan as the statements of one pipeline, then the LDAP writes in plan order (the group before the
policy that names it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.backends.exchange import filters
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.ad import Directory
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import OK
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.organisation import (
    LdapWrite,
    OrgChange,
    OrgSettings,
    OrgState,
    read_invocations,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.transport import ExchangeTransport

try:
    import ldap3
except ImportError:  # the module reports the missing library first
    ldap3 = None

# Persons' accounts: user mailboxes (msExchRecipientTypeDetails 1 = UserMailbox) of the managed OU.
PERSON_FILTER = "(&(objectClass=user)(msExchRecipientTypeDetails=1))"
MEMBER_CHUNK = 1000  # member values per LDAP modify (AD's request limits)


def _first(records: Sequence[dict[str, Any]], key: str, value: str) -> Optional[dict[str, Any]]:
    return next((r for r in records if str(r.get(key) or "").lower() == value.lower()), None)


def _single(values: dict[str, Any]) -> dict[str, str]:
    """LDAP attributes as single strings (AD returns booleans as TRUE/FALSE)."""
    plain: dict[str, str] = {}
    for key, value in values.items():
        value = value[0] if isinstance(value, list) and len(value) == 1 else value
        plain[key] = ("TRUE" if value else "FALSE") if isinstance(value, bool) else str(value)
    return plain


def read_org(transport: ExchangeTransport, directory: Directory, settings: OrgSettings) -> OrgState:
    """The organisation as it is; raises ExchangeError / ADError when it cannot be read."""
    read = {name: transport.query(invocation) for name, invocation in read_invocations(settings).items()}
    spam = _first(read.get("shared_mailboxes", []), "PrimarySmtpAddress", settings.spam_account.address)
    pso = group = None
    members: frozenset[str] = frozenset()
    if settings.password_policy is not None:
        found = directory.entry(settings.pso_dn, list(settings.password_policy.attributes("")))
        pso = _single(found) if found is not None else None
        group = directory.entry(settings.group_dn, ["member"])
        members = frozenset(directory.dns(settings.managed_ou, PERSON_FILTER))
    return OrgState(
        transport=read["transport"][0] if read["transport"] else {},
        remote_default=_first(read["remote_domains"], "Name", "Default"),
        accepted_domains={
            str(d.get("DomainName") or "").lower(): str(d.get("DomainType") or "")
            for d in read["accepted_domains"]
        },
        rule=_first(read["rules"], "Name", settings.forward_rule_name),
        spam_mailbox=spam,
        pso=pso,
        group_members=None if group is None else frozenset(str(m) for m in group.get("member") or []),
        policy_members=members,
        filters=filters.state_from(read) if settings.filters is not None else None,
    )


def apply_org(
    transport: ExchangeTransport, directory: Directory, changes: Sequence[OrgChange]
) -> dict[str, str]:
    """Carry out ``changes``; the errors by item (empty when all went well)."""
    errors: dict[str, str] = {}
    invocations = [(change.item, inv) for change in changes for inv in change.invocations]
    if invocations:
        outcomes = transport.run([inv for _item, inv in invocations], batch_size=len(invocations))
        for (item, _inv), outcome in zip(invocations, outcomes, strict=True):
            if outcome.status != OK and item not in errors:
                errors[item] = f"{outcome.invocation.cmdlet}: {outcome.error}"
    for change in changes:
        for write in change.ldap:
            error = _ldap_write(directory, write)
            if error:
                errors.setdefault(change.item, error)
                break
    return errors


def _ldap_write(directory: Directory, write: LdapWrite) -> Optional[str]:
    if write.operation == "add":
        return directory.write("add", write.dn, write.values)
    if write.values:
        error = directory.write(
            "modify", write.dn, {k: [(ldap3.MODIFY_REPLACE, [v])] for k, v in write.values.items()}
        )
        if error:
            return error
    for operation, members in (
        (ldap3.MODIFY_ADD, write.add_members),
        (ldap3.MODIFY_DELETE, write.delete_members),
    ):
        for start in range(0, len(members), MEMBER_CHUNK):
            chunk = list(members[start : start + MEMBER_CHUNK])
            error = directory.write("modify", write.dn, {"member": [(operation, chunk)]})
            if error:
                return error
    return None
