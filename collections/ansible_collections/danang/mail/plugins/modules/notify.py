#!/usr/bin/python
# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


from __future__ import annotations

DOCUMENTATION = r"""
---
module: notify
short_description: Mail the notifications of the regulation, each exactly once (R-22, R-23, R-44, R-47, R-50)
version_added: 0.4.0
description:
  - Gathers what must be told to whom from what the other runs recorded - the result of each closed
    request record (C(done_on)) to the requester's e-mail, else the agency mailbox (R-22); the reclaim
    warnings to the holder and the reclaims to the agency mailbox (O(reclaim_notices), R-23); the
    stopped outside forwards to the holder (O(forwards_removed), R-50); the 3-month password warnings
    to the holder and the R-47 list to the Department (O(password_notices), R-44, R-47).
  - Composes each message from the Jinja2 templates of O(templates) (subject, plain text and HTML,
    in Vietnamese), From O(sender), with a Message-ID derived from the notification's key, and sends
    it through the recipient's own system - OBM by SMTP to its Postfix, Exchange by EWS.
  - Exactly once - every step is recorded in O(journal_dir) (append-only, locked like the ledger) -
    the C(sending) lines before the send, C(sent) after. A notification already sent is never sent
    again; one left at C(sending) by a crash is first looked for in the recipient's mailbox by its
    Message-ID and sent only if absent.
  - A notification older than O(max_age_days) is not sent (a lost journal must not flood people with
    old news); the row says C(too_old). So a run reads only the month files from the month of
    (today - O(max_age_days)) to the current month - every line of a younger notification is dated
    on or after its day.
  - An initial password never travels by mail - a notification whose data names a password is refused.
author:
  - Da Nang city IT infrastructure centre (@danang)
extends_documentation_fragment:
  - danang.mail.attributes
  - danang.mail.obm
  - danang.mail.exchange
options:
  backend:
    description:
      - The systems that may send, in order of preference; each recipient's message goes by the first
        of them that holds the recipient (a person's C(systems); an agency or department mailbox is
        on every system). An address the desired state does not hold goes by the first.
    type: list
    elements: str
    choices: [obm, exchange]
    default: [obm, exchange]
    aliases: [systems]
  desired_state:
    description: The desired state directory (agency files and C(requests/)).
    type: path
    required: true
  ledger:
    description: The address ledger (who holds which address).
    type: path
    required: true
  journal_dir:
    description:
      - The notifications journal (C(desired_state/notifications)) - a directory of one file per
        month of the city's clock (UTC+7), C(YYYY-MM.yml); each line is appended (mode 0600) to the
        file of the month of its C(at). Created (mode 0700) when missing; its parent must exist.
      - Its lock C(<journal_dir>.lock) is held from reading it to the last line written.
      - A symlinked directory or month file, and a name in it other than C(YYYY-MM.yml), are refused,
        naming the file. A month file may hold at most 2 MiB.
    type: path
    required: true
  reclaim_notices:
    description: The reclaim run's notices file (R-23); a missing file has none.
    type: path
  forwards_removed:
    description: The forwarding run's journal of stopped forwards (R-50); a missing file has none.
    type: path
  password_notices:
    description: The password run's notices file (R-44, R-47); a missing file has none.
    type: path
  templates:
    description:
      - The directory of the templates - C(<kind>.subject.j2), C(<kind>.txt.j2) and C(<kind>.html.j2)
        for each kind (C(request_result), C(password_warn), C(reclaim_warn), C(reclaimed),
        C(forward_removed), C(r47_list)). The HTML ones are autoescaped.
    type: path
    required: true
  sender:
    description:
      - The From of every message - C(address) (a mailbox of the city, in O(city_domains)) and C(name).
    type: dict
    required: true
  city_domains:
    description:
      - The city's mail domains (and their subdomains); omitted, O(domain) alone. Nothing is mailed
        outside them - a requester's outside e-mail gets the agency mailbox instead, any other
        recipient outside is listed in RV(skipped).
    type: list
    elements: str
  department:
    description: The Department's address, which receives the R-47 list.
    type: str
  self_service_url:
    description:
      - The address (C(https://)) of the self-service password page (role
        P(danang.mail.password_portal#role)), named to the templates as C(self_service_url) - the
        request results and the password warnings tell people where to change a password (R-40,
        R-44). Omitted, the templates get an empty string.
    type: str
  max_age_days:
    description: A notification older than this many days that was never sent is not sent.
    type: int
    default: 14
  messages_per_batch:
    description: Messages per batch (one C(sending) write, one send call, one C(sent) write).
    type: int
    default: 50
attributes:
  check_mode:
    support: full
    details: Lists what would be sent (and checked) and the journal lines; sends and writes nothing.
  diff_mode:
    support: full
    details: The journal lines written (or, in check mode, the C(sending) lines that would be).
  idempotent:
    support: full
    details: A second run sends nothing that was sent or found.
notes:
  - Run by C(playbooks/notify.yml), at the end of C(playbooks/daily_apply.yml); the daily job commits
    the journal with the request records.
seealso:
  - module: danang.mail.request_records
  - module: danang.mail.reclaim
  - module: danang.mail.forwarding
  - module: danang.mail.password_policy
"""

EXAMPLES = r"""
- name: Mail what is due
  danang.mail.notify:
    backend: [obm, exchange]
    desired_state: "{{ inventory_dir }}/desired_state"
    ledger: "{{ inventory_dir }}/desired_state/ledger.yml"
    journal_dir: "{{ inventory_dir }}/desired_state/notifications"
    reclaim_notices: "{{ inventory_dir }}/reports/reclaim-notices.yml"
    forwards_removed: "{{ inventory_dir }}/reports/forwards-removed.yml"
    password_notices: "{{ inventory_dir }}/reports/password-notices.yml"
    templates: "{{ playbook_dir }}/templates/notifications"
    sender: {address: cntt@danang.gov.vn, name: "Trung tâm CNTT"}
    department: stttt@danang.gov.vn
"""

RETURN = r"""
now:
  description: The run's clock (Da Nang, UTC+7), the Date of every message.
  returned: always
  type: str
notifications:
  description: One row per notification gathered, with what became of it.
  returned: always
  type: list
  elements: dict
  contains:
    key:
      description: The notification's stable key.
      type: str
    kind:
      description:
        - What it tells - V(request_result), V(password_warn), V(reclaim_warn), V(reclaimed),
          V(forward_removed) or V(r47_list).
      type: str
    recipient:
      description: The one address it goes to.
      type: str
    "on":
      description: The day it became news.
      type: str
    via:
      description: The system that sends it.
      type: str
    message_id:
      description: The Message-ID derived from the key.
      type: str
    status:
      description:
        - V(sent), V(failed) (refused by the system; sent again next run), V(found) (a crash had
          left it unrecorded; the mailbox holds it), V(already_sent) (a C(sent) or C(found) line in
          the months read), V(too_old) (older than O(max_age_days), not sent), V(unknown) (the
          system could not tell whether it was delivered, or the answer to the send was lost; the
          next run asks again before any resend); in check mode
          V(would_send), V(would_check).
      type: str
    error:
      description: Why it failed.
      type: str
skipped:
  description: Notifications with nobody to send to, or a recipient outside O(city_domains) (key and reason).
  returned: always
  type: list
  elements: dict
summary:
  description: Notifications per status.
  returned: always
  type: dict
  sample: {sent: 3, already_sent: 12}
"""

import contextlib
import datetime
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.danang.mail.plugins.module_utils import journal, notice_sources, notices, notify_run
from ansible_collections.danang.mail.plugins.module_utils.backends import systems
from ansible_collections.danang.mail.plugins.module_utils.backends.contract import BackendError
from ansible_collections.danang.mail.plugins.module_utils.desired_state import (
    MissingLibrary,
    load_desired_state,
)
from ansible_collections.danang.mail.plugins.module_utils.forwarding import is_inside
from ansible_collections.danang.mail.plugins.module_utils.ledger import load_ledger
from ansible_collections.danang.mail.plugins.module_utils.model import (
    CITY_TIMEZONE,
    Problem,
    ValidationFailed,
)
from ansible_collections.danang.mail.plugins.module_utils.notice_templates import (
    HAS_JINJA2,
    JINJA2_IMPORT_ERROR,
    Templates,
)
from ansible_collections.danang.mail.plugins.module_utils.notify_journal import Journal, locked
from ansible_collections.danang.mail.plugins.module_utils.request_records import load_records
from ansible_collections.danang.mail.plugins.module_utils.times import iso

ARGUMENT_SPEC: dict[str, Any] = {
    "backend": {
        "type": "list",
        "elements": "str",
        "choices": sorted(systems.SYSTEMS),
        "default": list(systems.SYSTEMS),
        "aliases": ["systems"],
    },
    "desired_state": {"type": "path", "required": True},
    "ledger": {"type": "path", "required": True},
    "journal_dir": {"type": "path", "required": True},
    "reclaim_notices": {"type": "path"},
    "forwards_removed": {"type": "path"},
    "password_notices": {"type": "path", "no_log": False},  # a file's path, not a secret
    "templates": {"type": "path", "required": True},
    "sender": {"type": "dict", "required": True},
    "self_service_url": {"type": "str"},
    "department": {"type": "str"},
    "city_domains": {"type": "list", "elements": "str"},
    "max_age_days": {"type": "int", "default": 14},
    "messages_per_batch": {"type": "int", "default": 50},
    **systems.CONNECTION_SPEC,
}
JOURNALS = {"reclaim": "reclaim_notices", "forwards": "forwards_removed", "passwords": "password_notices"}


def city_domains(params: dict[str, Any]) -> list[str]:
    return params["city_domains"] or [params["domain"]]


def option_problems(params: dict[str, Any]) -> list[Problem]:
    problems = []
    sender = params["sender"]
    address = sender.get("address")
    if not isinstance(address, str) or "@" not in address:
        problems.append(Problem("sender", "", "address", "must be a mail address"))
    elif not is_inside(address, city_domains(params)):
        problems.append(Problem("sender", "", "address", f"{address} is not a mailbox of the city"))
    page = params["self_service_url"]
    if page is not None and (not page.startswith("https://") or any(c.isspace() for c in page)):
        problems.append(Problem("self_service_url", "", "", "must be an https:// address"))
    if params["max_age_days"] < 0:
        problems.append(Problem("max_age_days", "", "", "must not be negative"))
    if params["messages_per_batch"] < 1:
        problems.append(Problem("messages_per_batch", "", "", "must be at least 1"))
    if not params["backend"]:
        problems.append(Problem("backend", "", "", "must name at least one system"))
    return problems


def composer(
    params: dict[str, Any], templates: Templates, now: datetime.datetime
) -> Callable[[notices.Notification], EmailMessage]:
    def compose(notification: notices.Notification) -> EmailMessage:
        context = notices.nfc({**notification.context, "recipient": notification.recipient})
        notices.check_no_secret(context)
        subject, text, html = templates.render(notification.template, context)
        return notices.compose(
            notification,
            sender=params["sender"],
            domain=params["domain"],
            now=now,
            subject=subject,
            text=text,
            html=html,
        )

    return compose


def compose_all(
    compose: Callable[[notices.Notification], EmailMessage], planned: list[notify_run.Planned]
) -> dict[str, EmailMessage]:
    """Every message the run may send, composed before anything is sent; every problem named by the
    notification's key (a password in its data, an address that is not one)."""
    messages, problems = {}, []
    for p in planned:
        if p.action in (notify_run.SEND, notify_run.CHECK):
            try:
                messages[p.notification.key] = compose(p.notification)
            except ValueError as exc:  # SecretInNotice too
                problems.append(Problem(p.notification.key, p.notification.kind, "", str(exc)))
    if problems:
        raise ValidationFailed(problems)
    return messages


def run(module: AnsibleModule) -> dict[str, Any]:
    params = module.params
    now = datetime.datetime.now(CITY_TIMEZONE)  # the city's clock, whatever the control node's zone
    problems = option_problems(params)
    if problems:
        raise ValidationFailed(problems)
    templates = Templates(params["templates"], self_service_url=params["self_service_url"] or "")
    state = load_desired_state(params["desired_state"])
    holders = load_ledger(params["ledger"]).holders()
    records = load_records(params["desired_state"], state)
    lines = {
        name: journal.read(params[option])[1] if params[option] else [] for name, option in JOURNALS.items()
    }
    found = notice_sources.gather(state, holders, records, lines, params["department"], city_domains(params))
    missing = templates.missing(sorted({n.template for n in found.notifications}))
    if missing:
        raise ValidationFailed(missing)
    held = notify_run.systems_of(state, holders, params["backend"])
    directory, today = params["journal_dir"], now.date()
    with contextlib.nullcontext() if module.check_mode else locked(directory):
        # the months that can hold a line of a notification young enough to be sent
        book = Journal(directory, today - datetime.timedelta(days=params["max_age_days"]), today)
        planned = notify_run.plan(
            found.notifications,
            book.standing(),
            notify_run.router(held, params["backend"], book.sent_via()),
            lambda key: notices.message_id(key, params["domain"]),
            today,
            params["max_age_days"],
        )
        messages = compose_all(composer(params, templates, now), planned)
        if module.check_mode:
            outcome = notify_run.preview(planned, now)
        else:
            used = sorted(
                {p.via for p in planned if p.action in ("send", "check")}, key=params["backend"].index
            )
            lacking = systems.first_missing(params, used)
            if lacking:
                raise ValidationFailed(
                    [Problem("backend", "", "", lacking.message or f"{lacking.library} is missing")]
                )
            with systems.open_all(params, used) as backends:
                outcome = notify_run.carry_out(
                    planned, backends, messages, book, now, params["messages_per_batch"]
                )
    result: dict[str, Any] = {
        "changed": bool(outcome.lines),
        "now": iso(now, CITY_TIMEZONE),
        "notifications": outcome.rows,
        "skipped": found.skipped,
        "summary": notify_run.summary(outcome),
    }
    if module._diff:
        result["diff"] = {
            "before_header": directory,
            "after_header": directory,
            "before": "",
            "after": "".join(journal.line(line) for line in outcome.lines),
        }
    return result


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    if not HAS_JINJA2:
        module.fail_json(msg=missing_required_lib("jinja2"), exception=JINJA2_IMPORT_ERROR)
    try:
        result = run(module)
    except MissingLibrary as exc:
        module.fail_json(msg=missing_required_lib(exc.name), exception=exc.import_traceback)
    except ValidationFailed as exc:
        problems = [str(p) for p in exc.problems]
        module.fail_json(msg=f"{len(problems)} problem(s), nothing sent: {problems[0]}", problems=problems)
    except BackendError as exc:
        module.fail_json(msg=f"cannot use the mail system, the run stopped (the next run resumes): {exc}")
    except (OSError, TimeoutError) as exc:
        module.fail_json(msg=f"cannot lock, read or write a file: {exc}")
    failed = result["summary"].get("failed", 0)
    if failed:
        module.fail_json(
            msg=f"{failed} notification(s) refused by the system (sent again by the next run)", **result
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
