"""The R-60 report and the R-47 list of a seeded city (report_city.py): every figure checked
against the hand count written next to it, and the same inputs give the same report."""

from __future__ import annotations

import dataclasses
import datetime

import pytest
import report_city
from ansible_collections.danang.mail.plugins.module_utils import report_figures
from ansible_collections.danang.mail.plugins.module_utils.model import CITY_TIMEZONE
from ansible_collections.danang.mail.plugins.module_utils.report_model import Report, Table
from ansible_collections.danang.mail.plugins.module_utils.report_period import parse_period

H2 = parse_period("2026H2")


@pytest.fixture(scope="module")
def report() -> Report:
    return report_figures.r60(report_city.inputs(), H2)


def table(report: Report, table_id: str) -> Table:
    return next(t for s in report.sections for t in s.tables if t.id == table_id)


def test_headline(report):
    assert report.kind == "r60" and report.period == H2
    assert report.as_of == "2026-12-31T17:00:00+07:00"
    assert report.title.endswith("6 tháng cuối năm 2026")
    assert dict(report.headline) == {
        "Tài khoản": 8,  # OBM 6 (chanthurac@ too), Exchange 2
        "Cấp mới trong kỳ": 3,  # cntt@ 1/8, oanhtt@ 15/7, anlv@ 1/9
        "Thu hồi trong kỳ": 1,  # binhpt@ 1/10 (ledger and notice: once)
        "Hộp thư gần đầy": 3,
        "Hộp thư không sử dụng ≥ 3 tháng": 1,
        "Tài khoản trong danh sách R-47": 2,
        "Chuyển tiếp ra ngoài đã gỡ": 2,
        "Yêu cầu nhận": 4,
        "Yêu cầu đúng hạn 1 ngày làm việc": 1,
        "Thông báo đã gửi": 4,
    }


def test_accounts_per_agency_and_system(report):
    accounts = table(report, "accounts")
    assert accounts.columns == ("Cơ quan", "Tên cơ quan", "Exchange", "OBM", "Tổng")
    assert accounts.rows == (
        ("snv", "Sở Nội vụ", 1, 1, 2),
        ("stttt", "Sở Thông tin và Truyền thông", 1, 4, 5),
        (report_figures.OUTSIDE, "Tài khoản không có trong sổ địa chỉ", 0, 1, 1),  # chanthurac@
    )
    chart = report.sections[0].charts[0]
    assert chart.table == "accounts" and chart.series == (
        ("Exchange", (1.0, 1.0, 0.0)),
        ("OBM", (1.0, 4.0, 1.0)),
    )


def test_created_changed_cancelled_reclaimed_in_the_period(report):
    # Changed: the 6/29 request done on 7/1 (received before the period, done in it) and 7/6's.
    # Purged: cuong@, not in the ledger. dungnv@'s reclaim of May is before the period.
    assert table(report, "activity").rows == (
        ("snv", 1, 0, 1, 1, 0),
        ("stttt", 2, 2, 0, 0, 0),
        (report_figures.OUTSIDE, 0, 0, 0, 0, 1),
    )


def test_quota_distribution_and_near_full(report):
    assert table(report, "quota-bins").rows == (
        ("< 50 %", 1, 2),  # Exchange binhpt@; OBM stttt@, chanthurac@
        ("50-75 %", 0, 1),  # dungnv@ at exactly 50 %
        ("75-90 %", 0, 0),
        ("90-100 %", 1, 1),
        ("≥ 100 %", 0, 1),
        ("Không rõ", 0, 1),  # anlv@ has no quota
    )
    assert table(report, "quota-near-full").rows == (
        ("oanhtt@danang.gov.vn", "OBM", "stttt", 1200, 1000, 120.0),
        ("cntt@danang.gov.vn", "OBM", "stttt", 950, 1000, 95.0),
        ("dungnv@danang.gov.vn", "Exchange", "stttt", 1900, 2000, 95.0),
    )


def test_idle_mailboxes_on_the_city_clock(report):
    # Exchange dungnv@: last used 30/9 18:00 UTC = 1/10 in Da Nang, due 1/1: not idle on 31/12.
    assert table(report, "idle-systems").rows == (("Exchange", 2, 0, 0, 1), ("OBM", 3, 1, 1, 0))
    assert table(report, "idle-mailboxes").rows == (
        ("oanhtt@danang.gov.vn", "OBM", "stttt", "2026-07-15", "2026-10-15"),
    )


def test_password_compliance(report):
    # OBM: dungnv@ fine, oanhtt@ initial password since 15/7, anlv@ 3 months; Exchange: dungnv@ 6
    # months and locked, ghost@ no change time, binhpt@ disabled (not counted).
    assert table(report, "passwords").rows == (
        ("Exchange", 2, 0, 0, 1, 0, 1, 1),
        ("OBM", 3, 1, 1, 0, 1, 0, 0),
    )


def test_forwarding_findings(report):
    assert table(report, "forwarding").rows == (("Exchange", 1, 1, 0, 0, 0, 1), ("OBM", 4, 1, 1, 1, 1, 1))
    assert table(report, "forwarding-removed").rows == (
        ("mailbox forwarding (ForwardingSmtpAddress)", 1),
        ("Sieve redirect (OBM forwarding)", 1),
    )


def test_spam_figures_where_available(report):
    rows = table(report, "spam").rows
    assert rows[0] == ("Exchange", "Không có số liệu", None)
    assert dict((r[1], r[2]) for r in rows[1:]) == {
        "Thư đã quét": 1200,
        "Hành động: reject": 30,
        "Hành động: soft reject": None,
        "Hành động: rewrite subject": None,
        "Hành động: add header": 50,
        "Hành động: greylist": 20,
        "Hành động: no action": 1100,
        "Thư đã học là thư rác/thư thường": 7,
    }


def test_requests_and_the_one_working_day_rule(report):
    # stttt: 7/6 on time, 12/18 overdue (due 21/12), 12/30 still open (due today); snv: 9/1 late.
    assert table(report, "requests").rows == (("snv", 1, 0, 1, 0, 0), ("stttt", 3, 1, 0, 1, 1))
    assert "(25 %)" in report.sections[7].summary[0]


def test_notifications_sent_once_per_key(report):
    # k1 sending+sent: once; k3 only sending: not sent; k4 30/6 17:30 UTC = 1/7 in Da Nang; k6 in 2027.
    assert table(report, "notifications").rows == (
        ("password-warn", "Nhắc đổi mật khẩu (R-44)", 1),
        ("reclaim", "Thu hồi hộp thư (R-23)", 1),
        ("request-result", "Kết quả xử lý yêu cầu (R-22)", 2),
    )


def test_every_chart_names_a_table_of_its_section_and_has_a_text_alternative(report):
    for section in report.sections:
        ids = {t.id for t in section.tables}
        for chart in section.charts:
            assert chart.table in ids and chart.alt
            assert all(len(values) == len(chart.categories) for _label, values in chart.series)


def test_the_r47_list():
    r47 = report_figures.r47(report_city.inputs())
    assert r47.kind == "r47" and r47.period is None
    assert r47.sections[0].tables[0].rows == (
        ("dungnv@danang.gov.vn", "Exchange", "stttt", "Không đổi mật khẩu 6 tháng (R-41)", "2026-12-01"),
        (
            "oanhtt@danang.gov.vn",
            "OBM",
            "stttt",
            "Chưa đổi mật khẩu ban đầu sau 3 ngày làm việc (R-41)",
            "2026-07-21",
        ),
    )
    assert dict(r47.headline) == {"Hộp thư trong danh sách": 2, "Cơ quan có hộp thư vi phạm": 1}


def test_same_inputs_same_report(report):
    assert report_figures.r60(report_city.inputs(), H2) == report


def test_the_as_of_zone_does_not_change_the_figures(report):
    # The same instant given in UTC: the city's date is still 31/12.
    utc = report_city.AS_OF.astimezone(datetime.UTC)
    assert report_figures.r60(report_city.inputs(utc), H2) == report


def test_a_naive_as_of_is_refused():
    naive = dataclasses.replace(report_city.inputs(), as_of=datetime.datetime(2026, 12, 31, 17))
    with pytest.raises(ValueError, match="aware"):
        report_figures.r60(naive, H2)


def test_a_later_as_of_makes_the_open_request_overdue():
    later = report_city.inputs(datetime.datetime(2027, 1, 4, 9, tzinfo=CITY_TIMEZONE))
    assert table(report_figures.r60(later, H2), "requests").rows[1] == ("stttt", 3, 1, 0, 0, 2)


def test_an_agency_gone_from_the_desired_state_keeps_its_row():
    gone = dataclasses.replace(report_city.STATE, agencies=report_city.STATE.agencies[1:])  # no snv
    activity = table(
        report_figures.r60(dataclasses.replace(report_city.inputs(), state=gone), H2), "activity"
    )
    # snv's request keeps its row (cancelled 1); its people are no longer known: outside the ledger's.
    assert activity.rows == (
        ("stttt", 2, 2, 0, 0, 0),
        ("snv", 0, 0, 1, 0, 0),
        (report_figures.OUTSIDE, 1, 0, 0, 1, 1),
    )
