"""The test suite's embedded servers: started before pytest-django reads the settings.

Loaded with ``-p devtools.pytest_plugin`` (pyproject's pytest options). A wrapper
runs before every ordinary implementation of the hook, pytest-django's included,
which is where Django's settings are first read.
"""

from collections.abc import Generator

import pytest

from devtools.local_services import servers_ensure


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> Generator[None, None, None]:
    servers_ensure()
    return (yield)
