"""edgeopt_solve.testing: the helper formulation tests build bad-input cases with."""

from __future__ import annotations

import doctest

import edgeopt_solve.testing as t


def test_with_value_copies_sets_and_deletes() -> None:
    good = {"a": [{"b": 1, "c": 2}]}
    assert t.with_value(good, ("a", 0, "b"), 5) == {"a": [{"b": 5, "c": 2}]}
    assert t.with_value(good, ("a", 0, "c"), t.DELETE) == {"a": [{"b": 1}]}
    assert good == {"a": [{"b": 1, "c": 2}]}  # never changed


def test_doctests() -> None:
    assert doctest.testmod(t).failed == 0
