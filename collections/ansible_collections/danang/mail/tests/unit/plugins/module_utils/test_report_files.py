"""A report's CSV and Markdown files (R-60, R-47): inert values, the same bytes for the same inputs,
atomic writes, symbolic links refused."""

from __future__ import annotations

import csv
import io
import os

import pytest
import report_city
from ansible_collections.danang.mail.plugins.module_utils import report_figures, report_files
from ansible_collections.danang.mail.plugins.module_utils.model import ValidationFailed
from ansible_collections.danang.mail.plugins.module_utils.report_model import Report, Section, Table
from ansible_collections.danang.mail.plugins.module_utils.report_period import parse_period

H2 = parse_period("2026H2")
HOSTILE = Table(
    "hostile",
    "Bảng | *thử* <b>",
    ("Hộp thư", "Ghi chú"),
    (('=HYPERLINK("http://x")', "a|b\nc <script>"), ("@SUM(A1)", None), ("-1", 2.5), ("big", 1234567.125)),
)


def r60() -> Report:
    return report_figures.r60(report_city.inputs(), H2)


def test_names_one_csv_per_table_and_a_markdown_summary():
    files = report_files.data_files(r60())
    assert sorted(files) == [
        "r60-2026H2-accounts.csv",
        "r60-2026H2-activity.csv",
        "r60-2026H2-forwarding-removed.csv",
        "r60-2026H2-forwarding.csv",
        "r60-2026H2-idle-mailboxes.csv",
        "r60-2026H2-idle-systems.csv",
        "r60-2026H2-notifications.csv",
        "r60-2026H2-passwords.csv",
        "r60-2026H2-quota-bins.csv",
        "r60-2026H2-quota-near-full.csv",
        "r60-2026H2-requests.csv",
        "r60-2026H2-spam.csv",
        "r60-2026H2.md",
    ]
    assert report_files.stem(report_figures.r47(report_city.inputs())) == "r47-2026-12-31"


def test_a_csv_reads_back_as_the_table():
    files = report_files.data_files(r60())
    rows = list(csv.reader(io.StringIO(files["r60-2026H2-quota-near-full.csv"].decode("utf-8"))))
    assert rows == [
        ["Hộp thư", "Hệ thống", "Cơ quan", "Đã dùng (MB)", "Hạn mức (MB)", "Tỷ lệ (%)"],
        ["oanhtt@danang.gov.vn", "OBM", "stttt", "1200", "1000", "120"],
        ["cntt@danang.gov.vn", "OBM", "stttt", "950", "1000", "95"],
        ["dungnv@danang.gov.vn", "Exchange", "stttt", "1900", "2000", "95"],
    ]


def test_hostile_values_stay_inert():
    rows = list(csv.reader(io.StringIO(report_files.csv_text(HOSTILE))))
    assert rows[1:] == [
        ['\'=HYPERLINK("http://x")', "a|b\nc <script>"],
        ["'@SUM(A1)", ""],
        ["'-1", "2.5"],
        ["big", "1234567.12"],
    ]
    report = Report("r47", "T", "2026-12-31T17:00:00+07:00", (), (Section("s", "S", (), (HOSTILE,)),))
    text = report_files.markdown_text(report)
    assert "<script>" not in text and "<b>" not in text and "&lt;script&gt;" in text
    table_lines = [line for line in text.splitlines() if line.startswith("| ")]
    assert all(line.count(" | ") == 1 for line in table_lines[2:])  # "|" in a value never splits a cell


def test_markdown_summary_of_the_seeded_city():
    text = report_files.data_files(r60())["r60-2026H2.md"].decode("utf-8")
    assert text.startswith(
        "# Báo cáo tình hình vận hành, sử dụng hệ thống thư điện tử — 6 tháng cuối năm 2026\n"
    )
    assert "- Kỳ báo cáo: 2026H2 (2026\\-07\\-01 đến 2026\\-12\\-31)" not in text  # dates are not escaped
    assert "- Kỳ báo cáo: 2026H2 (2026-07-01 đến 2026-12-31)" in text
    assert "- Hạn gửi Trung tâm: 2027-01-10; hạn gửi Sở: 2027-01-20" in text
    assert "- Số liệu tính đến: 2026-12-31T17:00:00+07:00" in text
    assert "| Yêu cầu đúng hạn 1 ngày làm việc | 1 |" in text
    assert "| oanhtt@danang.gov.vn | OBM | stttt | 1200 | 1000 | 120 |" in text


def test_same_inputs_same_bytes():
    assert report_files.data_files(r60()) == report_files.data_files(r60())


def test_writes_only_what_differs_and_says_so(tmp_path):
    files = report_files.data_files(r60())
    assert report_files.write(str(tmp_path), files) == sorted(files)
    assert (tmp_path / "r60-2026H2.md").read_bytes() == files["r60-2026H2.md"]
    assert oct(os.stat(tmp_path / "r60-2026H2.md").st_mode & 0o777) == "0o640"
    assert report_files.changed(str(tmp_path), files) == []
    assert report_files.write(str(tmp_path), files) == []
    assert sorted(os.listdir(tmp_path)) == sorted(files)  # no temporary file left


def test_a_symlinked_target_is_refused_before_anything_is_written(tmp_path):
    files = report_files.data_files(r60())
    victim = tmp_path / "victim"
    victim.write_text("keep")
    out = tmp_path / "out"
    out.mkdir()
    (out / "r60-2026H2-spam.csv").symlink_to(victim)
    with pytest.raises(ValidationFailed, match="symbolic link"):
        report_files.write(str(out), files)
    assert victim.read_text() == "keep"
    assert os.listdir(out) == ["r60-2026H2-spam.csv"]


def test_a_symlinked_or_missing_directory_is_refused(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    for directory in (tmp_path / "link", tmp_path / "missing"):
        with pytest.raises(ValidationFailed, match="output directory"):
            report_files.changed(str(directory), {"a.md": b""})
