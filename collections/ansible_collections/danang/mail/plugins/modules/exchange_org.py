#!/usr/bin/python
# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


from __future__ import annotations

DOCUMENTATION = r"""
---
module: exchange_org
short_description: The organisation-wide Exchange and AD settings the city's regulation asks for
version_added: 0.1.0
description:
  - Reads Exchange's organisation settings and the AD password policy once, plans what differs and
    changes only that. Runs on the control node through Exchange's remote PowerShell and LDAP.
  - Message size limits of the organisation (C(Set-TransportConfig -MaxSendSize -MaxReceiveSize)),
    28 MB by default, so that a 20 MB attachment fits once Base64-encoded (R-31).
  - No automatic forwarding outside the city (R-50) - the built-in remote domain C(Default) gets
    C(AutoForwardEnabled $false), and a transport rule rejects auto-forwarded mail sent from inside the
    organisation to outside it (C(-FromScope InOrganization -SentToScope NotInOrganization
    -MessageTypeMatches AutoForward), 5.7.1). The remote domain covers forwarding done by the server;
    the rule also covers a user's inbox rule.
  - The OBM side of the city counts as inside the organisation through O(internal_domains), made
    accepted domains of type C(InternalRelay) when missing. When OBM and Exchange use the same mail
    domain (the lab - both are C(danang.gov.vn)) that domain is already Exchange's authoritative
    accepted domain and nothing is added.
  - The spam-report shared mailbox C(chanthurac@<domain>) (R-51) in O(ad_managed_ou), with the quota
    and size limits of every mailbox (R-30, R-31).
  - A fine-grained password policy (an C(msDS-PasswordSettings) object under C(CN=Password Settings
    Container,CN=System)) - minimum length 12 and complexity (R-42), maximum age 180 days (R-41),
    history, lockout - applied to O(policy_group), a global security group in O(ad_managed_ou) whose
    members are kept to exactly the person (user) mailboxes of that OU at every run.
  - Spam and virus filtering of the Mailbox servers (R-52), see O(filters) - the C(Default) malware
    filter policy (C(Set-MalwareFilterPolicy)), malware scanning not bypassed on any server
    (C(Set-MalwareFilteringServer -BypassFiltering $false)), the Content Filter agent
    (C(Set-ContentFilterConfig)) with spam over the quarantine threshold sent to the spam-report
    mailbox C(chanthurac@) (R-51), and the Sender Filter agent (C(Set-SenderFilterConfig)).
author:
  - Da Nang city IT infrastructure centre (@danang)
extends_documentation_fragment:
  - danang.mail.attributes
  - danang.mail.exchange
options:
  exchange_server:
    description: The Exchange server whose remote PowerShell endpoint is used.
    type: str
    required: true
  ad_uri:
    description: The domain's LDAP service, V(ldaps://dc1.danang.gov.vn) in production.
    type: str
    required: true
  domain:
    description: The city's mail domain; the spam-report mailbox is C(chanthurac@) it.
    type: str
    required: true
  internal_domains:
    description:
      - Mail domains of the OBM side of the city, which must count as inside the organisation (R-50).
        Each one missing from the accepted domains is added as C(InternalRelay).
    type: list
    elements: str
    default: []
  message_size_mb:
    description:
      - The organisation's send and receive limit in MB (R-31; 20 MB x 4/3 x 78/76 = 27.4).
      - From 1 to 2047 (Set-TransportConfig takes up to 2147482624 bytes).
    type: int
    default: 28
  forward_rule_name:
    description:
      - The name of the transport rule that rejects automatic forwarding outside (R-50).
      - At most 64 characters, Exchange's limit for a rule name.
    type: str
    default: "danang.mail R-50: no automatic forwarding outside the city"
  forward_rule_text:
    description:
      - The rejection text of that rule (the default is English and Vietnamese without marks).
      - At most 256 characters, Exchange's limit for a rejection text.
    type: str
  spam_mailbox:
    description: Keep the spam-report shared mailbox C(chanthurac) (R-51).
    type: bool
    default: true
  password_policy:
    description:
      - The fine-grained password policy. Omitted sub-options take the defaults below; V(null) (or
        O(manage_password_policy=false)) leaves AD's password policy alone.
    type: dict
    suboptions:
      name:
        description: The policy object's name (cn).
        type: str
        default: DanangMail-Users
      precedence:
        description: Its precedence (lower wins when several policies apply).
        type: int
        default: 10
      min_length:
        description: Minimum password length (R-42).
        type: int
        default: 12
      complexity:
        description: AD's complexity rule (3 of the 4 character classes; the 4 of 4 of R-42 is checked by
          this collection on every password it issues).
        type: bool
        default: true
      history:
        description:
          - Passwords remembered; 5 at the 3-month rhythm of R-44 keeps one from coming back for 15 months.
        type: int
        default: 5
      min_age_days:
        description: Minimum password age, which stops cycling through the history at once.
        type: int
        default: 1
      max_age_days:
        description: Maximum password age (R-41, 6 months).
        type: int
        default: 180
      lockout_threshold:
        description: Failed logons that lock the account.
        type: int
        default: 10
      lockout_window_minutes:
        description: Minutes over which failures are counted.
        type: int
        default: 30
      lockout_duration_minutes:
        description: Minutes an account stays locked.
        type: int
        default: 30
  manage_password_policy:
    description: Manage the password policy and its group.
    type: bool
    default: true
  policy_group:
    description: The global security group in O(ad_managed_ou) the password policy applies to.
    type: str
    default: DanangMail Users
  manage_filters:
    description:
      - Manage spam and virus filtering (R-52) as O(filters) says. The anti-spam agents must have been
        installed on the Mailbox servers once (Microsoft's C(Install-AntiSpamAgents.ps1)), which no
        remote PowerShell endpoint can run.
    type: bool
    default: true
  filters:
    description:
      - Spam and virus filtering settings. Omitted sub-options take the defaults below. Ranges are
        Exchange's (the cmdlet pages of Microsoft's reference); a value out of range fails the module
        before anything is read.
    type: dict
    suboptions:
      malware_action:
        description: What the malware agent does with a message that holds malware (C(-Action)).
        type: str
        choices: [DeleteMessage, DeleteAttachmentAndUseDefaultAlert, DeleteAttachmentAndUseCustomAlert]
        default: DeleteMessage
      malware_admin_address:
        description: Who is told of malware in mail from inside and outside senders; omitted, nobody.
        type: str
      content_filter:
        description: The Content Filter agent is on (C(Set-ContentFilterConfig -Enabled)).
        type: bool
        default: true
      internal_mail:
        description: Also filter mail from authenticated senders of the organisation.
        type: bool
        default: false
      external_mail:
        description: Filter mail from unauthenticated (outside) senders.
        type: bool
        default: true
      reject:
        description: Reject (NDR) messages whose spam confidence level reaches O(filters.reject_threshold).
        type: bool
        default: true
      reject_threshold:
        description: SCL from 1 to 9; above the quarantine threshold, below the delete threshold.
        type: int
        default: 7
      quarantine:
        description: Quarantine messages whose SCL reaches O(filters.quarantine_threshold).
        type: bool
        default: true
      quarantine_threshold:
        description: SCL from 1 to 9, below the reject threshold.
        type: int
        default: 5
      quarantine_mailbox:
        description: The quarantine mailbox; omitted, the spam-report mailbox C(chanthurac@<domain>) (R-51).
        type: str
      delete:
        description: Delete without a trace messages whose SCL reaches O(filters.delete_threshold).
        type: bool
        default: false
      delete_threshold:
        description: SCL from 1 to 9, above the reject threshold.
        type: int
        default: 9
      rejection_response:
        description: The text of the rejection, 1 to 240 ASCII characters.
        type: str
        default: >-
          Message rejected as spam by the Da Nang city mail system (R-52). Thu bi tu choi vi bi xac
          dinh la thu rac.
      sender_filter:
        description: The Sender Filter agent is on (C(Set-SenderFilterConfig -Enabled)).
        type: bool
        default: true
      blank_sender_blocking:
        description: Refuse messages with an empty C(MAIL FROM).
        type: bool
        default: true
      blocked_senders:
        description: Sender addresses refused; the list is kept exactly (at most 800).
        type: list
        elements: str
        default: []
      blocked_domains:
        description: Sender domains refused, without wildcard; the list is kept exactly (at most 800).
        type: list
        elements: str
        default: []
attributes:
  check_mode:
    support: full
    details: Returns the planned changes and changes nothing.
  diff_mode:
    support: full
    details: Every changed item before and after (group members as counts).
  idempotent:
    support: full
notes:
  - The service account needs the C(Organization Management) role group in Exchange and, in AD, the
    right to create objects in the Password Settings Container and groups in O(ad_managed_ou).
seealso:
  - module: danang.mail.mailbox
"""

EXAMPLES = r"""
- name: Organisation settings of the city's Exchange (R-31, R-50, R-51, R-41, R-42)
  danang.mail.exchange_org:
    domain: danang.gov.vn
    internal_domains: [thudientu.danang.gov.vn]
    exchange_server: mail.danang.gov.vn
    exchange_username: svc-mail@danang.gov.vn
    exchange_password: "{{ vault_exchange_password }}"
    ad_uri: ldaps://dc1.danang.gov.vn

- name: The same, with a stricter spam filter and a blocked domain (R-52)
  danang.mail.exchange_org:
    domain: danang.gov.vn
    exchange_server: mail.danang.gov.vn
    exchange_username: svc-mail@danang.gov.vn
    exchange_password: "{{ vault_exchange_password }}"
    ad_uri: ldaps://dc1.danang.gov.vn
    filters:
      quarantine_threshold: 4
      reject_threshold: 6
      malware_admin_address: cntt@danang.gov.vn
      blocked_domains: [spam.example]
"""

RETURN = r"""
changes:
  description: Every item that differed (and, outside check mode, was changed), in a fixed order.
  returned: always
  type: list
  elements: dict
  contains:
    item:
      description: V(transport), V(remote_domain), V(accepted_domain:<domain>), V(transport_rule),
        V(spam_mailbox), V(malware_policy), V(malware_server:<server>), V(content_filter),
        V(sender_filter), V(policy_group) or V(password_policy).
      type: str
      sample: transport
    before:
      description: The differing values as they were.
      type: dict
      sample: {MaxSendSize: 10, MaxReceiveSize: 10}
    after:
      description: The values as they are made.
      type: dict
      sample: {MaxSendSize: 28, MaxReceiveSize: 28}
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.danang.mail.plugins.module_utils.backends import systems
from ansible_collections.danang.mail.plugins.module_utils.backends.contract import BackendError
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange import filters, limits
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange import (
    organisation as exchange_org,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.ad import ADError
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.organisation_io import (
    apply_org,
    read_org,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.transport import ExchangeError
from ansible_collections.danang.mail.plugins.module_utils.model import SYSTEM_EXCHANGE

_POLICY = exchange_org.PasswordPolicy()
POLICY_OPTIONS: dict[str, Any] = {
    name: {"type": "bool" if isinstance(default, bool) else type(default).__name__, "default": default}
    for name, default in vars(_POLICY).items()
}
_FILTERS = filters.FilterSettings()
FILTER_OPTIONS: dict[str, Any] = {
    name: {"type": "bool" if isinstance(default, bool) else type(default).__name__, "default": default}
    for name, default in vars(_FILTERS).items()
    if isinstance(default, (bool, int, str))
}
FILTER_OPTIONS.update(
    malware_action={
        "type": "str",
        "default": _FILTERS.malware_action,
        "choices": list(filters.MALWARE_ACTIONS),
    },
    malware_admin_address={"type": "str"},
    quarantine_mailbox={"type": "str"},
    blocked_senders={"type": "list", "elements": "str", "default": []},
    blocked_domains={"type": "list", "elements": "str", "default": []},
)
ARGUMENT_SPEC: dict[str, Any] = {
    **systems.system_spec(SYSTEM_EXCHANGE),
    "domain": {"type": "str", "required": True},
    "internal_domains": {"type": "list", "elements": "str", "default": []},
    "message_size_mb": {"type": "int", "default": exchange_org.MESSAGE_SIZE_MB},
    "forward_rule_name": {"type": "str", "default": exchange_org.FORWARD_RULE_NAME},
    "forward_rule_text": {"type": "str"},
    "spam_mailbox": {"type": "bool", "default": True},
    "password_policy": {"type": "dict", "options": POLICY_OPTIONS, "no_log": False},
    "manage_password_policy": {"type": "bool", "default": True},
    "policy_group": {"type": "str", "default": "DanangMail Users"},
    "manage_filters": {"type": "bool", "default": True},
    "filters": {"type": "dict", "options": FILTER_OPTIONS},
}


def settings_from_params(params: dict[str, Any]) -> exchange_org.OrgSettings:
    policy = chosen = None
    if params["manage_filters"]:
        given = {k: tuple(v) if isinstance(v, list) else v for k, v in (params["filters"] or {}).items()}
        chosen = filters.FilterSettings(**given)
    if params["manage_password_policy"]:
        policy = exchange_org.PasswordPolicy(**(params["password_policy"] or {}))
    return exchange_org.OrgSettings(
        domain=params["domain"].lower(),
        base_dn=params["ad_base_dn"],
        managed_ou=params["ad_managed_ou"],
        message_size_mb=params["message_size_mb"],
        internal_domains=tuple(params["internal_domains"]),
        forward_rule_name=params["forward_rule_name"],
        forward_rule_text=params["forward_rule_text"] or exchange_org.FORWARD_RULE_TEXT,
        spam_mailbox=params["spam_mailbox"],
        password_policy=policy,
        policy_group=params["policy_group"],
        filters=chosen,
    )


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    missing_lib = systems.missing_library(SYSTEM_EXCHANGE)
    if missing_lib:
        module.fail_json(msg=missing_required_lib(missing_lib[0]), exception=missing_lib[1])
    refused = limits.problems(
        {k: module.params[k] for k in ("forward_rule_name", "forward_rule_text", "message_size_mb")}
    )
    settings = settings_from_params(module.params)
    if settings.filters is not None:
        refused += [f"filters.{p}" for p in filters.problems(settings.filters, settings.spam_account.address)]
    if refused:
        module.fail_json(msg="; ".join(refused))
    try:
        system: Any = systems.open_system(module.params, SYSTEM_EXCHANGE)
    except BackendError as exc:
        module.fail_json(msg=str(exc))
    with system:
        try:
            state = read_org(system.transport, system.directory, settings)
            changes = exchange_org.plan_org(settings, state)
            errors = (
                {}
                if module.check_mode or not changes
                else apply_org(system.transport, system.directory, changes)
            )
        except (ExchangeError, ADError) as exc:
            module.fail_json(msg=str(exc))
    result: dict[str, Any] = {"changed": bool(changes), "changes": exchange_org.reports(changes)}
    if module._diff:
        result["diff"] = exchange_org.diff(changes)
    if errors:
        first = next(iter(errors))
        module.fail_json(msg=f"{len(errors)} item(s) not changed, first: {first}: {errors[first]}", **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
