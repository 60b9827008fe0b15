# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""notify_run + notify_journal: exactly once (R-22, R-23, R-44, R-47, R-50) across every point a run
can be killed at, against an in-memory system implementing the Notifications contract, with the real
journal file, the real templates and the real composition."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from ansible_collections.danang.mail.plugins.module_utils import journal, notices, notify_run
from ansible_collections.danang.mail.plugins.module_utils.model import CITY_TIMEZONE
from ansible_collections.danang.mail.plugins.module_utils.notice_templates import Templates
from ansible_collections.danang.mail.plugins.module_utils.notify_journal import SENDING, Journal, line
from fake_system import Crash, FakeSystem

TEMPLATES = Path(__file__).resolve().parents[8] / "playbooks" / "templates" / "notifications"
NOW = datetime.datetime(2026, 12, 8, 17, 0, tzinfo=CITY_TIMEZONE)
TODAY = NOW.date()
DOMAIN = "danang.gov.vn"
SENDER = {"address": "cntt@danang.gov.vn", "name": "Tổ Công nghệ thông tin"}


def warning(address: str, on: datetime.date = TODAY) -> notices.Notification:
    context = {"address": address, "name": "Nguyễn Văn Dũng", "due": "2026-12-01"}
    key = f"password-warn:{address}:2026-12-01"
    return notices.Notification(key, notices.PASSWORD_WARN, address, on, context)


def run(
    path: Path, fake: FakeSystem, found: list[notices.Notification], batch_size: int = 50
) -> notify_run.Outcome:
    """One run as the module does it: plan from the journal, compose everything, carry out."""
    templates = Templates(str(TEMPLATES))
    book = Journal(str(path))
    planned = notify_run.plan(
        found, book.standing(), lambda _n: "obm", lambda k: notices.message_id(k, DOMAIN), TODAY, 14
    )
    messages = {}
    for p in planned:
        subject, text, html = templates.render(p.notification.kind, p.notification.context)
        messages[p.notification.key] = notices.compose(
            p.notification, sender=SENDER, domain=DOMAIN, now=NOW, subject=subject, text=text, html=html
        )
    return notify_run.carry_out(planned, {"obm": fake}, messages, book, NOW, batch_size)


def states(path: Path) -> list[tuple[str, str]]:
    return [(r["recipient"], r["state"]) for r in journal.read(str(path))[1]]


def copies(fake: FakeSystem, address: str) -> int:
    return len(fake.mailboxes.get(address, []))


A, B, C = "dungnv@danang.gov.vn", "oanhtt@danang.gov.vn", "hattt@danang.gov.vn"


def test_sent_once_then_never_again(tmp_path: Path) -> None:
    path, fake = tmp_path / "notifications.yml", FakeSystem()
    first = run(path, fake, [warning(A), warning(B)])
    assert [r["status"] for r in first.rows] == ["sent", "sent"]
    assert states(path) == [(A, "sending"), (B, "sending"), (A, "sent"), (B, "sent")]
    second = run(path, fake, [warning(A), warning(B)])
    assert [r["status"] for r in second.rows] == ["already_sent", "already_sent"] and second.lines == []
    assert copies(fake, A) == copies(fake, B) == 1
    assert fake.called().count("send_messages") == 1


def test_killed_before_the_system_took_the_batch_sends_it_next_time(tmp_path: Path) -> None:
    path, fake = tmp_path / "notifications.yml", FakeSystem()

    def killed(_messages):
        raise Crash("power cut")

    fake.send_messages = killed  # type: ignore[method-assign]
    with pytest.raises(Crash):
        run(path, fake, [warning(A)])
    assert states(path) == [(A, "sending")]  # recorded before the send: the next run knows
    del fake.send_messages
    again = run(path, fake, [warning(A)])
    assert [r["status"] for r in again.rows] == ["sent"] and copies(fake, A) == 1
    assert fake.called() == ["delivered", "send_messages"]


def test_killed_between_send_and_record_gives_no_second_copy(tmp_path: Path) -> None:
    path, fake = tmp_path / "notifications.yml", FakeSystem()
    fake.crash_after_send = True
    with pytest.raises(Crash):
        run(path, fake, [warning(A), warning(B)])
    assert states(path) == [(A, "sending"), (B, "sending")] and copies(fake, A) == 1
    fake.crash_after_send = False
    again = run(path, fake, [warning(A), warning(B)])
    assert [r["status"] for r in again.rows] == ["found", "found"]
    assert copies(fake, A) == copies(fake, B) == 1
    assert "send_messages" not in fake.called()[1:]
    assert states(path)[-2:] == [(A, "found"), (B, "found")]
    assert run(path, fake, [warning(A), warning(B)]).lines == []


def test_a_system_that_cannot_tell_leaves_the_uncertain_one_alone(tmp_path: Path) -> None:
    path, fake = tmp_path / "notifications.yml", FakeSystem()
    fake.crash_after_send = True
    with pytest.raises(Crash):
        run(path, fake, [warning(A)])
    fake.crash_after_send, fake.blind = False, True
    outcome = run(path, fake, [warning(A), warning(B)])
    assert {r["recipient"]: r["status"] for r in outcome.rows} == {A: "unknown", B: "sent"}
    assert copies(fake, A) == 1 and states(path).count((A, "sending")) == 1
    fake.blind = False
    assert [r["status"] for r in run(path, fake, [warning(A)]).rows] == ["found"]


def test_a_refused_message_is_failed_and_sent_by_the_next_run(tmp_path: Path) -> None:
    path, fake = tmp_path / "notifications.yml", FakeSystem()
    fake.refuse = {B}
    outcome = run(path, fake, [warning(A), warning(B), warning(C)])
    assert {r["recipient"]: r["status"] for r in outcome.rows} == {A: "sent", B: "failed", C: "sent"}
    assert "550" in next(r["error"] for r in outcome.rows if r["recipient"] == B)
    fake.refuse = set()
    again = run(path, fake, [warning(A), warning(B), warning(C)])
    assert [r["status"] for r in again.rows] == ["already_sent", "already_sent", "sent"]  # skips listed first
    assert fake.called().count("delivered") == 0  # a refusal is certain: no need to look


def test_old_news_is_never_sent(tmp_path: Path) -> None:
    path, fake = tmp_path / "notifications.yml", FakeSystem()
    old = warning(A, on=TODAY - datetime.timedelta(days=15))
    fresh = warning(B, on=TODAY - datetime.timedelta(days=14))
    outcome = run(path, fake, [old, fresh])
    assert {r["recipient"]: r["status"] for r in outcome.rows} == {A: "too_old", B: "sent"}
    assert copies(fake, A) == 0


def test_an_old_uncertain_message_not_found_is_not_sent_again(tmp_path: Path) -> None:
    path, fake = tmp_path / "notifications.yml", FakeSystem()
    old = warning(A, on=TODAY - datetime.timedelta(days=20))
    Journal(str(path)).append([line(old.as_dict(), notices.message_id(old.key, DOMAIN), "obm", SENDING, NOW)])
    outcome = run(path, fake, [old])
    assert [r["status"] for r in outcome.rows] == ["too_old"] and fake.called() == ["delivered"]


def test_batches_record_before_each_send(tmp_path: Path) -> None:
    path, fake = tmp_path / "notifications.yml", FakeSystem()
    run(path, fake, [warning(A), warning(B), warning(C)], batch_size=2)
    first, second = [(A, "sending"), (B, "sending"), (A, "sent"), (B, "sent")], [(C, "sending"), (C, "sent")]
    assert states(path) == first + second
    assert fake.called() == ["send_messages", "send_messages"]


def test_routing_follows_the_recipients_systems_in_the_inventory_order() -> None:
    held = {A: frozenset({"exchange"}), B: frozenset({"obm", "exchange"})}
    assert notify_run.route(A, held, ["obm", "exchange"]) == "exchange"
    assert notify_run.route(B, held, ["obm", "exchange"]) == "obm"
    assert notify_run.route(B, held, ["exchange", "obm"]) == "exchange"
    assert notify_run.route("vanthu@example.org", held, ["exchange", "obm"]) == "exchange"
    assert notify_run.route(A.upper(), held, ["obm", "exchange"]) == "exchange"
    assert notify_run.route(A, held, ["obm"]) == "obm"  # the only system allowed


def test_an_uncertain_message_is_looked_for_where_it_went() -> None:
    held = {A: frozenset({"obm", "exchange"})}
    via = notify_run.router(held, ["exchange", "obm"], {warning(A).key: "obm"})
    assert via(warning(A)) == "obm" and via(warning(B)) == "exchange"
    assert notify_run.router(held, ["exchange"], {warning(A).key: "obm"})(warning(A)) == "exchange"
