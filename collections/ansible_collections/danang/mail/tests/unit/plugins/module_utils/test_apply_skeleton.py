# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The apply skeleton both systems share (``backends.apply.apply_changes``), with a recording writer
standing for a system's own part: read once, refusals before any step, batches, results in order,
``password_set``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

from ansible_collections.danang.mail.plugins.module_utils.accounts import Account
from ansible_collections.danang.mail.plugins.module_utils.backends.apply import (
    NO_PASSWORD,
    Step,
    apply_changes,
)
from ansible_collections.danang.mail.plugins.module_utils.plan import CREATE, UPDATE, Change

ANN = Account("ann@danang.gov.vn", "person", "CB-1", "Ann", "stttt")
BOB = Account("bob@danang.gov.vn", "person", "CB-2", "Bob", "stttt")
SHARE = Account("stttt@danang.gov.vn", "agency", "agency/stttt", "Sở", "stttt")


class Recorder:
    step_type = Step

    def __init__(self, batch_size: int, in_use: Optional[dict[str, str]] = None) -> None:
        self.batch_size = batch_size
        self.in_use = in_use or {}
        self.batches: list[list[str]] = []
        self.passwords: dict[str, Optional[str]] = {}
        self.finished: list[str] = []

    def owner(self, address: str) -> Optional[str]:
        return self.in_use.get(address)

    def prepare(self, changes: Sequence[Change]) -> None:
        self.batches.append(["prepare"])

    def step(self, change: Change, password: Optional[str]) -> Step:
        self.passwords[change.address] = password
        return Step(change)

    def run_batch(self, batch: list[Step]) -> None:
        self.batches.append([s.address for s in batch])
        for step in batch:
            step.holds_password = step.error is None

    def finish(self, steps: list[Step]) -> None:
        self.finished = [s.address for s in steps]


def create(account: Account) -> Change:
    return Change(CREATE, account.address, account, {}, {"enabled": True})


def test_batches_results_in_order_and_the_persons_holding_their_password() -> None:
    writer, reads, password_set = Recorder(2), [], set()
    changes = [create(ANN), create(SHARE), Change(UPDATE, BOB.address, BOB, {"cn": "B"}, {"cn": "Bob"})]
    results = apply_changes(
        writer,
        changes,
        {"CB-1": "pw-ann"},
        read_done=False,
        read=lambda: reads.append(1),
        password_set=password_set,
    )
    assert reads == [1]
    assert writer.batches == [["prepare"], [ANN.address, SHARE.address], [BOB.address]]
    assert writer.finished == [ANN.address, SHARE.address, BOB.address]
    assert writer.passwords == {ANN.address: "pw-ann", SHARE.address: None, BOB.address: None}
    assert [(r.address, r.action, r.ok) for r in results] == [
        (ANN.address, CREATE, True),
        (SHARE.address, CREATE, True),
        (BOB.address, UPDATE, True),
    ]
    assert password_set == {ANN.address}  # persons only, creates only


def test_a_taken_address_or_a_missing_password_is_refused_before_any_step() -> None:
    writer, password_set = Recorder(10, {ANN.address: "the mailbox ann@danang.gov.vn"}), set()
    results = apply_changes(
        writer,
        [create(ANN), create(BOB)],
        {"CB-1": "pw"},
        read_done=True,
        read=list,
        password_set=password_set,
    )
    assert writer.passwords == {}  # the system was never asked for their steps
    assert results[0].error == "the address is already used by the mailbox ann@danang.gov.vn: nothing done"
    assert results[1].error == NO_PASSWORD
    assert password_set == set()
