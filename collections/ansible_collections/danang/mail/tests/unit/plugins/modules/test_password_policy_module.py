# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""danang.mail.password_policy run in-process: each system's options are required only when that
system is checked (the runs against the servers are tests/integration/test_password_policy*.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.danang.mail.plugins.modules import password_policy

OBM = {"ldap_uri": "ldap://127.0.0.1:1", "ldap_bind_password": "Bind-Pw9", "imap_admin_password": "Imap-Pw9"}


def run(capsys: pytest.CaptureFixture[str], **args: Any) -> dict[str, Any]:
    args = {"desired_state": "/nonexistent/desired_state", "ledger": "/nonexistent/ledger.yml", **args}
    with patch_module_args(args), pytest.raises(SystemExit):
        password_policy.main()
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"backend": ["obm"]}, "backend obm: ldap_uri, ldap_bind_password, imap_admin_password"),
        ({"backend": ["exchange"], **OBM}, "backend exchange: exchange_server, ad_uri"),
        ({"backend": ["obm", "exchange"], **OBM}, "backend exchange: exchange_server, ad_uri"),
    ],
)
def test_each_system_requires_its_own_options(capsys, args, message):
    result = run(capsys, **args)
    assert result["failed"] and result["msg"] == f"missing required arguments with {message}"


def test_exchange_alone_needs_no_obm_options(capsys):
    result = run(capsys, backend=["exchange"], exchange_server="mail.example", ad_uri="ldap://127.0.0.1:1")
    # Past the option checks: the desired state is read next (and is missing here).
    assert result["failed"] and "missing required arguments" not in result["msg"]
