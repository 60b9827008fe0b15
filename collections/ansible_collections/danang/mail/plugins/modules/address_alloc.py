#!/usr/bin/python
# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


from __future__ import annotations

DOCUMENTATION = r"""
---
module: address_alloc
short_description: Allocate e-mail addresses from the ledger, never reissuing one
version_added: 0.1.0
description:
  - Gives every request an address of the Da Nang city e-mail system (Decision 3712/QĐ-UBND) and
    appends the addresses it issues to the ledger, the file of every address ever issued.
  - A holder already in the ledger keeps its address for ever, whatever later happens to its name,
    rank, date or status; after reclamation (R-23) the same holder gets the same address back.
    An address in the ledger is never given to another holder, whatever its status (R-03).
  - Agencies get C(<abbreviation>@) (R-10). Departments get C(<abbreviation>@) when no other
    department shares the abbreviation, else C(<department>-<agency>@), for example
    C(thanhtra-stttt@) (R-11); a plain department address once issued never changes. Agency and
    department addresses are never numbered; taken or reserved is an error.
  - Persons get C(<given name><initials of family and middle names>@) without diacritics (R-12),
    for example C(dungnv@). When that is taken or reserved, the smallest number from 1 whose form
    is free is appended, C(dungnv1@) (R-13). New persons are taken in the order O(requests[].requested_on),
    then O(requests[].rank) (higher first, R-14), then O(requests[].id), so the result never depends
    on the order of O(requests).
  - In one run agencies go first, then departments, then persons, so a person never takes an
    address that an agency or department asks for in the same run.
  - An address in O(taken) (in use on a mail system) is never issued to a new holder either - a new
    person gets the next free number, an agency or department whose address is in use is an error.
  - Every request is validated, including those of holders already in the ledger. Any problem
    refuses the whole call; the ledger stays as it was, byte for byte.
author:
  - Da Nang city IT infrastructure centre (@danang)
requirements:
  - PyYAML
extends_documentation_fragment:
  - danang.mail.attributes
options:
  ledger:
    description:
      - "The ledger file, usually C(inventories/<env>/desired_state/ledger.yml). New entries are
        appended to its end, one line per address, followed by the seal line
        C(# seal: <count> entries, sha256 <hash of the entries>)."
      - A missing, empty, unsealed, cut or edited ledger is refused (its seal does not match), with
        the file named and the repair - restore it from git - so that a lost entry never lets an
        address be issued again (R-03). See O(ledger_new) and O(ledger_reseal).
      - It must be a regular file, not a symbolic or hard link (a link would have a lock of its own);
        a write keeps its line endings and is made durable (fsync of the file and its directory).
      - The lock file C(<ledger>.lock) beside it is held from reading the ledger to writing it, so two
        runs on one control node never issue one address twice.
    type: path
    required: true
  ledger_new:
    description:
      - Start a new ledger - once, for a new environment. The file must not exist (its directory
        must); it is created, sealed, even when no address is issued. An existing ledger is refused
        with this option, so that it cannot be left on by mistake.
      - Never use it to get past a lost or damaged ledger - restore that from git.
    type: bool
    default: false
  ledger_reseal:
    description:
      - Accept the ledger's entries as they are and write a new seal line. For a ledger written
        before seals existed (a cut in it cannot be detected), or after a repair by hand, and only
        after a person has checked every entry against git history and the mail systems.
      - The file must still be a valid ledger with at least one entry. Not with O(ledger_new).
    type: bool
    default: false
  requests:
    description:
      - What needs an address, for example the C(address_requests) of M(danang.mail.desired_state_info).
      - Each O(requests[].id) appears once, across all kinds, and must not be held in the ledger by a
        holder of another kind.
    type: list
    elements: dict
    default: []
    suboptions:
      id:
        description: The holder's stable key, for example a civil-servant id or C(agency/stttt).
        type: str
        required: true
      kind:
        description: What holds the address.
        type: str
        choices: [person, agency, department]
        default: person
      full_name:
        description:
          - A person's name, family name first, for example C(Nguyễn Văn Dũng) (R-12, R-15).
          - Give O(requests[].family_name), O(requests[].middle_name) and O(requests[].given_name)
            instead when the name is not in that order; the explicit parts win.
        type: str
      family_name:
        description: A person's family name, one or more words.
        type: str
      middle_name:
        description: A person's middle name(s), if any.
        type: str
      given_name:
        description: A person's given name, one or more words.
        type: str
      rank:
        description:
          - A person's leadership rank (cấp bậc, chức vụ lãnh đạo); higher wins a same-day
            collision (R-14). Treated as V(0) when omitted.
        type: int
      requested_on:
        description:
          - The day the address was requested, C(YYYY-MM-DD), as a string or a date. Required for a
            person (R-13, R-14).
        type: raw
      abbreviation:
        description:
          - The abbreviation of an agency or department, C([a-z][a-z0-9]*). Required for both.
        type: str
      agency:
        description:
          - For a department, the abbreviation of its agency (required). For a person, the agency
            it belongs to (optional; checked, not used for the address).
        type: str
  domain:
    description: The mail domain of every address (R-01).
    type: str
    default: danang.gov.vn
  reserved:
    description:
      - Local parts never issued, added to a built-in list that always applies - the RFC 2142 role
        names V(postmaster), V(abuse), V(hostmaster), V(webmaster), V(noc), V(security), V(info),
        V(marketing), V(sales), V(support), V(uucp), V(news), V(usenet), V(www), V(ftp), plus
        V(admin), V(administrator), V(root), V(noreply), V(no-reply), V(mailer-daemon), V(nobody) and
        the spam-report mailbox V(chanthurac) (R-51).
    type: list
    elements: str
    default: []
  taken:
    description:
      - Every address in use on the mail systems (accounts, aliases and secondary addresses, shared
        mailboxes, groups, contacts, managed or not), in any case; V(danang.mail.addresses_in_use)
        returns them for each system in one bulk read.
      - An address in use by the holder the ledger gives it to is fine; any other is never issued, so
        an existing account is never handed to a new person.
    type: list
    elements: str
    default: []
  requested_through:
    description:
      - The last request day whose addresses are final, C(YYYY-MM-DD) - the daily job gives the day
        of its cut-off (C(danang_mail_daily_cutoff), the repository's C(docs/gitops.md)). Omitted, every
        request is final (as C(make lab) does).
      - A new person requested after it is pending - it gets a provisional address (in RV(addresses)
        and RV(pending)) allocated after every final one, and no ledger entry, so every request of
        its day still competes by rank at that day's cut-off (R-14).
    type: str
attributes:
  check_mode:
    support: full
    details: Check mode reads the ledger without taking the lock and writes nothing, not even the lock file.
  diff_mode:
    support: full
    details: The diff shows the ledger lines that are (or would be) appended, and the seal line they replace.
  idempotent:
    support: full
    details: An address once allocated is found in the ledger and never allocated again.
notes:
  - Runs on the control node, where the git checkout holding the ledger lives (use it in a play on
    C(localhost)).
  - The same-day rank rule (R-14) can only compare requests allocated together. Allocation is
    therefore authoritative only in one run on the main branch per working day (or per merge, for
    urgent requests). A pull-request check runs this module in check mode and shows provisional
    addresses only. The run on main allocates every request merged that day in one batch and
    commits the ledger. Two competing runs conflict in git on the appended ledger lines, so the
    second one rebases and runs again. This fits R-22 (result within one working day).
  - The ledger is keyed by the full address; a ledger with a key twice, or with a malformed entry,
    is refused. An unchanged ledger is not rewritten; a changed one is replaced atomically.
  - Two branches that both append to the ledger conflict in git on the seal line. The ledger is
    written only by the run on main; resolve such a conflict by taking main's ledger and running
    again, never by merging both sides by hand.
seealso:
  - module: danang.mail.desired_state_info
"""

EXAMPLES = r"""
- name: Allocate the addresses the desired state asks for (the daily run on main)
  danang.mail.address_alloc:
    ledger: "{{ inventory_dir }}/desired_state/ledger.yml"
    requests: "{{ desired.address_requests }}"
  delegate_to: localhost
  run_once: true
  register: allocation

- name: Provisional addresses for a pull request (writes nothing)
  danang.mail.address_alloc:
    ledger: inventories/lab/desired_state/ledger.yml
    requests:
      - id: agency/stttt
        kind: agency
        abbreviation: stttt
      - id: department/stttt/thanhtra
        kind: department
        abbreviation: thanhtra
        agency: stttt
      - id: CB-2017-000101
        full_name: Nguyễn Văn Dũng
        rank: 3
        requested_on: "2017-08-01"
      - id: CB-2017-000102
        family_name: Niê
        given_name: H'Maryam
        requested_on: "2017-08-01"
    reserved:
      - thudientu
    taken:
      - dungnv@danang.gov.vn   # made by hand on a mail system: the request gets dungnv1@
  check_mode: true
  diff: true

- name: Start the ledger of a new environment (once; the file must not exist)
  danang.mail.address_alloc:
    ledger: inventories/production/desired_state/ledger.yml
    requests: "{{ desired.address_requests }}"
    ledger_new: true
"""

RETURN = r"""
addresses:
  description: The full address of every request, by id, whether issued now or held already.
  returned: success
  type: dict
  sample: {agency/stttt: stttt@danang.gov.vn, CB-2017-000101: dungnv@danang.gov.vn}
allocated:
  description:
    - The addresses this run issued (or would issue, in check mode), in allocation order - agencies,
      departments, then persons by request date, rank and id.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: The holder's id.
      type: str
      sample: CB-2017-000101
    address:
      description: The address issued.
      type: str
      sample: dungnv@danang.gov.vn
  sample: [{id: CB-2017-000101, address: dungnv@danang.gov.vn}]
pending:
  description:
    - New persons requested after O(requested_through) - their provisional address, not written to
      the ledger and never created on a mail system; in request-date, rank and id order.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: The holder's id.
      type: str
      sample: CB-2026-000301
    address:
      description: The provisional address.
      type: str
      sample: dungnv1@danang.gov.vn
  sample: [{id: CB-2026-000301, address: dungnv1@danang.gov.vn}]
reactivated:
  description:
    - The addresses whose ledger line went from V(reclaimed) back to V(active) because their holder's
      O(requests[].requested_on) is after the line's C(reclaimed_on) - a new request for a reclaimed
      mailbox (R-20, R-23). The same address comes back; the reconcile then creates or enables it.
  returned: success
  type: list
  elements: str
  sample: [dungnv@danang.gov.vn]
problems:
  description:
    - "Every problem found, as C(source: entry: field: message); the module fails when there is one."
    - The first ones, and how many names looked like legacy-encoded text and in which encoding (R-15),
      are also in C(msg).
  returned: failure
  type: list
  elements: str
  sample:
    - "requests: requests[3] (id CB-2019-000301): requested_on: must be a date YYYY-MM-DD, not '1/8/2017'"
"""

import contextlib
from typing import Any

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.danang.mail.plugins.module_utils.allocation import allocate
from ansible_collections.danang.mail.plugins.module_utils.ledger import (
    Ledger,
    appended_text,
    load_ledger,
    reactivations,
    rewritten_text,
)
from ansible_collections.danang.mail.plugins.module_utils.ledger_file import (
    ledger_lock,
    write_text_atomically,
)
from ansible_collections.danang.mail.plugins.module_utils.model import (
    DEFAULT_DOMAIN,
    Problem,
    ValidationFailed,
    city_today,
)
from ansible_collections.danang.mail.plugins.module_utils.request_records import through_date
from ansible_collections.danang.mail.plugins.module_utils.strict_yaml import HAS_YAML, YAML_IMPORT_ERROR

REQUEST_OPTIONS = {
    "id": {"type": "str", "required": True},
    "kind": {"type": "str", "choices": ["person", "agency", "department"], "default": "person"},
    "full_name": {"type": "str"},
    "family_name": {"type": "str"},
    "middle_name": {"type": "str"},
    "given_name": {"type": "str"},
    "rank": {"type": "int"},
    "requested_on": {"type": "raw"},
    "abbreviation": {"type": "str"},
    "agency": {"type": "str"},
}

ARGUMENT_SPEC = {
    "ledger": {"type": "path", "required": True},
    "ledger_new": {"type": "bool", "default": False},
    "ledger_reseal": {"type": "bool", "default": False},
    "requests": {"type": "list", "elements": "dict", "default": [], "options": REQUEST_OPTIONS},
    "domain": {"type": "str", "default": DEFAULT_DOMAIN},
    "reserved": {"type": "list", "elements": "str", "default": []},
    "taken": {"type": "list", "elements": "str", "default": []},
    "requested_through": {"type": "str"},
}


def failure_message(problems: list[Problem]) -> str:
    """One line for the operator: how many problems, and the general ones (legacy text, R-15) first."""
    general = [p.message for p in problems if not p.entry and not p.field]
    first = general or [str(problems[0])]
    more = len(problems) - len(first)
    tail = f" (and {more} more, see problems)" if more > 0 else ""
    return (
        f"{len(problems)} problem(s): nothing was allocated and the ledger is unchanged. "
        + "; ".join(first)
        + tail
    )


def line_diff(old: str, new: str) -> tuple[str, str]:
    """``old`` and ``new`` from the first line where they differ: the replaced seal, the new lines."""
    start = 0
    for old_line, new_line in zip(old.splitlines(keepends=True), new.splitlines(keepends=True), strict=False):
        if old_line != new_line:
            break
        start += len(old_line)
    return old[start:], new[start:]


def run(module: AnsibleModule) -> dict[str, Any]:
    params = module.params
    path = params["ledger"]
    requests = [{k: v for k, v in r.items() if v is not None} for r in params["requests"]]
    through = through_date(params["requested_through"])
    if params["ledger_new"] and params["ledger_reseal"]:  # explicit false values are fine
        raise ValidationFailed(
            [Problem("ledger_new", "", "", "ledger_new and ledger_reseal exclude each other")]
        )

    # Check mode only reads: the ledger is replaced by rename, so a reader sees a whole file.
    with contextlib.nullcontext() if module.check_mode else ledger_lock(path):
        ledger = load_ledger(path, new=params["ledger_new"], reseal=params["ledger_reseal"])
        result = allocate(
            requests,
            ledger.entries,
            domain=params["domain"],
            reserved=params["reserved"],
            today=city_today(),  # the city's date (UTC+7), whatever the control node's zone
            taken=params["taken"],
            requested_through=through,
        )
        # Also proves, in check mode, that it appends; a new or resealed ledger is written as well.
        text = appended_text(ledger, result.entries)
        # a reclaimed holder's new request (requested_on after reclaimed_on) makes its
        # line active again, so the reconcile brings the mailbox back at the same address.
        back = reactivations(ledger.entries, result.requested_on)
        if back:
            text = rewritten_text(Ledger(path, ledger.entries + result.entries, text), back, city_today())
        changed = (
            bool(result.entries)
            or bool(back)
            or ledger.text is None
            or (params["ledger_reseal"] and text != ledger.text)
        )
        if changed and not module.check_mode:
            write_text_atomically(path, text)

    output = {
        "changed": changed,
        "addresses": result.addresses,
        "allocated": result.allocated,
        "pending": result.pending,
        "reactivated": sorted(back),
    }
    if module._diff and changed:
        before, after = line_diff(ledger.text or "", text)
        output["diff"] = {
            "before": before,
            "after": after,
            "before_header": path,
            "after_header": f"{path} (lines appended, seal renewed)",
        }
    return output


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    if not HAS_YAML:
        module.fail_json(msg=missing_required_lib("PyYAML"), exception=YAML_IMPORT_ERROR)
    try:
        output = run(module)
    except ValidationFailed as exc:
        module.fail_json(msg=failure_message(exc.problems), problems=[str(p) for p in exc.problems])
    except (OSError, TimeoutError) as exc:
        module.fail_json(msg=f"cannot lock, read or write the ledger {module.params['ledger']}: {exc}")
    module.exit_json(**output)


if __name__ == "__main__":
    main()
