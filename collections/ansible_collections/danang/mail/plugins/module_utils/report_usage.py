# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The R-60 sections on how the mailboxes are used, from one bulk read of each system: quota use
(distribution and near-full mailboxes), idle mailboxes (R-23), password compliance (R-41, R-47),
forwarding (R-50) and the spam filter's figures. Pure: ``report_figures`` passes everything in."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils import password_policy, reclaim
from ansible_collections.danang.mail.plugins.module_utils.forwarding import MECHANISMS, judge
from ansible_collections.danang.mail.plugins.module_utils.model import CITY_TIMEZONE
from ansible_collections.danang.mail.plugins.module_utils.report_inputs import Inputs, Recorded
from ansible_collections.danang.mail.plugins.module_utils.report_model import Chart, Period, Section, Table
from ansible_collections.danang.mail.plugins.module_utils.times import iso

SYSTEM_NAMES = {"obm": "OBM", "exchange": "Exchange"}
NEAR_FULL = 90.0  # per cent of the quota: a near-full mailbox
# Quota use bins, in per cent of the quota: (label, lower bound inclusive, upper bound exclusive).
BINS = (
    ("< 50 %", 0.0, 50.0),
    ("50-75 %", 50.0, 75.0),
    ("75-90 %", 75.0, 90.0),
    ("90-100 %", 90.0, 100.0),
    ("≥ 100 %", 100.0, float("inf")),
)
UNKNOWN_USE = "Không rõ"  # no quota (0 or none) or no size read
REASONS_VI = {
    password_policy.INITIAL_UNCHANGED: "Chưa đổi mật khẩu ban đầu sau 3 ngày làm việc (R-41)",
    password_policy.UNCHANGED_6_MONTHS: "Không đổi mật khẩu 6 tháng (R-41)",
    password_policy.UNCHANGED_3_MONTHS: "Không đổi mật khẩu 3 tháng (R-44)",
    password_policy.NO_CHANGE_TIME: "Hệ thống không ghi thời điểm đổi mật khẩu",
}
# rspamd's /stat counters shown, in this order (its action names).
SPAM_ACTIONS = ("reject", "soft reject", "rewrite subject", "add header", "greylist", "no action")


def system_name(system: str) -> str:
    return SYSTEM_NAMES.get(system, system)


def percent(part: float, whole: float) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def use_bin(used: Optional[float], quota: Optional[float]) -> str:
    if used is None or not quota:
        return UNKNOWN_USE
    share = 100.0 * used / quota
    return next(label for label, low, high in BINS if low <= share < high)


def quota_section(inputs: Inputs, agency_of: Mapping[str, str]) -> tuple[Section, dict[str, int]]:
    systems = sorted(inputs.systems)
    labels = [label for label, _low, _high in BINS] + [UNKNOWN_USE]
    counts = {s: dict.fromkeys(labels, 0) for s in systems}
    near: list[tuple[Any, ...]] = []
    for system in systems:
        for address in sorted(inputs.systems[system].facts):
            facts = inputs.systems[system].facts[address]
            if not facts.mailbox:
                continue
            counts[system][use_bin(facts.used_mb, facts.quota_mb)] += 1
            if (
                facts.used_mb is not None
                and facts.quota_mb
                and percent(facts.used_mb, facts.quota_mb) >= NEAR_FULL
            ):
                share = percent(facts.used_mb, facts.quota_mb)
                near.append(
                    (
                        address,
                        system_name(system),
                        agency_of.get(address, ""),
                        facts.used_mb,
                        facts.quota_mb,
                        share,
                    )
                )
    near.sort(key=lambda row: (-row[5], row[0], row[1]))
    bins = Table(
        "quota-bins",
        "Phân bố mức sử dụng hạn mức",
        ("Mức sử dụng", *(system_name(s) for s in systems)),
        tuple((label, *(counts[s][label] for s in systems)) for label in labels),
        "Dung lượng đã dùng chia cho hạn mức của từng hộp thư, theo lần đọc của mỗi hệ thống.",
    )
    full = Table(
        "quota-near-full",
        f"Hộp thư gần đầy (≥ {NEAR_FULL:.0f} %)",
        ("Hộp thư", "Hệ thống", "Cơ quan", "Đã dùng (MB)", "Hạn mức (MB)", "Tỷ lệ (%)"),
        tuple(near),
    )
    chart = Chart(
        "quota-bins-chart",
        "Phân bố mức sử dụng hạn mức",
        tuple(labels),
        tuple((system_name(s), tuple(float(counts[s][label]) for label in labels)) for s in systems),
        "Số hộp thư theo mức sử dụng hạn mức, theo hệ thống: "
        + "; ".join(
            f"{system_name(s)} " + ", ".join(f"{k}: {v}" for k, v in counts[s].items()) for s in systems
        ),
        "quota-bins",
        x_label="Mức sử dụng",
        y_label="Số hộp thư",
    )
    summary = (f"{len(near)} hộp thư đã dùng từ {NEAR_FULL:.0f} % hạn mức trở lên.",)
    return Section("quota", "Dung lượng hộp thư", summary, (bins, full), (chart,)), {"near_full": len(near)}


def idle_section(
    inputs: Inputs, agency_of: Mapping[str, str], persons: frozenset[str], today: datetime.date
) -> tuple[Section, dict[str, int]]:
    """Personal mailboxes not used for ``idle_months`` since created or last accessed (R-23)."""
    policy = reclaim.Policy(idle_months=inputs.idle_months)
    rows: list[tuple[Any, ...]] = []
    per_system: list[tuple[Any, ...]] = []
    total = 0
    for system in sorted(inputs.systems):
        counted = idle = unknown = reclaimed = 0
        for address in sorted(inputs.systems[system].facts):
            facts = inputs.systems[system].facts[address]
            if address not in persons:
                continue
            counted += 1
            if facts.reclaimed:
                reclaimed += 1
                continue
            if not facts.enabled:
                continue
            use = reclaim.Use(reclaim.parse_moment(facts.created), reclaim.parse_moment(facts.last_access))
            since, due = reclaim.system_due(use, policy)
            if due is None:
                unknown += 1
            elif due <= today:
                idle += 1
                rows.append(
                    (
                        address,
                        system_name(system),
                        agency_of.get(address, ""),
                        since.isoformat(),
                        due.isoformat(),
                    )
                )
        total += idle
        per_system.append((system_name(system), counted, idle, unknown, reclaimed))
    summary_table = Table(
        "idle-systems",
        "Hộp thư cá nhân không sử dụng",
        (
            "Hệ thống",
            "Hộp thư cá nhân",
            f"Không dùng ≥ {inputs.idle_months} tháng",
            "Không rõ ngày tạo",
            "Đã thu hồi",
        ),
        tuple(per_system),
        f"Không đăng nhập, không truy cập {inputs.idle_months} tháng kể từ khi tạo hoặc lần dùng cuối "
        f"(R-23), tính đến ngày {today.isoformat()}.",
    )
    listing = Table(
        "idle-mailboxes",
        "Danh sách hộp thư không sử dụng",
        ("Hộp thư", "Hệ thống", "Cơ quan", "Tạo hoặc dùng lần cuối", "Đến hạn thu hồi"),
        tuple(rows),
    )
    summary = (f"{total} hộp thư cá nhân không được sử dụng từ {inputs.idle_months} tháng trở lên (R-23).",)
    return Section("idle", "Hộp thư không sử dụng (R-23)", summary, (summary_table, listing)), {"idle": total}


def password_findings(inputs: Inputs, holders: Mapping[str, password_policy.Holder]) -> dict[str, list[Any]]:
    """Per system, the findings of the password rules at the as-of time (``password_policy.evaluate``)."""
    return {
        system: password_policy.evaluate(
            inputs.systems[system].password_facts, now=inputs.as_of, calendar=inputs.calendar, holders=holders
        )
        for system in sorted(inputs.systems)
    }


def r47_rows(findings: Mapping[str, Sequence[Any]], agency_of: Mapping[str, str]) -> list[tuple[Any, ...]]:
    """The R-47 list: mailbox, system, agency, reason, since when; by address then system."""
    rows = [
        (
            f.address,
            system_name(f.system),
            agency_of.get(f.address, ""),
            REASONS_VI[f.reason],
            f.due.isoformat(),
        )
        for found in findings.values()
        for f in found
        if password_policy.in_report(f.action, f.reason)
    ]
    return sorted(rows)


def password_section(inputs: Inputs, findings: Mapping[str, Sequence[Any]]) -> tuple[Section, dict[str, int]]:
    reasons = (
        password_policy.INITIAL_UNCHANGED,
        password_policy.UNCHANGED_6_MONTHS,
        password_policy.UNCHANGED_3_MONTHS,
    )
    rows = []
    series: list[tuple[str, tuple[float, ...]]] = []
    listed = 0
    for system in sorted(inputs.systems):
        enabled = sum(1 for f in inputs.systems[system].password_facts.values() if f.enabled)
        broke = {r: sum(1 for f in findings[system] if f.reason == r) for r in reasons}
        unknown = sum(1 for f in findings[system] if f.reason == password_policy.NO_CHANGE_TIME)
        locked = sum(1 for f in findings[system] if f.facts.locked)
        compliant = enabled - sum(1 for f in findings[system] if f.reason is not None)
        listed += sum(1 for f in findings[system] if password_policy.in_report(f.action, f.reason))
        rows.append((system_name(system), enabled, compliant, *broke.values(), unknown, locked))
        series.append((system_name(system), tuple(float(v) for v in (compliant, *broke.values(), unknown))))
    table = Table(
        "passwords",
        "Tuân thủ quy định mật khẩu",
        (
            "Hệ thống",
            "Tài khoản đang bật",
            "Đúng quy định",
            *(REASONS_VI[r] for r in reasons),
            REASONS_VI[password_policy.NO_CHANGE_TIME],
            "Đang bị khóa",
        ),
        tuple(rows),
        f"Theo các quy tắc R-41, R-44 tại thời điểm {iso(inputs.as_of, CITY_TIMEZONE)}.",
    )
    categories = (
        "Đúng quy định",
        *(REASONS_VI[r] for r in reasons),
        REASONS_VI[password_policy.NO_CHANGE_TIME],
    )
    chart = Chart(
        "passwords-chart",
        "Tuân thủ quy định mật khẩu",
        categories,
        tuple(series),
        "Số tài khoản theo tình trạng mật khẩu: "
        + "; ".join(
            f"{label} " + ", ".join(f"{c}: {v:g}" for c, v in zip(categories, values, strict=True))
            for label, values in series
        ),
        "passwords",
        y_label="Số tài khoản",
        horizontal=True,
    )
    summary = (f"{listed} tài khoản thuộc danh sách báo cáo Sở theo R-47.",)
    return Section("passwords", "Mật khẩu (R-41, R-47)", summary, (table,), (chart,)), {"r47": listed}


def forwarding_section(
    inputs: Inputs, period: Period, removed: Sequence[Recorded]
) -> tuple[Section, dict[str, int]]:
    in_period = [r for r in removed if period.first <= r.day <= period.last]
    rows = []
    outside_on = 0
    for system in sorted(inputs.systems):
        found = judge(inputs.systems[system].forwards, inputs.city_domains)
        active = sum(1 for f in found if f.remove)
        outside_on += active
        rows.append(
            (
                system_name(system),
                len(found),
                sum(1 for f in found if not f.outside and not f.unknown),
                active,
                sum(1 for f in found if f.outside and not f.forward.enabled),
                sum(1 for f in found if f.unknown),
                sum(1 for r in in_period if r.kind == system),
            )
        )
    table = Table(
        "forwarding",
        "Chuyển tiếp thư (R-50)",
        (
            "Hệ thống",
            "Chuyển tiếp hiện có",
            "Trong thành phố",
            "Ra ngoài, đang bật",
            "Ra ngoài, đã tắt",
            "Không đọc được",
            "Đã gỡ trong kỳ",
        ),
        tuple(rows),
        "Hiện có: theo lần đọc của mỗi hệ thống; đã gỡ: theo nhật ký forwards-removed.yml trong kỳ.",
    )
    mechanisms: dict[str, int] = {}
    for record in in_period:
        mechanisms[record.detail] = mechanisms.get(record.detail, 0) + 1
    by_how = Table(
        "forwarding-removed",
        "Chuyển tiếp ra ngoài đã gỡ trong kỳ, theo cách đặt",
        ("Cách đặt", "Số đã gỡ"),
        tuple((MECHANISMS.get(m, m), n) for m, n in sorted(mechanisms.items())),
    )
    summary = (
        f"{len(in_period)} chuyển tiếp ra ngoài thành phố đã được gỡ trong kỳ; "
        f"{outside_on} đang bật khi đọc.",
    )
    return Section("forwarding", "Chuyển tiếp thư ra ngoài (R-50)", summary, (table, by_how)), {
        "forwards_removed": len(in_period)
    }


def spam_section(inputs: Inputs) -> Section:
    rows: list[tuple[Any, ...]] = []
    for system in sorted(inputs.systems):
        stat = inputs.systems[system].spam
        if stat is None:
            rows.append((system_name(system), "Không có số liệu", None))
            continue
        actions = stat.get("actions") if isinstance(stat.get("actions"), dict) else {}
        rows.append((system_name(system), "Thư đã quét", _count(stat.get("scanned"))))
        rows += [(system_name(system), f"Hành động: {a}", _count(actions.get(a))) for a in SPAM_ACTIONS]
        rows.append((system_name(system), "Thư đã học là thư rác/thư thường", _count(stat.get("learned"))))
    table = Table(
        "spam",
        "Lọc thư rác, virus",
        ("Hệ thống", "Chỉ số", "Giá trị"),
        tuple(rows),
        "OBM: bộ đếm của rspamd (/stat) từ lần khởi động gần nhất, không theo kỳ; thư nhiễm virus (ClamAV) "
        "nằm trong số bị từ chối (reject). Exchange: không có số liệu.",
    )
    return Section("spam", "Thư rác và virus", (), (table,))


def _count(value: Any) -> Optional[int]:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
