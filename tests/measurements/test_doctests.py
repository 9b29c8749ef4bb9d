"""The examples in the measurements docstrings must hold."""

from __future__ import annotations

import doctest

from measurements import services


def test_it_keeps_the_examples_in_the_ingestion_docstrings_true():
    result = doctest.testmod(services, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 3
    assert result.failed == 0
