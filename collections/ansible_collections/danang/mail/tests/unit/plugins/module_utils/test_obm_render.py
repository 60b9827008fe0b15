# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OBM backend without servers: rendering (shared/reference/obm.md), DNs, IMAP parsing, plan."""

from __future__ import annotations

import unicodedata

import pytest

pytest.importorskip("ldap3")

from ansible_collections.danang.mail.plugins.module_utils.accounts import Account
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.config import (
    DEFAULT_FOLDERS,
    ObmConfig,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.cyrus import (
    Reply,
    list_name,
    parse_acl,
    parse_quota,
    quote,
    tokenize,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.layout import (
    READY,
    Entry,
    entry_from_response,
    mail_filter,
    person_dn,
    share_dn,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.steps import folder_name, mailbox_name
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.system import ObmSystem
from ansible_collections.danang.mail.plugins.module_utils.plan import (
    CREATE,
    UPDATE,
    Observed,
    make_plan,
)

CONFIG = ObmConfig(
    ldap_uri="ldap://127.0.0.1:3389",
    ldap_bind_dn="uid=ldapadmin,ou=sysusers,dc=local",
    ldap_bind_password="x",
    imap_admin_password="y",
    imap_host="imap.danang.gov.vn",
)
PERSON = Account(
    "dungnv@danang.gov.vn",
    "person",
    "CB-2017-000101",
    unicodedata.normalize("NFD", "Nguyễn Văn Dũng"),  # decomposed on purpose: rendered NFC
    "stttt",
    first_name="Dũng",
    last_name="Nguyễn Văn",
)
AGENCY = Account("stttt@danang.gov.vn", "agency", "agency/stttt", "Sở Thông tin và Truyền thông", "stttt")


@pytest.fixture
def backend() -> ObmSystem:
    return ObmSystem(CONFIG)


def test_a_person_is_rendered_as_an_obm_user(backend: ObmSystem) -> None:
    rendered = backend.render(PERSON)
    assert rendered == {
        "cn": "Nguyễn Văn Dũng",
        "displayName": "Nguyễn Văn Dũng",
        "sn": "Nguyễn Văn",
        "givenName": "Dũng",
        "mail": "dungnv@danang.gov.vn",
        "mailBox": "dungnv@danang.gov.vn",
        "mailBoxServer": "lmtp:imap.danang.gov.vn:24",
        "obmDomain": "danang.gov.vn",
        "hiddenUser": "FALSE",
        "homeDirectory": "/home/dungnv",
        "employeeNumber": "CB-2017-000101",  # the holder: never adopted by another
        "quota_mb": 2048,
        "cyrus_mailbox": READY,
    }
    assert unicodedata.is_normalized("NFC", rendered["cn"])
    assert "userPassword" not in rendered and "mailAccess" not in rendered


def test_an_agency_is_rendered_as_an_obm_mailshare(backend: ObmSystem) -> None:
    rendered = backend.render(AGENCY)
    assert rendered["cn"] == "stttt"
    assert rendered["description"] == "Sở Thông tin và Truyền thông"
    assert rendered["mailBox"] == "+stttt@danang.gov.vn"  # OBM: LMTP "+name" -> shared folder
    assert rendered["employeeNumber"] == "agency/stttt"
    assert "sn" not in rendered and "homeDirectory" not in rendered


def test_mailbox_server_is_configurable() -> None:
    backend = ObmSystem(ObmConfig(**{**CONFIG.__dict__, "mailbox_server": "lmtp:127.0.0.1:2424"}))
    assert backend.render(PERSON)["mailBoxServer"] == "lmtp:127.0.0.1:2424"


def test_cyrus_names_follow_virtdomains_userid() -> None:
    assert mailbox_name(PERSON.address, PERSON.shared) == "user/dungnv@danang.gov.vn"
    assert folder_name(PERSON, "Sent") == "user/dungnv/Sent@danang.gov.vn"
    assert mailbox_name(AGENCY.address, AGENCY.shared) == "stttt@danang.gov.vn"
    assert DEFAULT_FOLDERS == ("Trash", "Drafts", "SPAM", "Templates", "Sent")


def test_dns_and_filters_escape_hostile_values() -> None:
    base = "dc=local"
    assert person_dn("dungnv", "danang.gov.vn", base) == "uid=dungnv,ou=users,dc=danang.gov.vn,dc=local"
    assert share_dn("a,b=c+d", "danang.gov.vn", base).startswith("cn=a\\,b\\=c\\+d,ou=mailShare,")
    hostile = "h*)(uid=*"
    assert "(mail=h\\2a\\29\\28uid=\\2a)" in mail_filter(hostile)


def test_entries_are_read_as_comparable_values() -> None:
    entry = entry_from_response(
        {
            "dn": "uid=x,ou=users,dc=danang.gov.vn,dc=local",
            "raw_attributes": {
                "objectClass": [b"inetOrgPerson", b"obmUser"],
                "mail": [b"X@danang.gov.vn"],
                "cn": ["Nguyễn Văn Dũng".encode(), b"Dung"],
                "mailAccess": [b"permit"],
                "mailBox": [b"+x@danang.gov.vn"],
            },
        }
    )
    assert entry.address == "x@danang.gov.vn"
    assert entry.enabled
    assert entry.comparable("CN") == ("Dung", "Nguyễn Văn Dũng")
    assert entry.comparable("sn") is None
    assert entry.addresses() == {"x@danang.gov.vn"}
    assert not Entry("dn", {"mailaccess": ("REJECT",)}).enabled


def test_imap_tokens_quota_and_acl() -> None:
    assert quote('a"b\\c') == '"a\\"b\\\\c"'
    with pytest.raises(ValueError):
        quote("a\r\nb")
    tokens = tokenize(b'LIST (\\HasNoChildren) "/" user/x@d')
    assert tokens == [b"LIST", [b"\\HasNoChildren"], b"/", b"user/x@d"]
    reply = Reply("OK", "Completed", [b"QUOTA user/x@d (STORAGE 12 2097152 MESSAGE 1 100)"])
    assert parse_quota(reply) == (12, 2097152)
    assert parse_quota(Reply("NO", "Quota root does not exist")) is None
    acl = parse_acl(Reply("OK", "", [b"ACL user/x@d x@d lrswipkxtecdan anyone p"]))
    assert acl == {"x@d": "lrswipkxtecdan", "anyone": "p"}


def test_the_plan_sees_a_half_made_account_and_a_wrong_quota(backend: ObmSystem) -> None:
    want = backend.render(PERSON)
    half = Observed(
        PERSON.address, True, {**want, "cyrus_mailbox": "missing", "quota_mb": None}, holder=PERSON.holder_id
    )
    plan = make_plan({PERSON.address: PERSON}, {PERSON.address: half}, backend.render)
    (change,) = plan.changes
    assert change.action == UPDATE
    assert change.after == {"quota_mb": 2048, "cyrus_mailbox": READY}
    plan = make_plan({AGENCY.address: AGENCY}, {}, backend.render)
    assert plan.changes[0].action == CREATE


def test_bulk_answers_are_parsed_fast_and_exactly() -> None:
    assert list_name(b'LIST (\\HasNoChildren) "/" user/x/Sent@d') == "user/x/Sent@d"
    assert list_name(b'LIST () "/" "odd name@d"') == "odd name@d"  # quoted: the tokenizer's way
    assert list_name(b"FLAGS (\\Seen)") is None
    reply = Reply("OK", "", [b"QUOTA user/x@d (MESSAGE 3 100 STORAGE 5 2048)"])
    assert parse_quota(reply) == (5, 2048)
    assert parse_quota(Reply("OK", "", [b"QUOTA user/x@d (MESSAGE 3 100)"])) is None
    assert parse_acl(Reply("OK", "", [b'ACL "a b@d" anyone p'])) == {"anyone": "p"}
