# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""R-51: what the technical team confirmed as spam in the spam-report mailbox teaches rspamd.

Users forward spam to ``chanthurac@`` (a shared mailbox on OBM, opened by the technical team). The
team files what it confirms in one folder of it (``confirmed spam``). A run reads that folder as
the Cyrus administrator, gives each message to rspamd's controller (``/learnspam``) and moves each
learned one to a second folder (``learned spam``), so that nothing is learned twice. No other
folder is read: nothing is learned unconfirmed. A message rspamd will not learn stays where it is
and is reported; the run stops at the first controller failure, with what was done so far.

Cyrus names (``virtdomains: userid``, ``unixhierarchysep``): the share is ``chanthurac@<domain>``,
its folders ``chanthurac/<folder>@<domain>``. Cyrus gives its administrators only the ``l`` and
``a`` rights implicitly, so the run gives the administrator ``lrswited`` on the two folders (kept:
the team's rights are untouched). Check mode changes nothing: it lists what would be learned when
the administrator can already read the folder, and says what it would create or grant otherwise.
"""

from __future__ import annotations

import imaplib
import re
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from typing import Optional

from ansible_collections.danang.mail.plugins.module_utils.backends.obm.cyrus import (
    CyrusAdmin,
    CyrusError,
    parse_acl,
    quote,
)
from ansible_collections.danang.mail.plugins.module_utils.model import SPAM_LOCAL_PART
from ansible_collections.danang.mail.plugins.module_utils.rspamd_controller import (
    ControllerError,
    MessageRefused,
    RspamdController,
)

CONFIRMED_FOLDER = "confirmed spam"
LEARNED_FOLDER = "learned spam"
# Read and expunge the confirmed folder, insert into the learned one (MOVE needs both ends).
ADMIN_RIGHTS = "lrswited"
_FOLDER = re.compile(r"^[A-Za-z0-9 ._-]+$")
_UID = re.compile(rb"UID (\d+)")


class LearningError(Exception):
    """The run cannot go on (IMAP or the controller); ``run`` holds what was done before."""

    def __init__(self, message: str, run: LearningRun) -> None:
        super().__init__(message)
        self.run = run


@dataclass(frozen=True)
class Message:
    """One message of the confirmed folder and what the run did with it."""

    uid: int
    message_id: str
    sender: str
    subject: str
    outcome: str  # learned | already learned | would learn | refused
    error: Optional[str] = None

    def as_dict(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class LearningRun:
    mailbox: str
    confirmed: str
    learned: str
    created: list[str] = field(default_factory=list)
    granted: list[str] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.granted or any(m.outcome != "would learn" for m in self.messages))

    def count(self, outcome: str) -> int:
        return sum(1 for m in self.messages if m.outcome == outcome)


def folder_names(domain: str, confirmed: str, learned: str) -> tuple[str, str, str]:
    """The share and its two folders' Cyrus names; folder names are checked (plain ASCII words)."""
    for option, value in (("confirmed_folder", confirmed), ("learned_folder", learned)):
        if not _FOLDER.match(value) or value.strip() != value:
            raise ValueError(f"{option}: {value!r} must be letters, digits, spaces, '.', '_' or '-'")
    if confirmed == learned:
        raise ValueError("confirmed_folder and learned_folder must differ")
    return (
        f"{SPAM_LOCAL_PART}@{domain}",
        f"{SPAM_LOCAL_PART}/{confirmed}@{domain}",
        f"{SPAM_LOCAL_PART}/{learned}@{domain}",
    )


def _headers(raw: bytes) -> tuple[str, str, str]:
    parsed = BytesHeaderParser(policy=default_policy).parsebytes(raw)
    return (str(parsed.get("Message-ID", "")), str(parsed.get("From", "")), str(parsed.get("Subject", "")))


class _Folders:
    """The IMAP side: one logged-in administrator connection."""

    def __init__(self, cyrus: CyrusAdmin) -> None:
        self.cyrus = cyrus
        self.imap: imaplib.IMAP4 = cyrus.imap

    def check(self, what: str, typ: str, data: list) -> list:
        if typ != "OK":
            detail = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")
            raise imaplib.IMAP4.error(f"{what}: {typ} {detail}")
        return data

    def exists(self, name: str) -> bool:
        return bool(self.cyrus.list_mailboxes(name))

    def can_read(self, name: str) -> bool:
        acl = parse_acl(self.cyrus.pipeline([f"GETACL {quote(name)}"])[0])
        return set(ADMIN_RIGHTS) <= set(acl.get(self.cyrus.user, ""))

    def uids(self, name: str, readonly: bool) -> list[int]:
        self.check(f"SELECT {name}", *self.imap.select(quote(name), readonly=readonly))
        data = self.check(f"UID SEARCH in {name}", *self.imap.uid("SEARCH", "UNDELETED"))
        return [int(u) for u in (data[0] or b"").split()]

    def fetch(self, uid: int) -> bytes:
        data = self.check(f"UID FETCH {uid}", *self.imap.uid("FETCH", str(uid), "(BODY.PEEK[])"))
        for part in data:
            if isinstance(part, tuple) and _UID.search(part[0]) and int(_UID.search(part[0]).group(1)) == uid:
                return part[1]
        raise imaplib.IMAP4.error(f"UID FETCH {uid}: no message")

    def move(self, uid: int, target: str) -> None:
        self.check(f"UID MOVE {uid}", *self.imap.uid("MOVE", str(uid), quote(target)))


def learn_confirmed(
    cyrus: CyrusAdmin,
    controller: RspamdController,
    domain: str,
    confirmed_folder: str = CONFIRMED_FOLDER,
    learned_folder: str = LEARNED_FOLDER,
    check_mode: bool = False,
) -> LearningRun:
    """Learn every message of the confirmed folder as spam and move it to the learned folder."""
    mailbox, confirmed, learned = folder_names(domain, confirmed_folder, learned_folder)
    run = LearningRun(mailbox, confirmed, learned)
    try:
        folders = _Folders(cyrus)
        if not folders.exists(mailbox):
            raise LearningError(
                f"{mailbox} has no mailbox on OBM: the spam-report mailbox is made by danang.mail.mailbox "
                "from desired_state/city.yml (R-51)",
                run,
            )
        for name in (confirmed, learned):
            if not folders.exists(name):
                run.created.append(name)
                if not check_mode:
                    folders.check(f"CREATE {name}", *folders.imap.create(quote(name)))
            if name in run.created and check_mode:
                run.granted.append(name)
            elif not folders.can_read(name):
                run.granted.append(name)
                if not check_mode:
                    folders.check(
                        f"SETACL {name}",
                        *folders.imap.setacl(quote(name), quote(cyrus.user), ADMIN_RIGHTS),
                    )
        if check_mode and confirmed in run.granted:
            return run  # the administrator cannot read the folder yet: nothing to list
        for uid in folders.uids(confirmed, readonly=check_mode):
            raw = folders.fetch(uid)
            message_id, sender, subject = _headers(raw)
            if check_mode:
                run.messages.append(Message(uid, message_id, sender, subject, "would learn"))
                continue
            try:
                outcome = controller.learn_spam(raw)
            except MessageRefused as exc:
                run.messages.append(Message(uid, message_id, sender, subject, "refused", str(exc)))
                continue
            folders.move(uid, learned)
            run.messages.append(Message(uid, message_id, sender, subject, outcome))
        folders.imap.close()
    except ControllerError as exc:
        raise LearningError(f"rspamd controller: {exc}", run) from None
    except (OSError, EOFError, imaplib.IMAP4.error, CyrusError) as exc:
        raise LearningError(f"{cyrus.where}: {exc}", run) from None
    return run
