# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What one change needs of OBM (pure, no I/O): :func:`step_for`, like Exchange's.

OBM's order for a new account: LDAP entry -> Cyrus mailbox -> default folders (persons) -> SETQUOTA
in KB -> SETACL ``anyone p``. The ACL is the ``final`` command: ``apply`` sends it in a second wave,
only once every earlier command of that mailbox was answered OK, so the read can take ``anyone p``
as the proof that the mailbox is complete (``read.READY``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.accounts import Account
from ansible_collections.danang.mail.plugins.module_utils.backends.apply import Step
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.acl import access_commands
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.cyrus import Command, quote
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.layout import PERMIT, REJECT
from ansible_collections.danang.mail.plugins.module_utils.plan import CREATE, REMOVE, Change

CYRUS_KEYS = frozenset({"quota_mb", "cyrus_mailbox", "access"})  # compared by the plan, kept by Cyrus
EXISTS = ("already exists", "alreadyexists")
GONE = ("does not exist", "nonexistent")


def mailbox_name(address: str, shared: bool) -> str:
    """Cyrus name (``virtdomains: userid``, ``unixhierarchysep``): ``user/<login>@<domain>`` for a
    person; a shared mailbox is the top-level ``<name>@<domain>``, as OBM creates mailshares."""
    return address if shared else f"user/{address}"


def folder_name(account: Account, folder: str) -> str:
    return f"user/{account.local_part}/{folder}@{account.domain}"


def setquota(mailbox: str, megabytes: int) -> Command:
    return Command(f"SETQUOTA {quote(mailbox)} (STORAGE {int(megabytes) * 1024})")


@dataclass
class ObmStep(Step):
    """One change on its way through a batch."""

    ldap: dict[str, Any] = field(default_factory=dict)  # attribute -> value (None deletes)
    cyrus: list[Command] = field(default_factory=list)
    final: Optional[Command] = None  # sent in a second wave, only once every ``cyrus`` one was OK
    password: Optional[str] = field(default=None, repr=False)  # a new person's; never shown
    entry_added: bool = False

    @property
    def account(self) -> Account:
        return self.change.account


def step_for(
    change: Change, *, imap_admin: str, default_folders: tuple[str, ...], password: Optional[str] = None
) -> ObmStep:
    """The LDAP attributes and Cyrus commands of ``change``; ``password`` for a person's create."""
    step = ObmStep(change, password=password)
    account = change.account
    mailbox = mailbox_name(account.address, account.shared)
    if change.action == REMOVE:
        # Cyrus admins may not delete a mailbox without the "x" right on it.
        step.cyrus = [
            Command(f"SETACL {quote(mailbox)} {quote(imap_admin)} x", GONE),
            Command(f"DELETE {quote(mailbox)}", GONE),
        ]
        return step
    after = dict(change.after)
    for key, value in after.items():
        if key == "enabled":
            step.ldap["mailAccess"] = PERMIT if value else REJECT
        elif key not in CYRUS_KEYS:
            step.ldap[key] = value
    if change.action == CREATE or "cyrus_mailbox" in after:
        step.cyrus = [Command(f"CREATE {quote(mailbox)}", EXISTS)]
        if not account.shared:
            step.cyrus += [
                Command(f"CREATE {quote(folder_name(account, f))}", EXISTS) for f in default_folders
            ]
        step.cyrus.append(setquota(mailbox, account.quota_mb))
        step.final = Command(f"SETACL {quote(mailbox)} anyone p")
    elif "quota_mb" in after:
        step.cyrus = [setquota(mailbox, account.quota_mb)]
    if "access" in after:  # after the mailbox exists, before the final "anyone p"
        step.cyrus += access_commands(mailbox, change.before.get("access") or (), after["access"])
    return step
