# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hostile-input corpus: desired-state trees and ledgers the loaders must refuse, built on demand.

Each case writes its input under a directory and says which loader reads it (``tree``: the
desired-state loader, ``ledger``: the ledger), which file every problem must name, and a fragment
the refusal must contain. ``run_case`` loads it in a child process under an address-space limit and
a timeout, so a regression (an alias bomb, a C stack overflow in libyaml) fails the test instead of
killing the suite. ``python hostile_cases.py`` prints the figures (time, peak memory) of every case.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

COLLECTIONS = Path(__file__).resolve().parents[8]
MEMORY_LIMIT = 512 * 1024 * 1024  # RLIMIT_AS of the child
TIMEOUT = 60.0
SECRET = "vault-password-s3cr3t-do-not-echo"
GOOD_PERSON = "{id: CB-1, full_name: Nguyễn Văn Dũng, requested_on: 2017-08-01}"
LEDGER_LINE = "  dungnv@danang.gov.vn: {kind: person, id: CB-1, issued_on: 2026-11-29, status: active}\n"

# "Billion laughs": 9 lists of 9 references, 9**9 items once expanded, as the agency's people.
BOMB = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(
        f"{chr(ord('b') + i)}: &{chr(ord('b') + i)} [{', '.join([f'*{chr(ord(chr(97 + i)))}'] * 9)}]\n"
        for i in range(8)
    )
    + "people: *i\n"
)


def agency(body: str, abbreviation: str = "stc", name: str = "Sở Tài chính") -> str:
    return f"abbreviation: {abbreviation}\nname: {name}\n{body}"


@dataclass(frozen=True)
class Case:
    name: str
    loader: str  # "tree" or "ledger"
    build: Callable[[Path], Path]  # writes the input under a directory, returns the file to be named
    expect: str  # a fragment of one problem's message


def _file(name: str, content: str | bytes) -> Callable[[Path], Path]:
    def build(root: Path) -> Path:
        path = root / "agencies" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        return path

    return build


# A well-formed seal line, so the ledger's YAML is parsed (a ledger without one is refused earlier).
_SEAL = "\n# seal: 0 entries, sha256 " + "0" * 64 + "\n"


def _ledger(content: str) -> Callable[[Path], Path]:
    def build(root: Path) -> Path:
        path = root / "ledger.yml"
        path.write_text(content + _SEAL, encoding="utf-8")
        return path

    return build


def _symlinked_file(root: Path) -> Path:
    secret = root / "outside" / "vault_pass.txt"
    secret.parent.mkdir(parents=True)
    secret.write_text(f"abbreviation: {SECRET}\n", encoding="utf-8")
    (root / "agencies").mkdir()
    (root / "agencies" / "stc.yml").symlink_to(secret)
    return root / "agencies" / "stc.yml"


def _symlinked_directory(root: Path) -> Path:
    outside = root / "outside"
    outside.mkdir()
    (outside / "stc.yml").write_text(agency(""), encoding="utf-8")
    (root / "agencies").symlink_to(outside, target_is_directory=True)
    return root / "agencies"


def _fifo(root: Path) -> Path:
    (root / "agencies").mkdir()
    os.mkfifo(root / "agencies" / "stc.yml")
    return root / "agencies" / "stc.yml"


def _directory(root: Path) -> Path:
    (root / "agencies" / "stc.yml").mkdir(parents=True)
    return root / "agencies" / "stc.yml"


def _person(fields: str) -> str:
    return agency(f"people:\n  - {{id: CB-1, requested_on: 2017-08-01, {fields}}}\n")


CASES: tuple[Case, ...] = (
    Case("alias_bomb", "tree", _file("stc.yml", BOMB), "anchors and aliases"),
    Case("nesting_30000_flow", "tree", _file("stc.yml", "people: " + "[" * 30000), "nested more than"),
    Case(
        "nesting_1000_closed", "tree", _file("stc.yml", "a: " + "[" * 1000 + "]" * 1000), "nested more than"
    ),
    Case(
        "nesting_1000_block",
        "tree",
        _file("stc.yml", "".join(" " * i + "a:\n" for i in range(1000))),
        "nested more than",
    ),
    Case("complex_key", "tree", _file("stc.yml", "? [a, b]\n: 1\n"), "a key must be plain text"),
    Case("merge_key", "tree", _file("stc.yml", "abbreviation: stc\n<<: {name: Sở Tài chính}\n"), "merge key"),
    Case("yaml11_boolean", "tree", _file("stc.yml", "abbreviation: on\nname: Sở Tài chính\n"), '("on")'),
    Case("hex_id", "tree", _file("stc.yml", _person("id: 0x1F, full_name: Lê Lợi")), "the number 31"),
    Case(
        "python_tag", "tree", _file("stc.yml", "abbreviation: !!python/object/apply:os.system [id]\n"), "tag"
    ),
    Case("duplicate_key", "tree", _file("stc.yml", agency("name: again\n")), "duplicate key"),
    Case("utf16_bom", "tree", _file("stc.yml", agency("").encode("utf-16")), "UTF-16"),
    Case("utf16_no_bom", "tree", _file("stc.yml", agency("").encode("utf-16-le")), "NUL bytes"),
    Case("latin1_bytes", "tree", _file("stc.yml", agency("").encode("utf-8") + b"# caf\xe9\n"), "not UTF-8"),
    Case("oversized", "tree", _file("stc.yml", agency("#" + "x" * (2 * 1024 * 1024) + "\n")), "larger than"),
    Case("symlinked_file", "tree", _symlinked_file, "symbolic link"),
    Case("symlinked_agencies_directory", "tree", _symlinked_directory, "symbolic link"),
    Case("fifo", "tree", _fifo, "named pipe"),
    Case("directory", "tree", _directory, "a directory"),
    Case("hidden_file", "tree", _file(".stc.yml", agency("")), "hidden file"),
    Case("huge_unknown_key", "tree", _file("stc.yml", agency(f"{'k' * 1000}: 1\n")), "unknown key"),
    Case("agency_name_too_long", "tree", _file("stc.yml", agency("", name="Sở " + "Tài chính " * 13)), "128"),
    Case(
        "given_name_too_long",
        "tree",
        _file("stc.yml", _person("family_name: Lê, given_name: " + "a" * 65)),
        "64",
    ),
    Case(
        "zero_width_in_name",
        "tree",
        _file("stc.yml", _person('full_name: "Nguyễn Văn\\u200bDũng"')),
        "U+200B",
    ),
    Case(
        "plain_word_not_a_syllable", "tree", _file("stc.yml", _person("full_name: Tạ Itsuppor")), "syllable"
    ),
    Case(
        "reserved_local_part", "tree", _file("stc.yml", _person("family_name: Tạ, given_name: Roo")), "root@"
    ),
    Case(
        "html_in_agency_name",
        "tree",
        _file("stc.yml", agency("", name="'<img src=x onerror=alert(1)>'")),
        "'<'",
    ),
    Case("formula_in_agency_name", "tree", _file("stc.yml", agency("", name="'=HYPERLINK(1)'")), "'='"),
    Case(
        "template_in_department_name",
        "tree",
        _file(
            "stc.yml",
            agency("departments:\n  - {abbreviation: cntt, name: \"{{ lookup('file', '/etc/passwd') }}\"}\n"),
        ),
        "'{'",
    ),
    Case(
        "huge_person_id",
        "tree",
        _file(
            "stc.yml",
            agency(f"people:\n  - {{id: {'X' * 900}, full_name: Lê Lợi, requested_on: 2017-08-01}}\n"),
        ),
        "not valid",
    ),
    Case(
        "huge_department_abbreviation",
        "tree",
        _file("stc.yml", agency(f"departments:\n  - {{abbreviation: {'x' * 900}, name: Văn phòng}}\n")),
        "not valid",
    ),
    Case("ledger_alias_bomb", "ledger", _ledger(BOMB), "anchors and aliases"),
    Case("ledger_nesting_30000", "ledger", _ledger("addresses: " + "[" * 30000), "nested more than"),
    Case(
        "ledger_complex_key", "ledger", _ledger("addresses:\n  ? [a, b]\n  : 1\n"), "a key must be plain text"
    ),
    Case("ledger_oversized", "ledger", _ledger("addresses:\n" + LEDGER_LINE * 200000), "larger than"),
)

_CHILD = """
import json, resource, sys, time
from ansible_collections.danang.mail.plugins.module_utils.desired_state import load_desired_state
from ansible_collections.danang.mail.plugins.module_utils.ledger import load_ledger
from ansible_collections.danang.mail.plugins.module_utils.model import ValidationFailed
start = time.perf_counter()
try:
    (load_desired_state if sys.argv[1] == "tree" else load_ledger)(sys.argv[2])
    problems = []
except ValidationFailed as exc:
    problems = [[p.source, p.entry, p.field, p.message, str(p)] for p in exc.problems]
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"problems": problems, "seconds": seconds, "max_rss_kib": peak}))
"""


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_case(case: Case, directory: Path) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """Build ``case`` under ``directory`` and load it in a bounded child process."""
    named = case.build(directory)
    target = directory if case.loader == "tree" else named
    env = {**os.environ, "PYTHONPATH": str(COLLECTIONS)}
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, case.loader, str(target)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=env,
        preexec_fn=_limit_memory,  # the child runs no threads before exec
        check=False,
    )
    return named, result


def main() -> int:
    """Print each case's figures, and the maxima (for release notes)."""
    worst_seconds, worst_rss = 0.0, 0
    for case in CASES:
        with tempfile.TemporaryDirectory() as directory:
            _named, result = run_case(case, Path(directory))
        if result.returncode != 0:
            print(f"{case.name}: child failed (exit {result.returncode}): {result.stderr[-300:]}")
            continue
        figures = json.loads(result.stdout)
        worst_seconds = max(worst_seconds, figures["seconds"])
        worst_rss = max(worst_rss, figures["max_rss_kib"])
        print(f"{case.name:32} {figures['seconds'] * 1000:8.1f} ms {figures['max_rss_kib'] / 1024:7.1f} MiB")
    print(f"{'max':32} {worst_seconds * 1000:8.1f} ms {worst_rss / 1024:7.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
