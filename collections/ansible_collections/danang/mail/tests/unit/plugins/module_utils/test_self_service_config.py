# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""self_service_config: the page's configuration file (all but ``web``): problems name the file,
the part and the field, never a value; open_service refuses a bad file before connecting."""

from __future__ import annotations

import copy

import pytest
from ansible_collections.danang.mail.plugins.module_utils.model import ValidationFailed
from ansible_collections.danang.mail.plugins.module_utils.self_service import config_problems, open_service
from ansible_collections.danang.mail.plugins.module_utils.self_service_config import read_config

SOURCE = "/etc/danang-password-portal/config.yml"
SECRET = "S3cret-Portal-Value"
GOOD = {
    "domain": "danang.gov.vn",
    "systems": ["exchange", "obm"],
    "obm": {
        "ldap_uri": "ldap://127.0.0.1:3389",
        "ldap_starttls": True,
        "base_dn": "dc=local",
        "bind_dn": "uid=password-portal,ou=sysusers,dc=local",
        "bind_password": SECRET,
    },
    "exchange": {
        "exchange_server": "mail.danang.gov.vn",
        "exchange_username": "svc-portal@danang.gov.vn",
        "exchange_password": SECRET,
        "ad_uri": "ldaps://dc1.danang.gov.vn",
    },
    "web": {"secret_key": SECRET, "anything": "the web application checks it"},
}


def problems_of(**changes):
    config = copy.deepcopy(GOOD)
    for key, value in changes.items():
        part, _sep, name = key.partition("__")
        if name:
            if value is None:
                config[part].pop(name)
            else:
                config[part][name] = value
        elif value is None:
            config.pop(part)
        else:
            config[part] = value
    return [(p.source, p.entry, p.field) for p in config_problems(config, SOURCE)], config_problems(
        config, SOURCE
    )


def test_the_example_of_the_design_is_accepted():
    parsed, problems = read_config(GOOD, SOURCE)
    assert problems == [] and parsed is not None
    assert (
        parsed.systems == ("exchange", "obm")
        and parsed.obm is not None
        and parsed.obm.domain == "danang.gov.vn"
    )
    assert parsed.exchange is not None and parsed.exchange.ad.bind_user == "svc-portal@danang.gov.vn"
    assert SECRET not in repr(parsed)


@pytest.mark.parametrize(
    "change,where",
    [
        ({"domain": "Danang.gov.vn"}, ("", "domain")),
        ({"domain": None}, ("", "domain")),
        ({"systems": ["obm", "exchange"]}, ("", "systems")),
        ({"systems": ["exchange", "exchange"]}, ("", "systems")),
        ({"systems": ["gmail"]}, ("", "systems")),
        ({"colour": "blue"}, ("", "colour")),
        ({"obm": None}, ("obm", "")),
        ({"obm__bind_password": None}, ("obm", "bind_password")),
        ({"obm__bind_password": [SECRET]}, ("obm", "bind_password")),
        ({"obm__ldap_starttls": "yes"}, ("obm", "ldap_starttls")),
        ({"obm__ldap_uri": "http://127.0.0.1"}, ("obm", "ldap_uri")),
        ({"obm__password": SECRET}, ("obm", "password")),
        ({"exchange__ad_uri": None}, ("exchange", "ad_uri")),
        ({"exchange__exchange_port": "443"}, ("exchange", "exchange_port")),
        ({"exchange__exchange_auth": "digest"}, ("exchange", "exchange_auth")),
        ({"exchange__exchange_batch_size": 0}, ("exchange", "")),
        ({"exchange__ldap_password": SECRET}, ("exchange", "ldap_password")),
        ({"personal_data_file": 7}, ("", "personal_data_file")),
        (
            {"obm__ldap_uri": "ldap://ldap.danang.gov.vn:389", "obm__ldap_starttls": False},
            ("obm", "ldap_uri"),
        ),
        ({"exchange__ad_uri": "ldap://dc1.danang.gov.vn"}, ("exchange", "ad_uri")),
    ],
)
def test_each_problem_names_the_file_part_and_field_and_never_a_value(change, where):
    located, problems = problems_of(**change)
    assert (SOURCE, *where) in located, located
    assert all(SECRET not in str(p) for p in problems)


def test_a_system_not_listed_needs_no_part():
    config = {k: v for k, v in GOOD.items() if k != "exchange"}
    assert config_problems({**config, "systems": ["obm"]}, SOURCE) == []


def test_the_personal_data_file_is_read_strictly(tmp_path):
    path = tmp_path / "personal_data.yml"
    path.write_text('CB-2017-000101: {birth_date: 1985-04-12, phone: "0905123456"}\n', encoding="utf-8")
    parsed, problems = read_config({**GOOD, "personal_data_file": str(path)}, SOURCE)
    assert problems == [] and parsed is not None
    assert parsed.personal_data["CB-2017-000101"].phone == "0905123456"
    path.write_text("CB-2017-000101: {birth_date: 12/04/1985}\nx: &a [*a]\n", encoding="utf-8")
    problems = config_problems({**GOOD, "personal_data_file": str(path)}, SOURCE)
    assert problems and all(p.source == str(path) for p in problems)
    missing = config_problems({**GOOD, "personal_data_file": str(tmp_path / "none.yml")}, SOURCE)
    assert [p.source for p in missing] == [str(tmp_path / "none.yml")]


def test_open_service_refuses_a_bad_file_before_connecting():
    with pytest.raises(ValidationFailed) as failed:
        open_service({**GOOD, "systems": ["obm", "exchange"]}, SOURCE)
    assert SOURCE in str(failed.value) and SECRET not in str(failed.value)


def test_open_service_connects_on_first_use_only():
    with open_service(GOOD, SOURCE) as service:  # unreachable hosts: nothing is opened yet
        assert service.order == ("exchange", "obm")
