# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a mail system offers the modules (R-02): the same calls, the same types, on every system.

Accounts (danang.mail.mailbox, mailbox_info, addresses_in_use): ``read()`` once in bulk ->
``plan.make_plan(desired, observed, system.render)`` -> (check mode stops here) ->
``apply(plan.changes, passwords)`` in batches -> one ``Result`` per change; ``facts`` holds what the
read saw per address (one ``AccountFacts`` type on every system) and ``password_set`` the persons
whose new account now holds its initial password.

Quotas (danang.mail.quota): ``read()``, then ``set_quotas(address -> MB)``.

Passwords (danang.mail.password_policy, R-40, R-41, R-44, R-47): ``read_password_facts()`` once in
bulk -> ``password_policy.evaluate`` (pure) -> (audit and check mode stop here) -> ``lock()`` and
``reset()`` in batches -> one ``Result`` per account.

Reclaim (danang.mail.reclaim, R-23): ``read()`` once in bulk (``facts``: ``created``,
``last_access``, ``reclaimed``) -> ``reclaim.decide`` (pure) -> (audit and check mode stop here) ->
``reclaim()`` and ``purge()`` -> one ``Result`` per account.

Forwarding (danang.mail.forwarding, R-50): ``read_forwards()`` once in bulk -> ``forwarding.judge``
(pure) -> (audit and check mode stop here) -> ``remove_forwards()`` of the outside, enabled ones ->
one ``Result`` per forward.

Notifications (danang.mail.notify, R-22, R-23, R-44, R-47, R-50): the caller composes each message
(one recipient, its Message-ID derived from the notification's key) and records it in its journal
before ``send_messages()``; after a crash between a send and its record, ``delivered()`` tells
whether the recipient already has it, so it is never sent twice.

``backends.systems.open_system`` gives one object that satisfies all six and closes its
connections as a context manager. The same contract tests run against every system's lab.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Optional, Protocol

from ansible_collections.danang.mail.plugins.module_utils.accounts import Account
from ansible_collections.danang.mail.plugins.module_utils.forwarding import Forward
from ansible_collections.danang.mail.plugins.module_utils.password_policy import PasswordFacts
from ansible_collections.danang.mail.plugins.module_utils.plan import Attributes, Change, Observed


@dataclass(frozen=True)
class Result:
    """What happened to one change. ``error`` says why it failed; a failed change was not half-done
    in a way a re-run cannot finish (systems order their steps so that a re-run completes them)."""

    address: str
    action: str
    ok: bool
    error: Optional[str] = None
    # Not done yet by design, not a failure: a later run finishes it (an Exchange export still
    # queued or running before a purge). ``error`` says what it waits for.
    pending: bool = False


class BackendError(Exception):
    """The system cannot be used at all (unreachable, refused credentials): nothing was changed."""


@dataclass
class AccountFacts:
    """What one read saw of an account (``mailbox_info``, ``quota``); times are ISO 8601 strings.

    ``last_access`` is the later of the system's own signs of use (R-23): on OBM the last login and
    the last password change (a user's password change removes ``pwdLastSuccess`` on slapd 2.5), on
    Exchange the mailbox's last logon and AD's ``lastLogonTimestamp`` plus its 14 days of lag, so a
    used mailbox never looks idle. ``created``: when the system made the account. ``reclaimed``: the
    account carries this system's reclaim marker (``Reclaim``). ``own`` holds the facts only one
    system has (OBM ``uid_number``; Exchange ``database``, ``sam_account_name``, ``last_logon_ad``,
    ``password_issued``), reported beside the common ones.
    """

    address: str
    dn: Optional[str]
    shared: bool
    enabled: bool
    mailbox: bool
    quota_mb: Optional[float]
    used_mb: Optional[float]
    last_login: Optional[str]
    last_access: Optional[str]
    password_changed: Optional[str]
    must_change_password: bool
    locked: bool
    created: Optional[str] = None  # when the system made the account (R-23: "since created")
    reclaimed: bool = False  # the account carries this system's reclaim marker
    own: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The facts as a module returns them: one flat dict, without the address (its key)."""
        plain = {k: v for k, v in self.__dict__.items() if k not in ("address", "own")}
        return {**plain, **self.own}


class Accounts(Protocol):
    """A mail system holding the city's accounts."""

    system: str  # "obm" | "exchange", as in a person's ``systems``
    facts: dict[str, AccountFacts]  # address -> what the last read() saw
    password_set: set[str]  # addresses whose new account now holds its initial password

    def render(self, account: Account) -> Attributes:
        """The attributes this system manages for ``account``, comparable with
        ``Observed.attributes``. Pure: no I/O. Never includes a password."""

    def read(self) -> dict[str, Observed]:
        """Every account in the managed part of the system, keyed by address, in bulk (no
        per-account round trip). Raises ``BackendError`` (nothing changed) when it cannot read."""

    def addresses_in_use(self) -> set[str]:
        """Every address the system answers to, in lower case, whoever made it (accounts, aliases,
        shared mailboxes, groups, contacts): one bulk read, so allocation never issues one."""

    def apply(self, changes: Sequence[Change], passwords: Mapping[str, str]) -> list[Result]:
        """Carry out ``changes`` in batches; one ``Result`` per change, in order.

        ``passwords`` maps holder ids to the initial password of each person being created (R-40,
        R-45); shared mailboxes get none. A failure of one account does not stop the others.
        """


class Quotas(Protocol):
    def set_quotas(self, quotas: Mapping[str, int]) -> list[Result]:
        """The quota (MB) of each address seen by ``read()``, in bulk; one ``Result`` per address,
        in order (``no such mailbox`` for an address without one)."""


class Passwords(Protocol):
    def read_password_facts(self) -> dict[str, PasswordFacts]:
        """Every person account of the managed scope, keyed by lower-case main address, in one bulk
        read. Shared mailboxes have no password of their own and are left out. Raises
        ``BackendError`` when the system cannot be read (nothing changed)."""

    def lock(self, addresses: Sequence[str]) -> list[Result]:
        """Lock these accounts so that no login succeeds and only an administrator (a reset) unlocks
        them (R-41). Idempotent. One ``Result`` per address, in order; a failure does not stop the
        others."""

    def reset(self, passwords: Mapping[str, str]) -> list[Result]:
        """Give each address its new password (address -> password, generated by the caller),
        set by the administrator so that it must be changed at the next login (R-40), unlock it,
        and have the system record the issue time that ``read_password_facts`` will return as
        ``issued_at`` (while ``must_change``). One ``Result`` per address, in order."""


class Reclaim(Protocol):
    """Reclaiming idle personal mailboxes (R-23, danang.mail.reclaim); accounts as ``read()`` saw."""

    def reclaim(self, accounts: Sequence[Account], bounce: str) -> list[Result]:
        """Refuse logins on every protocol and new mail with a permanent bounce (5.x.x) whose text
        is ``bounce``, hide from address lists where the system has them; keep the account and its
        content; mark it so that ``read()`` gives ``facts[address].reclaimed``. Idempotent; one
        ``Result`` (action ``reclaim``) per account, in order. ``apply`` of an ENABLE on a marked
        account clears the marker (mail accepted again, shown in address lists)."""

    def purge(self, accounts: Sequence[Account], export_dir: Optional[str]) -> list[Result]:
        """Refused (``ok=False``) for an account not reclaimed on this system. With ``export_dir``,
        first write the whole mailbox under it (one file or folder per address, mode 0600/0700, a
        symlinked target refused) and delete nothing if that failed; then remove the mailbox, its
        storage and the account. An account already gone is ok. One ``Result`` (action ``purge``)
        per account, in order."""


class Forwarding(Protocol):
    """Forwards configured anywhere on the system (R-50, danang.mail.forwarding)."""

    def read_forwards(self) -> list[Forward]:
        """Every forward of every mailbox of the managed scope (accounts made by hand included) and
        every organisation-wide one, in one bulk pass; a disabled forward is returned with
        ``enabled=False``. Raises ``BackendError`` (nothing changed) when the system cannot be read."""

    def remove_forwards(self, forwards: Sequence[Forward]) -> list[Result]:
        """Stop each of ``forwards`` (as ``read_forwards`` gave them) and nothing else: other
        targets, actions and scripts of the same rule stay as they were. Idempotent: a forward
        already gone is ok. One ``Result`` (address = holder, action ``remove_forward``) per
        forward, in order; a failure does not stop the others."""


class Notifications(Protocol):
    """Mail the collection sends itself, through the city's own system (never an outside relay)."""

    def send_messages(self, messages: Sequence[EmailMessage]) -> list[Result]:
        """Send each message as composed (From, To with exactly one recipient, Subject, Date,
        Message-ID, text and HTML parts): OBM by SMTP submission to its Postfix, Exchange by EWS from
        the From mailbox (kept in its Sent Items). One ``Result`` per message, in order (address =
        the recipient, action ``send``); a refused message does not stop the others. ``pending``
        on a failed send: the system cannot tell whether it went (the connection broke mid-send);
        the caller must ask ``delivered()`` before sending it again."""

    def delivered(self, recipient: str, message_id: str) -> bool:
        """Whether the recipient's mailbox on this system holds a message with this Message-ID (in
        any folder), read by the administrator or the service account. Raises ``BackendError`` when
        it cannot tell: the caller then neither resends nor records."""


class MailSystem(Accounts, Quotas, Passwords, Reclaim, Forwarding, Notifications, Protocol):
    """All of it, as ``systems.open_system`` returns it; ``close()`` releases the connections."""

    def close(self) -> None: ...

    def __enter__(self) -> MailSystem: ...

    def __exit__(self, *exc_info: object) -> None: ...
