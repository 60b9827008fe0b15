# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Address allocation rules (R-10…R-14, R-23, R-51) and their properties."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from ansible_collections.danang.mail.plugins.module_utils import allocation
from ansible_collections.danang.mail.plugins.module_utils.allocation import BUILTIN_RESERVED, allocate
from ansible_collections.danang.mail.plugins.module_utils.ledger import LedgerEntry
from ansible_collections.danang.mail.plugins.module_utils.model import ValidationFailed
from hypothesis import given, settings
from hypothesis import strategies as st

DAY = datetime.date(2026, 11, 29)
DOMAIN = "danang.gov.vn"
DUNG, NGO_DUNG, LAN = "Nguyễn Văn Dũng", "Ngô Văn Dũng", "Nguyễn Thị Lan"
TCVN3_DUNG = "NguyÔn V¨n Dòng"  # "Nguyễn Văn Dũng" in TCVN3 (ABC) bytes read as cp1252


def P(holder, name=DUNG, on="2026-11-20", rank=None, **extra):
    return {"id": holder, "kind": "person", "full_name": name, "requested_on": on, "rank": rank, **extra}


def A(holder, abbreviation):
    return {"id": holder, "kind": "agency", "abbreviation": abbreviation}


def D(holder, abbreviation, agency):
    return {"id": holder, "kind": "department", "abbreviation": abbreviation, "agency": agency}


def held(local, holder, kind="person", status="active", abbreviation=None, agency=None):
    return LedgerEntry(f"{local}@{DOMAIN}", kind, holder, DAY, status, abbreviation, agency)


def run(requests, ledger=(), reserved=(), domain=DOMAIN):
    return allocate(requests, ledger, domain=domain, reserved=reserved, today=DAY)


def local(result, holder):
    return result.addresses[holder].partition("@")[0]


def refused(requests, ledger=(), reserved=(), domain=DOMAIN) -> list[str]:
    with pytest.raises(ValidationFailed) as exc:
        run(requests, ledger, reserved, domain)
    return [str(p) for p in exc.value.problems]


def test_plain_form_and_new_entry():
    result = run([P("CB-1")])
    assert result.addresses == {"CB-1": "dungnv@danang.gov.vn"}
    assert result.allocated == [{"id": "CB-1", "address": "dungnv@danang.gov.vn"}]
    assert result.entries == (held("dungnv", "CB-1"),)


def test_numbering_from_one_and_gaps_filled_by_smallest_free():
    assert local(run([P("CB-2", NGO_DUNG)], [held("dungnv", "CB-1")]), "CB-2") == "dungnv1"
    result = run([P("CB-4", on="2026-11-21"), P("CB-5")], [held("dungnv", "CB-1"), held("dungnv2", "CB-3")])
    assert (local(result, "CB-5"), local(result, "CB-4")) == ("dungnv1", "dungnv3")


def test_first_to_request_keeps_plain_even_against_higher_rank():
    result = run([P("CB-1", on="2026-11-21", rank=9), P("CB-2", NGO_DUNG, on="2026-11-20")])
    assert (local(result, "CB-2"), local(result, "CB-1")) == ("dungnv", "dungnv1")


@pytest.mark.parametrize("reverse", [False, True])
def test_same_day_higher_rank_keeps_plain_form(reverse):
    requests = [P("CB-1", rank=1), P("CB-2", NGO_DUNG, rank=3), P("CB-3", rank=2)]
    result = run(requests[::-1] if reverse else requests)
    assert [local(result, h) for h in ("CB-2", "CB-3", "CB-1")] == ["dungnv", "dungnv1", "dungnv2"]
    assert [a["id"] for a in result.allocated] == ["CB-2", "CB-3", "CB-1"]


def test_same_day_same_rank_tie_broken_by_id():  # R-14, deterministic
    result = run([P("CB-9"), P("CB-10", NGO_DUNG), P("CB-5", rank=0)])
    assert [local(result, h) for h in ("CB-10", "CB-5", "CB-9")] == ["dungnv", "dungnv1", "dungnv2"]


def test_requested_on_as_date_object_and_rank_default_zero():
    result = run([P("CB-1", on=datetime.date(2026, 11, 20)), P("CB-2", NGO_DUNG, rank=1)])
    assert (local(result, "CB-2"), local(result, "CB-1")) == ("dungnv", "dungnv1")


@pytest.mark.parametrize("status", ["active", "disabled", "reclaimed", "removed"])
def test_holder_keeps_address_after_rename_rank_date_and_reclaim(status):
    ledger = [held("dungnv1", "CB-1", status=status), held("dungnv", "CB-0")]
    result = run([P("CB-1", LAN, on="2026-12-01", rank=99)], ledger)
    assert result.addresses == {"CB-1": "dungnv1@danang.gov.vn"}
    assert result.allocated == []
    assert result.entries == ()


@pytest.mark.parametrize("status", ["active", "disabled", "reclaimed", "removed"])
def test_address_never_reissued_to_another_holder(status):
    result = run([P("CB-2", rank=99)], [held("dungnv", "CB-1", status=status)])
    assert local(result, "CB-2") == "dungnv1"


def test_builtin_reserved_names():  # RFC 2142, R-51
    for name in ("postmaster", "abuse", "hostmaster", "webmaster", "www", "noreply", "chanthurac"):
        assert name in BUILTIN_RESERVED
    assert any("chanthurac@danang.gov.vn is reserved" in p for p in refused([A("CQ-1", "chanthurac")]))
    assert any("postmaster@danang.gov.vn is reserved" in p for p in refused([D("PB-1", "postmaster", "x")]))


def test_added_reserved_names_skip_numbers_and_builtins_still_apply():
    result = run([P("CB-2")], [held("dungnv", "CB-1")], reserved=[" dungnv1 "])
    assert local(result, "CB-2") == "dungnv2"  # an ordinary collision is still numbered
    assert any("is reserved" in p for p in refused([A("CQ-1", "abuse")], reserved=["other"]))


def parts(holder, family, given, on="2026-11-20"):
    return {"id": holder, "kind": "person", "family_name": family, "given_name": given, "requested_on": on}


@pytest.mark.parametrize(
    ("request_", "reserved_local"),
    [
        (parts("CB-1", "Tạ", "Roo"), "root"),
        (parts("CB-1", "Nguyễn", "Admi"), "admin"),
        (parts("CB-1", "Rơ", "Postmaste"), "postmaster"),
        (P("CB-1", "Cao Nô"), "noc"),
    ],
)
def test_person_whose_plain_address_is_reserved_is_refused_not_numbered(request_, reserved_local):
    # Before, these people got root1@, admin1@, postmaster1@: an address that passes for the role.
    [problem] = refused([request_])
    assert f"address {reserved_local}@, a reserved role or system address" in problem
    assert problem.startswith("requests: requests[0] (id CB-1): ")


def test_person_whose_plain_address_is_in_the_reserved_option_is_refused():
    [problem] = refused([P("CB-1")], reserved=["DungNV"])
    assert "address dungnv@, a reserved role or system address" in problem


def test_agencies_then_departments_then_persons():  # R-10 before R-12 in one run
    result = run([P("CB-1"), D("PB-1", "cntt", "stttt"), A("CQ-1", "dungnv")])
    assert (local(result, "CQ-1"), local(result, "PB-1"), local(result, "CB-1")) == (
        "dungnv",
        "cntt",
        "dungnv1",
    )
    assert [a["id"] for a in result.allocated] == ["CQ-1", "PB-1", "CB-1"]
    assert result.entries[1] == held("cntt", "PB-1", "department", abbreviation="cntt", agency="stttt")


def test_department_plain_when_unique_suffixed_when_shared():
    result = run([D("PB-1", "thanhtra", "stttt"), D("PB-2", "thanhtra", "sxd"), D("PB-3", "cntt", "stttt")])
    assert local(result, "PB-1") == "thanhtra-stttt"
    assert local(result, "PB-2") == "thanhtra-sxd"
    assert local(result, "PB-3") == "cntt"


def test_plain_department_never_changes_newcomers_get_suffix():
    ledger = [held("thanhtra", "PB-1", "department", abbreviation="thanhtra", agency="stttt")]
    result = run([D("PB-1", "thanhtra", "stttt"), D("PB-2", "thanhtra", "sxd")], ledger)
    assert (local(result, "PB-1"), local(result, "PB-2")) == ("thanhtra", "thanhtra-sxd")
    assert local(run([D("PB-3", "thanhtra", "snv")], ledger), "PB-3") == "thanhtra-snv"


@pytest.mark.parametrize(
    ("requests", "ledger", "fragment"),
    [
        ([A("CQ-2", "stttt")], [held("stttt", "CQ-1", "agency", status="removed")], "held by agency CQ-1"),
        ([A("CQ-2", "dungnv")], [held("dungnv", "CB-1")], "held by person CB-1"),
        ([A("CQ-1", "stttt"), A("CQ-2", "stttt")], [], "held by agency CQ-1"),
        ([D("PB-1", "dungnv", "stttt")], [held("dungnv", "CB-1")], "held by person CB-1"),
        ([D("PB-1", "stttt", "sxd"), A("CQ-1", "stttt")], [], "held by agency CQ-1"),
        ([D("PB-1", "cntt", "stttt"), D("PB-2", "cntt", "stttt")], [], "cntt-stttt@danang.gov.vn is already"),
        (
            [D("PB-2", "cntt", "sxd")],
            [held("cntt", "PB-1", "department", abbreviation="cntt", agency="x"), held("cntt-sxd", "CB-1")],
            "held by person CB-1",
        ),
    ],
)
def test_fixed_addresses_are_never_numbered(requests, ledger, fragment):
    problems = refused(requests, ledger)
    assert any(fragment in p and "never numbered" in p for p in problems), problems


def test_ids_unique_across_kinds_in_call_and_against_ledger():
    problems = refused([P("X-1"), A("X-1", "stttt")])
    assert any("requests[1] (id X-1): id: X-1 is also the id of requests[0]" in p for p in problems)
    problems = refused([A("CB-1", "stttt")], [held("dungnv", "CB-1")])
    assert any("kind: CB-1 holds dungnv@danang.gov.vn in the ledger as a person" in p for p in problems)


def test_invalid_requests_refuse_everything_and_every_problem_is_listed():
    requests = [
        P("CB-1"),
        P("CB-2", on="20/11/2026"),
        {"id": "CB-3", "kind": "person", "given_name": 5, "requested_on": "2026-11-20"},
        P("CB-4", rank=True),
        A("CQ-1", "Sở-TTTT"),
        D("PB-1", "cntt", None),
        {"id": "CB-5", "full_name": LAN},
        {"id": " CB-6", "full_name": LAN, "requested_on": "2026-11-20"},
        {"kind": "robot", "id": "R-1"},
        {"id": "CB-7", "full_name": LAN, "requested_on": "2026-11-20", "abbreviation": "x"},
        "CB-8",
    ]
    problems = refused(requests)
    expected = [
        "requests[1] (id CB-2): requested_on: must be a date YYYY-MM-DD",
        "requests[2] (id CB-3): given_name: must be a string",
        "requests[3] (id CB-4): rank: must be an integer",
        "requests[4] (id CQ-1): abbreviation: must match",
        "requests[5] (id PB-1): agency: required for a department",
        "requests[6] (id CB-5): requested_on: required for a person",
        "requests[7] (id  CB-6): id: required",
        "requests[8] (id R-1): kind: must be one of",
        "requests[9] (id CB-7): abbreviation: not an option of a person request",
        "requests[10]: must be a mapping",
    ]
    for fragment in expected:
        assert any(fragment in p for p in problems), (fragment, problems)
    assert not any("requests[0]" in p for p in problems)


def test_allocation_problems_are_reported_beside_invalid_requests():
    problems = refused(
        [P("CB-1", on="x"), A("CQ-1", "abuse"), D("PB-1", "cntt", "Bad"), D("PB-2", "cntt", "b")]
    )
    assert any("requests[0] (id CB-1): requested_on" in p for p in problems)
    assert any("requests[1] (id CQ-1): abbreviation: abuse@danang.gov.vn is reserved" in p for p in problems)
    assert any("requests[2] (id PB-1): agency: must match" in p for p in problems)
    assert len(problems) == 3  # PB-2 is valid: cntt-b@ (shared with the invalid PB-1), no problem


def test_ledger_holders_are_validated_too():
    problems = refused([P("CB-1", "")], [held("dungnv", "CB-1")])
    assert any(p.startswith("requests: requests[0] (id CB-1)") for p in problems), problems


def test_legacy_encoded_import_is_refused_whole_with_a_count():
    problems = refused([P("CB-1"), P("CB-2", TCVN3_DUNG), P("CB-3", TCVN3_DUNG), A("CQ-1", "stttt")])
    assert problems[0].startswith("requests: 2 of 3 names look like legacy-encoded text (2 look like TCVN3)")
    assert any("requests[1] (id CB-2)" in p for p in problems)


def test_local_part_limit_includes_suffixes(monkeypatch):  # vietnamese.MAX_LOCAL_PART
    long_department = "a" * 40
    assert (
        local(run([D("PB-1", "a" * 40, "b" * 23), D("PB-2", "a" * 40, "c")]), "PB-1")
        == "a" * 40 + "-" + "b" * 23
    )
    problems = refused([D("PB-1", long_department, "b" * 24), D("PB-2", long_department, "c")])
    assert any("requests[0] (id PB-1): agency:" in p and "longer than 64" in p for p in problems), problems

    @dataclass(frozen=True)
    class LongName:
        local_part: str = "a" * 64

    monkeypatch.setattr(allocation, "parse_person_name", lambda *a, **k: LongName())
    assert local(run([P("CB-1")]), "CB-1") == "a" * 64
    problems = refused([P("CB-1")], [held("a" * 64, "CB-0")])
    assert any("requests[0] (id CB-1): full_name:" in p and "longer than 64" in p for p in problems)


def test_bad_domain_and_reserved_entries_and_other_domain():
    assert any(p.startswith("domain:") for p in refused([P("CB-1")], domain="Da Nang"))
    assert any(p.startswith("reserved: reserved[0]") for p in refused([P("CB-1")], reserved=["a@b"]))
    assert run([P("CB-1")], domain="hue.gov.vn").addresses == {"CB-1": "dungnv@hue.gov.vn"}


def test_person_agency_is_accepted_and_checked():  # model.person_request sends it
    assert local(run([P("CB-1", agency="stttt")]), "CB-1") == "dungnv"
    assert any("agency: must match" in p for p in refused([P("CB-1", agency="Sở")]))


# --- properties -------------------------------------------------------------------------------

NAMES = [DUNG, NGO_DUNG, "Nguyễn Vân Dũng", LAN, "Ngô Thị Lan", "Phạm Minh", "Phan Minh"]


@st.composite
def batches(draw, min_size=1):
    people = draw(
        st.lists(
            st.tuples(st.sampled_from(NAMES), st.integers(0, 2), st.integers(0, 3)),
            min_size=min_size,
            max_size=12,
        )
    )
    requests = [
        P(f"CB-{i:03d}", name, on=(DAY - datetime.timedelta(days=day)).isoformat(), rank=rank)
        for i, (name, day, rank) in enumerate(people)
    ]
    departments = draw(
        st.sets(st.tuples(st.sampled_from(["cntt", "thanhtra"]), st.sampled_from(["sa", "sb"])))
    )
    requests += [D(f"department/{a}/{d}", d, a) for d, a in sorted(departments)]
    return requests


def merged(ledger, result):
    return [*ledger, *result.entries]


@settings(max_examples=60, deadline=None)
@given(batches(), st.randoms(use_true_random=False))
def test_property_order_independence(requests, rnd):
    shuffled = list(requests)
    rnd.shuffle(shuffled)
    first, second = run(requests), run(shuffled)
    assert first.addresses == second.addresses
    assert first.allocated == second.allocated


@settings(max_examples=60, deadline=None)
@given(batches())
def test_property_idempotence(requests):
    first = run(requests)
    second = run(requests, merged((), first))
    assert second.allocated == []
    assert second.entries == ()
    assert second.addresses == first.addresses


@settings(max_examples=60, deadline=None)
@given(batches(), st.data())
def test_property_stable_when_people_are_added(requests, data):
    cut = data.draw(st.integers(0, len(requests)))
    before = run(requests[:cut])
    after = run(requests, merged((), before))
    assert all(after.addresses[h] == a for h, a in before.addresses.items())


@settings(max_examples=60, deadline=None)
@given(batches(), batches())
def test_property_no_address_issued_twice(first_batch, second_batch):
    second_batch = [{**r, "id": f"{r['id']}-b"} for r in second_batch]
    for request in second_batch:  # other agencies' departments: the same one twice is an error
        if request["kind"] == "department":
            request["agency"] += "x"
    first = run(first_batch)
    ledger = merged((), first)
    second = run(second_batch, ledger)
    every = [e.address for e in merged(ledger, second)]
    assert len(every) == len(set(every))
    assert len(set(second.addresses.values())) == len(second.addresses)
    numbers: dict[str, set[int]] = {}  # plain form -> numbers used (0: the plain form itself)
    for entry in merged(ledger, second):
        if entry.kind == "person":
            plain = entry.local_part.rstrip("0123456789")
            numbers.setdefault(plain, set()).add(int(entry.local_part[len(plain) :] or 0))
    assert all(used == set(range(len(used))) for used in numbers.values())  # 1, 2, 3… no gaps


def test_domain_longer_than_253_or_a_label_over_63_is_refused():
    long_domain = ".".join(["a" * 60] * 5)  # 304 characters, labels of 60
    assert any("at most 253" in p for p in refused([P("CB-1")], domain=long_domain))
    assert any("each label at most 63" in p for p in refused([P("CB-1")], domain="a" * 64 + ".vn"))


# --- addresses in use on the systems (never someone else's mailbox) ---------------------
def test_addresses_in_use_on_a_system_are_skipped_for_new_persons():
    taken = ["DungNV@danang.gov.vn", "dungnv1@danang.gov.vn"]  # a hand-made account and an alias
    result = allocate([P("CB-1")], (), domain=DOMAIN, today=DAY, taken=taken)
    assert result.addresses == {"CB-1": "dungnv2@danang.gov.vn"}
    assert result.entries == (held("dungnv2", "CB-1"),)


def test_an_address_in_use_by_its_own_ledger_holder_is_fine():
    ledger = [held("dungnv", "CB-1")]
    result = allocate(
        [P("CB-1"), P("CB-2", NGO_DUNG)], ledger, domain=DOMAIN, today=DAY, taken=["dungnv@danang.gov.vn"]
    )
    assert (local(result, "CB-1"), local(result, "CB-2")) == ("dungnv", "dungnv1")


def test_agency_or_department_address_in_use_on_a_system_is_refused():  # never numbered
    with pytest.raises(ValidationFailed) as exc:
        allocate([A("agency/stttt", "stttt")], (), domain=DOMAIN, today=DAY, taken=["stttt@danang.gov.vn"])
    assert "stttt@danang.gov.vn is in use on a mail system and not in the ledger" in str(
        exc.value.problems[0]
    )
