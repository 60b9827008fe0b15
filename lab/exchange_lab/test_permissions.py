# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The permission cmdlets (no server: the lab's store and a directory of three users in memory).

Sources, per test: learn.microsoft.com/powershell/module/exchange/get-mailboxpermission
(Description: the default entries), …/add-mailboxpermission (-AutoMapping), …/remove-mailboxpermission
(-BypassMasterAccountSid: the "ACE doesn't exist" warning), …/add-adpermission (Example:
-ExtendedRights "Send As"); Exchange's task classes, decompiled (PiratesRE/exchange_diff,
Microsoft.Exchange.Management.Recipient/*Permission*.cs, AcePresentationObject.cs).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest

from exchange_lab.cmdlets.binder import bind
from exchange_lab.cmdlets.definitions import DEFINITIONS
from exchange_lab.cmdlets.engine import IMPLEMENTATIONS, Context
from exchange_lab.cmdlets.errors import CmdletError
from exchange_lab.cmdlets.permissions import sid_of
from exchange_lab.store import MailboxStore

BASE = "OU=DanangMail,DC=danang,DC=gov,DC=vn"
SHARED = f"CN=So Noi vu,{BASE}"
AN = f"CN=Nguyen Van An,{BASE}"
BINH = f"CN=Tran Thi Binh,{BASE}"


class Directory:
    """The few calls the permission cmdlets make of the lab's AD, over a dict (sam -> entry)."""

    netbios = "DANANG"

    def __init__(self) -> None:
        self.entries: dict[str, dict] = {}
        for dn, sam, mailbox in ((SHARED, "sonoivu", True), (AN, "an.nv", True), (BINH, "binh.tt", True)):
            entry = {
                "dn": dn,
                "objectclass": ["top", "user"],
                "samaccountname": [sam],
                "cn": [dn[3:].split(",")[0]],
                "objectguid": [uuid.uuid4().bytes_le],
            }
            if mailbox:
                entry["msexchmailboxguid"] = [uuid.uuid4().bytes_le]
            self.entries[dn.lower()] = entry

    def resolve(self, identity: str) -> list[str]:
        found = []
        for entry in self.entries.values():
            guids = [str(uuid.UUID(bytes_le=entry["objectguid"][0]))]
            names = [entry["dn"].lower(), entry["samaccountname"][0].lower(), entry["cn"][0].lower()]
            if identity.lower() in names + guids or identity.lower() in entry["cn"][0].lower().split():
                found.append(entry["dn"])
        return found

    def read(self, dn: str, attributes: list[str] | None = None) -> dict | None:
        return self.entries.get(dn.lower())

    def modify(self, dn: str, changes: dict) -> None:
        for name, value in changes.items():
            self.entries[dn.lower()][name.lower()] = list(value or [])


@pytest.fixture
def lab(tmp_path: Path) -> SimpleNamespace:
    return SimpleNamespace(store=MailboxStore(tmp_path / "store.sqlite3"), directory=Directory(), warnings=[])


def run(lab: SimpleNamespace, cmdlet: str, **params: object) -> list:
    definition = DEFINITIONS[cmdlet]
    pipeline = SimpleNamespace(write_warning=lab.warnings.append)
    ctx = Context(lab, "Administrator", cmdlet, definition.task_class, pipeline)
    return IMPLEMENTATIONS[cmdlet](ctx, bind(definition, list(params.items()))) or []


def props(obj) -> dict:
    return {p.name: getattr(obj, p.name) for p in obj.PSObject.adapted_properties}


def test_a_new_mailbox_shows_the_default_entries_self_first(lab) -> None:
    """Get-MailboxPermission page, Description: SELF has FullAccess and ReadPermission; Administrator,
    Domain Admins, Enterprise Admins, Organization Management an inherited FullAccess Deny; SYSTEM,
    NETWORK, Exchange Servers, Exchange Trusted Subsystem, Managed Availability Servers inherit."""
    rows = [props(o) for o in run(lab, "Get-MailboxPermission", Identity="sonoivu")]
    assert rows[0]["User"] == "NT AUTHORITY\\SELF"
    assert rows[0]["AccessRights"] == ["FullAccess", "ReadPermission"]
    assert not rows[0]["IsInherited"]
    denied = {r["User"] for r in rows if r["Deny"]}
    assert denied == {
        f"DANANG\\{g}"
        for g in ("Administrator", "Domain Admins", "Enterprise Admins", "Organization Management")
    }
    assert all(r["IsInherited"] for r in rows[1:])
    assert set(rows[0]) >= {"AccessRights", "Deny", "Identity", "InheritanceType", "IsInherited", "User"}
    assert rows[0]["Identity"] == "danang.gov.vn/DanangMail/So Noi vu"


def test_full_access_with_automapping_and_read_back(lab) -> None:
    """Add-MailboxPermission page: -AutoMapping defaults to $true (Outlook opens the mailbox, through
    msExchDelegateListLink on the mailbox's AD user); the output is a MailboxAcePresentationObject."""
    (added,) = run(lab, "Add-MailboxPermission", Identity="sonoivu", User="an.nv", AccessRights="FullAccess")
    assert (
        added.PSObject.type_names[0]
        == "Microsoft.Exchange.Management.RecipientTasks.MailboxAcePresentationObject"
    )
    assert props(added)["User"] == "DANANG\\an.nv"
    assert props(added)["AccessRights"] == ["FullAccess"]
    assert lab.directory.entries[SHARED.lower()]["msexchdelegatelistlink"] == [AN]
    run(
        lab,
        "Add-MailboxPermission",
        Identity="sonoivu",
        User="binh.tt",
        AccessRights="FullAccess",
        AutoMapping=False,
    )
    assert lab.directory.entries[SHARED.lower()]["msexchdelegatelistlink"] == [AN]
    users = [
        props(o)["User"]
        for o in run(lab, "Get-MailboxPermission", Identity="sonoivu")
        if not props(o)["IsInherited"]
    ]
    assert users == ["NT AUTHORITY\\SELF", "DANANG\\an.nv", "DANANG\\binh.tt"]
    (only,) = run(lab, "Get-MailboxPermission", Identity="sonoivu", User="an.nv")
    assert props(only)["User"] == "DANANG\\an.nv"


def test_adding_an_existing_entry_merges_and_removing_a_missing_one_warns(lab) -> None:
    """Adding an ACE the mailbox has merges it (ObjectSecurity.AddAccessRule), no error, no duplicate;
    removing one it lacks is a warning (Remove-MailboxPermission page, -BypassMasterAccountSid:
    "Can't remove the access control entry on the object … because the ACE doesn't exist")."""
    for _ in range(2):
        run(lab, "Add-MailboxPermission", Identity="sonoivu", User="an.nv", AccessRights="FullAccess")
    explicit = [o for o in run(lab, "Get-MailboxPermission", Identity="sonoivu", User="an.nv")]
    assert len(explicit) == 1
    assert lab.warnings == []
    run(lab, "Remove-MailboxPermission", Identity="sonoivu", User="binh.tt", AccessRights="FullAccess")
    assert lab.warnings == [
        f'Can\'t remove the access control entry on the object "{SHARED}" for account "DANANG\\binh.tt" '
        "because the ACE doesn't exist on the object."
    ]


def test_remove_takes_the_right_and_the_automapping(lab) -> None:
    """Remove-MailboxPermission page: removes the given rights of the user; FullAccess gone, the
    mailbox leaves the user's Outlook (msExchDelegateListLink)."""
    run(lab, "Add-MailboxPermission", Identity="sonoivu", User="an.nv", AccessRights="FullAccess")
    run(lab, "Remove-MailboxPermission", Identity="sonoivu", User="an.nv", AccessRights="FullAccess")
    assert run(lab, "Get-MailboxPermission", Identity="sonoivu", User="an.nv") == []
    assert lab.directory.entries[SHARED.lower()]["msexchdelegatelistlink"] == []
    assert lab.warnings == []


def test_deny_is_its_own_entry_and_full_access_maps_either_way(lab) -> None:
    """Add-/Remove-MailboxPermission -Deny: a Deny entry, removed only with -Deny. Automapping follows
    the rights named, not -Deny (SetMailboxPermissionTaskBase.ToGrantFullAccess; AddMailboxPermission
    and RemoveMailboxPermission.ApplyDelegation), and a Remove of FullAccess unmaps even when it warns."""
    run(lab, "Add-MailboxPermission", Identity="sonoivu", User="an.nv", AccessRights="FullAccess", Deny=True)
    assert lab.directory.entries[SHARED.lower()]["msexchdelegatelistlink"] == [AN]
    run(lab, "Remove-MailboxPermission", Identity="sonoivu", User="an.nv", AccessRights="FullAccess")
    assert len(lab.warnings) == 1
    assert lab.directory.entries[SHARED.lower()]["msexchdelegatelistlink"] == []
    (deny,) = run(lab, "Get-MailboxPermission", Identity="sonoivu", User="an.nv")
    assert props(deny)["Deny"] is True
    run(
        lab,
        "Remove-MailboxPermission",
        Identity="sonoivu",
        User="an.nv",
        AccessRights="FullAccess",
        Deny=True,
    )
    assert run(lab, "Get-MailboxPermission", Identity="sonoivu", User="an.nv") == []


def test_inheritance_type_is_part_of_the_entry(lab) -> None:
    """Add-/Remove-MailboxPermission -InheritanceType (default All): kept and shown on the entry, and
    a Remove matches it (SetMailboxPermissionTaskBase.UpdateAcl builds the rule with it)."""
    run(
        lab,
        "Add-MailboxPermission",
        Identity="sonoivu",
        User="an.nv",
        AccessRights="FullAccess",
        InheritanceType="SelfAndChildren",
    )
    (entry,) = run(lab, "Get-MailboxPermission", Identity="sonoivu", User="an.nv")
    assert props(entry)["InheritanceType"] == "SelfAndChildren"
    run(lab, "Remove-MailboxPermission", Identity="sonoivu", User="an.nv", AccessRights="FullAccess")
    assert (
        len(lab.warnings) == 1
        and len(run(lab, "Get-MailboxPermission", Identity="sonoivu", User="an.nv")) == 1
    )


def test_only_a_trustee_with_a_mailbox_is_mapped(lab) -> None:
    """SetMailboxPermissionTaskBase.ApplyDelegationInternal: delegation only for a UserMailbox trustee."""
    del lab.directory.entries[AN.lower()]["msexchmailboxguid"]
    run(lab, "Add-MailboxPermission", Identity="sonoivu", User="an.nv", AccessRights="FullAccess")
    assert "msexchdelegatelistlink" not in lab.directory.entries[SHARED.lower()]
    assert len(run(lab, "Get-MailboxPermission", Identity="sonoivu", User="an.nv")) == 1


def test_add_refuses_send_as_and_automapping_without_full_access(lab) -> None:
    """AddMailboxPermission.InternalValidate: SendAs is not set here (Send As is Add-ADPermission's) and
    -AutoMapping $true needs FullAccess; nothing is written."""
    with pytest.raises(CmdletError, match="Add-ADPermission"):
        run(lab, "Add-MailboxPermission", Identity="sonoivu", User="an.nv", AccessRights="SendAs")
    with pytest.raises(CmdletError, match="AutoMapping"):
        run(
            lab,
            "Add-MailboxPermission",
            Identity="sonoivu",
            User="an.nv",
            AccessRights="ReadPermission",
            AutoMapping=True,
        )
    assert run(lab, "Get-MailboxPermission", Identity="sonoivu", User="an.nv") == []


def test_user_must_name_one_account(lab) -> None:
    """-User is a SecurityPrincipalIdParameter resolved like -Identity: unknown and ambiguous refused."""
    lab.directory.entries["cn=nguyen van binh," + BASE.lower()] = {
        **lab.directory.entries[BINH.lower()],
        "dn": f"CN=Nguyen Van Binh,{BASE}",
        "cn": ["Nguyen Van Binh"],
        "samaccountname": ["binh.nv"],
    }
    with pytest.raises(CmdletError, match="matches multiple entries"):
        run(lab, "Add-MailboxPermission", Identity="sonoivu", User="binh", AccessRights="FullAccess")
    with pytest.raises(CmdletError, match="couldn't be found"):
        run(lab, "Add-MailboxPermission", Identity="sonoivu", User="nobody", AccessRights="FullAccess")
    assert lab.store.config("mailbox_acl/x", None) is None


def test_a_deleted_trustee_shows_as_its_sid_and_can_be_removed(lab) -> None:
    """An ACE keeps a SID: when the account is gone Get-MailboxPermission shows the SID (S-1-5-21-…),
    which Remove-MailboxPermission -User takes."""
    run(lab, "Add-MailboxPermission", Identity="sonoivu", User="an.nv", AccessRights="FullAccess")
    guid = str(uuid.UUID(bytes_le=lab.directory.entries.pop(AN.lower())["objectguid"][0]))
    users = [props(o)["User"] for o in run(lab, "Get-MailboxPermission", Identity="sonoivu")]
    assert sid_of(guid) in users
    run(lab, "Remove-MailboxPermission", Identity="sonoivu", User=sid_of(guid), AccessRights="FullAccess")
    assert sid_of(guid) not in [
        props(o)["User"] for o in run(lab, "Get-MailboxPermission", Identity="sonoivu")
    ]


def test_send_as_on_the_ad_object(lab) -> None:
    """Add-ADPermission page, example: -ExtendedRights "Send As"; ADAcePresentationObject.cs: one object
    per ACE, an extended right shown by its name (Send-As) with AccessRights {ExtendedRight}; SELF has
    Send-As by default (the AD user class's default security descriptor); Remove writes nothing and
    a missing entry is a warning."""
    added = run(
        lab, "Add-ADPermission", Identity="sonoivu", User="an.nv", ExtendedRights=["Send As", "Receive-As"]
    )
    assert [a.PSObject.type_names[0] for a in added] == [
        "Microsoft.Exchange.Management.RecipientTasks.ADAcePresentationObject"
    ] * 2
    assert [(props(a)["ExtendedRights"], props(a)["AccessRights"]) for a in added] == [
        (["Send-As"], ["ExtendedRight"]),
        (["Receive-As"], ["ExtendedRight"]),
    ]
    rows = [props(o) for o in run(lab, "Get-ADPermission", Identity="sonoivu")]
    assert ("NT AUTHORITY\\SELF", ["Send-As"]) in [(r["User"], r["ExtendedRights"]) for r in rows]
    mine = [
        props(o)["ExtendedRights"] for o in run(lab, "Get-ADPermission", Identity="sonoivu", User="an.nv")
    ]
    assert mine == [["Send-As"], ["Receive-As"]]
    assert run(lab, "Remove-ADPermission", Identity="sonoivu", User="an.nv", ExtendedRights="Send-As") == []
    mine = [
        props(o)["ExtendedRights"] for o in run(lab, "Get-ADPermission", Identity="sonoivu", User="an.nv")
    ]
    assert mine == [["Receive-As"]]
    run(lab, "Remove-ADPermission", Identity="sonoivu", User="an.nv", ExtendedRights="Send As")
    assert "because the ACE doesn't exist on the object" in lab.warnings[0]


def test_remove_asks_for_confirmation_and_values_are_checked() -> None:
    """RemoveMailboxPermission.cs and RemoveADPermission.cs: ConfirmImpact High (a remote host cannot
    prompt: -Confirm:$false needed; the engine refuses otherwise), AddMailboxPermission.cs: not;
    MailboxRights is an enumeration, an extended right must exist."""
    assert DEFINITIONS["Remove-MailboxPermission"].confirm_impact_high
    assert DEFINITIONS["Remove-ADPermission"].confirm_impact_high
    assert not DEFINITIONS["Add-MailboxPermission"].confirm_impact_high
    with pytest.raises(CmdletError, match="enumerator"):
        bind(
            DEFINITIONS["Add-MailboxPermission"],
            [("Identity", "x"), ("User", "y"), ("AccessRights", "Everything")],
        )
    with pytest.raises(CmdletError, match="ExtendedRightIdParameter"):
        bind(DEFINITIONS["Add-ADPermission"], [("Identity", "x"), ("User", "y"), ("ExtendedRights", "Fly")])
