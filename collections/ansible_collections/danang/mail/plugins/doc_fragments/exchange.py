# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared option documentation: the Exchange connection (remote PowerShell + AD over LDAP)."""

from __future__ import annotations


class ModuleDocFragment:
    # The Exchange connection of every module that opens a system (backends.systems), and of
    # exchange_org (which documents exchange_server and ad_uri as required itself).
    DOCUMENTATION = r"""
options:
  exchange_server:
    description:
      - The Exchange server whose remote PowerShell endpoint (C(http(s)://<server>/PowerShell/),
        session configuration C(Microsoft.Exchange)) is used, for example V(mail.danang.gov.vn).
      - Required with O(backend=exchange).
    type: str
  exchange_port:
    description: Its port; V(80) or V(443) (with O(exchange_ssl)) when omitted; V(15985) in the lab.
    type: int
  exchange_path:
    description: The virtual directory of remote PowerShell.
    type: str
    default: PowerShell
  exchange_auth:
    description:
      - V(kerberos) is the production default (the control node needs C(pyspnego[kerberos]) with
        C(gssapi) and a ticket or a keytab, or O(exchange_password)); V(negotiate) and V(ntlm) work
        without a Kerberos set-up; V(basic) only in the lab.
    type: str
    choices: [kerberos, negotiate, ntlm, basic, credssp]
    default: kerberos
  exchange_ssl:
    description:
      - Use HTTPS, with the certificate checked (O(exchange_validate_certs)). The production
        inventory sets it; without it, Kerberos, Negotiate or NTLM still encrypt every message.
    type: bool
    default: false
  exchange_encryption:
    description:
      - WS-Management message encryption. V(auto) encrypts every message with the Kerberos, Negotiate
        or NTLM session over plain HTTP (how Exchange's endpoint is normally used).
      - Basic over plain HTTP, or V(never) over plain HTTP, would send passwords in clear; both are
        refused unless O(exchange_server) is a loopback address (the lab).
    type: str
    choices: [auto, always, never]
    default: auto
  exchange_validate_certs:
    description: Check the server's certificate with O(exchange_ssl). Keep it on in production.
    type: bool
    default: true
  exchange_ca_file:
    description: A CA bundle for that check (the system's store when omitted).
    type: path
  exchange_username:
    description:
      - The service account, as a UPN (V(svc-mail@danang.gov.vn)). It needs C(RemotePowerShellEnabled)
        and the C(Mail Recipients) and C(Mail Recipient Creation) RBAC roles (C(Organization
        Management) for M(danang.mail.exchange_org)). Omit it for Kerberos with the current ticket.
    type: str
  exchange_password:
    description: Its password. Pass it from an ansible-vault file.
    type: str
  exchange_databases:
    description:
      - Mailbox databases for new mailboxes; each new mailbox goes to the one holding the fewest
        managed mailboxes. Exchange's automatic distribution chooses when empty.
    type: list
    elements: str
    default: []
  exchange_batch_size:
    description:
      - Changes sent in one pipeline (one round trip). A change is one account's cmdlets (several
        for a new mailbox, for example C(New-Mailbox) then C(Set-Mailbox)), one quota or one
        password reset; all cmdlets of the changes of a batch are the statements of that pipeline.
        Where Exchange's throttling policy sets C(PowerShellMaxCmdlets), keep O(exchange_batch_size)
        times O(exchange_runspaces) times about two cmdlets within it; when the budget is spent,
        Exchange refuses the next pipeline with its "user load quota" fault and the module waits the
        time Exchange names, then sends it again (nothing of it ran).
    type: int
    default: 50
  exchange_runspaces:
    description:
      - Exchange sessions (runspaces) that send pipelines at the same time while applying changes
        (about a second of server time per new mailbox, so one session waits most of its time).
        Each counts against the throttling policy's C(PowerShellMaxConcurrency) (18 per user by
        default, other sessions of the same user included); when Exchange refuses one more session
        the module goes on with those it has. V(1) sends one pipeline at a time.
    type: int
    default: 4
  exchange_timeout:
    description: Seconds to wait for Exchange to connect or answer one pipeline.
    type: int
    default: 120
  exchange_export_share:
    description:
      - The UNC share, V(\\\\server\\share) or V(\\\\server\\share\\dir), that Exchange writes the PST
        export of a reclaimed mailbox to before purging it (R-23, when the module is given an export
        directory). The files go to this share, not to the controller. Exchange's Exchange Trusted
        Subsystem needs write access to it, and the account needs the C(Mailbox Import Export) role.
      - The export runs in the background, so a purge with export takes two runs or more. The first
        run queues the export and purges nothing. A later run purges the mailboxes whose export is
        C(Completed). A C(Failed) export is reported with its message, and nothing is deleted.
      - Not set, a purge with export is refused and nothing is deleted.
    type: str
  exchange_ews_url:
    description:
      - The EWS endpoint through which the collection's own notifications are sent from Exchange
        mailboxes and looked for (M(danang.mail.notify)); the service account impersonates the
        mailboxes (ApplicationImpersonation).
      - Default C(http[s]://<exchange_server>[:<exchange_port>]/EWS/Exchange.asmx), the scheme from
        O(exchange_ssl). It authenticates as O(exchange_auth) says (V(kerberos) and V(negotiate) need
        C(requests-gssapi)); V(basic) over plain HTTP is refused unless the host is a loopback address.
    type: str
  ad_uri:
    description:
      - The domain's LDAP service, V(ldaps://dc1.danang.gov.vn) in production (or C(ldap://) with
        O(ad_starttls)); V(ldap://127.0.0.1:3390) in the lab. Required with O(backend=exchange).
    type: str
  ad_bind_user:
    description:
      - Who binds - a UPN or a DN; O(exchange_username) when omitted. It may write
        C(userAccountControl) in O(ad_managed_ou).
    type: str
  ad_bind_password:
    description: Its password; O(exchange_password) when omitted.
    type: str
  ad_base_dn:
    description: The domain, e.g. V(DC=danang,DC=gov,DC=vn); sAMAccountNames are checked unique in it.
    type: str
    default: DC=danang,DC=gov,DC=vn
  ad_managed_ou:
    description:
      - The OU holding the city's accounts. Only mailboxes in it are read and changed; new ones are
        made in it.
    type: str
    default: OU=DanangMail,DC=danang,DC=gov,DC=vn
  ad_starttls:
    description:
      - Upgrade an C(ldap://) connection with STARTTLS. A simple bind over plain C(ldap://) is
        refused unless O(ad_uri) names a loopback address (the lab's AD stand-in).
    type: bool
    default: false
  ad_validate_certs:
    description: Check the domain controller's certificate with LDAPS or STARTTLS.
    type: bool
    default: true
  ad_ca_file:
    description: A CA bundle for that check.
    type: path
requirements:
  - pypsrp (and pyspnego[kerberos] for Kerberos)
  - ldap3
"""
