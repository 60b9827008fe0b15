"""The labs' one control script (lab/roles/lab_daemons) starts, reports and stops daemons from a list.

Both labs' ``bin/obm-lab`` and ``bin/exchange-lab`` are rendered from that one template; here it is
rendered with fake daemons (this Python, sleeping) in a temporary lab directory, and driven as the
lab playbooks and tests drive it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")
PYTHON = os.path.realpath(sys.executable)
# Writes its pid file once "up", then sleeps: a daemon that stays in the foreground.
SLEEPER = "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(600)"


def render(lab: Path, services: list[dict[str, object]]) -> Path:
    playbook = lab.parent / "render.yml"
    playbook.write_text(
        "- hosts: localhost\n  gather_facts: false\n  roles: [lab_daemons]\n", encoding="utf-8"
    )
    variables = {
        "lab_daemons_dir": str(lab),
        "lab_daemons_script": "fake-lab",
        "lab_daemons_programs": [PYTHON],
        "lab_daemons_services": services,
        "ansible_python_interpreter": sys.executable,
    }
    command = [str(ANSIBLE_PLAYBOOK), "-i", "localhost,", "-c", "local", str(playbook)]
    proc = subprocess.run(
        [*command, "--extra-vars", json.dumps(variables)],
        env=dict(
            os.environ,
            ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
            ANSIBLE_ROLES_PATH=str(REPO / "lab" / "roles"),
            ANSIBLE_NOCOLOR="1",
        ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    return lab / "bin" / "fake-lab"


def ctl(script: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(script), *args], capture_output=True, text=True, timeout=60, check=False)


def sleeper(lab: Path, name: str) -> dict[str, object]:
    pidfile = str(lab / "run" / f"{name}.pid")
    return {"name": name, "pidfile": pidfile, "foreground": True, "start": [PYTHON, "-c", SLEEPER, pidfile]}


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (our child, not reaped yet) is gone too
    return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text(encoding="utf-8")


@pytest.fixture
def lab(tmp_path: Path):
    lab = tmp_path / "fake"
    (lab / "run").mkdir(parents=True)
    yield lab
    script = lab / "bin" / "fake-lab"
    if script.exists():
        ctl(script, "stop")


def test_start_status_pids_and_stop_from_the_list(lab: Path) -> None:
    script = render(lab, [sleeper(lab, "one"), sleeper(lab, "two")])

    start = ctl(script, "start")
    assert start.returncode == 0, start.stderr
    assert start.stdout.split("\n")[:2] == ["started one", "started two"]
    pids = sorted(int(p) for p in ctl(script, "pids").stdout.split())
    assert pids == sorted(int((lab / "run" / f"{n}.pid").read_text()) for n in ("one", "two"))
    assert ctl(script, "status").stdout.split("\n")[:2] == ["one running", "two running"]
    assert ctl(script, "start").stdout.split("\n")[:2] == ["running one", "running two"]

    stop = ctl(script, "stop", "two")
    assert stop.stdout.strip() == "stopped two"
    status = ctl(script, "status")
    assert status.returncode == 3
    assert status.stdout.split("\n")[:2] == ["one running", "two stopped"]

    assert ctl(script, "stop").stdout.strip() == "stopped one"
    deadline = time.monotonic() + 10
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in pids if alive(p)]
    assert ctl(script, "pids").stdout == ""


def test_a_stale_pid_file_is_cleared_and_a_failed_start_shows_the_daemons_own_error(lab: Path) -> None:
    """Also: a daemon whose pid file a crash lost is found by its marker, even one beginning with
    ``--`` (the Exchange lab server's ``--pid-file=...``), and stopped."""
    marked_pidfile = lab / "run" / "marked.pid"
    marker = f"--pid-file={marked_pidfile}"
    marked = {**sleeper(lab, "marked"), "marker": marker}
    marked["start"] = [*marked["start"], marker]
    broken = {
        "name": "broken",
        "pidfile": str(lab / "run" / "broken.pid"),
        "foreground": True,
        "start": [PYTHON, "-c", "import sys; sys.exit('broken: invalid config directory')", str(lab)],
    }
    script = render(lab, [sleeper(lab, "one"), broken, marked])
    # a pid file left by a crash, naming a live process that is not the lab's (this test runner)
    (lab / "run" / "one.pid").write_text(str(os.getpid()), encoding="utf-8")

    start = ctl(script, "start")
    assert start.returncode == 1
    assert start.stdout.split("\n")[0] == "started one"
    assert int((lab / "run" / "one.pid").read_text()) != os.getpid()
    assert "failed broken: it exited while starting" in start.stderr
    assert "broken: invalid config directory" in start.stderr
    assert (lab / "log" / "broken.log").read_text(
        encoding="utf-8"
    ).strip() == "broken: invalid config directory"

    pid = int(marked_pidfile.read_text())
    marked_pidfile.unlink()
    ctl(script, "stop", "marked")
    deadline = time.monotonic() + 10
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(pid)


def test_both_labs_use_the_one_control_script_and_the_shipped_roles_carry_none() -> None:
    templates = sorted(
        str(p.relative_to(REPO))
        for base in (REPO / "lab", REPO / "collections")
        for p in base.rglob("*.sh.j2")
    )
    assert templates == ["lab/roles/lab_daemons/templates/labctl.sh.j2"]
    for role in ("obm_lab", "exchange_lab"):
        tasks = (REPO / "lab" / "roles" / role / "tasks" / "main.yml").read_text(encoding="utf-8")
        assert "name: lab_daemons" in tasks, role


# The daemon's child writes the pid file and is the daemon; its parent never reaps it, as init may be
# slow to reap an orphan: once the daemon has exited, it stays a zombie.
UNREAPED = (
    "import os, sys, time\n"
    "if os.fork() == 0:\n"
    "    open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(600)\n"
    "else:\n"
    "    time.sleep(600)\n"
)


def test_a_stopped_daemon_left_a_zombie_is_ended_without_waiting(lab: Path) -> None:
    """Without this, stop waits its whole 10 s for every daemon whose exit init has not yet reaped."""
    pidfile = str(lab / "run" / "orphan.pid")
    service = {
        "name": "orphan",
        "pidfile": pidfile,
        "foreground": True,
        "start": [PYTHON, "-c", UNREAPED, pidfile],
    }
    script = render(lab, [service])
    assert ctl(script, "start").returncode == 0
    pid = int(Path(pidfile).read_text())

    began = time.monotonic()
    assert ctl(script, "stop", "orphan").stdout.strip() == "stopped orphan"
    assert time.monotonic() - began < 5
    assert "State:\tZ" in Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
