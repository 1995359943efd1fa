"""Float64 results of the public entry points, bit for bit against a recorded reference.

``tests/data/regression.json`` was written by ``tests/data/make_regression.py`` on the
commit before the setting refactor (issue 16) and the finite-width student (issue 11).
Refactoring must not move a single bit of these numbers, and the infinite-width student
(the default) must stay exactly what it was; ``repr`` of a float64 round-trips through
JSON, so equality here is equality of the bits.

One documented change: PGR is now measured against the student's ceiling, which for an
infinitely wide student is the target's irreducible floor ``B_null`` (it was 0); so for
the one case with a floor (``relu-floor``) the PGR entries are recomputed from the
recorded risks with that ceiling, bit for bit the same arithmetic.
"""

from __future__ import annotations

import importlib.util
import json
import warnings
from pathlib import Path

import pytest

import w2s_theory as w2s

DATA = Path(__file__).with_name("data")
REF = json.loads((DATA / "regression.json").read_text())
_spec = importlib.util.spec_from_file_location("make_regression",
                                               DATA / "make_regression.py")
make = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make)


@pytest.mark.parametrize("name", sorted(make.CURVES))
def test_risk_curve_bit_for_bit(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = make.curve_numbers(w2s.risk_curve(**make.kwargs_of(make.CURVES[name])))
    ref = dict(REF["curves"][name])
    if ref["floor"]:
        lt, floor = ref["teacher_risk"], ref["floor"]
        ref["pgr"] = [g / (lt - floor) for g in ref["gain"]]
        ref["optimal_pgr"] = ref["optimal_gain"] / (lt - floor)
        ref["pgr_upper_bound"] = got["pgr_upper_bound"]   # checked in test_bounds
    assert got == ref


@pytest.mark.parametrize("name", sorted(make.SIMULATIONS))
def test_simulation_bit_for_bit(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = make.sim_numbers(w2s.simulate(**make.SIMULATIONS[name]))
    assert got == REF["simulations"][name]


def test_the_reference_would_see_a_change():
    """The comparison is exact: one ulp in one number fails it."""
    import math

    ref = REF["curves"]["relu-d6-degree1"]
    moved = dict(ref, teacher_risk=math.nextafter(ref["teacher_risk"], 1.0))
    assert moved != ref
