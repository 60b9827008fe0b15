# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reclaiming and purging idle personal mailboxes on OBM (R-23; ``contract.Reclaim``).

Reclaim = one LDAP modify of the person's entry: ``mailAccess: RECLAIMED`` (the marker; anything
but PERMIT already refuses the login in saslauthd - IMAP, SMTP AUTH, webmail - and takes the
mailbox out of Postfix's ``virtual_mailbox_maps``), ``hiddenUser: TRUE`` (out of the address books)
and the bounce text in ``description``: the ``obm_server`` role's Postfix ``check_recipient_access``
map finds entries with ``mailAccess=RECLAIMED`` and answers ``550 5.2.1 <description>`` (mailbox
disabled, RFC 3463). The Cyrus mailbox and its mail stay.

Purge = (with an export directory) every folder of the mailbox read over IMAP into one mbox file;
then, only if that worked, Cyrus ``DELETE`` (the administrator gives itself ``x`` first, as for a
removal) and the LDAP entry deleted. ENABLE (a new request) clears the marker: ``apply`` sets
``mailAccess: PERMIT`` and removes the bounce text (``apply.ObmWriter.step``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils import mbox_export
from ansible_collections.danang.mail.plugins.module_utils.accounts import Account
from ansible_collections.danang.mail.plugins.module_utils.backends.contract import BackendError, Result
from ansible_collections.danang.mail.plugins.module_utils.backends.ldap import (
    HAS_LDAP3,
    LDAPException,
    LdapSession,
    refusal,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.config import ObmConfig
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.cyrus import (
    CyrusAdmin,
    CyrusError,
    quote,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.layout import (
    BOUNCE_ATTRIBUTE,
    RECLAIMED,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.read import Seen
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.steps import GONE, mailbox_name

if HAS_LDAP3:
    import ldap3

RECLAIM, PURGE = "reclaim", "purge"


class ObmReclaim:
    """``reclaim`` and ``purge`` on the entries and mailboxes the last read saw."""

    def __init__(self, config: ObmConfig, directory: LdapSession, cyrus: CyrusAdmin, seen: Seen) -> None:
        self.config, self.directory, self.cyrus, self.seen = config, directory, cyrus, seen

    def _ldap(self, what: str, call: Any) -> Optional[str]:
        """None when the LDAP call succeeded, else why not."""
        try:
            conn = self.directory.conn()
            return None if call(conn) else f"LDAP {what} refused: {refusal(conn)}"
        except (LDAPException, BackendError) as exc:
            self.directory.drop()
            return f"LDAP {what} failed: {exc}"

    def reclaim(self, accounts: Sequence[Account], bounce: str) -> list[Result]:
        results = []
        for account in accounts:
            entry = self.seen.entries.get(account.address)
            if entry is None or entry.is_share:
                error = (
                    "no personal account on obm" if entry is None else "a shared mailbox is never reclaimed"
                )
                results.append(Result(account.address, RECLAIM, False, error))
                continue
            mods = {
                "mailAccess": [(ldap3.MODIFY_REPLACE, [RECLAIMED])],
                "hiddenUser": [(ldap3.MODIFY_REPLACE, ["TRUE"])],
                BOUNCE_ATTRIBUTE: [(ldap3.MODIFY_REPLACE, [bounce])],
            }
            error = self._ldap("modify", lambda conn, dn=entry.dn, mods=mods: conn.modify(dn, mods))
            if error is None and account.address in self.seen.facts:
                self.seen.facts[account.address].reclaimed = True
            results.append(Result(account.address, RECLAIM, error is None, error))
        return results

    def purge(self, accounts: Sequence[Account], export_dir: Optional[str]) -> list[Result]:
        results = []
        for account in accounts:
            entry = self.seen.entries.get(account.address)
            facts = self.seen.facts.get(account.address)
            if entry is None:
                results.append(Result(account.address, PURGE, True))  # already gone
                continue
            if facts is None or not facts.reclaimed:
                results.append(Result(account.address, PURGE, False, "not reclaimed on obm: never purged"))
                continue
            error = self._purge_one(account, entry.dn, facts.mailbox, export_dir)
            if error is None:
                self.seen.entries.pop(account.address, None)
                self.seen.facts.pop(account.address, None)
            results.append(Result(account.address, PURGE, error is None, error))
        return results

    def _purge_one(
        self, account: Account, dn: str, has_mailbox: bool, export_dir: Optional[str]
    ) -> Optional[str]:
        mailbox = mailbox_name(account.address, shared=False)
        admin = quote(self.config.imap_admin)
        try:
            if has_mailbox:
                folders = self._folders(account)
                # The administrator reads (r) and may delete (x); Cyrus admins have only l and a.
                self._expect([f"SETACL {quote(f)} {admin} lrx" for f in folders])
                if export_dir is not None:
                    self._export(account, folders, export_dir)
                replies = self.cyrus.pipeline([f"DELETE {quote(mailbox)}"])
                if not replies[0].ok and not replies[0].says(*GONE):
                    return f"Cyrus DELETE refused: {replies[0].status} {replies[0].text}; the entry is kept"
        except (CyrusError, mbox_export.ExportError, OSError) as exc:
            return f"nothing deleted: {exc}"
        return self._ldap("delete", lambda conn: conn.delete(dn))

    def _folders(self, account: Account) -> list[str]:
        local, domain = account.local_part, account.domain
        names = self.cyrus.list_mailboxes(f"user/{local}@{domain}", f"user/{local}/*@{domain}")
        return sorted(names, key=lambda n: (n != f"user/{local}@{domain}", n))  # INBOX first

    def _expect(self, commands: list[str]) -> None:
        for command, reply in zip(commands, self.cyrus.pipeline(commands), strict=True):
            if not reply.ok:
                raise CyrusError(f"{command.split(' ', 1)[0]} refused: {reply.status} {reply.text}")

    def _export(self, account: Account, folders: list[str], export_dir: str) -> None:
        inbox = f"user/{account.local_part}@{account.domain}"
        prefix = f"user/{account.local_part}/"
        with mbox_export.mbox_file(export_dir, account.address) as handle:
            for name in folders:
                folder = "INBOX" if name == inbox else name[len(prefix) :].rsplit("@", 1)[0]
                for raw in self.cyrus.messages(name):
                    mbox_export.write_message(handle, raw, folder)
