# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's own mail on OBM (R-22, R-23, R-44, R-47, R-50): ``contract.Notifications``.

``send_messages``: SMTP submission (``smtplib``) to OBM's Postfix (``smtp_host``/``smtp_port``), one
connection for the batch, secured per ``smtp_tls`` (STARTTLS by default; clear text only to a
loopback address, ``transport_security``). No password is sent: Postfix accepts mail for its own
domains, and it goes through the same filters (rspamd's milter) and LMTP delivery to Cyrus as any
other. The envelope is the message's From and its one To (``outgoing.envelope``: a message without
exactly one To, a From or a Message-ID is refused before anything is sent). A recipient Postfix
refuses (an unknown address, a reclaimed mailbox) or a message the filters refuse gives ``ok=False``
with the server's answer, and the next message goes on the same connection (smtplib resets the
transaction); a lost connection is reopened for the next message, an unreachable server fails the
rest of the batch at once.

``delivered``: whether any folder of the recipient's mailbox holds a message with that Message-ID
(``SEARCH HEADER Message-ID``, the value sent as an IMAP literal by ``imaplib``, never quoted by
hand). The Cyrus administrator lists the mailbox's folders; it has no read right on a person's
mailbox, so the search runs in a session where it authenticates and acts as the person (SASL PLAIN
with an authorization identity, which Cyrus allows its admins), read-only (EXAMINE: no flag
changes). A share (agency, department) is searched by whoever its ACL lets read it: the
administrator itself, else its first reader.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from typing import Optional

from ansible_collections.danang.mail.plugins.module_utils.backends.contract import BackendError, Result
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.acl import ANYONE
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.config import ObmConfig
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.cyrus import (
    CyrusAdmin,
    CyrusError,
    parse_acl,
    quote,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.outgoing import SEND, envelope, wire
from ansible_collections.danang.mail.plugins.module_utils.backends.transport_security import (
    clear_text_allowed,
    tls_context,
)

# The addresses the city's mailboxes have (local parts [a-z0-9._-]): nothing else reaches a LIST
# pattern, where * and % are wildcards.
_ADDRESS = re.compile(r"^([a-z0-9._-]+)@([a-z0-9-]+(?:\.[a-z0-9-]+)+)$")


class SmtpUnavailable(Exception):
    """The SMTP server cannot be reached or secured: nothing was sent on this connection."""


class ObmMailOut:
    def __init__(self, config: ObmConfig, cyrus: CyrusAdmin) -> None:
        self.config = config
        self.cyrus = cyrus

    @property
    def where(self) -> str:
        return f"SMTP {self.config.smtp_host}:{self.config.smtp_port}"

    # --- sending ---------------------------------------------------------------------------------
    def send_messages(self, messages: Sequence[EmailMessage]) -> list[Result]:
        results: list[Result] = []
        smtp: Optional[smtplib.SMTP] = None
        unavailable: Optional[str] = None  # once the server cannot be reached, the rest wait for a re-run
        try:
            for message in messages:
                sender, recipient, problem = envelope(message)
                in_doubt = False
                if problem is None and unavailable is not None:
                    problem = unavailable
                elif problem is None:
                    try:
                        smtp = smtp or self._connect()
                        raw = wire(message)
                        # A UTF-8 text part may travel as 8bit: declared, as RFC 6152 asks.
                        eight_bit = not raw.isascii() and smtp.has_extn("8bitmime")
                        smtp.sendmail(sender, [recipient], raw, ["BODY=8BITMIME"] if eight_bit else [])
                    except SmtpUnavailable as exc:
                        problem = unavailable = f"not sent: {exc}"
                    except smtplib.SMTPRecipientsRefused as exc:
                        code, text = next(iter(exc.recipients.values()))
                        problem = f"{self.where} refused the recipient: {code} {_text(text)}"
                    except smtplib.SMTPResponseException as exc:
                        problem = f"{self.where} refused the message: {exc.smtp_code} {_text(exc.smtp_error)}"
                        if exc.smtp_code == 421:  # the server is closing: the next message gets a new one
                            self._drop(smtp)
                            smtp = None
                    except (smtplib.SMTPException, OSError) as exc:
                        # The connection broke mid-message: whether it arrived is for delivered() to say.
                        self._drop(smtp)
                        smtp = None
                        problem = f"{self.where}: connection lost while sending (delivered or not): {exc}"
                        in_doubt = True
                results.append(Result(recipient, SEND, problem is None, problem, pending=in_doubt))
        finally:
            if smtp is not None:
                with contextlib.suppress(smtplib.SMTPException, OSError):
                    smtp.quit()
        return results

    def _context(self) -> ssl.SSLContext:
        return tls_context(self.config.ca_file, self.config.validate_certs)

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        if c.smtp_tls == "none" and not clear_text_allowed(c.smtp_host):
            raise SmtpUnavailable(
                f"{self.where}: refusing to send mail in clear text to a host that is not a loopback "
                "address; set smtp_tls to starttls or smtps"
            )
        smtp: Optional[smtplib.SMTP] = None
        try:
            if c.smtp_tls == "smtps":
                smtp = smtplib.SMTP_SSL(c.smtp_host, c.smtp_port, timeout=c.timeout, context=self._context())
            else:
                smtp = smtplib.SMTP(c.smtp_host, c.smtp_port, timeout=c.timeout)
                if c.smtp_tls == "starttls":
                    smtp.ehlo()
                    if not smtp.has_extn("starttls"):
                        raise SmtpUnavailable(f"{self.where} does not offer STARTTLS (smtp_tls=starttls)")
                    smtp.starttls(context=self._context())
            smtp.ehlo()
        except (smtplib.SMTPException, OSError) as exc:
            self._drop(smtp)
            raise SmtpUnavailable(f"{self.where}: cannot connect with smtp_tls={c.smtp_tls}: {exc}") from None
        except SmtpUnavailable:
            self._drop(smtp)
            raise
        return smtp

    @staticmethod
    def _drop(smtp: Optional[smtplib.SMTP]) -> None:
        if smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.close()

    # --- finding ---------------------------------------------------------------------------------
    def delivered(self, recipient: str, message_id: str) -> bool:
        match = _ADDRESS.match(recipient.strip().lower())
        if not match:
            raise BackendError(f"cannot look for a message in {recipient!r}: not an address of a mailbox")
        local, domain = match.groups()
        try:
            person = self.cyrus.list_mailboxes(f"user/{local}@{domain}", f"user/{local}/*@{domain}")
            if person:
                # As the person, its folders are INBOX and the names below it (altnamespace).
                inbox, prefix = f"user/{local}@{domain}", f"user/{local}/"
                names = ["INBOX" if n == inbox else n[len(prefix) :].rsplit("@", 1)[0] for n in person]
                with contextlib.closing(self.config.cyrus_admin(authorize=f"{local}@{domain}")) as session:
                    return _search(session, sorted(names), message_id)
            share = self.cyrus.list_mailboxes(f"{local}@{domain}", f"{local}/*@{domain}")
            if not share:
                return False
            reader = self._share_reader(f"{local}@{domain}")
            if reader is None:
                return _search(self.cyrus, sorted(share), message_id)
            # As a reader, a share is under the shared namespace (altnamespace).
            names = [f"Shared Folders/{n.rsplit('@', 1)[0]}" for n in share]
            with contextlib.closing(self.config.cyrus_admin(authorize=reader)) as session:
                return _search(session, sorted(names), message_id)
        except CyrusError as exc:
            raise BackendError(f"cannot tell whether {recipient} holds {message_id}: {exc}") from None

    def _share_reader(self, share: str) -> Optional[str]:
        """None when the administrator may read the share itself, else the first user its ACL lets."""
        [reply] = self.cyrus.pipeline([f"GETACL {quote(share)}"])
        acl = parse_acl(reply)
        if not reply.ok:
            raise CyrusError(f"GETACL {share} refused: {reply.status} {reply.text}")
        if "r" in acl.get(self.config.imap_admin, ""):
            return None
        readers = sorted(who for who, rights in acl.items() if "r" in rights and who != ANYONE)
        if not readers:
            raise CyrusError(f"nobody may read the share {share}")
        return readers[0]


def _search(session: CyrusAdmin, folders: list[str], message_id: str) -> bool:
    """Whether any of ``folders`` (names as ``session`` sees them) holds the Message-ID."""
    imap = session.imap
    try:
        for folder in folders:
            status, data = imap.select(quote(folder), readonly=True)
            if status != "OK":
                raise CyrusError(f"{session.where}: EXAMINE {folder} refused: {data}")
            # imaplib sends the literal after the criteria: SEARCH CHARSET UTF-8 HEADER Message-ID {n}
            imap.literal = message_id.encode("utf-8")
            status, data = imap.search("UTF-8", "HEADER", "Message-ID")
            imap.close()
            if status != "OK":
                raise CyrusError(f"{session.where}: SEARCH in {folder} refused: {data}")
            if data and data[0] and data[0].split():
                return True
        return False
    except (OSError, EOFError, imaplib.IMAP4.error) as exc:
        session.close()
        raise CyrusError(f"{session.where}: searching failed: {exc}") from None


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
