# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An in-memory mail system for the module unit tests (conftest.py opens it in place of a real one)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from typing import Any

from ansible_collections.danang.mail.plugins.module_utils.accounts import Account
from ansible_collections.danang.mail.plugins.module_utils.backends.contract import (
    AccountFacts,
    BackendError,
    Result,
)
from ansible_collections.danang.mail.plugins.module_utils.forwarding import Forward
from ansible_collections.danang.mail.plugins.module_utils.model import CITY_TIMEZONE
from ansible_collections.danang.mail.plugins.module_utils.password_policy import PasswordFacts
from ansible_collections.danang.mail.plugins.module_utils.plan import (
    CREATE,
    DISABLE,
    REMOVE,
    Change,
    Observed,
)

ISSUED = datetime.date(2026, 11, 2)
MADE = datetime.datetime(2026, 11, 2, 9, tzinfo=CITY_TIMEZONE)
OBM = {"ldap_uri": "ldap://127.0.0.1:1", "ldap_bind_password": "Bind-Pw9", "imap_admin_password": "Imap-Pw9"}


class FakeSystem:
    """A mail system in memory with the methods the modules call. ``refuse`` holds addresses whose
    changes the system refuses; ``calls`` records what was asked (never a password)."""

    def __init__(self, system: str = "obm") -> None:
        self.system = system
        self.accounts: dict[str, Observed] = {}
        self.facts: dict[str, AccountFacts] = {}
        self.password_facts: dict[str, PasswordFacts] = {}
        self.passwords: dict[str, str] = {}
        self.refuse: set[str] = set()
        self.lost: set[str] = set()  # sends that arrive but whose answer is lost (pending results)
        self.exporting: set[str] = set()  # purges that wait for an export (Exchange's, queued)
        self.calls: list[tuple[str, Any]] = []
        self.password_set: set[str] = set()
        self.closed = 0
        self.bounce: str | None = None
        self.forwards: list[Forward] = []
        # Notifications: each recipient's mailbox (the messages as delivered), a crash after the
        # system took a batch (``crash_after_send``) and a system that cannot tell (``blind``).
        self.mailboxes: dict[str, list[EmailMessage]] = {}
        self.crash_after_send = False
        self.blind = False

    def called(self) -> list[str]:
        """The methods called that change or read in bulk, in order."""
        return [name for name, _args in self.calls]

    # --- accounts -------------------------------------------------------------------------------
    def render(self, account: Account) -> dict[str, Any]:
        return {"display_name": account.display_name, "quota_mb": account.quota_mb}

    def read(self) -> dict[str, Observed]:
        self.calls.append(("read", None))
        return dict(self.accounts)

    def addresses_in_use(self) -> set[str]:
        return set(self.accounts)

    def apply(self, changes: Sequence[Change], passwords: Mapping[str, str]) -> list[Result]:
        self.calls.append(("apply", [(c.action, c.address) for c in changes]))
        results = []
        for change in changes:
            if change.address in self.refuse:
                results.append(Result(change.address, change.action, False, "refused by the fake system"))
                continue
            have = self.accounts.get(change.address)
            if change.action == REMOVE:
                del self.accounts[change.address]
            elif change.action == DISABLE and have is not None:
                self.accounts[change.address] = Observed(
                    change.address, False, have.attributes, have.holder, have.created
                )
            else:
                attributes = {k: v for k, v in change.after.items() if k != "enabled"}
                before = dict(have.attributes) if have else {}
                enabled = change.after.get("enabled", have.enabled if have else True)
                holder = change.account.holder_id
                self.accounts[change.address] = Observed(
                    change.address, enabled, {**before, **attributes}, holder, have.created if have else MADE
                )
                if change.action == CREATE and change.account.holder_id in passwords:
                    self.passwords[change.address] = passwords[change.account.holder_id]
                    self.password_set.add(change.address)
            results.append(Result(change.address, change.action, True))
        return results

    # --- facts and quotas -----------------------------------------------------------------------
    def mailbox(
        self, address: str, *, quota_mb: int | None = 2048, used_mb: float | None = 0.0, **extra: Any
    ) -> None:
        self.facts[address] = AccountFacts(
            address=address,
            shared=False,
            enabled=True,
            mailbox=True,
            quota_mb=quota_mb,
            used_mb=used_mb,
            last_login=None,
            last_access=None,
            password_changed=None,
            must_change_password=False,
            locked=False,
            dn=f"uid={address},ou=users",
            own=extra,
        )

    def set_quotas(self, quotas: Mapping[str, int]) -> list[Result]:
        self.calls.append(("set_quotas", dict(quotas)))
        results = []
        for address, size in quotas.items():
            if address not in self.facts or address in self.refuse:
                results.append(Result(address, "quota", False, "no such mailbox"))
            else:
                self.facts[address].quota_mb = size
                results.append(Result(address, "quota", True))
        return results

    # --- reclaim (R-23) ----------------------------------------------------------------------------
    def reclaim(self, accounts: Sequence[Account], bounce: str) -> list[Result]:
        self.calls.append(("reclaim", [a.address for a in accounts]))
        self.bounce = bounce
        results = []
        for account in accounts:
            if account.address in self.refuse or account.address not in self.facts:
                results.append(Result(account.address, "reclaim", False, "refused by the fake system"))
                continue
            self.facts[account.address].reclaimed = True
            self.facts[account.address].enabled = False
            results.append(Result(account.address, "reclaim", True))
        return results

    def purge(self, accounts: Sequence[Account], export_dir: str | None) -> list[Result]:
        self.calls.append(("purge", [a.address for a in accounts]))
        results = []
        for account in accounts:
            facts = self.facts.get(account.address)
            if facts is not None and not facts.reclaimed:
                results.append(Result(account.address, "purge", False, "not reclaimed"))
                continue
            if account.address in self.exporting:
                results.append(Result(account.address, "purge", False, "export queued", pending=True))
                continue
            if facts is not None and export_dir is not None:
                with open(f"{export_dir}/{account.address}.mbox", "w", encoding="utf-8") as handle:
                    handle.write("From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n\n")
            self.facts.pop(account.address, None)
            self.accounts.pop(account.address, None)
            results.append(Result(account.address, "purge", True))
        return results

    # --- forwarding (R-50) -----------------------------------------------------------------------
    def read_forwards(self) -> list[Forward]:
        self.calls.append(("read_forwards", None))
        return list(self.forwards)

    def remove_forwards(self, forwards: Sequence[Forward]) -> list[Result]:
        self.calls.append(("remove_forwards", [f.target for f in forwards]))
        results = []
        for forward in forwards:
            if forward.holder in self.refuse:
                results.append(Result(forward.holder, "remove_forward", False, "refused by the fake system"))
                continue
            if forward in self.forwards:
                self.forwards.remove(forward)
            results.append(Result(forward.holder, "remove_forward", True))
        return results

    # --- passwords ------------------------------------------------------------------------------
    def read_password_facts(self) -> dict[str, PasswordFacts]:
        return dict(self.password_facts)

    def lock(self, addresses: Sequence[str]) -> list[Result]:
        self.calls.append(("lock", list(addresses)))
        return [self._password_change(a, "lock", locked=True) for a in addresses]

    def reset(self, passwords: Mapping[str, str]) -> list[Result]:
        self.calls.append(("reset", sorted(passwords)))
        results = []
        for address, password in passwords.items():
            result = self._password_change(address, "reset", locked=False, must_change=True)
            if result.ok:
                self.passwords[address] = password
            results.append(result)
        return results

    def _password_change(self, address: str, action: str, **flags: bool) -> Result:
        if address in self.refuse:
            return Result(address, action, False, "refused by the fake system")
        facts = self.password_facts[address]
        self.password_facts[address] = PasswordFacts(**{**facts.__dict__, **flags})
        return Result(address, action, True)

    def send_messages(self, messages: Sequence[EmailMessage]) -> list[Result]:
        self.calls.append(("send_messages", [str(m["To"]) for m in messages]))
        results = []
        for message in messages:
            recipient = str(message["To"]).lower()
            if recipient in self.refuse:
                results.append(Result(recipient, "send", False, "550 refused by the fake system"))
                continue
            self.mailboxes.setdefault(recipient, []).append(message)
            if recipient in self.lost:  # delivered, but the connection broke before the answer
                results.append(Result(recipient, "send", False, "connection lost", pending=True))
                continue
            results.append(Result(recipient, "send", True))
        if self.crash_after_send:
            raise Crash("killed after the system took the batch")
        return results

    def delivered(self, recipient: str, message_id: str) -> bool:
        self.calls.append(("delivered", recipient))
        if self.blind:
            raise BackendError("the mailbox cannot be read")
        return any(m["Message-ID"] == message_id for m in self.mailboxes.get(recipient.lower(), []))

    def close(self) -> None:
        self.closed += 1

    def __enter__(self) -> FakeSystem:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class Crash(BaseException):
    """The run killed (not an error the module handles): what a power cut does between two steps."""


def person(holder: str, name: str, **extra: Any) -> dict[str, Any]:
    return {"id": holder, "full_name": name, "requested_on": "2026-10-01", "department": "cntt", **extra}
