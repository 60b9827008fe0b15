#!/usr/bin/python
# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


from __future__ import annotations

DOCUMENTATION = r"""
---
module: forwarding
short_description: Audit every mail forward on OBM and Exchange, and stop those leaving the city (R-50)
version_added: 0.3.0
description:
  - The regulation forbids forwarding the city's mail to addresses outside the city (R-50). This
    module reads every forward configured on each system of O(backend) in one bulk pass, says which
    ones leave the city's domains (O(city_domains) and their subdomains), and with O(mode=enforce)
    stops each outside forward that forwards today, leaving every inside one alone.
  - With O(backend=obm) - the Sieve scripts of every mailbox of the domain, read over ManageSieve and
    parsed; a C(redirect) to an outside address is cut out of its script (the rest of the script and
    its other targets stay).
  - With O(backend=exchange) - the mailboxes' C(ForwardingSmtpAddress) and C(ForwardingAddress) (a
    recipient, resolved to its external address), inbox rules that forward, redirect or forward as
    attachment, and transport rules that send mail on. Enforce clears the mailbox property, or takes
    the outside addresses out of the rule (a rule left with no action is disabled).
  - A disabled forward (an inactive script, a disabled rule) is reported and left alone.
  - Each stopped forward is recorded in O(journal_path) (holder, target, how it was set, when) so that
    the holder can be told; the record is written before the system is changed.
author:
  - Da Nang city IT infrastructure centre (@danang)
extends_documentation_fragment:
  - danang.mail.attributes
  - danang.mail.obm
  - danang.mail.exchange
options:
  backend:
    description:
      - The mail systems to audit, each read once in bulk.
      - The OBM options O(ldap_uri), O(ldap_bind_password) and O(imap_admin_password) are required
        with V(obm); O(exchange_server) and O(ad_uri) with V(exchange).
    type: list
    elements: str
    choices: [obm, exchange]
    default: [obm]
    aliases: [systems]
  mode:
    description:
      - V(audit) reads and reports; it changes nothing, not even O(journal_path).
      - V(enforce) also stops every outside forward that is enabled, and records it.
    type: str
    choices: [audit, enforce]
    default: audit
  city_domains:
    description:
      - The city's mail domains; an address in one of them or in a subdomain of one is inside the city.
      - Omitted, O(domain) alone.
    type: list
    elements: str
  journal_path:
    description:
      - The YAML file each stopped forward is appended to (one line each, mode 0600); created when
        missing; its directory must exist. Omitted, the records are only returned.
    type: path
attributes:
  check_mode:
    support: full
    details: Reads and judges; returns the forwards, what would be stopped and recorded, and the diff.
  diff_mode:
    support: full
    details: Per system and holder, the enabled forwards before and after.
  idempotent:
    support: full
    details: A second run finds no outside forward to stop and records nothing.
notes:
  - Run it each working day with C(playbooks/forwarding.yml), which also writes the report
    (Markdown and CSV). Forwards are also refused when mail flows - see the C(danang.mail.obm_server)
    role's README and C(danang.mail.exchange_org) - this run finds and removes what users configure.
seealso:
  - module: danang.mail.exchange_org
  - module: danang.mail.reclaim
"""

EXAMPLES = r"""
- name: Who forwards where, on both systems (changes nothing)
  danang.mail.forwarding:
    backend: [obm, exchange]
    ldap_uri: ldaps://obm.danang.gov.vn
    ldap_bind_password: "{{ obm_ldap_bind_password }}"
    imap_admin_password: "{{ obm_imap_admin_password }}"
    exchange_server: exch01.danang.gov.vn
    ad_uri: ldaps://dc01.danang.gov.vn
  register: forwards

- name: Stop every forward outside the city and record it
  danang.mail.forwarding:
    backend: [obm, exchange]
    mode: enforce
    city_domains: [danang.gov.vn]
    journal_path: /srv/danang-mail/reports/forwards-removed.yml
    ldap_uri: ldaps://obm.danang.gov.vn
    ldap_bind_password: "{{ obm_ldap_bind_password }}"
    imap_admin_password: "{{ obm_imap_admin_password }}"
    exchange_server: exch01.danang.gov.vn
    ad_uri: ldaps://dc01.danang.gov.vn
"""

RETURN = r"""
today:
  description: The city's date of the run (Da Nang, UTC+7), as the records carry it.
  returned: always
  type: str
  sample: "2027-03-02"
forwards:
  description: Every forward found, sorted by system, holder and target.
  returned: always
  type: list
  elements: dict
  contains:
    system:
      description: V(obm) or V(exchange).
      type: str
    holder:
      description: The mailbox whose mail is sent on; empty for an organisation-wide transport rule.
      type: str
    target:
      description: Where it goes (an SMTP address).
      type: str
    mechanism:
      description:
        - How it was set - V(sieve_redirect), V(mailbox_forwarding_smtp), V(mailbox_forwarding_address),
          V(inbox_rule_forward), V(inbox_rule_redirect), V(inbox_rule_forward_as_attachment),
          V(transport_rule), or V(sieve_unparseable) for a script that cannot be read or parsed.
      type: str
    how:
      description: The mechanism in words.
      type: str
    where:
      description: What names it on the system - the Sieve script, the rule, the mailbox property.
      type: str
    enabled:
      description: Whether it forwards today (an active script, an enabled rule).
      type: bool
    outside:
      description: Whether the target is outside the city's domains.
      type: bool
    unknown:
      description:
        - The system could not say where it goes (a Sieve script that cannot be read or parsed,
          mechanism V(sieve_unparseable), C(where) says why) - never removed; check it by hand. The
          run warns.
      type: bool
    action:
      description: V(remove) for an enabled outside forward, else V(none).
      type: str
    removed:
      description: Whether it was stopped by this run (O(mode=enforce), not check mode).
      type: bool
    error:
      description: Why stopping it failed.
      type: str
  sample:
    - system: obm
      holder: dungnv@danang.gov.vn
      target: dungnv@gmail.com
      mechanism: sieve_redirect
      how: Sieve redirect (OBM forwarding)
      where: nomade
      enabled: true
      outside: true
      unknown: false
      action: remove
      removed: true
      error: null
records:
  description: The journal lines this run writes (or would write) - new ones only.
  returned: always
  type: list
  elements: dict
  sample:
    - {system: obm, holder: dungnv@danang.gov.vn, target: dungnv@gmail.com, mechanism: sieve_redirect,
       how: Sieve redirect (OBM forwarding), where: nomade, removed_on: "2027-03-02"}
summary:
  description:
    - Counts of forwards found, inside, outside, outside but disabled, to remove, removed, failed, and
      of those whose target is unknown (scripts that cannot be read or parsed).
  returned: always
  type: dict
  sample: {forwards: 12, inside: 9, outside: 3, outside_disabled: 1, to_remove: 2, removed: 2, failed: 0,
           unknown: 0}
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.danang.mail.plugins.module_utils import forwarding_run, journal
from ansible_collections.danang.mail.plugins.module_utils.backends import systems
from ansible_collections.danang.mail.plugins.module_utils.backends.contract import BackendError
from ansible_collections.danang.mail.plugins.module_utils.model import (
    SYSTEM_OBM,
    ValidationFailed,
    city_today,
)

ARGUMENT_SPEC: dict[str, Any] = {
    "backend": {
        "type": "list",
        "elements": "str",
        "choices": sorted(systems.SYSTEMS),
        "default": [SYSTEM_OBM],
        "aliases": ["systems"],
    },
    "mode": {"type": "str", "choices": ["audit", "enforce"], "default": "audit"},
    "city_domains": {"type": "list", "elements": "str"},
    "journal_path": {"type": "path"},
    **systems.CONNECTION_SPEC,
}


def run(module: AnsibleModule) -> dict[str, Any]:
    params = module.params
    today = city_today()
    applied = params["mode"] == "enforce" and not module.check_mode
    city_domains = params["city_domains"] or [params["domain"]]
    text, known = "", set()
    if params["journal_path"]:
        text, records = journal.read(params["journal_path"])  # a bad journal stops the run first
        known = journal.keys(records, forwarding_run.KEY)
    outcome = forwarding_run.Run()
    with systems.open_all(params, params["backend"]) as backends:
        outcome.findings = forwarding_run.read_all(backends, city_domains)
        if params["mode"] == "enforce":
            outcome.records = forwarding_run.new_records(outcome, known, today)
        if applied:
            if outcome.records and params["journal_path"]:
                forwarding_run.append_records(params["journal_path"], text, outcome.records)
            forwarding_run.remove(outcome, backends)
    summary = forwarding_run.summary(outcome)
    result: dict[str, Any] = {
        "changed": params["mode"] == "enforce"
        and (summary["removed"] > 0 if applied else summary["to_remove"] > 0),
        "today": today.isoformat(),
        "forwards": forwarding_run.rows(outcome),
        "records": outcome.records,
        "summary": summary,
    }
    if module._diff:
        result["diff"] = forwarding_run.diff(outcome)
    return result


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    systems.fail_when_missing(module)
    try:
        result = run(module)
    except ValidationFailed as exc:
        problems = [str(p) for p in exc.problems]
        module.fail_json(msg=f"{len(problems)} problem(s), nothing changed: {problems[0]}", problems=problems)
    except BackendError as exc:
        module.fail_json(msg=f"cannot use the mail system, the run stopped: {exc}")
    except (OSError, TimeoutError) as exc:
        module.fail_json(msg=f"cannot read or write the journal: {exc}")
    if result["summary"]["unknown"]:
        module.warn(
            f"{result['summary']['unknown']} forward(s) or script(s) could not be read: check them by hand"
            " (rows with unknown=true)"
        )
    failed = result["summary"]["failed"]
    if failed:
        module.fail_json(
            msg=f"{failed} forward(s) could not be stopped (the others were; a re-run retries)", **result
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
