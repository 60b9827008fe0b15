# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""R-50 on OBM, with real mail through the lab's Postfix and Cyrus: a Sieve redirect outside the city
is refused when Cyrus resubmits it (the holder's INBOX keeps the message), an inside one is
delivered, a vacation reply still reaches an outside sender; the audit over ManageSieve finds every
redirect, enforce removes exactly the outside ones, and a second run changes nothing.

Sources: Cyrus imapd.conf(5) ``smtp_backend``/``smtp_host`` (Debian 3.6.1 man page), RFC 5804
(ManageSieve), RFC 5228 (Sieve), RFC 3894 (``:copy``); Postfix access(5) and postconf(5)."""

from __future__ import annotations

import contextlib
import datetime
import imaplib
import smtplib
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ansible_collections.danang.mail.plugins.module_utils import accounts, desired_state, ledger, plan
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.managesieve import ManageSieve
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.system import ObmSystem
from ansible_collections.danang.mail.plugins.module_utils.forwarding import (
    SIEVE_REDIRECT,
    SIEVE_UNPARSEABLE,
    Forward,
    judge,
)
from lab_city import add_obm_domain, allocate_into, password_for
from obm_city import cyrus_admin, lab_config, ldap_admin, remove_domain

pytestmark = pytest.mark.integration

AGENCY = """\
abbreviation: ftest
name: Sở Kiểm thử Chuyển tiếp
mailbox: false
people:
  - {id: CB-F-0001, full_name: Nguyễn Văn An, requested_on: 2026-01-05}
  - {id: CB-F-0002, full_name: Trần Thị Bình, requested_on: 2026-01-05}
  - {id: CB-F-0003, full_name: Lê Văn Cường, requested_on: 2026-01-05}
"""
LOGINS = ("annv", "binhtt", "cuonglv")
CITY = ("danang.gov.vn",)


class Town:
    def __init__(self, lab: Any, root: Path, domain: str) -> None:
        self.lab, self.root, self.domain = lab, root, domain

    def address(self, login: str) -> str:
        return f"{login}@{self.domain}"

    def system(self) -> ObmSystem:
        return ObmSystem(lab_config(self.lab, self.domain))

    def sieve(self, login: str) -> ManageSieve:
        session = ManageSieve(
            self.lab.imap_host,
            self.lab.sieve_port,
            self.lab.imap_admin,
            self.lab.imap_admin_password,
            ca_file=self.lab.ca_file,
        )
        session.login(self.address(login))
        return session

    def install(self, login: str, name: str, text: str, active: bool) -> None:
        session = self.sieve(login)
        assert session.put_script(name, text).ok
        if active:
            assert session.set_active(name).ok
        session.close()

    def scripts(self, login: str) -> dict[str, tuple[bool, str]]:
        session = self.sieve(login)
        found = {name: (active, session.get_script(name)) for name, active in session.list_scripts().items()}
        session.close()
        return found

    def imap(self) -> imaplib.IMAP4:
        return cyrus_admin(self.lab)

    def subjects(self, login: str) -> list[str]:
        imap = self.imap()
        box = f'"user/{login}@{self.domain}"'
        imap.setacl(box, self.lab.imap_admin, "lrs")
        imap.select(box, readonly=True)
        _typ, data = imap.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        imap.logout()
        return [part[1].decode().split(":", 1)[1].strip() for part in data if isinstance(part, tuple)]

    def maillog(self, needle: str) -> list[str]:
        log = self.lab.lab_dir / "postfix" / "log" / "maillog"
        return [
            line for line in log.read_text(encoding="utf-8", errors="replace").splitlines() if needle in line
        ]

    def null_sender_mail_to(self, address: str) -> list[str]:
        """Queue ids of null-sender mail to ``address`` that came in through the resubmission listener."""
        ids = {line.split(": ")[1] for line in self.maillog(f"to=<{address}>")}
        return [
            qid
            for qid in ids
            if self.maillog(f"{qid}: from=<>,")
            and any("resubmit/smtpd" in line for line in self.maillog(f"{qid}: client="))
        ]

    def queue(self) -> str:
        conf = str(self.lab.lab_dir / "postfix" / "etc")
        return subprocess.run(
            ["/usr/sbin/postqueue", "-c", conf, "-p"], capture_output=True, text=True
        ).stdout


def wait_for(check, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.3)
    return False


@pytest.fixture
def town(obm_lab: Any, tmp_path: Path) -> Iterator[Town]:
    domain = f"f{uuid.uuid4().hex[:8]}.{obm_lab.domain}"
    desired = tmp_path / "desired_state"
    (desired / "agencies").mkdir(parents=True)
    (desired / "agencies" / "ftest.yml").write_text(AGENCY, encoding="utf-8")
    allocate_into(desired, domain, datetime.date(2026, 1, 5))
    conn = ldap_admin(obm_lab)
    base = add_obm_domain(conn, domain, obm_lab.base_dn)
    conn.unbind()
    made = Town(obm_lab, tmp_path, domain)
    state = desired_state.load_desired_state(desired)
    wanted, problems = accounts.desired_accounts(
        state, ledger.load_ledger(str(desired / "ledger.yml")).holders(), system="obm"
    )
    assert not problems
    with made.system() as backend:
        changes = plan.make_plan(wanted, backend.read(), backend.render).changes
        results = backend.apply(changes, {a.holder_id: password_for(a.holder_id) for a in wanted.values()})
    assert all(r.ok for r in results), results
    yield made
    with contextlib.suppress(Exception):
        for login in LOGINS:
            session = made.sieve(login)
            session.set_active("")
            for name in session.list_scripts():
                session.delete_script(name)
            session.close()
    remove_domain(obm_lab, domain, base)


def test_outside_redirect_refused_inside_delivered_audited_and_removed(town: Town) -> None:
    a, b, c = (town.address(login) for login in LOGINS)
    far = f"far-{uuid.uuid4().hex[:8]}@outside.example"
    old = f"old-{uuid.uuid4().hex[:8]}@outside.example"
    sender = f"sender-{uuid.uuid4().hex[:8]}@partner.example"
    # OBM's forwarding shape: "keep a local copy" is :copy. The outside redirect has no :copy, so
    # only Cyrus's implicit keep on a failed redirect leaves the message in A's INBOX.
    nomade = f'require ["copy"];\r\n# OBM nomade\r\nredirect :copy "{b}";\r\nredirect "{far}";\r\n'
    town.install("annv", "nomade", nomade, active=True)
    town.install("annv", "old", f'redirect "{old}";\r\n', active=False)
    town.install(
        "binhtt", "away", f'require "vacation";\r\nvacation :addresses "{b}" "Away";\r\n', active=True
    )
    # Cyrus takes blocks nested this deep; the audit reports the script instead of reading it.
    town.install("cuonglv", "deep", "if true {" * 40 + f'redirect "{far}";' + "}" * 40, active=True)

    subject = f"r50-{uuid.uuid4().hex[:8]}"
    with smtplib.SMTP(town.lab.smtp_host, town.lab.smtp_port, timeout=10) as smtp:
        smtp.sendmail(sender, [a], f"From: {sender}\r\nTo: {a}\r\nSubject: {subject}\r\n\r\nR-50\r\n")
        smtp.sendmail(sender, [b], f"From: {sender}\r\nTo: {b}\r\nSubject: vacation\r\n\r\nR-50\r\n")

    assert wait_for(lambda: subject in town.subjects("binhtt")), "the inside redirect was not delivered"
    assert wait_for(lambda: town.maillog(f"<{far}>")), "Cyrus did not resubmit the outside redirect"
    refused = town.maillog(f"<{far}>")
    assert all(
        "postfix/resubmit/smtpd" in line and "550 5.7.1" in line and "(R-50)" in line for line in refused
    )
    assert subject in town.subjects("annv")  # the refused redirect left the message in the INBOX
    assert "outside.example" not in town.queue()
    # B's vacation reply (null sender) still reaches the outside sender through the same listener.
    assert wait_for(lambda: town.null_sender_mail_to(sender)), "no vacation reply through the listener"
    # The residual the role's README names: a message that came with a null envelope sender is
    # redirected with that sender, and the listener lets null-sender mail out.
    with smtplib.SMTP(town.lab.smtp_host, town.lab.smtp_port, timeout=10) as smtp:
        smtp.sendmail(
            "", [a], f"From: MAILER-DAEMON@partner.example\r\nTo: {a}\r\nSubject: dsn\r\n\r\nDSN\r\n"
        )
    assert wait_for(lambda: town.null_sender_mail_to(far))

    with town.system() as backend:
        found = backend.read_forwards()
    unparseable = [f for f in found if f.mechanism == SIEVE_UNPARSEABLE]
    assert [(f.holder, f.target, f.where.split(":")[0], f.enabled) for f in unparseable] == [
        (c, "", "deep", True)
    ]
    assert "nested deeper" in unparseable[0].where
    redirects = {f for f in found if f.mechanism == SIEVE_REDIRECT}
    assert redirects == {
        Forward("obm", a, b, SIEVE_REDIRECT, "nomade", True),
        Forward("obm", a, far, SIEVE_REDIRECT, "nomade", True),
        Forward("obm", a, old, SIEVE_REDIRECT, "old", False),
    }
    to_remove = [f.forward for f in judge(found, CITY) if f.remove]
    assert to_remove == [Forward("obm", a, far, SIEVE_REDIRECT, "nomade", True)]

    with town.system() as backend:
        results = backend.remove_forwards(to_remove)
        assert [(r.address, r.action, r.ok) for r in results] == [(a, "remove_forward", True)]
        after = town.scripts("annv")
        assert after["nomade"][0] is True  # still the active script
        assert f'redirect :copy "{b}";' in after["nomade"][1] and far not in after["nomade"][1]
        assert after["old"] == (False, f'redirect "{old}";\r\n')  # disabled: reported, left alone
        assert not [f for f in judge(backend.read_forwards(), CITY) if f.remove]
        again = backend.remove_forwards(to_remove)  # already gone: done, nothing written
        assert [r.ok for r in again] == [True]
        assert town.scripts("annv") == after
        refused = backend.remove_forwards(unparseable)
        assert not refused[0].ok and "by hand" in refused[0].error
