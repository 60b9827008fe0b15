# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""notify_run + notify_journal: exactly once (R-22, R-23, R-44, R-47, R-50) across every point a run
can be killed at and across a month boundary, against an in-memory system implementing the
Notifications contract, with the real journal directory, the real templates and the real
composition."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from ansible_collections.danang.mail.plugins.module_utils import journal, notices, notify_run
from ansible_collections.danang.mail.plugins.module_utils.model import CITY_TIMEZONE, ValidationFailed
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
    path: Path,
    fake: FakeSystem,
    found: list[notices.Notification],
    batch_size: int = 50,
    now: datetime.datetime = NOW,
) -> notify_run.Outcome:
    """One run as the module does it: read the months of the last 14 days, plan, compose
    everything, carry out."""
    templates = Templates(str(TEMPLATES))
    today = now.date()
    book = Journal(str(path), today - datetime.timedelta(days=14), today)
    planned = notify_run.plan(
        found, book.standing(), lambda _n: "obm", lambda k: notices.message_id(k, DOMAIN), today, 14
    )
    messages = {}
    for p in planned:
        subject, text, html = templates.render(p.notification.kind, p.notification.context)
        messages[p.notification.key] = notices.compose(
            p.notification, sender=SENDER, domain=DOMAIN, now=NOW, subject=subject, text=text, html=html
        )
    return notify_run.carry_out(planned, {"obm": fake}, messages, book, now, batch_size)


def states(path: Path, month: str = "2026-12") -> list[tuple[str, str]]:
    """The lines of one month file of the journal directory ``path``."""
    return [(r["recipient"], r["state"]) for r in journal.read(str(path / f"{month}.yml"))[1]]


def copies(fake: FakeSystem, address: str) -> int:
    return len(fake.mailboxes.get(address, []))


A, B, C = "dungnv@danang.gov.vn", "oanhtt@danang.gov.vn", "hattt@danang.gov.vn"


def test_sent_once_then_never_again(tmp_path: Path) -> None:
    path, fake = tmp_path / "notifications", FakeSystem()
    first = run(path, fake, [warning(A), warning(B)])
    assert [r["status"] for r in first.rows] == ["sent", "sent"]
    assert states(path) == [(A, "sending"), (B, "sending"), (A, "sent"), (B, "sent")]
    second = run(path, fake, [warning(A), warning(B)])
    assert [r["status"] for r in second.rows] == ["already_sent", "already_sent"] and second.lines == []
    assert copies(fake, A) == copies(fake, B) == 1
    assert fake.called().count("send_messages") == 1


def test_killed_before_the_system_took_the_batch_sends_it_next_time(tmp_path: Path) -> None:
    path, fake = tmp_path / "notifications", FakeSystem()

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
    path, fake = tmp_path / "notifications", FakeSystem()
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
    path, fake = tmp_path / "notifications", FakeSystem()
    fake.crash_after_send = True
    with pytest.raises(Crash):
        run(path, fake, [warning(A)])
    fake.crash_after_send, fake.blind = False, True
    outcome = run(path, fake, [warning(A), warning(B)])
    assert {r["recipient"]: r["status"] for r in outcome.rows} == {A: "unknown", B: "sent"}
    assert copies(fake, A) == 1 and states(path).count((A, "sending")) == 1
    fake.blind = False
    assert [r["status"] for r in run(path, fake, [warning(A)]).rows] == ["found"]


def test_a_send_whose_answer_was_lost_is_looked_for_not_sent_again(tmp_path: Path) -> None:
    """The connection broke after the system took the message: no ``failed`` line (which would send
    it again unasked), the ``sending`` line stays last and the next run finds it."""
    path, fake = tmp_path / "notifications", FakeSystem()
    fake.lost = {A}
    first = run(path, fake, [warning(A), warning(B)])
    assert {r["recipient"]: r["status"] for r in first.rows} == {A: "unknown", B: "sent"}
    assert states(path) == [(A, "sending"), (B, "sending"), (B, "sent")]
    fake.lost = set()
    again = run(path, fake, [warning(A), warning(B)])
    assert {r["recipient"]: r["status"] for r in again.rows} == {A: "found", B: "already_sent"}
    assert copies(fake, A) == 1


def test_a_refused_message_is_failed_and_sent_by_the_next_run(tmp_path: Path) -> None:
    path, fake = tmp_path / "notifications", FakeSystem()
    fake.refuse = {B}
    outcome = run(path, fake, [warning(A), warning(B), warning(C)])
    assert {r["recipient"]: r["status"] for r in outcome.rows} == {A: "sent", B: "failed", C: "sent"}
    assert "550" in next(r["error"] for r in outcome.rows if r["recipient"] == B)
    fake.refuse = set()
    again = run(path, fake, [warning(A), warning(B), warning(C)])
    assert [r["status"] for r in again.rows] == ["already_sent", "already_sent", "sent"]  # skips listed first
    assert fake.called().count("delivered") == 0  # a refusal is certain: no need to look


def test_old_news_is_never_sent(tmp_path: Path) -> None:
    path, fake = tmp_path / "notifications", FakeSystem()
    old = warning(A, on=TODAY - datetime.timedelta(days=15))
    fresh = warning(B, on=TODAY - datetime.timedelta(days=14))
    outcome = run(path, fake, [old, fresh])
    assert {r["recipient"]: r["status"] for r in outcome.rows} == {A: "too_old", B: "sent"}
    assert copies(fake, A) == 0


def test_an_old_uncertain_message_not_found_is_not_sent_again(tmp_path: Path) -> None:
    path, fake = tmp_path / "notifications", FakeSystem()
    old = warning(A, on=TODAY - datetime.timedelta(days=20))
    Journal(str(path), TODAY, TODAY).append(
        [line(old.as_dict(), notices.message_id(old.key, DOMAIN), "obm", SENDING, NOW)]
    )
    outcome = run(path, fake, [old])
    assert [r["status"] for r in outcome.rows] == ["too_old"] and fake.called() == ["delivered"]


def test_batches_record_before_each_send(tmp_path: Path) -> None:
    path, fake = tmp_path / "notifications", FakeSystem()
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


LAST_MONTH = datetime.datetime(2026, 11, 27, 17, 0, tzinfo=CITY_TIMEZONE)  # 11 days before NOW


def test_a_key_sent_last_month_is_not_sent_again_this_month(tmp_path: Path) -> None:
    path, fake = tmp_path / "notifications", FakeSystem()
    notice = warning(A, on=LAST_MONTH.date())
    run(path, fake, [notice], now=LAST_MONTH)
    assert states(path, "2026-11") == [(A, "sending"), (A, "sent")]
    again = run(path, fake, [notice])  # 2026-12-08: still within the 14 days, November is read
    assert [r["status"] for r in again.rows] == ["already_sent"] and again.lines == []
    assert copies(fake, A) == 1 and sorted(p.name for p in path.iterdir()) == ["2026-11.yml"]


def test_an_uncertain_key_of_last_month_is_resolved_in_this_months_file(tmp_path: Path) -> None:
    path, fake = tmp_path / "notifications", FakeSystem()
    notice = warning(A, on=LAST_MONTH.date())
    fake.crash_after_send = True
    with pytest.raises(Crash):
        run(path, fake, [notice], now=LAST_MONTH)
    fake.crash_after_send = False
    again = run(path, fake, [notice])
    assert [r["status"] for r in again.rows] == ["found"] and copies(fake, A) == 1
    assert states(path, "2026-11") == [(A, "sending")]  # last month's file is left as it was
    assert states(path, "2026-12") == [(A, "found")]
    assert run(path, fake, [notice]).lines == []


def test_the_months_before_max_age_days_are_not_read(tmp_path: Path) -> None:
    """2026-12-08 - 14 days is in November: October's file (here unreadable) is never opened, and
    a notification of October is not sent whatever that file holds."""
    path, fake = tmp_path / "notifications", FakeSystem()
    path.mkdir()
    (path / "2026-10.yml").write_text("not: a list\n", encoding="utf-8")
    october = warning(A, on=datetime.date(2026, 10, 30))
    outcome = run(path, fake, [october, warning(B)])
    assert {r["recipient"]: r["status"] for r in outcome.rows} == {A: "too_old", B: "sent"}
    (path / "2026-11.yml").write_text("not: a list\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match=r"2026-11\.yml"):
        run(path, fake, [warning(B)])


def test_each_line_goes_to_the_month_of_its_time_on_the_citys_clock(tmp_path: Path) -> None:
    path = tmp_path / "notifications"
    notice = warning(A).as_dict()
    # 2026-11-30 18:00 UTC is 2026-12-01 01:00 in Da Nang
    at_utc = datetime.datetime(2026, 11, 30, 18, 0, tzinfo=datetime.UTC)
    book = Journal(str(path), TODAY, TODAY)
    book.append(
        [line(notice, "<id>", "obm", SENDING, at_utc), line(notice, "<id>", "obm", SENDING, LAST_MONTH)]
    )
    assert sorted(p.name for p in path.iterdir()) == ["2026-11.yml", "2026-12.yml"]
    assert [r["at"] for r in journal.read(str(path / "2026-12.yml"))[1]] == ["2026-12-01T01:00:00+07:00"]
    assert (
        oct(path.stat().st_mode & 0o777) == "0o700"
        and oct((path / "2026-11.yml").stat().st_mode & 0o777) == "0o600"
    )
