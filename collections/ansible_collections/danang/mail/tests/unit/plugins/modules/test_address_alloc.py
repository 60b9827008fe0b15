# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""danang.mail.address_alloc run in-process, as ansible-core's own module unit tests do."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import textwrap
from hashlib import sha256
from pathlib import Path

import pytest
import time_machine
from ansible.module_utils.testing import patch_module_args
from ansible_collections.danang.mail.plugins.module_utils.ledger import (
    Ledger,
    appended_text,
    load_ledger,
    rewritten_text,
)
from ansible_collections.danang.mail.plugins.modules import address_alloc

DUNG, NGO_DUNG = "Nguyễn Văn Dũng", "Ngô Văn Dũng"
TCVN3_DUNG = "NguyÔn V¨n Dòng"  # "Nguyễn Văn Dũng" in TCVN3 bytes read as cp1252
# Issue date of the runs below: 2026-11-29 in Da Nang, still the 28th in UTC (the module has no date
# option; the clock is pinned).
TODAY = datetime.datetime(2026, 11, 28, 20, 0, tzinfo=datetime.UTC).timestamp()
COLLECTIONS = Path(address_alloc.__file__).resolve().parents[5]  # …/collections (ansible_collections' parent)


def person(holder: str, name: str = DUNG, on: str = "2026-11-20", **extra) -> dict:
    return {"id": holder, "full_name": name, "requested_on": on, **extra}


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    return tmp_path / "ledger.yml"


@pytest.fixture
def module(capsys):
    """Run the module with ``args``; return its JSON result with the exit code as ``rc``."""

    def run(args: dict, check_mode: bool = False, diff: bool = False, at: float = TODAY) -> dict:
        args = {**args, "_ansible_check_mode": check_mode, "_ansible_diff": diff}
        if "ledger_reseal" not in args:  # these tests start their ledger; refusals are tested below
            args.setdefault("ledger_new", not os.path.lexists(args["ledger"]))
        with patch_module_args(args), pytest.raises(SystemExit) as exc, time_machine.travel(at, tick=False):
            address_alloc.main()
        result = json.loads(capsys.readouterr().out)
        result["rc"] = exc.value.code
        return result

    return run


def test_allocates_writes_ledger_and_returns_addresses(module, ledger):
    result = module(
        {
            "ledger": str(ledger),
            "requests": [
                person("CB-1"),
                person("CB-2", NGO_DUNG, rank=2),  # same day, higher rank: plain form
                {"id": "agency/stttt", "kind": "agency", "abbreviation": "stttt"},
                {
                    "id": "department/stttt/thanhtra",
                    "kind": "department",
                    "abbreviation": "thanhtra",
                    "agency": "stttt",
                },
            ],
        }
    )
    assert result["rc"] == 0, result
    assert result["changed"] is True
    assert result["addresses"] == {
        "CB-1": "dungnv1@danang.gov.vn",
        "CB-2": "dungnv@danang.gov.vn",
        "agency/stttt": "stttt@danang.gov.vn",
        "department/stttt/thanhtra": "thanhtra@danang.gov.vn",
    }
    assert [a["id"] for a in result["allocated"]] == [
        "agency/stttt",
        "department/stttt/thanhtra",
        "CB-2",
        "CB-1",
    ]
    lines = ledger.read_text(encoding="utf-8").splitlines()
    assert lines[-1].startswith("# seal: 4 entries, sha256 ")
    assert (
        lines[-2]
        == "  dungnv1@danang.gov.vn: {kind: person, id: CB-1, issued_on: 2026-11-29, status: active}"
    )
    assert lines[-4].startswith("  thanhtra@danang.gov.vn: {kind: department, id: department/stttt/thanhtra,")


def test_second_run_changes_nothing_and_leaves_ledger_untouched(module, ledger):
    args = {"ledger": str(ledger), "requests": [person("CB-1")]}
    assert module(args)["changed"] is True
    os.utime(ledger, (1_000_000, 1_000_000))
    before = os.stat(ledger)
    args["requests"] = [person("CB-1", "Nguyễn Thị Lan", on="2026-12-01", rank=5)]  # renamed: same address
    result = module(args, diff=True)
    assert result["changed"] is False
    assert result["allocated"] == []
    assert result["addresses"] == {"CB-1": "dungnv@danang.gov.vn"}
    assert "diff" not in result
    after = os.stat(ledger)
    assert (after.st_ino, after.st_mtime) == (before.st_ino, before.st_mtime)


def test_check_mode_writes_nothing_and_predicts(module, ledger, tmp_path):
    result = module({"ledger": str(ledger), "requests": [person("CB-1")]}, check_mode=True, diff=True)
    assert result["rc"] == 0
    assert result["changed"] is True
    assert result["allocated"] == [{"id": "CB-1", "address": "dungnv@danang.gov.vn"}]
    assert os.listdir(tmp_path) == []  # no ledger, no lock file
    line = "  dungnv@danang.gov.vn: {kind: person, id: CB-1, issued_on: 2026-11-29, status: active}\n"
    assert result["diff"]["before"] == ""
    assert result["diff"]["after"].startswith("---\n# The address ledger")
    assert "addresses:\n" + line + "# seal: 1 entries, sha256 " in result["diff"]["after"]


def test_check_mode_on_existing_ledger_keeps_it_byte_for_byte(module, ledger):
    module({"ledger": str(ledger), "requests": [person("CB-1")]})
    text = ledger.read_bytes()
    result = module({"ledger": str(ledger), "requests": [person("CB-1"), person("CB-2")]}, check_mode=True)
    assert result["changed"] is True
    assert result["addresses"]["CB-2"] == "dungnv1@danang.gov.vn"
    assert ledger.read_bytes() == text


def test_diff_is_the_appended_lines_and_the_seal_they_replace(module, ledger):
    module({"ledger": str(ledger), "requests": [person("CB-1")]})
    old = ledger.read_text(encoding="utf-8")
    old_seal = old.splitlines(keepends=True)[-1]
    result = module({"ledger": str(ledger), "requests": [person("CB-1"), person("CB-2")]}, diff=True)
    line = "  dungnv1@danang.gov.vn: {kind: person, id: CB-2, issued_on: 2026-11-29, status: active}\n"
    assert old_seal.startswith("# seal: 1 entries, sha256 ")
    assert result["diff"]["before"] == old_seal
    assert result["diff"]["after"].startswith(line + "# seal: 2 entries, sha256 ")
    # appended, never reordered; the seal line moves to the end
    assert ledger.read_text(encoding="utf-8") == old.removesuffix(old_seal) + result["diff"]["after"]


def test_invalid_request_refuses_everything_and_lists_every_problem(module, ledger):
    module({"ledger": str(ledger), "requests": [person("CB-1")]})
    text = ledger.read_bytes()
    result = module(
        {
            "ledger": str(ledger),
            "requests": [
                person("CB-2"),
                person("CB-3", on="20/11/2026"),
                {"id": "CB-4", "full_name": DUNG},
                {"id": "CQ-1", "kind": "agency", "abbreviation": "postmaster"},
            ],
        }
    )
    assert result["failed"] is True
    assert result["msg"].startswith("3 problem(s): nothing was allocated and the ledger is unchanged.")
    problems = result["problems"]
    assert len(problems) == 3
    assert any(p.startswith("requests: requests[1] (id CB-3): requested_on:") for p in problems)
    assert any(p.startswith("requests: requests[2] (id CB-4): requested_on: required") for p in problems)
    assert any("postmaster@danang.gov.vn is reserved" in p for p in problems)
    assert ledger.read_bytes() == text


def test_legacy_import_message_counts_names_and_encoding(module, ledger):
    requests = [person("CB-1"), person("CB-2", TCVN3_DUNG), person("CB-3", TCVN3_DUNG)]
    result = module({"ledger": str(ledger), "requests": requests})
    assert result["failed"] is True
    assert "2 of 3 names look like legacy-encoded text (2 look like TCVN3)" in result["msg"]
    assert not ledger.exists()


def test_duplicate_ledger_key_is_refused_naming_file_and_key(module, ledger):
    entry = "  dungnv@danang.gov.vn: {kind: person, id: CB-1, issued_on: 2026-11-29, status: active}\n"
    seal = "# seal: 2 entries, sha256 " + "0" * 64 + "\n"
    ledger.write_text("addresses:\n" + entry + entry.replace("CB-1", "CB-9") + seal, encoding="utf-8")
    result = module({"ledger": str(ledger), "requests": [person("CB-2")]})
    assert result["failed"] is True
    assert any(
        str(ledger) in p and "dungnv@danang.gov.vn" in p and "duplicate key" in p for p in result["problems"]
    )


def test_argument_spec_checks_and_no_date_option(module, ledger):
    assert "id" in module({"ledger": str(ledger), "requests": [{"full_name": DUNG}]})["msg"]
    assert "kind" in module({"ledger": str(ledger), "requests": [{"id": "X", "kind": "robot"}]})["msg"]
    result = module({"ledger": str(ledger), "requests": [], "today": "2026-11-29"})
    assert result["failed"] is True and "Unsupported parameters" in result["msg"] and "today" in result["msg"]


def test_dates_domain_and_reserved_options(module, ledger):
    # New entries are issued on the city's date (UTC+7): at 20:00 UTC it is already the next day
    # there, whatever the control node's time zone.
    result = module(
        {
            "ledger": str(ledger),
            "requests": [person(i, on=datetime.date(2026, 11, 20)) for i in ("CB-0", "CB-1")],
            "domain": "hue.gov.vn",
            "reserved": ["dungnv1"],
        },
        at=datetime.datetime(2026, 12, 6, 20, 0, tzinfo=datetime.UTC).timestamp(),
    )
    assert result["addresses"] == {"CB-0": "dungnv@hue.gov.vn", "CB-1": "dungnv2@hue.gov.vn"}
    assert "issued_on: 2026-12-07" in ledger.read_text(encoding="utf-8")


def test_missing_ledger_directory_fails(module, tmp_path):
    result = module({"ledger": str(tmp_path / "nope" / "ledger.yml"), "requests": [person("CB-1")]})
    assert result["failed"] is True
    assert "does not exist" in result["msg"]


DRIVER = textwrap.dedent(
    """
    import contextlib, json, sys, time
    from ansible.module_utils.testing import patch_module_args
    from ansible_collections.danang.mail.plugins.modules import address_alloc

    args, use_lock = json.loads(sys.argv[1]), sys.argv[2] == "lock"
    real = address_alloc.allocate

    def slow(*a, **k):  # widen the window between reading the ledger and writing it
        time.sleep(0.5)
        return real(*a, **k)

    address_alloc.allocate = slow
    if not use_lock:
        address_alloc.ledger_lock = lambda path: contextlib.nullcontext()
    with patch_module_args(args):
        address_alloc.main()
    """
)


def start_ledger(path: Path) -> None:
    """A new ledger with no entry, as ``ledger_new: true`` writes it."""
    path.write_text(appended_text(Ledger(str(path), (), None), ()), encoding="utf-8")


def run_at_once(runs: list[tuple[Path, str]], use_lock: bool) -> list[dict]:
    """One module run per (ledger path, holder), all started together; their JSON results."""
    env = {**os.environ, "PYTHONPATH": str(COLLECTIONS)}
    processes = []
    for path, holder in runs:
        args = {"ledger": str(path), "requests": [person(holder)]}
        mode = "lock" if use_lock else "nolock"
        command = [sys.executable, "-c", DRIVER, json.dumps(args), mode]
        processes.append(subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    return [json.loads(process.communicate(timeout=120)[0]) for process in processes]


def test_lock_prevents_two_runs_issuing_one_address(ledger):
    start_ledger(ledger)
    results = run_at_once([(ledger, "CB-1"), (ledger, "CB-2")], use_lock=True)
    issued = sorted(address for result in results for address in result["addresses"].values())
    assert issued == ["dungnv1@danang.gov.vn", "dungnv@danang.gov.vn"]
    text = ledger.read_text(encoding="utf-8")
    assert text.count("id: CB-1") == 1
    assert text.count("id: CB-2") == 1


def test_without_the_lock_the_race_is_real(ledger):
    """The control for the test above: the race the lock prevents does happen without it."""
    start_ledger(ledger)
    results = run_at_once([(ledger, "CB-1"), (ledger, "CB-2")], use_lock=False)
    issued = [address for result in results for address in result["addresses"].values()]
    assert issued == ["dungnv@danang.gov.vn", "dungnv@danang.gov.vn"]


def test_sixteen_runs_half_through_links_never_issue_one_address_twice(tmp_path):
    """8 runs on the ledger, 4 through a symlinked directory (same lock file: allowed), 4 through a
    symlink to the file (refused: it had a lock of its own and was replaced by a plain file, and
    such a race issued 8 addresses twice)."""
    real = tmp_path / "real"
    real.mkdir()
    ledger = real / "ledger.yml"
    start_ledger(ledger)
    (tmp_path / "alias").symlink_to(real, target_is_directory=True)
    (tmp_path / "link.yml").symlink_to(ledger)
    paths = [ledger] * 8 + [tmp_path / "alias" / "ledger.yml"] * 4 + [tmp_path / "link.yml"] * 4
    results = run_at_once([(path, f"CB-{n}") for n, path in enumerate(paths)], use_lock=True)
    issued = [address for result in results for address in result.get("addresses", {}).values()]
    assert len(issued) == len(set(issued)), sorted(issued)  # no address issued twice
    assert [bool(result.get("failed")) for result in results] == [False] * 12 + [True] * 4
    for result in results[12:]:
        assert f"the ledger {tmp_path / 'link.yml'} is a symbolic link" in result["msg"], result["msg"]
    assert (tmp_path / "link.yml").is_symlink()
    holders = {holder: address for result in results[:12] for holder, address in result["addresses"].items()}
    assert load_ledger(str(ledger)).holders() == holders


def test_missing_or_emptied_ledger_is_refused_and_not_recreated(module, ledger):
    args = {"ledger": str(ledger), "requests": [person("CB-1")], "ledger_new": False}
    result = module(args)
    assert result["failed"] is True
    assert f"the ledger {ledger} does not exist" in result["msg"]
    assert "ledger_new: true" in result["msg"]
    assert not ledger.exists()
    for text in ("", "addresses:\n"):
        ledger.write_text(text, encoding="utf-8")
        result = module(args)
        assert result["failed"] is True
        assert f"restore it from git (git log -p -- {ledger})" in result["msg"]
        assert ledger.read_text(encoding="utf-8") == text


def test_ledger_new_starts_a_sealed_ledger_once(module, ledger, tmp_path):
    result = module({"ledger": str(ledger), "requests": [], "ledger_new": True}, check_mode=True)
    assert result["changed"] is True
    assert not ledger.exists()
    assert module({"ledger": str(ledger), "requests": [], "ledger_new": True})["changed"] is True
    assert ledger.read_text(encoding="utf-8").endswith(
        "addresses:\n# seal: 0 entries, sha256 " + sha256(b"").hexdigest() + "\n"
    )
    again = module({"ledger": str(ledger), "requests": [person("CB-1")], "ledger_new": True})
    assert again["failed"] is True
    assert "already exists: ledger_new only starts a ledger where there is none" in again["msg"]
    assert module({"ledger": str(ledger), "requests": [person("CB-1")]})["addresses"] == {
        "CB-1": "dungnv@danang.gov.vn"
    }


def test_ledger_reseal_seals_a_checked_legacy_ledger(module, ledger):
    entry = "  dungnv@danang.gov.vn: {kind: person, id: CB-1, issued_on: 2026-11-29, status: active}\n"
    legacy = "addresses:\n" + entry  # written before seals existed
    ledger.write_text(legacy, encoding="utf-8")
    refused = module({"ledger": str(ledger), "requests": [person("CB-2")]})
    assert "has no seal line" in refused["msg"] and "ledger_reseal: true" in refused["msg"]
    preview = module(
        {"ledger": str(ledger), "requests": [], "ledger_reseal": True}, check_mode=True, diff=True
    )
    assert preview["changed"] is True
    assert preview["diff"]["before"] == ""
    assert preview["diff"]["after"].startswith("# seal: 1 entries, sha256 ")
    assert ledger.read_text(encoding="utf-8") == legacy
    assert module({"ledger": str(ledger), "requests": [], "ledger_reseal": True})["changed"] is True
    assert module({"ledger": str(ledger), "requests": [], "ledger_reseal": True})["changed"] is False
    result = module({"ledger": str(ledger), "requests": [person("CB-2")]})
    assert result["addresses"] == {"CB-2": "dungnv1@danang.gov.vn"}


def test_ledger_new_and_reseal_are_exclusive(module, ledger):
    result = module({"ledger": str(ledger), "ledger_new": True, "ledger_reseal": True})
    assert "ledger_new and ledger_reseal exclude each other" in result["msg"]
    assert module({"ledger": str(ledger), "ledger_new": True, "ledger_reseal": False})["changed"] is True


def test_taken_addresses_give_the_next_free_number(module, ledger):
    result = module({"ledger": str(ledger), "requests": [person("CB-1")], "taken": ["dungnv@danang.gov.vn"]})
    assert result["rc"] == 0, result
    assert result["addresses"] == {"CB-1": "dungnv1@danang.gov.vn"}
    assert "dungnv1@danang.gov.vn: {kind: person, id: CB-1" in ledger.read_text()


def test_a_new_request_of_a_reclaimed_holder_makes_its_line_active_again(module, ledger):
    """R-20, R-23: the same address comes back; only that line (and the seal) changes."""
    requests = [person("CB-1"), person("CB-2", NGO_DUNG)]
    assert module({"ledger": str(ledger), "requests": requests})["rc"] == 0
    text = ledger.read_text()
    reclaimed_on = datetime.date(2027, 3, 1)  # as the reclaim run writes it
    ledger.write_text(
        rewritten_text(load_ledger(str(ledger)), {"dungnv@danang.gov.vn": "reclaimed"}, reclaimed_on)
    )
    same = module({"ledger": str(ledger), "requests": requests})
    assert (same["changed"], same["reactivated"]) == (False, [])  # the old request is no new request
    requests[0] = person("CB-1", on="2027-04-01")
    again = module({"ledger": str(ledger), "requests": requests}, diff=True)
    assert again["rc"] == 0, again
    assert (again["changed"], again["reactivated"]) == (True, ["dungnv@danang.gov.vn"])
    assert again["addresses"]["CB-1"] == "dungnv@danang.gov.vn"
    assert ledger.read_text() == text  # the line as it was, and so the seal
