"""The examples in the measurements docstrings must hold."""

from __future__ import annotations

import doctest

import pytest

from measurements import services, validation


@pytest.mark.parametrize("module", [services, validation], ids=lambda m: m.__name__)
def test_it_keeps_the_examples_in_the_docstrings_true(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 1
    assert result.failed == 0
