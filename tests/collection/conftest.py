from __future__ import annotations

import pytest
from collection.installed import Installed, build_and_install


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """One build and install for the whole run: the tests only read the installed copy."""
    return build_and_install(tmp_path_factory.mktemp("install"))
