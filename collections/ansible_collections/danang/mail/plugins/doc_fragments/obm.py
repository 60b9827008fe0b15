# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared option documentation: the OBM connection (OpenLDAP + Cyrus IMAP) and the desired state."""

from __future__ import annotations


class ModuleDocFragment:
    # The OBM connection of every module that opens a system (backends.systems). The options OBM
    # needs are required with backend obm only (the modules' required_if), so none says required.
    DOCUMENTATION = r"""
options:
  ldap_uri:
    description:
      - The OBM directory (OpenLDAP), for example V(ldap://127.0.0.1:3389) (the lab) or
        V(ldaps://ldap.thudientu.danang.gov.vn).
      - Required with O(backend=obm).
    type: str
  ldap_bind_dn:
    description:
      - The directory administrator OBM uses, V(uid=ldapadmin,ou=sysusers,dc=local).
    type: str
    default: uid=ldapadmin,ou=sysusers,dc=local
  ldap_bind_password:
    description:
      - Its password. Pass it from an ansible-vault file in production.
      - Required with O(backend=obm).
    type: str
  ldap_base_dn:
    description:
      - The root of the OBM tree; each mail domain is C(dc=<domain>) below it.
    type: str
    default: dc=local
  ldap_starttls:
    description:
      - Upgrade an C(ldap://) connection with STARTTLS before the bind (an C(ldaps://) URI always
        uses TLS; the option is then ignored). A failed STARTTLS is an error, never a fallback.
      - V(false) sends the bind password in clear, so it is refused unless O(ldap_uri) names a
        loopback address (V(127.0.0.0/8), V(::1), V(localhost)); there is no way to bind in clear
        to another host.
    type: bool
    default: true
  imap_host:
    description: The Cyrus IMAP server.
    type: str
    default: 127.0.0.1
  imap_port:
    description: Its IMAP port (V(143), V(993) with O(imap_tls=imaps), V(1143) in the lab).
    type: int
    default: 143
  imap_admin:
    description: A Cyrus administrator (C(admins) in C(imapd.conf)), V(cyrus) as OBM configures it.
    type: str
    default: cyrus
  imap_admin_password:
    description:
      - Its password.
      - Required with O(backend=obm).
    type: str
  imap_tls:
    description:
      - How the IMAP connection is secured before the administrator logs in. V(starttls) upgrades
        the connection on the IMAP port (V(143)), V(imaps) uses implicit TLS (V(993)).
      - V(none) sends C(LOGIN) and the password in clear, so it is refused unless O(imap_host) is a
        loopback address (V(127.0.0.0/8), V(::1), V(localhost)); there is no way to log in in clear
        to another host.
      - A server that announces C(LOGINDISABLED) (Cyrus with C(allowplaintext) off, before TLS) is
        refused before anything is sent. A server without STARTTLS is an error, never a fallback.
    type: str
    choices: [starttls, imaps, none]
    default: starttls
  sieve_port:
    description:
      - The ManageSieve port of the Cyrus server (C(timsieved), RFC 5804; V(14190) in the lab), where
        the forwarding audit reads and edits the users' Sieve scripts (R-50).
      - Secured with STARTTLS, also when O(imap_tls=imaps) (ManageSieve has no implicit TLS); in clear
        text only with O(imap_tls=none), to a loopback address.
    type: int
    default: 4190
  smtp_host:
    description:
      - The OBM Postfix that the collection's own notifications are submitted to (R-22, R-44, R-47,
        R-23, R-50; M(danang.mail.notify)); it delivers them to Cyrus like any other mail, through
        its filters.
    type: str
    default: 127.0.0.1
  smtp_port:
    description: Its SMTP port (V(25); V(2525) in the lab).
    type: int
    default: 25
  smtp_tls:
    description:
      - How the SMTP connection is secured before a message is sent. V(starttls) upgrades the
        connection on the SMTP port, V(smtps) uses implicit TLS (V(465)); certificates are checked as
        for IMAP (O(validate_certs), O(ca_file)). A server without STARTTLS is an error, never a
        fallback.
      - V(none) sends the messages in clear, so it is refused unless O(smtp_host) is a loopback
        address. No password is sent; the submission relies on Postfix accepting mail for its own
        domains.
    type: str
    choices: [starttls, smtps, none]
    default: starttls
  validate_certs:
    description:
      - Check the LDAP, IMAP and SMTP servers' certificates (chain and host name) when TLS is used.
      - V(false) lets anyone between this host and the servers read the passwords (a forged
        certificate is accepted). Only for a test server; never in production.
    type: bool
    default: true
  ca_file:
    description:
      - A CA bundle for the certificate checks (the system's store when omitted), for example the
        city's own CA, or C(<lab>/tls/ca.crt) that the role C(danang.mail.obm_server) makes for the
        lab.
    type: path
  domain:
    description: The mail domain (R-01); its accounts live under C(dc=<domain>,<ldap_base_dn>).
    type: str
    default: danang.gov.vn
  mailbox_server:
    description:
      - The C(mailBoxServer) value written on every account, C(lmtp:<host>:<port>), where Postfix
        delivers. Defaults to C(lmtp:<imap_host>:24), as OBM writes it.
    type: str
  batch_size:
    description: Changes per batch in apply; each batch's Cyrus commands are pipelined.
    type: int
    default: 500
  page_size:
    description: Entries per page of the paged LDAP search.
    type: int
    default: 1000
  timeout:
    description: Seconds to wait for a server to connect or answer.
    type: int
    default: 30
requirements:
  - ldap3
"""

    # The desired state: danang.mail.mailbox and danang.mail.password_policy, on either system.
    DESIRED_STATE = r"""
options:
  desired_state:
    description:
      - The desired-state directory of one environment, for example C(inventories/lab/desired_state);
        agencies are read from its C(agencies/) subdirectory and validated as
        M(danang.mail.desired_state_info) does.
    type: path
    required: true
  ledger:
    description:
      - The address ledger (R-03, R-13), usually C(<desired_state>/ledger.yml). It is only read;
        addresses are allocated by M(danang.mail.address_alloc) before.
      - A missing, unsealed, cut or edited ledger, or one that is a symbolic or hard link, is
        refused as M(danang.mail.address_alloc) refuses it.
    type: path
    required: true
  scope:
    description:
      - Agency abbreviations to reconcile; an empty list means every agency. Accounts of other
        agencies are left alone.
    type: list
    elements: str
    default: []
requirements:
  - PyYAML
  - jsonschema
"""
