# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""OBM as one mail system (R-02): OpenLDAP entries and Cyrus IMAP mailboxes, laid out as real OBM
does. :class:`ObmSystem` satisfies ``contract.MailSystem`` by putting together:

- ``render`` — ``layout.render``: the managed attributes plus the two Cyrus facts the plan compares.
- ``read`` — ONE paged LDAP search over ``dc=<domain>,<base>`` (users and mailShare) and, beside
  it on ONE IMAP connection, two LIST commands (every mailbox and folder) and, pipelined, one
  GETQUOTA and one GETACL per mailbox (``read``).
- ``apply`` — ``backends.apply.apply_changes`` with OBM's ``apply.ObmWriter``: in batches, each in
  OBM's order (``steps``): LDAP entry -> Cyrus mailbox with default folders -> SETQUOTA (KB) ->
  SETACL ``anyone p``.
- ``set_quotas`` — ``apply.set_quotas``; the password calls — ``passwords.ObmPasswords``.
- ``reclaim`` / ``purge`` (R-23) — ``reclaim.ObmReclaim``.
- ``read_forwards`` / ``remove_forwards`` (R-50) — ``forwarding.ObmForwarding``: Sieve redirects
  over ManageSieve.
- ``send_messages`` / ``delivered`` (notifications) — ``mail_out.ObmMailOut``: SMTP submission to
  Postfix, and a search by Message-ID over IMAP.

Both share one lazy directory session (``connection``) and one Cyrus connection.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from typing import Optional

from ansible_collections.danang.mail.plugins.module_utils.accounts import Account
from ansible_collections.danang.mail.plugins.module_utils.backends.apply import apply_changes
from ansible_collections.danang.mail.plugins.module_utils.backends.contract import AccountFacts, Result
from ansible_collections.danang.mail.plugins.module_utils.backends.obm import apply as obm_apply
from ansible_collections.danang.mail.plugins.module_utils.backends.obm import read as obm_read
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.config import ObmConfig
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.connection import directory_session
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.forwarding import ObmForwarding
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.layout import render
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.mail_out import ObmMailOut
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.passwords import ObmPasswords
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.reclaim import ObmReclaim
from ansible_collections.danang.mail.plugins.module_utils.forwarding import Forward
from ansible_collections.danang.mail.plugins.module_utils.model import SYSTEM_OBM
from ansible_collections.danang.mail.plugins.module_utils.password_policy import PasswordFacts
from ansible_collections.danang.mail.plugins.module_utils.plan import Attributes, Change, Observed


class ObmSystem:
    system = SYSTEM_OBM

    def __init__(self, config: ObmConfig) -> None:
        self.config = config
        self.directory = directory_session(config)
        self.cyrus = config.cyrus_admin()
        self.seen = obm_read.Seen()
        self.password_set: set[str] = set()
        self.passwords = ObmPasswords(config, self.directory)
        self.forwarding = ObmForwarding(config, self.directory)
        self.mail_out = ObmMailOut(config, self.cyrus)

    @property
    def facts(self) -> dict[str, AccountFacts]:
        return self.seen.facts

    def render(self, account: Account) -> Attributes:
        return render(account, self.config)

    def read(self) -> dict[str, Observed]:
        """Every OBM account of the domain (users and mailshares), keyed by main address.

        The LDAP search and the Cyrus read run side by side (each mostly waits for its server).
        Raises ``BackendError`` (nothing changed) when LDAP or Cyrus cannot be used.
        """
        with ThreadPoolExecutor(max_workers=1) as pool:
            cyrus = pool.submit(obm_read.read_cyrus, self.cyrus, self.config.domain)
            entries = obm_read.search_entries(self.directory, self.config)
            seen = cyrus.result()
        self.seen.entries, self.seen.in_use, self.seen.next_uid = obm_read.index_entries(entries)
        self.seen.done = True
        observed, self.seen.facts = obm_read.observe(self.seen.entries, seen, self.config)
        return observed

    def addresses_in_use(self) -> set[str]:
        """Every address the domain's directory answers to (any entry, managed or not): one search."""
        return obm_read.addresses_in_use(self.directory, self.config)

    def apply(self, changes: Sequence[Change], passwords: Mapping[str, str]) -> list[Result]:
        writer = obm_apply.ObmWriter(self.config, self.directory, self.cyrus, self.seen)
        return apply_changes(
            writer,
            changes,
            passwords,
            read_done=self.seen.done,
            read=self.read,
            password_set=self.password_set,
        )

    def set_quotas(self, quotas: Mapping[str, int]) -> list[Result]:
        return obm_apply.set_quotas(self.cyrus, self.seen.facts, quotas)

    def read_password_facts(self) -> dict[str, PasswordFacts]:
        return self.passwords.read_password_facts()

    def lock(self, addresses: Sequence[str]) -> list[Result]:
        return self.passwords.lock(addresses)

    def reset(self, passwords: Mapping[str, str]) -> list[Result]:
        return self.passwords.reset(passwords)

    def reclaim(self, accounts: Sequence[Account], bounce: str) -> list[Result]:
        return ObmReclaim(self.config, self.directory, self.cyrus, self.seen).reclaim(accounts, bounce)

    def purge(self, accounts: Sequence[Account], export_dir: Optional[str]) -> list[Result]:
        return ObmReclaim(self.config, self.directory, self.cyrus, self.seen).purge(accounts, export_dir)

    def read_forwards(self) -> list[Forward]:
        return self.forwarding.read_forwards()

    def remove_forwards(self, forwards: Sequence[Forward]) -> list[Result]:
        return self.forwarding.remove_forwards(forwards)

    def send_messages(self, messages: Sequence[EmailMessage]) -> list[Result]:
        return self.mail_out.send_messages(messages)

    def delivered(self, recipient: str, message_id: str) -> bool:
        return self.mail_out.delivered(recipient, message_id)

    def close(self) -> None:
        self.cyrus.close()
        self.directory.close()

    def __enter__(self) -> ObmSystem:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
