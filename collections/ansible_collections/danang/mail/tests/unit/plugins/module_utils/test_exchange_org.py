# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The organisation plan (exchange_org) without servers: what differs, in which cmdlets and LDAP
writes, and every cmdlet checked against the published signatures and the lab's binder."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("ldap3")
pytest.importorskip("pypsrp")

from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import Invocation
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.organisation import (
    GLOBAL_SECURITY_GROUP,
    OrgSettings,
    OrgState,
    PasswordPolicy,
    plan_org,
    read_invocations,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.render import (
    SHARED,
    render,
)
from cmdlet_signatures import assert_binds_in_lab, assert_matches_signature

BASE = "DC=danang,DC=gov,DC=vn"
OU = f"OU=DanangMail,{BASE}"
SETTINGS = OrgSettings(domain="danang.gov.vn", base_dn=BASE, managed_ou=OU)
PERSONS = frozenset({f"CN=Nguyễn Văn Dũng (dungnv),{OU}", f"CN=Lê Quang Nam (namlq),{OU}"})


def spam_record(**overrides: Any) -> dict[str, Any]:
    want = render(SETTINGS.spam_account)
    record = {
        "Name": want["name"],
        "DisplayName": want["display_name"],
        "Alias": want["alias"],
        "PrimarySmtpAddress": SETTINGS.spam_account.address,
        "RecipientTypeDetails": SHARED,
        "UseDatabaseQuotaDefaults": False,
        "IssueWarningQuota": "1.8 GB (1,932,525,568 bytes)",
        "ProhibitSendQuota": "2 GB (2,147,483,648 bytes)",
        "ProhibitSendReceiveQuota": "2 GB (2,147,483,648 bytes)",
        "MaxSendSize": "28 MB (29,360,128 bytes)",
        "MaxReceiveSize": "28 MB (29,360,128 bytes)",
    }
    return {**record, **overrides}


def configured(**overrides: Any) -> OrgState:
    """The state of an organisation that already holds every setting."""
    group = SETTINGS.group_dn
    values = {
        "transport": {
            "MaxSendSize": "28 MB (29,360,128 bytes)",
            "MaxReceiveSize": "28 MB (29,360,128 bytes)",
        },
        "remote_default": {"Name": "Default", "AutoForwardEnabled": False},
        "accepted_domains": {"danang.gov.vn": "Authoritative"},
        "rule": {"Name": SETTINGS.forward_rule_name, "State": "Enabled", **SETTINGS.rule()},
        "spam_mailbox": spam_record(),
        "pso": {**PasswordPolicy().attributes(group.upper())},
        "group_members": frozenset(dn.lower() for dn in PERSONS),
        "policy_members": PERSONS,
    }
    return OrgState(**{**values, **overrides})


def items(changes: list[Any]) -> list[str]:
    return [c.item for c in changes]


def test_nothing_to_do_when_everything_is_there() -> None:
    assert plan_org(SETTINGS, configured()) == []


def test_fresh_organisation_gets_everything() -> None:
    fresh = OrgState(
        transport={"MaxSendSize": "10 MB (10,485,760 bytes)", "MaxReceiveSize": "10 MB (10,485,760 bytes)"},
        remote_default={"Name": "Default", "AutoForwardEnabled": True},
        accepted_domains={"danang.gov.vn": "Authoritative"},
        rule=None,
        spam_mailbox=None,
        pso=None,
        group_members=None,
        policy_members=PERSONS,
    )
    settings = OrgSettings(
        domain="danang.gov.vn", base_dn=BASE, managed_ou=OU, internal_domains=("ThuDienTu.danang.gov.vn",)
    )
    changes = plan_org(settings, fresh)
    assert items(changes) == [
        "transport",
        "remote_domain",
        "accepted_domain:thudientu.danang.gov.vn",
        "transport_rule",
        "spam_mailbox",
        "policy_group",
        "password_policy",
    ]
    by = {c.item: c for c in changes}
    assert by["transport"].before == {"MaxSendSize": 10, "MaxReceiveSize": 10}
    assert by["transport"].invocations[0].params == {"MaxSendSize": "28MB", "MaxReceiveSize": "28MB"}
    assert by["remote_domain"].invocations[0].params == {"Identity": "Default", "AutoForwardEnabled": False}
    assert (
        by["accepted_domain:thudientu.danang.gov.vn"].invocations[0].params["DomainType"] == "InternalRelay"
    )
    rule = by["transport_rule"].invocations[0]
    assert rule.cmdlet == "New-TransportRule" and rule.params["Enabled"] is True
    assert {k: rule.params[k] for k in ("FromScope", "SentToScope", "MessageTypeMatches")} == {
        "FromScope": "InOrganization",
        "SentToScope": "NotInOrganization",
        "MessageTypeMatches": "AutoForward",
    }
    assert rule.params["RejectMessageEnhancedStatusCode"] == "5.7.1"
    spam = by["spam_mailbox"].invocations
    assert [i.cmdlet for i in spam] == ["New-Mailbox", "Set-Mailbox"]
    assert (
        spam[0].params["PrimarySmtpAddress"] == "chanthurac@danang.gov.vn"
        and "Password" not in spam[0].params
    )
    group = by["policy_group"].ldap[0]
    assert group.operation == "add" and group.dn == f"CN=DanangMail Users,{OU}"
    assert group.values["groupType"] == str(GLOBAL_SECURITY_GROUP) and sorted(
        group.values["member"]
    ) == sorted(PERSONS)
    pso = by["password_policy"].ldap[0]
    assert pso.dn == f"CN=DanangMail-Users,CN=Password Settings Container,CN=System,{BASE}"
    assert pso.values["msDS-MinimumPasswordLength"] == "12"
    assert pso.values["msDS-PasswordComplexityEnabled"] == "TRUE"
    assert pso.values["msDS-MaximumPasswordAge"] == str(-180 * 86_400 * 10_000_000)
    assert pso.values["msDS-PSOAppliesTo"] == group.dn


def test_policy_members_follow_the_persons() -> None:
    leaver = f"CN=Old Person (oldp),{OU}"
    newcomer = f"CN=Đặng Bảo Anh (anhdb),{OU}"
    state = configured(
        group_members=frozenset({*(dn.upper() for dn in PERSONS), leaver}),
        policy_members=PERSONS | {newcomer},
    )
    [change] = plan_org(SETTINGS, state)
    write = change.ldap[0]
    assert (change.item, write.operation) == ("policy_group", "modify")
    assert write.add_members == (newcomer,) and write.delete_members == (leaver,)
    assert change.after == {"members": 3, "added": 1, "removed": 1}


def test_changed_policy_values_are_replaced_only() -> None:
    policy = PasswordPolicy(history=24, lockout_threshold=5)
    settings = OrgSettings(domain="danang.gov.vn", base_dn=BASE, managed_ou=OU, password_policy=policy)
    [change] = plan_org(settings, configured())
    assert change.item == "password_policy"
    assert change.after == {"msDS-PasswordHistoryLength": "24", "msDS-LockoutThreshold": "5"}
    assert change.ldap[0].operation == "modify"


def test_rule_edited_by_hand_is_set_back_and_enabled() -> None:
    state = configured(rule={**configured().rule, "SentToScope": "InOrganization", "State": "Disabled"})
    [change] = plan_org(SETTINGS, state)
    assert [(i.cmdlet, i.params) for i in change.invocations] == [
        ("Set-TransportRule", {"Identity": SETTINGS.forward_rule_name, "SentToScope": "NotInOrganization"}),
        ("Enable-TransportRule", {"Identity": SETTINGS.forward_rule_name}),
    ]


def test_spam_mailbox_quota_set_back() -> None:
    state = configured(spam_mailbox=spam_record(UseDatabaseQuotaDefaults=True))
    [change] = plan_org(SETTINGS, state)
    [invocation] = change.invocations
    assert invocation.cmdlet == "Set-Mailbox" and invocation.params["UseDatabaseQuotaDefaults"] is False


def test_password_policy_can_be_left_alone() -> None:
    settings = OrgSettings(domain="danang.gov.vn", base_dn=BASE, managed_ou=OU, password_policy=None)
    assert plan_org(settings, configured(pso=None, group_members=None)) == []


def every_invocation() -> list[Invocation]:
    fresh = configured(
        transport={},
        remote_default=None,
        rule=None,
        spam_mailbox=None,
    )
    settings = OrgSettings(domain="danang.gov.vn", base_dn=BASE, managed_ou=OU, internal_domains=("obm.vn",))
    edited = configured(rule={**configured().rule, "Mode": "Audit", "State": "Disabled"})
    found = [i for state in (fresh, edited) for c in plan_org(settings, state) for i in c.invocations]
    return [*found, *read_invocations(settings).values()]


@pytest.mark.parametrize("invocation", every_invocation(), ids=str)
def test_invocation_matches_exchange_signature(invocation: Invocation) -> None:
    assert_matches_signature(invocation)


@pytest.mark.parametrize("invocation", every_invocation(), ids=str)
def test_invocation_binds_in_the_exchange_lab(invocation: Invocation) -> None:
    assert_binds_in_lab(invocation)
