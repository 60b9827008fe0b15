# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every system checks of a composed notification before sending it (``contract.Notifications``):
one From, exactly one To (no Cc, no Bcc) and a Message-ID, so that the envelope is unambiguous and
``delivered()`` can find the message later; and the bytes it sends (``wire``). Pure: no I/O."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import getaddresses
from typing import Optional

SEND = "send"  # the action of a notification's Result


def envelope(message: EmailMessage) -> tuple[str, str, Optional[str]]:
    """(sender, recipient, why the message cannot be sent or None), from its From and its one To."""
    senders = [a for _n, a in getaddresses([str(v) for v in message.get_all("From", [])]) if a]
    recipients = [a for _n, a in getaddresses([str(v) for v in message.get_all("To", [])]) if a]
    others = [v for name in ("Cc", "Bcc") for v in message.get_all(name, [])]
    recipient = recipients[0] if len(recipients) == 1 else ", ".join(recipients)
    if len(recipients) != 1 or others:
        return "", recipient, "not sent: a notification has exactly one recipient (To), no Cc or Bcc"
    if len(senders) != 1:
        return "", recipient, "not sent: the message has no single From address"
    if not message.get("Message-ID"):
        return "", recipient, "not sent: the message has no Message-ID (delivered() could not find it)"
    return senders[0], recipient, None


def wire(message: EmailMessage) -> bytes:
    """The message as it goes on the wire: CRLF line ends, UTF-8 headers RFC 2047-encoded, and no
    header folded below RFC 5322's 998 characters. Python 3.11 drops the space where it folds a
    header between two encoded words ("…stttt-1: đã" arrives as "…stttt-1:đã"), and folds a long
    Message-ID onto a line of its own; unfolded, every header arrives as composed."""
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n", max_line_length=998))
