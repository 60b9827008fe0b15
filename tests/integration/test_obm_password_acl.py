"""On OBM a person's password changes only through the self-service page (R-40, R-42).

The role danang.mail.obm_server, with its defaults, in the lab: only the page's LDAP identity
(``obm_server_ldap_portal_dn``) writes a person's ``userPassword`` and ``pwdReset``; the person's own
Password Modify or modify is refused (it would skip the page's checks of R-42 and R-43); IMAP and
ManageSieve refuse an initial password with the answer they give to a wrong one
(``obm_server_imap_block_pwdreset``), and Postfix offers no SMTP AUTH that could take it instead.
Real clients: ldap3, imaplib, the collection's ManageSieve client, smtplib.
"""

from __future__ import annotations

import imaplib
import smtplib
import ssl
from typing import TYPE_CHECKING

import pytest
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.managesieve import (
    ManageSieve,
    SieveRefused,
)
from ldap3.utils.conv import escape_filter_chars
from test_obm_lab import add_user, admin, create_mailbox, imap_login, ldap_server, read

if TYPE_CHECKING:
    from conftest import ObmLab

ldap3 = pytest.importorskip("ldap3")

pytestmark = pytest.mark.integration

INITIAL = "Khoi-tao#2026abc"
CHOSEN = "Tu-chon#2026xyz"


def new_person(lab: ObmLab) -> tuple[str, str]:
    """A person as the collection leaves them: an initial password set by the administrator,
    pwdReset TRUE, a mailbox. Their DN and address."""
    login = lab.unique_login()
    dn = add_user(lab, login, password=INITIAL)
    create_mailbox(lab, login)
    conn = admin(lab)
    assert conn.modify(dn, {"pwdReset": [(ldap3.MODIFY_REPLACE, ["TRUE"])]}), conn.result
    conn.unbind()
    return dn, f"{login}@{lab.domain}"


def binds(lab: ObmLab, dn: str, password: str) -> bool:
    """A simple bind as ``dn`` (anonymous ``auth`` on userPassword: how saslauthd and the page check)."""
    conn = ldap3.Connection(ldap_server(lab), dn, password)
    try:
        return conn.bind()
    finally:
        conn.unbind()


def imap_refusal(lab: ObmLab, address: str, password: str) -> str:
    with pytest.raises(imaplib.IMAP4.error) as refused:
        imap_login(lab, address, password)
    return str(refused.value)


def sieve_refusal(lab: ObmLab, address: str, password: str) -> str:
    """The person's own ManageSieve AUTHENTICATE PLAIN (authorization = authentication identity)."""
    session = ManageSieve(lab.imap_host, lab.sieve_port, address, password, ca_file=lab.ca_file)
    with pytest.raises(SieveRefused) as refused:
        session.login(address)
    session.close()
    return str(refused.value).rsplit(": ", 1)[-1]


def test_only_the_portal_identity_writes_a_persons_password(obm_lab: ObmLab) -> None:
    dn, address = new_person(obm_lab)
    # The person binds (ppolicy lets a pwdReset account in) but may not change their own password.
    user = ldap3.Connection(ldap_server(obm_lab), dn, INITIAL, auto_bind=True)
    assert not user.extend.standard.modify_password(dn, None, CHOSEN)
    assert user.result["description"] == "insufficientAccessRights"
    # With the old password given, slapd may not even check it (self has no access to it).
    assert not user.extend.standard.modify_password(dn, INITIAL, CHOSEN)
    assert user.result["description"] == "unwillingToPerform"
    assert not user.modify(dn, {"userPassword": [(ldap3.MODIFY_REPLACE, [CHOSEN])]})
    assert user.result["description"] == "insufficientAccessRights"
    user.unbind()
    assert binds(obm_lab, dn, INITIAL) and not binds(obm_lab, dn, CHOSEN)

    # The read-only reader (saslauthd, Postfix) reads as before and writes no password.
    reader = ldap3.Connection(
        ldap_server(obm_lab), obm_lab.reader_dn, obm_lab.reader_password, auto_bind=True
    )
    assert reader.search(
        obm_lab.users_dn, f"(mail={escape_filter_chars(address)})", attributes=["mailBox", "pwdReset", "uid"]
    )
    assert reader.entries[0].mailBox.value == address and reader.entries[0].pwdReset.value is True
    assert not reader.modify(dn, {"userPassword": [(ldap3.MODIFY_REPLACE, [CHOSEN])]})
    reader.unbind()

    portal = ldap3.Connection(
        ldap_server(obm_lab), obm_lab.portal_dn, obm_lab.portal_password, auto_bind=True
    )
    # What a sign-in needs, found by address under ou=users.
    wanted = ["mail", "cn", "givenName", "sn", "pwdReset", "pwdAccountLockedTime", "mailAccess"]
    assert portal.search(obm_lab.users_dn, f"(mail={escape_filter_chars(address)})", attributes=wanted)
    (found,) = portal.entries
    assert found.entry_dn == dn and found.sn.value == "Nguyễn" and found.pwdReset.value is True
    # ppolicy still checks what the portal writes (pwdMinLength 12, R-42).
    assert not portal.modify(dn, {"userPassword": [(ldap3.MODIFY_REPLACE, ["Ngan#1a"])]})
    assert portal.result["description"] == "constraintViolation"
    assert portal.modify(dn, {"userPassword": [(ldap3.MODIFY_REPLACE, [CHOSEN])]}), portal.result
    assert binds(obm_lab, dn, CHOSEN) and not binds(obm_lab, dn, INITIAL)
    # The portal may write pwdReset and nothing else of the person, nor any service account.
    assert portal.modify(dn, {"pwdReset": [(ldap3.MODIFY_REPLACE, ["TRUE"])]}), portal.result
    assert portal.modify(dn, {"pwdReset": [(ldap3.MODIFY_DELETE, [])]}), portal.result
    assert not portal.modify(dn, {"mailAccess": [(ldap3.MODIFY_REPLACE, ["REJECT"])]})
    assert portal.result["description"] == "insufficientAccessRights"
    assert not portal.modify(obm_lab.admin_dn, {"userPassword": [(ldap3.MODIFY_REPLACE, [CHOSEN])]})
    assert not portal.search(obm_lab.base_dn, f"(mail={escape_filter_chars(address)})", attributes=["mail"])
    portal.unbind()
    assert not read(obm_lab, dn, "pwdReset").get("pwdReset")
    imap_login(obm_lab, address, CHOSEN).logout()


def test_imap_and_managesieve_refuse_an_initial_password_like_a_wrong_one(obm_lab: ObmLab) -> None:
    """obm_server_imap_block_pwdreset (default true): saslauthd's filter skips a pwdReset entry.
    Cyrus's answer is the one of a wrong password, so it confirms no guessed initial password."""
    dn, address = new_person(obm_lab)
    initial = imap_refusal(obm_lab, address, INITIAL)
    assert (
        initial
        == imap_refusal(obm_lab, address, "Sai-mat#2026khau")
        == "b'Login failed: authentication failure'"
    )
    initial = sieve_refusal(obm_lab, address, INITIAL)
    assert initial == sieve_refusal(obm_lab, address, "Sai-mat#2026khau") == "Authentication Error"

    obm_lab.simulate_password_change(address)  # the holder's change on the page
    imap_login(obm_lab, address, INITIAL).logout()
    session = ManageSieve(obm_lab.imap_host, obm_lab.sieve_port, address, INITIAL, ca_file=obm_lab.ca_file)
    session.login(address)
    assert session.list_scripts() == {}
    session.close()
    assert binds(obm_lab, dn, INITIAL)


def test_postfix_offers_no_smtp_auth(obm_lab: ObmLab) -> None:
    """No submission with a password on OBM's Postfix: no way around the IMAP block."""
    context = ssl.create_default_context(cafile=obm_lab.ca_file)
    with smtplib.SMTP(obm_lab.smtp_host, obm_lab.smtp_port, timeout=10) as smtp:
        smtp.ehlo()
        assert not smtp.has_extn("auth") and smtp.has_extn("starttls")
        smtp.starttls(context=context)
        smtp.ehlo()
        assert not smtp.has_extn("auth")
        assert smtp.docmd("AUTH", "PLAIN")[0] in (502, 503)
