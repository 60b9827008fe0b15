# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The figures of the R-60 report and of the R-47 list, as a ``report_model.Report``. Pure: the
inputs (``report_inputs.Inputs``) carry the ledger, the request records, the journals, one bulk
read of each system and the as-of time; no clock is read here, so the same inputs give the same
report.

R-60 asks, for the period: accounts per agency and system; created / changed / cancelled / reclaimed
in the period; quota use; idle mailboxes (R-23); password compliance (R-41, R-47); forwarding
findings (R-50); spam and virus figures where the filters give them; requests and how many met the
1-working-day rule (R-22: done on or before ``due_on``); notifications sent. What is counted "in
the period" is dated by its record: ``issued_on`` and ``reclaimed_on`` in the ledger (and
``recorded_on`` of the reclaim notices), ``done_on`` of a request's changes and cancellations,
``received_on`` of a request, ``removed_on`` of a stopped forward, ``at`` of a notification (city
date). The state figures (accounts, quota, idle, passwords, forwards) are as read at the as-of time.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from ansible_collections.danang.mail.plugins.module_utils import password_policy, report_usage
from ansible_collections.danang.mail.plugins.module_utils.accounts import desired_accounts
from ansible_collections.danang.mail.plugins.module_utils.ledger import RECLAIMED
from ansible_collections.danang.mail.plugins.module_utils.model import CITY_TIMEZONE, KIND_PERSON
from ansible_collections.danang.mail.plugins.module_utils.report_inputs import DELIVERED, Inputs
from ansible_collections.danang.mail.plugins.module_utils.report_model import (
    Chart,
    Period,
    Report,
    Section,
    Table,
)
from ansible_collections.danang.mail.plugins.module_utils.report_period import contains, period_text
from ansible_collections.danang.mail.plugins.module_utils.report_usage import system_name
from ansible_collections.danang.mail.plugins.module_utils.times import iso

OUTSIDE = "(ngoài sổ địa chỉ)"  # an account the ledger does not know
KINDS = ("r60", "r47")
NOTICE_KINDS = {
    "request-result": "Kết quả xử lý yêu cầu (R-22)",
    "password-warn": "Nhắc đổi mật khẩu (R-44)",
    "reclaim": "Thu hồi hộp thư (R-23)",
    "forward-removed": "Gỡ chuyển tiếp ra ngoài (R-50)",
    "r47": "Danh sách R-47 gửi Sở",
}


def today_of(inputs: Inputs) -> datetime.date:
    if inputs.as_of.tzinfo is None:
        raise ValueError("as_of must be an aware datetime")
    return inputs.as_of.astimezone(CITY_TIMEZONE).date()


def agency_map(inputs: Inputs) -> dict[str, str]:
    """Address -> the abbreviation of the agency holding it (ledger and desired state)."""
    person_agency = {p.id: p.agency for p in inputs.state.people()}
    found = {}
    for entry in inputs.ledger:
        if entry.kind == KIND_PERSON:
            found[entry.address] = person_agency.get(entry.id, "")
        elif entry.kind == "department":
            found[entry.address] = entry.agency or ""
        else:
            found[entry.address] = entry.id.partition("/")[2]
    return found


def _agencies(inputs: Inputs, found: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(abbreviation, name) of the desired state's agencies, then of any other agency ``found`` in the
    records (one no longer in the desired state), then the accounts the ledger does not know."""
    names = [(a.abbreviation, a.name) for a in inputs.state.agencies]
    known = {abbr for abbr, _name in names} | {OUTSIDE}
    names += [(abbr, "") for abbr in sorted(set(found) - known)]
    if OUTSIDE in found:
        names.append((OUTSIDE, "Tài khoản không có trong sổ địa chỉ"))
    return names


def accounts_section(inputs: Inputs, agency_of: Mapping[str, str]) -> tuple[Section, dict[str, int]]:
    systems = sorted(inputs.systems)
    counts: dict[tuple[str, str], int] = {}
    for system in systems:
        for address in inputs.systems[system].facts:
            key = (agency_of.get(address) or OUTSIDE, system)
            counts[key] = counts.get(key, 0) + 1
    names = _agencies(inputs, {agency for agency, _system in counts})
    rows = tuple(
        (
            abbr,
            name,
            *(counts.get((abbr, s), 0) for s in systems),
            sum(counts.get((abbr, s), 0) for s in systems),
        )
        for abbr, name in names
    )
    totals = {s: sum(v for (_agency, system), v in counts.items() if system == s) for s in systems}
    table = Table(
        "accounts",
        "Số tài khoản theo cơ quan và hệ thống",
        ("Cơ quan", "Tên cơ quan", *(system_name(s) for s in systems), "Tổng"),
        rows,
        "Mọi tài khoản (cá nhân, cơ quan, phòng ban) theo lần đọc của mỗi hệ thống.",
    )
    chart = Chart(
        "accounts-chart",
        "Số tài khoản theo cơ quan",
        tuple(abbr for abbr, _name in names),
        tuple(
            (system_name(s), tuple(float(counts.get((abbr, s), 0)) for abbr, _name in names)) for s in systems
        ),
        "Số tài khoản theo cơ quan: " + "; ".join(f"{row[0]} {row[-1]}" for row in rows),
        "accounts",
        y_label="Số tài khoản",
        stacked=True,
        horizontal=True,
    )
    summary = tuple(f"{system_name(s)}: {totals[s]} tài khoản." for s in systems)
    return Section("accounts", "Tài khoản", summary, (table,), (chart,)), {"accounts": sum(totals.values())}


def activity_section(
    inputs: Inputs, period: Period, agency_of: Mapping[str, str]
) -> tuple[Section, dict[str, int]]:
    """Created (ledger issued_on), changed and cancelled (request items done in the period),
    reclaimed (ledger reclaimed_on, reclaim notices) and purged (reclaim notices), per agency."""
    columns = ("created", "changed", "cancelled", "reclaimed", "purged")
    per: dict[str, dict[str, set[str]]] = {}

    def add(agency: str, what: str, item: str) -> None:
        per.setdefault(agency or OUTSIDE, {c: set() for c in columns})[what].add(item)

    for entry in inputs.ledger:
        if contains(period, entry.issued_on):
            add(agency_of.get(entry.address, ""), "created", entry.address)
        if entry.status == RECLAIMED and entry.reclaimed_on and contains(period, entry.reclaimed_on):
            add(agency_of.get(entry.address, ""), "reclaimed", entry.address)
    for notice in inputs.reclaim_notices:
        if notice.kind in ("reclaimed", "purged") and contains(period, notice.day):
            add(agency_of.get(notice.address, ""), notice.kind, notice.address)
    for record in inputs.records:
        if record.done_on is None or not contains(period, record.done_on):
            continue
        for index, item in enumerate(record.items):
            if item.action in ("change", "cancel"):
                add(
                    record.agency,
                    "changed" if item.action == "change" else "cancelled",
                    f"{record.id}#{index}",
                )
    names = _agencies(inputs, per)
    rows = tuple(
        (abbr, *(len(per.get(abbr, {}).get(c, ())) for c in columns)) for abbr, _name in names if abbr in per
    )
    totals = {c: sum(len(v[c]) for v in per.values()) for c in columns}
    table = Table(
        "activity",
        "Cấp mới, thay đổi, hủy, thu hồi trong kỳ",
        ("Cơ quan", "Cấp mới", "Thay đổi", "Hủy", "Thu hồi", "Xóa sau thu hồi"),
        rows,
        "Cấp mới: ngày cấp trong sổ địa chỉ; thay đổi, hủy: mục của yêu cầu hoàn thành trong kỳ; "
        "thu hồi, xóa: sổ địa chỉ và nhật ký reclaim-notices.yml.",
    )
    labels = ("Cấp mới", "Thay đổi", "Hủy", "Thu hồi")
    chart = Chart(
        "activity-chart",
        "Cấp mới, thay đổi, hủy, thu hồi trong kỳ",
        labels,
        (("Toàn thành phố", tuple(float(totals[c]) for c in columns[:4])),),
        "Trong kỳ: "
        + ", ".join(f"{label} {totals[c]}" for label, c in zip(labels, columns[:4], strict=True)),
        "activity",
        y_label="Số hộp thư",
    )
    summary = (
        f"Cấp mới {totals['created']}, thay đổi {totals['changed']}, hủy {totals['cancelled']}, "
        f"thu hồi {totals['reclaimed']}, xóa sau thu hồi {totals['purged']}.",
    )
    return Section("activity", "Biến động trong kỳ", summary, (table,), (chart,)), totals


def requests_section(inputs: Inputs, period: Period, today: datetime.date) -> tuple[Section, dict[str, int]]:
    """Requests received in the period, and how many met the 1-working-day rule (R-22)."""
    columns = ("received", "on_time", "late", "open", "overdue")
    per: dict[str, dict[str, int]] = {}
    for record in inputs.records:
        if not contains(period, record.received_on):
            continue
        counts = per.setdefault(record.agency, dict.fromkeys(columns, 0))
        counts["received"] += 1
        if record.done_on is not None:
            counts["on_time" if record.done_on <= record.due_on else "late"] += 1
        else:
            counts["overdue" if record.due_on < today else "open"] += 1
    rows = tuple((abbr, *per[abbr].values()) for abbr, _name in _agencies(inputs, per) if abbr in per)
    totals = {c: sum(v[c] for v in per.values()) for c in columns}
    table = Table(
        "requests",
        "Yêu cầu nhận trong kỳ và thời hạn 1 ngày làm việc",
        ("Cơ quan", "Nhận", "Đúng hạn", "Trễ hạn", "Đang xử lý", "Quá hạn chưa xong"),
        rows,
        "Đúng hạn: hoàn thành (done_on) không muộn hơn hạn (due_on), 1 ngày làm việc sau ngày nhận (R-22).",
    )
    labels = ("Đúng hạn", "Trễ hạn", "Đang xử lý", "Quá hạn chưa xong")
    chart = Chart(
        "requests-chart",
        "Yêu cầu theo cơ quan",
        tuple(row[0] for row in rows),
        tuple((label, tuple(float(row[i + 2]) for row in rows)) for i, label in enumerate(labels)),
        "Yêu cầu nhận trong kỳ: "
        + ", ".join(f"{label.lower()} {totals[c]}" for label, c in zip(labels, columns[1:], strict=True)),
        "requests",
        y_label="Số yêu cầu",
        stacked=True,
        horizontal=True,
    )
    share = report_usage.percent(totals["on_time"], totals["received"])
    summary = (f"{totals['received']} yêu cầu; {totals['on_time']} đúng hạn 1 ngày làm việc ({share:g} %).",)
    return Section("requests", "Yêu cầu (R-22)", summary, (table,), (chart,)), totals


def notifications_section(inputs: Inputs, period: Period) -> tuple[Section, int]:
    """Notifications sent in the period by kind: keys with a ``sent`` or ``found`` line, once each."""
    sent: dict[str, set[str]] = {}
    for line in inputs.notifications:
        if line.state in DELIVERED and contains(period, line.at.astimezone(CITY_TIMEZONE).date()):
            sent.setdefault(line.kind, set()).add(line.key)
    rows = tuple((kind, NOTICE_KINDS.get(kind, kind), len(keys)) for kind, keys in sorted(sent.items()))
    total = sum(row[2] for row in rows)
    table = Table(
        "notifications",
        "Thông báo đã gửi trong kỳ",
        ("Loại", "Nội dung", "Đã gửi"),
        rows,
        "Theo nhật ký notifications/ (mỗi tháng một tệp): mỗi thông báo một lần"
        " (đã gửi hoặc đã tìm thấy trong hộp thư nhận).",
    )
    chart = Chart(
        "notifications-chart",
        "Thông báo đã gửi theo loại",
        tuple(row[1] for row in rows),
        (("Đã gửi", tuple(float(row[2]) for row in rows)),),
        "Thông báo đã gửi: " + ", ".join(f"{row[1]} {row[2]}" for row in rows),
        "notifications",
        x_label="Số thông báo",
        horizontal=True,
    )
    return Section("notifications", "Thông báo", (f"{total} thông báo đã gửi.",), (table,), (chart,)), total


def _holders(inputs: Inputs) -> dict[str, password_policy.Holder]:
    holders = {e.id: e.address for e in inputs.ledger}
    names = {a.abbreviation: a.name for a in inputs.state.agencies}
    found: dict[str, password_policy.Holder] = {}
    for system in sorted(inputs.systems):
        accounts, _problems = desired_accounts(
            inputs.state, holders, system=system
        )  # pending ones: not counted
        found.update(password_policy.holders_of(accounts, names))
    return found


def r60(inputs: Inputs, period: Period) -> Report:
    today = today_of(inputs)
    agency_of = agency_map(inputs)
    persons = frozenset(e.address for e in inputs.ledger if e.kind == KIND_PERSON)
    accounts, n_accounts = accounts_section(inputs, agency_of)
    activity, changes = activity_section(inputs, period, agency_of)
    quota, quota_n = report_usage.quota_section(inputs, agency_of)
    idle, idle_n = report_usage.idle_section(inputs, agency_of, persons, today)
    findings = report_usage.password_findings(inputs, _holders(inputs))
    passwords, password_n = report_usage.password_section(inputs, findings)
    forwarding, forwarding_n = report_usage.forwarding_section(inputs, period, inputs.forwards_removed)
    requests, request_n = requests_section(inputs, period, today)
    notices, notices_n = notifications_section(inputs, period)
    headline: tuple[tuple[str, Any], ...] = (
        ("Tài khoản", n_accounts["accounts"]),
        ("Cấp mới trong kỳ", changes["created"]),
        ("Thu hồi trong kỳ", changes["reclaimed"]),
        ("Hộp thư gần đầy", quota_n["near_full"]),
        ("Hộp thư không sử dụng ≥ 3 tháng", idle_n["idle"]),
        ("Tài khoản trong danh sách R-47", password_n["r47"]),
        ("Chuyển tiếp ra ngoài đã gỡ", forwarding_n["forwards_removed"]),
        ("Yêu cầu nhận", request_n["received"]),
        ("Yêu cầu đúng hạn 1 ngày làm việc", request_n["on_time"]),
        ("Thông báo đã gửi", notices_n),
    )
    return Report(
        kind="r60",
        title=f"Báo cáo tình hình vận hành, sử dụng hệ thống thư điện tử — {period_text(period)}",
        as_of=iso(inputs.as_of, CITY_TIMEZONE) or "",
        headline=headline,
        sections=(
            accounts,
            activity,
            quota,
            idle,
            passwords,
            forwarding,
            report_usage.spam_section(inputs),
            requests,
            notices,
        ),
        period=period,
    )


def r47(inputs: Inputs) -> Report:
    """The list the centre sends the Department (R-47): mailboxes that kept an initial password past
    its 3 working days or a password for 6 months, with agency, reason and since when."""
    agency_of = agency_map(inputs)
    rows = report_usage.r47_rows(report_usage.password_findings(inputs, _holders(inputs)), agency_of)
    table = Table(
        "r47-list",
        "Danh sách hộp thư vi phạm quy định mật khẩu",
        ("Hộp thư", "Hệ thống", "Cơ quan", "Lý do", "Từ ngày"),
        tuple(rows),
        "Theo R-41: mật khẩu ban đầu không đổi sau 3 ngày làm việc, hoặc mật khẩu không đổi 6 tháng.",
    )
    per_agency: dict[str, int] = {}
    for row in rows:
        per_agency[row[2] or OUTSIDE] = per_agency.get(row[2] or OUTSIDE, 0) + 1
    by_agency = Table(
        "r47-agencies",
        "Số hộp thư theo cơ quan",
        ("Cơ quan", "Số hộp thư"),
        tuple(sorted(per_agency.items())),
    )
    chart = Chart(
        "r47-agencies-chart",
        "Số hộp thư vi phạm theo cơ quan",
        tuple(sorted(per_agency)),
        (("Hộp thư", tuple(float(per_agency[a]) for a in sorted(per_agency))),),
        "Số hộp thư vi phạm theo cơ quan: " + ", ".join(f"{a} {n}" for a, n in sorted(per_agency.items())),
        "r47-agencies",
        x_label="Số hộp thư",
        horizontal=True,
    )
    section = Section(
        "r47", "Danh sách R-47", (f"{len(rows)} hộp thư trong danh sách.",), (table, by_agency), (chart,)
    )
    return Report(
        kind="r47",
        title="Danh sách hộp thư không tuân thủ quy định mật khẩu (R-47)",
        as_of=iso(inputs.as_of, CITY_TIMEZONE) or "",
        headline=(("Hộp thư trong danh sách", len(rows)), ("Cơ quan có hộp thư vi phạm", len(per_agency))),
        sections=(section,),
    )
