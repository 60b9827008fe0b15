"""exchange_batch_size has one meaning (changes per pipeline), documented so, and is stored once."""

from __future__ import annotations

import dataclasses

import pytest
import yaml
from ansible_collections.danang.mail.plugins.doc_fragments.exchange import ModuleDocFragment
from ansible_collections.danang.mail.plugins.module_utils.backends.contract import BackendError
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.config import (
    ExchangeConfig,
    config_from_params,
)

PARAMS = {
    "exchange_server": "127.0.0.1",
    "exchange_username": "a@x",
    "exchange_password": "p",
    "ad_uri": "ldap://x",
}


def test_the_batch_size_is_stored_once_on_the_connection():
    config = config_from_params({**PARAMS, "exchange_batch_size": 7})
    assert config.exchange.batch_size == 7
    assert "batch_size" not in {f.name for f in dataclasses.fields(ExchangeConfig)}


def test_the_batch_size_is_documented_as_changes_per_pipeline():
    doc = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]["exchange_batch_size"]["description"]
    assert " ".join(doc).startswith("Changes sent in one pipeline")


def test_runspaces_are_stored_and_checked_before_anything_connects():
    assert config_from_params(PARAMS).exchange.runspaces == 4
    assert config_from_params({**PARAMS, "exchange_runspaces": 1}).exchange.runspaces == 1
    with pytest.raises(BackendError, match="exchange_runspaces must be 1 or more, not 0"):
        config_from_params({**PARAMS, "exchange_runspaces": 0})
