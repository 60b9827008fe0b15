"""The local OBM lab answers like the real OBM.

Real clients against the servers the role danang.mail.obm_server configures in lab mode:
ldap3 for OpenLDAP, imaplib for Cyrus IMAP, smtplib for Postfix. Every test makes its own
accounts (random logins), so the tests can run again on the same lab.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import signal
import smtplib
import socket
import subprocess
import time
from email.message import EmailMessage
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import ObmLab

ldap3 = pytest.importorskip("ldap3")

pytestmark = pytest.mark.integration

MiB = 1024 * 1024


# --- helpers -----------------------------------------------------------------------------------
def ldap_server(lab: ObmLab):
    return ldap3.Server(lab.ldap_host, port=lab.ldap_port, get_info=ldap3.SCHEMA, connect_timeout=5)


def admin(lab: ObmLab, check_names: bool = True):
    return ldap3.Connection(
        ldap_server(lab), lab.admin_dn, lab.admin_password, auto_bind=True, check_names=check_names
    )


def user_dn(lab: ObmLab, login: str) -> str:
    return f"uid={login},{lab.users_dn}"


def obm_user_attributes(lab: ObmLab, login: str, password: str, access: str = "PERMIT") -> dict:
    """A user entry exactly as the reference describes OBM's (obm.md, 'A user entry')."""
    address = f"{login}@{lab.domain}"
    return {
        "uid": login,
        "cn": "Nguyễn Văn Dũng",
        "displayName": "Nguyễn Văn Dũng",
        "sn": "Nguyễn",
        "givenName": "Dũng",
        "mail": address,
        "mailBox": address,
        "mailBoxServer": f"lmtp:{lab.imap_host}:{lab.lmtp_port}",
        "mailAccess": access,
        "webAccess": "PERMIT",
        "hiddenUser": "FALSE",
        "obmDomain": lab.domain,
        "uidNumber": 1001,
        "gidNumber": 1000,
        "homeDirectory": f"/home/{login}",
        "userPassword": password,
    }


OBM_USER_CLASSES = ["posixAccount", "shadowAccount", "inetOrgPerson", "obmUser"]


def add_user(lab: ObmLab, login: str, password: str = "Khoi-tao#2026abc", access: str = "PERMIT") -> str:
    conn = admin(lab)
    dn = user_dn(lab, login)
    assert conn.add(dn, OBM_USER_CLASSES, obm_user_attributes(lab, login, password, access)), conn.result
    conn.unbind()
    return dn


def read(lab: ObmLab, dn: str, *attributes: str) -> dict:
    conn = admin(lab)
    assert conn.search(dn, "(objectClass=*)", ldap3.BASE, attributes=list(attributes)), conn.result
    values = conn.response[0]["attributes"]
    conn.unbind()
    return values


def imap_login(lab: ObmLab, user: str, password: str) -> imaplib.IMAP4:
    imap = imaplib.IMAP4(lab.imap_host, lab.imap_port)
    imap.login(user, password)
    return imap


def imap_admin(lab: ObmLab) -> imaplib.IMAP4:
    return imap_login(lab, lab.imap_admin, lab.imap_admin_password)


def create_mailbox(lab: ObmLab, login: str) -> str:
    mailbox = f"user/{login}@{lab.domain}"
    imap = imap_admin(lab)
    typ, data = imap.create(mailbox)
    imap.logout()
    assert typ == "OK", data
    return mailbox


def login_fails(lab: ObmLab, user: str, password: str) -> bool:
    try:
        imap_login(lab, user, password).logout()
    except imaplib.IMAP4.error:
        return True
    return False


# --- OpenLDAP ----------------------------------------------------------------------------------
def test_admin_binds_and_sees_the_obm_tree(obm_lab: ObmLab) -> None:
    conn = admin(obm_lab)
    assert conn.search(obm_lab.base_dn, "(objectClass=*)", ldap3.SUBTREE, attributes=["objectClass"])
    dns = {entry["dn"].lower() for entry in conn.response}
    domain = f"dc={obm_lab.domain},{obm_lab.base_dn}".lower()
    for dn in (
        obm_lab.base_dn,
        f"ou=sysusers,{obm_lab.base_dn}",
        obm_lab.admin_dn,
        domain,
        f"ou=users,{domain}",
        f"ou=groups,{domain}",
        f"ou=mailshare,{domain}",
        f"cn=mailserver,ou=servicesconfiguration,{domain}",
    ):
        assert dn.lower() in dns, dn


def test_schema_accepts_an_obm_user_like_the_reference(obm_lab: ObmLab) -> None:
    login = obm_lab.unique_login()
    dn = add_user(obm_lab, login)
    entry = read(obm_lab, dn, "objectClass", "mailBox", "mailAccess", "hiddenUser", "obmDomain")
    assert {c.lower() for c in entry["objectClass"]} >= {c.lower() for c in OBM_USER_CLASSES}
    assert entry["mailBox"] == [f"{login}@{obm_lab.domain}"]
    assert entry["mailAccess"] == "PERMIT"
    assert entry["hiddenUser"] is False


def test_schema_refuses_an_unknown_attribute(obm_lab: ObmLab) -> None:
    login = obm_lab.unique_login()
    attributes = obm_user_attributes(obm_lab, login, "Khoi-tao#2026abc")
    attributes["mailQuota"] = "2048"  # there is no quota attribute in OBM's LDAP
    conn = admin(obm_lab, check_names=False)  # the server refuses it, not ldap3
    assert not conn.add(user_dn(obm_lab, login), OBM_USER_CLASSES, attributes)
    assert conn.result["description"] == "undefinedAttributeType"


def test_unique_overlay_refuses_a_second_entry_with_the_same_mail(obm_lab: ObmLab) -> None:
    first = obm_lab.unique_login()
    add_user(obm_lab, first)
    second = obm_lab.unique_login()
    attributes = obm_user_attributes(obm_lab, second, "Khoi-tao#2026abc")
    attributes["mail"] = f"{first}@{obm_lab.domain}"
    conn = admin(obm_lab)
    assert not conn.add(user_dn(obm_lab, second), OBM_USER_CLASSES, attributes)
    assert conn.result["description"] == "constraintViolation"
    assert "non-unique" in conn.result["message"]


def test_ppolicy_hashes_a_cleartext_password(obm_lab: ObmLab) -> None:
    login = obm_lab.unique_login()
    dn = add_user(obm_lab, login, password="Khoi-tao#2026abc")
    stored = read(obm_lab, dn, "userPassword")["userPassword"][0]
    assert stored.startswith(b"{SSHA}")
    assert b"Khoi-tao" not in stored


def test_a_user_bind_stamps_pwd_last_success(obm_lab: ObmLab) -> None:
    login = obm_lab.unique_login()
    dn = add_user(obm_lab, login, password="Khoi-tao#2026abc")
    assert not read(obm_lab, dn, "pwdLastSuccess").get("pwdLastSuccess")
    conn = ldap3.Connection(ldap_server(obm_lab), dn, "Khoi-tao#2026abc")
    assert conn.bind()
    conn.unbind()
    assert read(obm_lab, dn, "pwdLastSuccess").get("pwdLastSuccess")


def test_an_imap_login_stamps_pwd_last_success(obm_lab: ObmLab) -> None:
    """R-23: IMAP logins go through saslauthd -> LDAP bind, so they are the last-access signal."""
    login = obm_lab.unique_login()
    dn = add_user(obm_lab, login, password="Khoi-tao#2026abc")
    create_mailbox(obm_lab, login)
    imap_login(obm_lab, f"{login}@{obm_lab.domain}", "Khoi-tao#2026abc").logout()
    assert read(obm_lab, dn, "pwdLastSuccess").get("pwdLastSuccess")


def test_pwd_reset_what_ldap_and_imap_really_do(obm_lab: ObmLab) -> None:
    """R-40 facts. An add does not set pwdReset; an administrator's password change does
    (pwdMustChange TRUE). With pwdReset TRUE the LDAP bind still succeeds but the session may do
    nothing except change its password; saslauthd only binds, so only its filter's
    (!(pwdReset=TRUE)) (obm_server_imap_block_pwdreset, default) makes IMAP refuse the login
    (test_obm_password_acl.py).
    """
    login = obm_lab.unique_login()
    dn = add_user(obm_lab, login, password="Khoi-tao#2026abc")
    create_mailbox(obm_lab, login)
    assert not read(obm_lab, dn, "pwdReset").get("pwdReset")

    conn = admin(obm_lab)
    assert conn.modify(dn, {"userPassword": [(ldap3.MODIFY_REPLACE, ["Dat-lai#2026xyz"])]}), conn.result
    assert read(obm_lab, dn, "pwdReset")["pwdReset"] is True

    user = ldap3.Connection(ldap_server(obm_lab), dn, "Dat-lai#2026xyz")
    assert user.bind()
    assert not user.search(dn, "(objectClass=*)", ldap3.BASE, attributes=["mail"])
    assert user.result["description"] == "insufficientAccessRights"
    user.unbind()

    assert login_fails(obm_lab, f"{login}@{obm_lab.domain}", "Dat-lai#2026xyz")

    # The administrator may also set the flag directly (what the backend does on create).
    other = obm_lab.unique_login()
    other_dn = add_user(obm_lab, other)
    assert conn.modify(other_dn, {"pwdReset": [(ldap3.MODIFY_REPLACE, ["TRUE"])]}), conn.result
    assert read(obm_lab, other_dn, "pwdReset")["pwdReset"] is True


# --- Cyrus IMAP ---------------------------------------------------------------------------------
def test_cyrus_admin_creates_a_mailbox_and_sets_its_quota_in_kb(obm_lab: ObmLab) -> None:
    login = obm_lab.unique_login()
    mailbox = create_mailbox(obm_lab, login)
    imap = imap_admin(obm_lab)
    typ, data = imap.setquota(mailbox, "(STORAGE 2097152)")  # 2 GB = 2048 MB x 1024 KB
    assert typ == "OK", data
    typ, data = imap.getquota(mailbox)
    imap.logout()
    assert typ == "OK"
    assert b"STORAGE 0 2097152" in data[0]


def test_imap_login_follows_mail_access(obm_lab: ObmLab) -> None:
    permitted = obm_lab.unique_login()
    add_user(obm_lab, permitted, password="Khoi-tao#2026abc")
    create_mailbox(obm_lab, permitted)
    imap = imap_login(obm_lab, f"{permitted}@{obm_lab.domain}", "Khoi-tao#2026abc")
    typ, data = imap.select("INBOX")
    imap.logout()
    assert typ == "OK", data

    rejected = obm_lab.unique_login()
    add_user(obm_lab, rejected, password="Khoi-tao#2026abc", access="REJECT")
    create_mailbox(obm_lab, rejected)
    assert login_fails(obm_lab, f"{rejected}@{obm_lab.domain}", "Khoi-tao#2026abc")

    # Disabling an account that could log in blocks it at once (no credential cache).
    conn = admin(obm_lab)
    assert conn.modify(user_dn(obm_lab, permitted), {"mailAccess": [(ldap3.MODIFY_REPLACE, ["REJECT"])]})
    assert login_fails(obm_lab, f"{permitted}@{obm_lab.domain}", "Khoi-tao#2026abc")
    assert login_fails(obm_lab, f"{permitted}@{obm_lab.domain}", "a wrong password")


# --- Postfix ------------------------------------------------------------------------------------
def wait_for_messages(lab: ObmLab, login: str, password: str, count: int, timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while True:
        imap = imap_login(lab, f"{login}@{lab.domain}", password)
        _typ, data = imap.select("INBOX", readonly=True)
        imap.logout()
        found = int(data[0])
        if found >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def test_postfix_delivers_a_new_address_to_cyrus_over_lmtp(obm_lab: ObmLab) -> None:
    login = obm_lab.unique_login()
    add_user(obm_lab, login, password="Khoi-tao#2026abc")
    create_mailbox(obm_lab, login)
    message = EmailMessage()
    message["From"] = "vanthu@example.org"
    message["To"] = f"{login}@{obm_lab.domain}"
    message["Subject"] = "Giấy mời họp"
    message.set_content("Kính gửi: thử nghiệm chuyển thư Postfix -> LMTP -> Cyrus.")
    with smtplib.SMTP(obm_lab.smtp_host, obm_lab.smtp_port, timeout=30) as smtp:
        assert smtp.send_message(message) == {}
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            smtp.sendmail(
                "vanthu@example.org", [f"khongco-{login}@{obm_lab.domain}"], b"Subject: x\r\n\r\nx\r\n"
            )
    assert wait_for_messages(obm_lab, login, "Khoi-tao#2026abc", 1) == 1


def message_with_attachment(lab: ObmLab, to: str, size: int) -> bytes:
    message = EmailMessage()
    message["From"] = "vanthu@example.org"
    message["To"] = to
    message["Subject"] = f"Tệp đính kèm {size} bytes"
    message.set_content("Xem tệp đính kèm.")
    message.add_attachment(os.urandom(size), maintype="application", subtype="pdf", filename="baocao.pdf")
    return message.as_bytes().replace(b"\n", b"\r\n")


def test_message_size_limit_lets_20_mib_through_and_refuses_21_mib(obm_lab: ObmLab) -> None:
    """R-31: message_size_limit fits a 20 MiB attachment once Base64-encoded, not 21 MiB."""
    login = obm_lab.unique_login()
    add_user(obm_lab, login, password="Khoi-tao#2026abc")
    create_mailbox(obm_lab, login)
    to = f"{login}@{obm_lab.domain}"
    fits = message_with_attachment(obm_lab, to, 20 * MiB)
    too_big = message_with_attachment(obm_lab, to, 21 * MiB)
    assert len(fits) < obm_lab.message_size_limit < len(too_big)
    with smtplib.SMTP(obm_lab.smtp_host, obm_lab.smtp_port, timeout=120) as smtp:
        assert smtp.sendmail("vanthu@example.org", [to], fits) == {}
        # declared size (ESMTP SIZE): refused at MAIL FROM
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            smtp.sendmail("vanthu@example.org", [to], too_big)
        assert refused.value.smtp_code == 552
    with smtplib.SMTP(obm_lab.smtp_host, obm_lab.smtp_port, timeout=120) as smtp:
        # undeclared size: refused at the end of DATA
        smtp.ehlo()
        smtp.mail("vanthu@example.org")
        smtp.rcpt(to)
        code, _ = smtp.data(too_big)
        assert code == 552
    assert wait_for_messages(obm_lab, login, "Khoi-tao#2026abc", 1, timeout=60) == 1


# --- the lab itself -------------------------------------------------------------------------------
def lab_pids(lab: ObmLab) -> list[int]:
    out = subprocess.run(
        [str(lab.lab_dir / "bin" / "obm-lab"), "pids"], capture_output=True, text=True, check=True
    ).stdout
    return [int(pid) for pid in out.split()]


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


def test_lab_up_again_and_in_check_mode_changes_nothing(obm_lab: ObmLab) -> None:
    second = obm_lab.run_playbook("lab_up.yml", "--tags", "obm")
    assert second.recap.get("changed") == 0, second.proc.stdout[-4000:]
    assert second.recap.get("failed") == 0
    checked = obm_lab.run_playbook("lab_up.yml", "--tags", "obm", "--check", "--diff")
    assert checked.recap.get("changed") == 0, checked.proc.stdout[-4000:]


MASTER_PID_FILES = (
    "ldap/run/slapd.pid",
    "saslauthd/run/saslauthd.pid",
    "cyrus/run/cyrus-master.pid",
    "postfix/queue/pid/master.pid",
)


def test_lab_up_after_a_crash(obm_lab: ObmLab) -> None:
    """The four master processes killed hard: stale pid files and sockets stay behind, and the
    orphaned Cyrus services keep the IMAP and LMTP ports. lab_up must clear them and start again."""
    for name in MASTER_PID_FILES:
        pid = int((obm_lab.lab_dir / name).read_text().split()[0])
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    time.sleep(1)
    assert lab_pids(obm_lab), "the Cyrus services should outlive their master"
    obm_lab.run_playbook("lab_up.yml", "--tags", "obm")
    imap_admin(obm_lab).logout()
    assert admin(obm_lab).bound
    for name in MASTER_PID_FILES:
        pid = int((obm_lab.lab_dir / name).read_text().split()[0])
        assert pid in lab_pids(obm_lab), name


def test_lab_down_leaves_no_process_and_lab_up_restarts(obm_lab: ObmLab) -> None:
    obm_lab.run_playbook("lab_down.yml", "--tags", "obm")
    assert lab_pids(obm_lab) == []
    for port in (obm_lab.ldap_port, obm_lab.imap_port, obm_lab.lmtp_port, obm_lab.smtp_port):
        assert not port_open("127.0.0.1", port), port
    obm_lab.run_playbook("lab_up.yml", "--tags", "obm")
    imap_admin(obm_lab).logout()
