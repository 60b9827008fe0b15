# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who may open a shared mailbox on Exchange (R-71, R-46, R-51), without servers.

The rows are shaped as Exchange sends them: an ACE's ``Identity`` is the mailbox's canonical name
and ``User`` is ``DOMAIN\\user`` (``Identity : contoso.com/Users/Administrator``, ``User : NT
AUTHORITY\\SELF``, ``AccessRights : {FullAccess, ReadPermission}``, ``IsInherited : False`` in the
Get-MailboxPermission capture at https://pastebin.com/JJLR5Lmg); the default entries every mailbox
has are those of learn.microsoft.com/powershell/module/exchange/get-mailboxpermission
(Description); Send As is ``-ExtendedRights "Send As"`` (…/add-adpermission, Example 1).
"""

from __future__ import annotations

import dataclasses

import pytest
from cmdlet_signatures import assert_binds_in_lab, assert_matches_signature

pytest.importorskip("ldap3")

from ansible_collections.danang.mail.plugins.module_utils.accounts import Account
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import Invocation
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.render import (
    observe,
    render,
    step_for,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.rights import (
    canonical_names,
    is_system,
    observed_rights,
    rights_reads,
)
from ansible_collections.danang.mail.plugins.module_utils.plan import CREATE, UPDATE, Change, make_plan

OU = "OU=DanangMail,DC=danang,DC=gov,DC=vn"
DOMAIN = "@danang.gov.vn"
AN, BINH, CHI = (f"{name}{DOMAIN}" for name in ("annv", "binhtt", "chilt"))
SHARE = Account(
    f"stttt{DOMAIN}", "agency", "agency/stttt", "Sở Thông tin và Truyền thông", "stttt", access=(AN, BINH)
)
RESERVED = Account(
    f"chanthurac{DOMAIN}", "reserved", "reserved/chanthurac", "Chặn thư rác", "stttt", access=(CHI,)
)
SHARE_DN = f"CN=Sở Thông tin và Truyền thông (stttt),{OU}"
CANONICAL = "danang.gov.vn/DanangMail/Sở Thông tin và Truyền thông (stttt)"
SAMS = {"annv": AN, "binhtt": BINH, "chilt": CHI}


def ace(
    user: str, rights: str = "FullAccess", *, inherited: bool = False, deny: bool = False, on: str = CANONICAL
):
    return {
        "Identity": on,
        "User": user,
        "AccessRights": rights.split(", "),
        "IsInherited": inherited,
        "Deny": deny,
    }


def send_as(user: str, right: str = "Send-As", **more: object) -> dict:
    return {**ace(user, "ExtendedRight", **more), "ExtendedRights": [right]}


# Every mailbox's default entries (get-mailboxpermission, Description) and AD's for SELF.
DEFAULTS = [
    ace("NT AUTHORITY\\SELF", "FullAccess, ReadPermission"),
    ace("DANANG\\Domain Admins", "FullAccess", inherited=True, deny=True),
    ace("DANANG\\Exchange Servers", "FullAccess, ReadPermission", inherited=True),
    ace("NT AUTHORITY\\SYSTEM", "FullAccess", inherited=True),
]
AD_DEFAULTS = [send_as("NT AUTHORITY\\SELF"), send_as("NT AUTHORITY\\SELF", "Receive-As")]


def rights(full: list[dict], sendas: list[dict]) -> dict:
    return observed_rights(full, sendas, {SHARE_DN: SHARE.address}, SAMS)[SHARE.address]


def test_render_gives_the_sorted_addresses_for_shared_mailboxes_only() -> None:
    shuffled = dataclasses.replace(SHARE, access=(BINH.upper(), AN))
    assert render(shuffled)["full_access"] == render(shuffled)["send_as"] == [AN, BINH]
    person = Account(AN, "person", "p/1", "Nguyễn Văn An", "stttt", first_name="An", last_name="Nguyễn Văn")
    assert "full_access" not in render(person) and "send_as" not in render(person)


def test_system_principals_inherited_and_deny_entries_are_not_the_citys() -> None:
    assert rights(DEFAULTS, AD_DEFAULTS) == {"full_access": [], "send_as": []}
    assert is_system("NT AUTHORITY\\SELF") and is_system("S-1-5-18") and is_system("DANANG\\Exchange Servers")
    assert not is_system("DANANG\\annv") and not is_system("S-1-5-21-1-2-3-4")


def test_trustees_are_read_as_addresses_and_anyone_else_as_exchange_names_them() -> None:
    full = [
        *DEFAULTS,
        ace("DANANG\\annv"),
        ace("DANANG\\helpdesk"),
        ace("S-1-5-21-9-8-7-6"),
        ace("DANANG\\binhtt", "ReadPermission"),
    ]
    sendas = [*AD_DEFAULTS, send_as("DANANG\\binhtt", "Send As"), send_as("DANANG\\chilt", deny=True)]
    assert rights(full, sendas) == {
        "full_access": ["DANANG\\helpdesk", "S-1-5-21-9-8-7-6", AN],
        "send_as": [BINH],
    }


def test_an_ace_names_its_mailbox_by_canonical_name_escaped_or_not() -> None:
    dn = f"CN=Phòng Tổ chức/Hành chính\\, Sở (tchc),{OU}"
    assert canonical_names(dn) == {
        "danang.gov.vn/DanangMail/Phòng Tổ chức/Hành chính, Sở (tchc)",
        "danang.gov.vn/DanangMail/Phòng Tổ chức\\/Hành chính, Sở (tchc)",
    }
    row = ace("DANANG\\annv", on="danang.gov.vn/DanangMail/Phòng Tổ chức\\/Hành chính, Sở (tchc)")
    assert observed_rights([row], [], {dn: "tchc@x"}, SAMS)["tchc@x"]["full_access"] == [AN]


def _observed(full: list[str], sendas: list[str]) -> dict:
    want = render(SHARE)
    record = {
        "PrimarySmtpAddress": SHARE.address,
        "Name": want["name"],
        "DisplayName": want["display_name"],
        "Alias": want["alias"],
        "RecipientTypeDetails": "SharedMailbox",
        "UseDatabaseQuotaDefaults": False,
        "IssueWarningQuota": "1.8 GB (1,932,525,568 bytes)",
        "ProhibitSendQuota": "2 GB (2,147,483,648 bytes)",
        "ProhibitSendReceiveQuota": "2 GB (2,147,483,648 bytes)",
        "MaxSendSize": "28 MB (29,360,128 bytes)",
        "MaxReceiveSize": "28 MB (29,360,128 bytes)",
        "CustomAttribute3": SHARE.holder_id,
    }
    return {SHARE.address: observe(record, None, True, True, {"full_access": full, "send_as": sendas})}


def test_a_hand_given_right_is_an_update_that_removes_it_and_adds_the_missing() -> None:
    plan = make_plan({SHARE.address: SHARE}, _observed([AN, "DANANG\\helpdesk"], [AN, BINH]), render)
    (change,) = plan.changes
    assert change.action == UPDATE
    assert change.before == {"full_access": [AN, "DANANG\\helpdesk"]}
    assert change.after == {"full_access": [AN, BINH]}
    step = step_for(change, managed_ou=OU, dn=SHARE_DN)
    assert step.invocations == []
    calls = [(i.cmdlet, i.params) for i in step.rights]
    assert calls == [
        (
            "Add-MailboxPermission",
            {"Identity": SHARE.address, "User": BINH, "AccessRights": "FullAccess", "AutoMapping": True},
        ),
        (
            "Remove-MailboxPermission",
            {
                "Identity": SHARE.address,
                "User": "DANANG\\helpdesk",
                "AccessRights": "FullAccess",
                "Confirm": False,
            },
        ),
    ]


def test_the_rights_as_wanted_plan_nothing() -> None:
    plan = make_plan({SHARE.address: SHARE}, _observed([AN, BINH], [AN, BINH]), render)
    assert plan.changes == () and plan.unchanged == (SHARE.address,)


def test_a_rights_change_without_the_mailboxs_dn_is_refused_not_guessed() -> None:
    change = Change(UPDATE, SHARE.address, SHARE, {"send_as": []}, {"send_as": [AN]})
    step = step_for(change, managed_ou=OU)
    assert step.error and step.rights == []


def test_a_new_share_gets_its_rights_after_every_mailbox_of_the_run_send_as_on_its_dn() -> None:
    """The trustee may be made in the same run: the grants wait until every change's cmdlets ran."""
    step = step_for(Change(CREATE, RESERVED.address, RESERVED), managed_ou=OU)
    assert [i.cmdlet for i in step.invocations] == ["New-Mailbox", "Set-Mailbox"]
    assert [(i.cmdlet, i.params["User"]) for i in step.rights] == [
        ("Add-MailboxPermission", CHI),
        ("Add-ADPermission", CHI),
    ]
    assert step.rights[-1].params["Identity"] == f"CN=Chặn thư rác (chanthurac),{OU}"


def test_a_renamed_share_gets_send_as_on_its_new_dn() -> None:
    """Set-Mailbox -Name renames the AD object (its cn) before the grants run."""
    old_dn = f"CN=Sở cũ\\, tạm (stttt),{OU}"
    change = Change(
        UPDATE,
        SHARE.address,
        SHARE,
        {"name": "x", "send_as": []},
        {"name": "Sở mới, Đà Nẵng (stttt)", "send_as": [AN]},
    )
    (grant,) = step_for(change, managed_ou=OU, dn=old_dn).rights
    assert grant.params["Identity"] == f"CN=Sở mới\\, Đà Nẵng (stttt),{OU}"


def every_invocation() -> list[Invocation]:
    want = {key: render(SHARE)[key] for key in ("full_access", "send_as")}
    change = Change(UPDATE, SHARE.address, SHARE, {"full_access": [CHI], "send_as": [CHI]}, want)
    full, sendas = rights_reads(OU)
    return [*step_for(change, managed_ou=OU, dn=SHARE_DN).rights, full.source, full, sendas]


def test_every_permission_cmdlet_is_emitted() -> None:
    assert {i.cmdlet for i in every_invocation()} == {
        "Add-MailboxPermission",
        "Remove-MailboxPermission",
        "Add-ADPermission",
        "Remove-ADPermission",
        "Get-Mailbox",
        "Get-MailboxPermission",
        "Get-ADPermission",
    }


def _bound(invocation: Invocation) -> Invocation:
    """A piped read as Exchange binds it: the piped mailbox is its -Identity."""
    if invocation.source is None:
        return invocation
    return Invocation.of(invocation.cmdlet, {"Identity": SHARE.address, **invocation.params})


@pytest.mark.parametrize("invocation", every_invocation(), ids=str)
def test_invocation_matches_exchange_signature(invocation: Invocation) -> None:
    assert_matches_signature(_bound(invocation))


@pytest.mark.parametrize("invocation", every_invocation(), ids=str)
def test_invocation_binds_in_the_exchange_lab(invocation: Invocation) -> None:
    assert_binds_in_lab(_bound(invocation))
