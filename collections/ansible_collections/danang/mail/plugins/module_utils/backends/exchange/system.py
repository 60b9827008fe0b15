# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exchange as one mail system (R-02): Exchange 2016/2019 mailboxes over remote PowerShell, their
AD accounts over LDAP. Same accounts, same plan as OBM (``plan.make_plan``).
:class:`ExchangeSystem` satisfies ``contract.MailSystem`` by putting together:

- ``render`` — ``render.render``: the managed attributes (``MANAGED``): Exchange ``Name``, display,
  first and last names in full Vietnamese; alias in ASCII (the local part); user or shared mailbox
  (R-10, R-11); quotas with ``UseDatabaseQuotaDefaults $false`` (R-30; without it Exchange ignores
  the mailbox's own quotas); message size limits (R-31, ``MESSAGE_SIZE_MB``); for persons, whether
  the initial password's issue time is recorded (R-41, ``ad.issue_record``).
- ``read`` — ``read.read_into``; ``apply`` — ``backends.apply.apply_changes`` with
  ``apply.ExchangeWriter``; ``set_quotas`` — ``apply.set_quotas``; the password calls —
  ``passwords.ExchangePasswords``; ``reclaim`` and ``purge`` — ``reclaim.ExchangeReclaim`` (R-23);
  ``read_forwards`` and ``remove_forwards`` — ``forwarding.ExchangeForwarding`` (R-50);
  ``send_messages`` and ``delivered`` — ``mail_out.ExchangeMailOut`` (EWS, impersonating).

Both share one PowerShell session (``transport``) and one AD session (``ad.Directory``), each
opened on first use.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from email.message import EmailMessage
from typing import Optional

from ansible_collections.danang.mail.plugins.module_utils.accounts import Account
from ansible_collections.danang.mail.plugins.module_utils.backends.apply import apply_changes
from ansible_collections.danang.mail.plugins.module_utils.backends.contract import (
    AccountFacts,
    BackendError,
    Result,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange import apply as exchange_apply
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.ad import ADError
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.config import (
    ExchangeConfig,
    open_clients,
    utc_now,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.forwarding import (
    ExchangeForwarding,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.mail_out import ExchangeMailOut
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.passwords import ExchangePasswords
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.read import Seen, read_into
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.reclaim import ExchangeReclaim
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.render import render
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.transport import ExchangeTransport
from ansible_collections.danang.mail.plugins.module_utils.forwarding import Forward
from ansible_collections.danang.mail.plugins.module_utils.model import SYSTEM_EXCHANGE
from ansible_collections.danang.mail.plugins.module_utils.password_policy import PasswordFacts
from ansible_collections.danang.mail.plugins.module_utils.plan import Attributes, Change, Observed


class ExchangeSystem:
    system = SYSTEM_EXCHANGE

    def __init__(
        self,
        config: ExchangeConfig,
        *,
        transport: Optional[ExchangeTransport] = None,
        clock: Callable[[], datetime.datetime] = utc_now,
    ) -> None:
        self.config = config
        self.transport, self.directory = open_clients(config, transport)
        self._clock = clock
        self.seen = Seen()
        self.password_set: set[str] = set()
        self.passwords = ExchangePasswords(config, self.transport, self.directory, clock=clock)
        self.reclaiming = ExchangeReclaim(
            self.transport,
            self.directory,
            self.seen,
            batch_size=config.exchange.batch_size,
            clock=clock,
            read=self.read,
            export_share=config.export_share,
        )
        self.forwarding = ExchangeForwarding(
            self.transport, config.ad.managed_ou, batch_size=config.exchange.batch_size
        )
        self.mail_out = ExchangeMailOut(config.exchange, config.ews_url)

    @property
    def facts(self) -> dict[str, AccountFacts]:
        return self.seen.facts

    def render(self, account: Account) -> Attributes:
        return render(account)

    def read(self) -> dict[str, Observed]:
        """Every mailbox of the managed OU, keyed by primary SMTP address. Raises ``BackendError``
        (nothing changed) when Exchange or AD cannot be used."""
        return read_into(self.seen, self.transport, self.directory, self.config)

    def addresses_in_use(self) -> set[str]:
        """Every SMTP address in the domain's AD, managed or not: one paged search (allocation)."""
        try:
            return self.directory.addresses_in_use()
        except ADError as exc:
            raise BackendError(str(exc)) from None

    def apply(self, changes: Sequence[Change], passwords: Mapping[str, str]) -> list[Result]:
        writer = exchange_apply.ExchangeWriter(
            self.config, self.transport, self.directory, self.seen, clock=self._clock, reread=self.read
        )
        return apply_changes(
            writer,
            changes,
            passwords,
            read_done=self.seen.done,
            read=self.read,
            password_set=self.password_set,
        )

    def set_quotas(self, quotas: Mapping[str, int]) -> list[Result]:
        return exchange_apply.set_quotas(self.transport, self.seen, quotas, self.config.exchange.batch_size)

    def read_password_facts(self) -> dict[str, PasswordFacts]:
        return self.passwords.read_password_facts()

    def lock(self, addresses: Sequence[str]) -> list[Result]:
        return self.passwords.lock(addresses)

    def reset(self, passwords: Mapping[str, str]) -> list[Result]:
        return self.passwords.reset(passwords)

    def reclaim(self, accounts: Sequence[Account], bounce: str) -> list[Result]:
        return self.reclaiming.reclaim(accounts, bounce)

    def purge(self, accounts: Sequence[Account], export_dir: Optional[str]) -> list[Result]:
        return self.reclaiming.purge(accounts, export_dir)

    def read_forwards(self) -> list[Forward]:
        return self.forwarding.read_forwards()

    def remove_forwards(self, forwards: Sequence[Forward]) -> list[Result]:
        return self.forwarding.remove_forwards(forwards)

    def send_messages(self, messages: Sequence[EmailMessage]) -> list[Result]:
        return self.mail_out.send_messages(messages, self.config.exchange.batch_size)

    def delivered(self, recipient: str, message_id: str) -> bool:
        return self.mail_out.delivered(recipient, message_id)

    def close(self) -> None:
        self.mail_out.close()
        self.transport.close()
        self.directory.close()

    def __enter__(self) -> ExchangeSystem:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
