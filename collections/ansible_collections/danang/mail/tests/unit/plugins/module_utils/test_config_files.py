# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""config_files: a role's directories and files set in one pass, idempotent, in check mode too."""

from __future__ import annotations

import grp
import os
import pwd
import stat
from pathlib import Path

import pytest
from ansible_collections.danang.mail.plugins.module_utils.config_files import ConfigFilesError, apply, entries

OWNER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


def run(directories, files, mode="0640", check_mode=False, owner=OWNER, group=GROUP):
    dirs, fils = entries(
        [str(d) for d in directories], {str(k): v for k, v in files.items()}, owner, group, mode
    )
    return apply(dirs, fils, check_mode)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_creates_directories_and_files_and_a_second_run_changes_nothing(tmp_path: Path):
    conf = tmp_path / "etc" / "rspamd"
    files = {conf / "a.conf": "a = 1;\n", conf / "b.conf": "b = 2;\n"}
    first = run([conf], files, mode="0750")
    assert first.changed == [str(conf), *map(str, files)]
    assert (conf / "a.conf").read_text() == "a = 1;\n"
    assert mode_of(conf) == 0o750 and mode_of(conf / "b.conf") == 0o750
    assert sorted(os.listdir(conf)) == ["a.conf", "b.conf"]  # no temporary left
    again = run([conf], files, mode="0750")
    assert again.changed == [] and again.diff == []


def test_check_mode_reports_the_diff_and_changes_nothing(tmp_path: Path):
    target = tmp_path / "main.cf"
    target.write_text("old\n")
    target.chmod(0o644)
    new_dir = tmp_path / "ldap"
    outcome = run([new_dir], {target: "new\n", new_dir / "aliases.cf": "x\n"}, check_mode=True)
    assert outcome.changed == [str(new_dir), str(target), str(new_dir / "aliases.cf")]
    assert {
        "before_header": str(target),
        "after_header": str(target),
        "before": "old\n",
        "after": "new\n",
    } in (outcome.diff)
    assert target.read_text() == "old\n" and not new_dir.exists()
    # a directory an earlier task of the role would make: in check mode the file is only reported
    elsewhere = tmp_path / "made-earlier" / "x.conf"
    assert run([], {elsewhere: "x\n"}, check_mode=True).changed == [str(elsewhere)]


def test_a_changed_content_is_replaced_with_its_mode_and_reported(tmp_path: Path):
    target = tmp_path / "imapd.conf"
    target.write_text("quotawarn: 80\n")
    outcome = run([], {target: "quotawarn: 90\n"}, mode="0640")
    assert outcome.changed == [str(target)]
    assert outcome.diff[0]["before"] == "quotawarn: 80\n" and outcome.diff[0]["after"] == "quotawarn: 90\n"
    assert target.read_text() == "quotawarn: 90\n" and mode_of(target) == 0o640
    assert os.listdir(tmp_path) == ["imapd.conf"]


def test_a_mode_changed_by_hand_is_brought_back(tmp_path: Path):
    directory, target = tmp_path / "spool", tmp_path / "cyrus.conf"
    run([directory], {target: "x\n"}, mode="0750")
    directory.chmod(0o777)
    target.chmod(0o666)
    outcome = run([directory], {target: "x\n"}, mode="0750")
    assert outcome.changed == [str(directory), str(target)]
    assert "mode: 0777" in outcome.diff[0]["before"] and "mode: 0750" in outcome.diff[0]["after"]
    assert mode_of(directory) == 0o750 and mode_of(target) == 0o750


def test_a_link_at_a_files_path_is_replaced_not_followed(tmp_path: Path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("keep\n")
    target = tmp_path / "redis.conf"
    target.symlink_to(elsewhere)
    assert run([], {target: "port 1379\n"}).changed == [str(target)]
    assert not target.is_symlink() and target.read_text() == "port 1379\n"
    assert elsewhere.read_text() == "keep\n"


def test_an_unknown_owner_fails_before_anything_changes(tmp_path: Path):
    with pytest.raises(ConfigFilesError, match=r"owner 'no-such-user-x' is not a user"):
        run([tmp_path / "a"], {tmp_path / "b": "x"}, owner="no-such-user-x")
    with pytest.raises(ConfigFilesError, match=r"group 'no-such-group-x' is not a group"):
        run([tmp_path / "a"], {}, group="no-such-group-x")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("mode", ["640", "0640"])
def test_modes_are_octal_strings(tmp_path: Path, mode: str):
    run([], {tmp_path / "f": "x"}, mode=mode)
    assert mode_of(tmp_path / "f") == 0o640


@pytest.mark.parametrize("mode", [416, "0o640", "0648", "u+rw", "10640"])
def test_other_modes_are_refused(tmp_path: Path, mode: object):
    with pytest.raises(ConfigFilesError, match="mode must be an octal string"):
        run([], {tmp_path / "f": "x"}, mode=mode)


def test_refused_entries_name_the_path(tmp_path: Path):
    with pytest.raises(ConfigFilesError, match="relative/f: path must be absolute"):
        run([], {"relative/f": "x"})
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigFilesError, match="file: exists and is not a directory"):
        run([tmp_path / "file"], {})
    (tmp_path / "dir").mkdir()
    with pytest.raises(ConfigFilesError, match="dir: exists and is not a regular file"):
        run([], {tmp_path / "dir": "x"})
    with pytest.raises(ConfigFilesError, match="missing/f: its directory does not exist"):
        run([], {tmp_path / "missing" / "f": "x"})
    with pytest.raises(ConfigFilesError, match="f: the content must be a string, not int"):
        run([], {tmp_path / "f": 3})
