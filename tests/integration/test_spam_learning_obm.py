"""R-51: the spam the technical team confirmed in chanthurac@ teaches the lab's rspamd, once.

Real servers: the lab's Cyrus (the spam-report share and its folders) and rspamd's controller, whose
``/stat`` counter ``learned`` shows what was learned (rspamd's controller API,
https://rspamd.com/doc/developers/protocol.html#controller-http-endpoints). Each test uses a mail
domain of its own, so its share is new.
"""

from __future__ import annotations

import imaplib
import uuid
from email.message import EmailMessage
from email.utils import make_msgid
from typing import TYPE_CHECKING

import pytest
import yaml
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.cyrus import CyrusAdmin, quote
from ansible_collections.danang.mail.plugins.module_utils.rspamd_controller import RspamdController
from ansible_collections.danang.mail.plugins.module_utils.spam_learning import learn_confirmed
from test_obm_lab import imap_admin

from conftest import LAB_DIR, LAB_VARS

if TYPE_CHECKING:
    from conftest import ObmLab

pytestmark = pytest.mark.integration


def controller() -> RspamdController:
    facts = yaml.safe_load(LAB_VARS.read_text(encoding="utf-8"))
    password = (LAB_DIR / "secrets" / "rspamd").read_text(encoding="utf-8").split()[0]
    return RspamdController(f"http://127.0.0.1:{facts['obm_rspamd_controller_port']}", password)


def cyrus(lab: ObmLab) -> CyrusAdmin:
    return CyrusAdmin(
        lab.imap_host, lab.imap_port, lab.imap_admin, lab.imap_admin_password, ca_file=lab.ca_file
    )


def spam(subject: str) -> bytes:
    """A report the way users forward it: enough words for rspamd's Bayes to learn from."""
    mail = EmailMessage()
    mail["From"] = "Khuyến mãi <km@example.org>"
    mail["To"] = "dungnv@danang.gov.vn"
    mail["Subject"] = subject
    mail["Message-ID"] = make_msgid(domain="example.org")
    words = " ".join(f"trúng thưởng xe máy miễn phí nhận ngay {uuid.uuid4().hex}" for _ in range(20))
    mail.set_content(f"Chúc mừng! {words}\nBấm vào liên kết để nhận giải.\n")
    return mail.as_bytes().replace(b"\n", b"\r\n")


def append(imap: imaplib.IMAP4, folder: str, raw: bytes) -> None:
    typ, data = imap.append(quote(folder), None, None, raw)
    assert typ == "OK", data


def count(imap: imaplib.IMAP4, folder: str) -> int:
    typ, data = imap.status(quote(folder), "(MESSAGES)")
    assert typ == "OK", data
    return int(data[0].rsplit(b"MESSAGES ", 1)[1].rstrip(b")"))


def learned_total() -> int:
    return int(controller().stat()["learned"])


def test_confirmed_spam_is_learned_once_and_nothing_else(obm_lab: ObmLab) -> None:
    domain = f"t{uuid.uuid4().hex[:8]}.{obm_lab.domain}"
    share, confirmed, learned = (f"chanthurac{f}@{domain}" for f in ("", "/confirmed spam", "/learned spam"))
    admin = imap_admin(obm_lab)
    assert admin.create(quote(share))[0] == "OK"
    # a report nobody confirmed yet: it stays in the share's INBOX (the administrator files it there)
    assert admin.setacl(quote(share), obm_lab.imap_admin, "lrsi")[0] == "OK"
    append(admin, share, spam("Chưa xác nhận"))

    session = cyrus(obm_lab)
    try:
        # check mode before the first run: says what it would create and grant, changes nothing
        preview = learn_confirmed(session, controller(), domain, check_mode=True)
        assert preview.created == [confirmed, learned] and preview.granted == [confirmed, learned]
        assert not admin.list('""', quote(confirmed))[1][0]
        first = learn_confirmed(session, controller(), domain)
        assert first.created == first.granted == [confirmed, learned] and first.messages == []

        # the team files two confirmed reports
        reports = [spam("Trúng thưởng 1"), spam("Trúng thưởng 2")]
        for raw in reports:
            append(admin, confirmed, raw)
        listed = learn_confirmed(session, controller(), domain, check_mode=True)
        assert [m.outcome for m in listed.messages] == ["would learn", "would learn"]
        assert not listed.changed and count(admin, confirmed) == 2

        before = learned_total()
        run = learn_confirmed(session, controller(), domain)
        assert [m.outcome for m in run.messages] == ["learned", "learned"]
        assert [m.subject for m in run.messages] == ["Trúng thưởng 1", "Trúng thưởng 2"]
        assert learned_total() == before + 2  # the unconfirmed report in INBOX was not learned
        assert (count(admin, confirmed), count(admin, learned), count(admin, share)) == (0, 2, 1)

        again = learn_confirmed(session, controller(), domain)
        assert (again.messages, again.changed) == ([], False)

        # filed a second time: rspamd knows it, it is not learned twice, and it is moved on
        append(admin, confirmed, reports[0])
        refiled = learn_confirmed(session, controller(), domain)
        assert [m.outcome for m in refiled.messages] == ["already learned"]
        assert learned_total() == before + 2
        assert (count(admin, confirmed), count(admin, learned)) == (0, 3)
    finally:
        session.close()
        admin.logout()


def test_the_playbook_learns_on_the_lab(obm_lab: ObmLab) -> None:
    """playbooks/spam_learning.yml with the lab inventory: module, connection and controller wired."""
    domain = f"t{uuid.uuid4().hex[:8]}.{obm_lab.domain}"
    confirmed = f"chanthurac/confirmed spam@{domain}"
    admin = imap_admin(obm_lab)
    for name in (f"chanthurac@{domain}", confirmed):
        assert admin.create(quote(name))[0] == "OK"
    assert admin.setacl(quote(confirmed), obm_lab.imap_admin, "lrswited")[0] == "OK"
    append(admin, confirmed, spam("Trúng thưởng qua playbook"))
    run = obm_lab.run_playbook("spam_learning.yml", "-e", f"danang_mail_domain={domain}")
    assert run.recap.get("failed") == 0 and run.recap.get("changed") == 1, run.proc.stdout[-3000:]
    assert f"chanthurac@{domain}: 1 learned" in run.proc.stdout
    assert count(admin, confirmed) == 0
    admin.logout()
