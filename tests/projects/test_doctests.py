"""The worked examples in the scoring docstrings are what the method page shows: they must hold."""

from __future__ import annotations

import doctest

from projects import scoring


def test_it_keeps_every_worked_example_in_the_scoring_docstrings_true():
    result = doctest.testmod(scoring, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 20
    assert result.failed == 0
