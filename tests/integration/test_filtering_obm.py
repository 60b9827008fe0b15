"""Spam and virus filtering on OBM (R-52, R-31) with real mail through the lab's Postfix.

The role danang.mail.obm_server makes rspamd Postfix's milter, with ClamAV behind rspamd's
antivirus module (roles/obm_server/README.md, "Filtering"). The lab's clamd knows one signature,
the EICAR test file's (lab/roles/obm_lab/files). Each test sends through Postfix's SMTP port and
reads the outcome in the SMTP answer and in the holder's Cyrus INBOX.

Sources of the test strings: GTUBE, the Generic Test for Unsolicited Bulk Email
(https://spamassassin.apache.org/gtube/), which rspamd's default configuration rejects; the EICAR
anti-malware test file (https://www.eicar.org/download-anti-malware-testfile/), built from two
halves below so that this file itself is not the test file.
"""

from __future__ import annotations

import contextlib
import os
import smtplib
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from typing import TYPE_CHECKING

import pytest
import yaml
from obm_city import obm_lab_ctl, wait_lab_port
from test_obm_lab import MiB, add_user, create_mailbox, imap_login, wait_for_messages

from conftest import LAB_VARS

if TYPE_CHECKING:
    from conftest import ObmLab

pytestmark = pytest.mark.integration

PASSWORD = "Khoi-tao#2026abc"
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
# The lab's loopback ports of the filters.
FACTS = yaml.safe_load(LAB_VARS.read_text(encoding="utf-8"))
RSPAMD_MILTER_PORT = int(FACTS["obm_rspamd_milter_port"])
CLAMD_PORT = int(FACTS["obm_clamd_port"])


def holder(lab: ObmLab) -> str:
    """A new mailbox holder; returns the address."""
    login = lab.unique_login("f")
    add_user(lab, login, password=PASSWORD)
    create_mailbox(lab, login)
    return f"{login}@{lab.domain}"


def message(to: str, text: str, attachment: bytes | None = None, filename: str = "baocao.pdf") -> bytes:
    """A message from outside the city; a Message-ID of its own, so no scan result is reused."""
    mail = EmailMessage()
    mail["From"] = "vanthu@example.org"
    mail["To"] = to
    mail["Subject"] = f"Thư thử {uuid.uuid4().hex[:8]}"
    mail["Message-ID"] = make_msgid(domain="example.org")
    mail.set_content(text)
    if attachment is not None:
        mail.add_attachment(attachment, maintype="application", subtype="octet-stream", filename=filename)
    return mail.as_bytes().replace(b"\n", b"\r\n")


def send(lab: ObmLab, to: str, data: bytes) -> tuple[int, str]:
    """Postfix's first answer that is not a success (MAIL, RCPT or the end of DATA), else the end of
    DATA's: (code, text)."""
    with smtplib.SMTP(lab.smtp_host, lab.smtp_port, timeout=180) as smtp:
        smtp.ehlo()
        code, answer = smtp.mail("vanthu@example.org")
        if code == 250:
            code, answer = smtp.rcpt(to)
        if code == 250:
            code, answer = smtp.data(data)
    return code, answer.decode("utf-8", "replace")


def inbox_count(lab: ObmLab, address: str) -> int:
    imap = imap_login(lab, address, PASSWORD)
    _typ, data = imap.select("INBOX", readonly=True)
    imap.logout()
    return int(data[0])


@contextlib.contextmanager
def stopped(lab: ObmLab, service: str, port: int) -> Iterator[None]:
    """The lab's daemon stopped for the block, then started again (the lab is left as found)."""
    obm_lab_ctl(lab, "stop", service)
    try:
        yield
    finally:
        obm_lab_ctl(lab, "start", service)
        wait_lab_port(lab, port)


def test_gtube_is_refused(obm_lab: ObmLab) -> None:
    """R-52: the default reject score refuses spam at the end of DATA (5xx); nothing is delivered."""
    to = holder(obm_lab)
    code, answer = send(obm_lab, to, message(to, f"Khuyến mãi lớn!\n{GTUBE}\n"))
    assert code == 554, answer
    assert inbox_count(obm_lab, to) == 0


def test_eicar_is_refused(obm_lab: ObmLab) -> None:
    """R-52: ClamAV (through rspamd's antivirus module) finds the virus; Postfix refuses it (5xx)."""
    to = holder(obm_lab)
    code, answer = send(obm_lab, to, message(to, "Xem tệp đính kèm.", EICAR, "eicar.com"))
    assert code == 554, answer
    assert "virus" in answer.lower()
    assert inbox_count(obm_lab, to) == 0


def test_clean_mail_with_a_20_mib_attachment_is_scanned_and_arrives(obm_lab: ObmLab) -> None:
    """R-31 through the filters: rspamd and clamd take the whole message (their size limits follow
    Postfix's), so a clean 20 MiB attachment arrives, with rspamd's result in its header."""
    to = holder(obm_lab)
    data = message(to, "Báo cáo quý, xem tệp đính kèm.", os.urandom(20 * MiB))
    assert len(data) < obm_lab.message_size_limit
    code, answer = send(obm_lab, to, data)
    assert code == 250, answer
    assert wait_for_messages(obm_lab, to.split("@")[0], PASSWORD, 1, timeout=60) == 1
    imap = imap_login(obm_lab, to, PASSWORD)
    imap.select("INBOX", readonly=True)
    _typ, fetched = imap.fetch("1", "(BODY.PEEK[HEADER.FIELDS (X-Spamd-Result)])")
    imap.logout()
    assert b"X-Spamd-Result: default: False" in fetched[0][1]


def test_rspamd_stopped_means_temporary_failure(obm_lab: ObmLab) -> None:
    """milter_default_action = tempfail: without rspamd Postfix answers 4xx (from MAIL FROM on: it
    cannot reach its milter), so the sender retries; it never lets the message through unfiltered."""
    to = holder(obm_lab)
    with stopped(obm_lab, "rspamd", RSPAMD_MILTER_PORT):
        code, answer = send(obm_lab, to, message(to, "Thư bình thường."))
        assert code // 100 == 4, answer
    assert inbox_count(obm_lab, to) == 0
    code, answer = send(obm_lab, to, message(to, "Thư bình thường, lần nữa."))
    assert code == 250, answer


def test_clamd_stopped_means_temporary_failure(obm_lab: ObmLab) -> None:
    """rspamd's antivirus module only marks a failed scan (CLAM_VIRUS_FAIL); the role's force_actions
    rule turns it into a soft reject, so a virus is never delivered while clamd is down."""
    to = holder(obm_lab)
    with stopped(obm_lab, "clamd", CLAMD_PORT):
        code, answer = send(obm_lab, to, message(to, "Xem tệp đính kèm.", EICAR, "eicar.com"))
        assert code // 100 == 4, answer
    assert inbox_count(obm_lab, to) == 0
    code, answer = send(obm_lab, to, message(to, "Xem tệp đính kèm.", EICAR, "eicar.com"))
    assert code == 554, answer
