# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who may open an OBM share (R-71, R-46): the Cyrus ACL read as ``access``, rendered, and the
commands that set it. Cyrus's answers are the ones measured on the lab (Cyrus 3.6, virtdomains):
``GETACL "stttt@<domain>"`` -> ``stttt@<domain> anyone p dungnv@<domain> lrswipkxtecdan someone lrs``.
The rights are RFC 4314's (https://www.rfc-editor.org/rfc/rfc4314#section-2.1)."""

from __future__ import annotations

import pytest

pytest.importorskip("ldap3")

from ansible_collections.danang.mail.plugins.module_utils.accounts import Account
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.acl import (
    FULL_RIGHTS,
    access_commands,
    observed_access,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.config import (
    DEFAULT_FOLDERS,
    ObmConfig,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.cyrus import Reply, parse_acl
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.layout import render
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.steps import step_for
from ansible_collections.danang.mail.plugins.module_utils.plan import (
    CREATE,
    UPDATE,
    Change,
    Observed,
    make_plan,
)

DUNG, HA, NAM = "dungnv@danang.gov.vn", "hattt@danang.gov.vn", "namlq@danang.gov.vn"
AGENCY = Account(
    "stttt@danang.gov.vn",
    "agency",
    "agency/stttt",
    "Sở Thông tin và Truyền thông",
    "stttt",
    access=(DUNG, HA),
)
CONFIG = ObmConfig(
    ldap_uri="ldap://127.0.0.1",
    ldap_bind_dn="cn=admin",
    ldap_bind_password="x",
    imap_admin_password="x",
    imap_admin="cyrus",
)


def acl_of(line: str) -> dict[str, str]:
    return parse_acl(Reply("OK", "Completed", [line.encode()]))


def test_access_is_the_identifiers_with_every_right_and_shows_anything_else() -> None:
    """The lab's answer: the admin and ``anyone p`` are not the city's; a partial right shows."""
    acl = acl_of(f"ACL stttt@danang.gov.vn anyone p {DUNG} lrswipkxtecdan cyrus x someone lrs")
    assert observed_access(acl, "cyrus") == (DUNG, "someone (lrs)")
    # Cyrus may list the rights in another order: the same rights are every right
    assert observed_access({HA: "adnceltxkpiwsr", "anyone": "p"}, "cyrus") == (HA,)
    # anyone with more than post is shown, so the plan takes it back to p
    assert observed_access({"anyone": "lrsp"}, "cyrus") == ("anyone (lrsp)",)
    assert observed_access({"anyone": "p", "Cyrus": "lrswipkxtecda"}, "cyrus") == ()


def test_render_gives_a_share_its_access_and_a_person_none() -> None:
    assert render(AGENCY, CONFIG)["access"] == (DUNG, HA)
    person = Account(DUNG, "person", "CB-1", "Nguyễn Văn Dũng", "stttt", first_name="Dũng")
    assert "access" not in render(person, CONFIG)


def test_a_hand_given_right_is_an_update_with_before_and_after() -> None:
    """R-71: a right given by hand shows in the plan (check mode's diff) and apply removes it."""
    have = render(AGENCY, CONFIG) | {"access": (DUNG, HA, "someone (lrs)")}
    observed = Observed(AGENCY.address, True, have, holder=AGENCY.holder_id)
    plan = make_plan({AGENCY.address: AGENCY}, {AGENCY.address: observed}, lambda a: render(a, CONFIG))
    (change,) = plan.changes
    assert change.action == UPDATE
    assert change.before == {"access": (DUNG, HA, "someone (lrs)")} and change.after == {"access": (DUNG, HA)}
    assert plan.diff()["before"][AGENCY.address]["access"] == (DUNG, HA, "someone (lrs)")
    step = step_for(change, imap_admin="cyrus", default_folders=DEFAULT_FOLDERS)
    assert [c.text for c in step.cyrus] == ['DELETEACL "stttt@danang.gov.vn" "someone"']
    assert step.ldap == {} and step.final is None


def test_moving_the_delegate_deletes_first_then_sets_every_right() -> None:
    before = (DUNG, f"{HA} (lrs)", "anyone (lrsp)", "x@y (a)")
    commands = access_commands("stttt@danang.gov.vn", before, (DUNG, HA, NAM))
    assert [c.text for c in commands] == [
        'DELETEACL "stttt@danang.gov.vn" "hattt@danang.gov.vn"',
        'SETACL "stttt@danang.gov.vn" anyone p',
        'DELETEACL "stttt@danang.gov.vn" "x@y"',
        f'SETACL "stttt@danang.gov.vn" "hattt@danang.gov.vn" {FULL_RIGHTS}',
        f'SETACL "stttt@danang.gov.vn" "namlq@danang.gov.vn" {FULL_RIGHTS}',
    ]
    assert access_commands("stttt@danang.gov.vn", (DUNG,), (DUNG,)) == []


def test_a_new_share_gets_its_rights_after_its_quota_and_before_anyone_p() -> None:
    after = {**render(AGENCY, CONFIG), "enabled": True}
    step = step_for(Change(CREATE, AGENCY.address, AGENCY, {}, after), imap_admin="cyrus", default_folders=())
    assert [c.text.split(" ")[0] for c in step.cyrus] == ["CREATE", "SETQUOTA", "SETACL", "SETACL"]
    assert step.cyrus[2].text == f'SETACL "stttt@danang.gov.vn" "{DUNG}" {FULL_RIGHTS}'
    assert step.final is not None and step.final.text == 'SETACL "stttt@danang.gov.vn" anyone p'
    assert "access" not in step.ldap
