# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of the danang.mail.vn_local_part filter and its sidecar documentation (R-12, R-15)."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible_collections.danang.mail.plugins.filter import vn_local_part as plugin
from ansible_collections.danang.mail.plugins.filter.vn_local_part import FilterModule, vn_local_part
from ansible_collections.danang.mail.plugins.module_utils.vietnamese import InvalidName

SIDECAR = Path(plugin.__file__).with_suffix(".yml")


def test_filter_is_registered() -> None:
    assert FilterModule().filters() == {"vn_local_part": vn_local_part}


@pytest.mark.parametrize(
    ("full_name", "expected"),
    [("Nguyễn Văn Dũng", "dungnv"), ("Nguyễn Thị Minh Khai", "khaintm"), ("Lê Lợi", "loil")],
)
def test_full_name(full_name: str, expected: str) -> None:
    assert vn_local_part(full_name) == expected


def test_explicit_parts_as_keyword_arguments() -> None:
    assert vn_local_part(None, family_name="Niê", given_name="H'Maryam") == "hmaryamn"
    assert vn_local_part(family_name="Âu Dương", given_name="Phong") == "phongad"
    assert vn_local_part("Nguyễn Văn Dũng", family_name="Âu Dương", given_name="Phong") == "phongad"
    assert vn_local_part(None, family_name="Hoàng Phủ", middle_name="Ngọc", given_name="Tường") == "tuonghpn"


def test_invalid_name_raises_filter_error_with_the_library_message() -> None:
    with pytest.raises(AnsibleFilterError) as info:
        vn_local_part("NguyÔn V¨n Dòng")
    cause = info.value.__cause__
    assert isinstance(cause, InvalidName)
    assert cause.legacy_encoding == "TCVN3"
    assert "full_name" in str(info.value)
    assert cause.message in str(info.value)
    assert "TCVN3 (ABC)" in str(info.value) and "'Nguyễn Văn Dũng'" in str(info.value)


@pytest.mark.parametrize(
    ("args", "kwargs", "field"),
    [
        (("Dũng",), {}, "full_name"),
        ((None,), {"given_name": "H'Maryam"}, "family_name"),
        ((None,), {"family_name": "Niê", "given_name": "Maryam2"}, "given_name"),
        ((42,), {}, "full_name"),
    ],
)
def test_errors_name_the_field(args: tuple[object, ...], kwargs: dict[str, str], field: str) -> None:
    with pytest.raises(AnsibleFilterError, match=f"invalid {field}: "):
        vn_local_part(*args, **kwargs)


def test_works_in_a_jinja_template() -> None:
    env = jinja2.Environment(autoescape=False)
    env.filters.update(FilterModule().filters())
    template = env.from_string(
        "{{ 'NGUYỄN  VĂN DŨNG' | vn_local_part }} {{ none | vn_local_part(family_name='Niê', given_name=g) }}"
    )
    assert template.render(g="H\u2019Maryam") == "dungnv hmaryamn"


def test_sidecar_documentation() -> None:
    docs = yaml.safe_load(SIDECAR.read_text(encoding="utf-8"))
    doc = docs["DOCUMENTATION"]
    assert doc["name"] == "vn_local_part"
    assert doc["version_added"] == "0.1.0"
    assert doc["short_description"] and doc["description"]
    assert doc["positional"] == "_input"
    assert set(doc["options"]) == {"_input", "family_name", "middle_name", "given_name"}
    assert all(option["type"] == "str" for option in doc["options"].values())
    assert "danang.mail.vn_local_part" in docs["EXAMPLES"]
    yaml.safe_load(docs["EXAMPLES"])  # the examples are valid YAML
    assert docs["RETURN"]["_value"]["type"] == "str"


def test_sidecar_examples_give_what_they_say() -> None:
    examples = yaml.safe_load(SIDECAR.read_text(encoding="utf-8"))["EXAMPLES"]
    for expected in ("dungnv", "khaintm", "hmaryamn", "binhminhp"):
        assert f"=> '{expected}'" in examples
    assert vn_local_part("  NGUYỄN  THỊ MINH KHAI ") == "khaintm"
    assert vn_local_part(None, family_name="Phạm", given_name="Bình Minh") == "binhminhp"
