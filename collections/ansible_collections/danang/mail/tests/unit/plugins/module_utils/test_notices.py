# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""notices + notice_templates: the Message-ID, the composed message (headers, Vietnamese, RFC 3834)
and the shipped templates with hostile values (HTML escaped, no header injection, sandboxed)."""

from __future__ import annotations

import datetime
import email
import email.policy
import unicodedata
from pathlib import Path
from typing import Any

import jinja2
import jinja2.nodes
import pytest
from ansible_collections.danang.mail.plugins.module_utils import notices
from ansible_collections.danang.mail.plugins.module_utils.model import ValidationFailed
from ansible_collections.danang.mail.plugins.module_utils.notice_templates import Templates

TEMPLATES = Path(__file__).resolve().parents[8] / "playbooks" / "templates" / "notifications"
NOW = datetime.datetime(2026, 12, 8, 10, 0, tzinfo=datetime.UTC)
SENDER = {"address": "cntt@danang.gov.vn", "name": "Tổ Công nghệ thông tin"}
HOSTILE = '<script>alert(1)</script> "Lê" & <b>'
DAY = "2026-12-01"
CONTEXTS: dict[str, dict[str, Any]] = {
    notices.REQUEST_RESULT: {
        "id": "2026-12-07-stttt-1",
        "agency": "stttt",
        "agency_name": HOSTILE,
        "requester_name": HOSTILE,
        "received_on": "2026-12-07",
        "due_on": "2026-12-08",
        "done_on": "2026-12-08",
        "items": [
            {
                "action": "new",
                "id": "CB-1",
                "name": HOSTILE,
                "address": "dungnv@danang.gov.vn",
                "fields": [],
                "done": True,
                "reason": "",
            },
            {
                "action": "mailbox",
                "id": "department/stttt/cntt",
                "name": "",
                "address": "",
                "fields": [],
                "done": False,
                "reason": "chưa có địa chỉ trong sổ địa chỉ",
            },
        ],
    },
    notices.PASSWORD_WARN: {"address": "dungnv@danang.gov.vn", "name": HOSTILE, "due": DAY},
    notices.RECLAIM_WARN: {"address": "dungnv@danang.gov.vn", "name": HOSTILE, "due": DAY, "on": DAY},
    notices.RECLAIMED: {"address": "dungnv@danang.gov.vn", "name": HOSTILE, "due": DAY, "on": DAY},
    notices.FORWARD_REMOVED: {
        "address": "dungnv@danang.gov.vn",
        "name": HOSTILE,
        "target": "x@gmail.com",
        "removed_on": DAY,
        "ways": [{"system": "obm", "how": HOSTILE}],
    },
    notices.R47_LIST: {
        "on": DAY,
        "rows": [
            {
                "address": "dungnv@danang.gov.vn",
                "system": "obm",
                "agency": "stttt",
                "agency_name": HOSTILE,
                "reason": "unchanged_6_months",
                "due": DAY,
            }
        ],
    },
}


def render_and_compose(kind: str, context: dict[str, Any], key: str = "k") -> Any:
    subject, text, html = Templates(str(TEMPLATES)).render(kind, context)
    notification = notices.Notification(
        key, kind, "dungnv@danang.gov.vn", datetime.date(2026, 12, 8), context
    )
    return notices.compose(
        notification, sender=SENDER, domain="danang.gov.vn", now=NOW, subject=subject, text=text, html=html
    )


def test_one_key_one_message_id() -> None:
    first = notices.message_id("request-result:2026-12-07-stttt-1", "danang.gov.vn")
    assert first == notices.message_id("request-result:2026-12-07-stttt-1", "danang.gov.vn")
    assert first != notices.message_id("request-result:2026-12-07-stttt-2", "danang.gov.vn")
    assert first.startswith("<") and first.endswith(".danang-mail@danang.gov.vn>") and len(first) == 60


@pytest.mark.parametrize("kind", notices.KINDS)
def test_every_kind_renders_vietnamese_text_and_escaped_html(kind: str) -> None:
    message = render_and_compose(kind, CONTEXTS[kind])
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert parsed["To"] == "dungnv@danang.gov.vn" and len(parsed.get_all("To")) == 1
    assert parsed["From"].addresses[0].display_name == "Tổ Công nghệ thông tin"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Date"] == "Tue, 08 Dec 2026 17:00:00 +0700"  # the city's clock
    assert parsed["Message-ID"] == notices.message_id("k", "danang.gov.vn")
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    assert "Kính gửi" in text and unicodedata.is_normalized("NFC", text)
    assert "<script>" not in html and "&lt;script&gt;" in html and 'lang="vi"' in html
    assert message.as_bytes().isascii()  # 7-bit on the wire: every hop of both systems takes it


def test_the_subject_stays_one_header() -> None:
    context = {**CONTEXTS[notices.PASSWORD_WARN], "address": "a@danang.gov.vn\r\nBcc: x@evil.example"}
    message = render_and_compose(notices.PASSWORD_WARN, context)
    assert message.get_all("Bcc") is None
    assert "\n" not in str(message["Subject"]) and "Bcc: x@evil.example" in str(message["Subject"])


def test_a_hostile_sender_name_cannot_add_a_header() -> None:
    notification = notices.Notification(
        "k", notices.PASSWORD_WARN, "a@danang.gov.vn", datetime.date(2026, 12, 8)
    )
    sender = {"address": "cntt@danang.gov.vn", "name": "IT\r\nBcc: x@evil.example"}
    message = notices.compose(
        notification, sender=sender, domain="d", now=NOW, subject="s", text="t", html="h"
    )
    assert message.get_all("Bcc") is None


@pytest.mark.parametrize(
    "recipient",
    ["a@b.vn, c@d.vn", "a b@c.vn", "nobody", "<a@b.vn>", "dũng@danang.gov.vn", "a\x00b@c.vn", "a(x)@b.vn"],
)
def test_exactly_one_recipient(recipient: str) -> None:
    notification = notices.Notification("k", notices.PASSWORD_WARN, recipient, datetime.date(2026, 12, 8))
    with pytest.raises(ValueError):
        notices.compose(notification, sender=SENDER, domain="d", now=NOW, subject="s", text="t", html="h")


def test_decomposed_input_is_sent_composed() -> None:
    context = {**CONTEXTS[notices.PASSWORD_WARN], "name": unicodedata.normalize("NFD", "Nguyễn Văn Dũng")}
    text = render_and_compose(notices.PASSWORD_WARN, notices.nfc(context)).get_body(("plain",)).get_content()
    assert "Nguyễn Văn Dũng" in text


@pytest.mark.parametrize(
    "context",
    [
        {"initial_password": "Xy7#kL9!mQ2w"},
        {"rows": [{"address": "a@b.vn", "Password": "x"}]},
        {"nested": {"mat_khau": "x"}},
        {"credentials": []},
    ],
)
def test_a_context_naming_a_password_is_refused(context: dict[str, Any]) -> None:
    with pytest.raises(notices.SecretInNotice):
        notices.check_no_secret(context)


def test_no_template_asks_for_a_password() -> None:
    # Every variable and attribute the shipped templates read: none names a password.
    environment = jinja2.Environment()
    for path in TEMPLATES.glob("*.j2"):
        tree = environment.parse(path.read_text(encoding="utf-8"))
        names = [n.name for n in tree.find_all(jinja2.nodes.Name)]
        names += [n.attr for n in tree.find_all(jinja2.nodes.Getattr)]
        assert names and not [n for n in names if "password" in n.lower()], path


def test_the_sandbox_and_strict_undefined(tmp_path: Path) -> None:
    (tmp_path / "x.subject.j2").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    (tmp_path / "x.txt.j2").write_text("t")
    (tmp_path / "x.html.j2").write_text("h")
    with pytest.raises(ValidationFailed, match=r"x\.subject\.j2"):
        Templates(str(tmp_path)).render("x", {})
    (tmp_path / "x.subject.j2").write_text("{{ missing }}")
    with pytest.raises(ValidationFailed, match="missing"):
        Templates(str(tmp_path)).render("x", {})


def test_missing_or_linked_templates_are_named(tmp_path: Path) -> None:
    (tmp_path / "x.subject.j2").write_text("s")
    (tmp_path / "x.txt.j2").symlink_to(tmp_path / "x.subject.j2")
    problems = Templates(str(tmp_path)).missing(["x"])
    assert [p.field for p in problems] == ["txt", "html"]
    link = tmp_path / "linked"
    link.symlink_to(tmp_path)
    with pytest.raises(ValidationFailed):
        Templates(str(link))


def test_a_linked_file_a_template_loads_is_refused(tmp_path: Path) -> None:
    """``_macros.j2`` (or any include) behind a link could mail any file the control node reads."""
    for path in TEMPLATES.iterdir():
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    context = CONTEXTS[notices.REQUEST_RESULT]
    assert Templates(str(tmp_path)).render(notices.REQUEST_RESULT, context)
    (tmp_path / "_macros.j2").rename(tmp_path / "elsewhere.j2")
    (tmp_path / "_macros.j2").symlink_to(tmp_path / "elsewhere.j2")
    with pytest.raises(ValidationFailed, match="symbolic link"):
        Templates(str(tmp_path)).render(notices.REQUEST_RESULT, context)
