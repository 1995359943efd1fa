"""The finite-width student before and after its performance work (issue 11 targets).

``tests/data/finite_student_regression.json`` holds results of ``risk_curve`` recorded by
``tests/data/make_finite_student_regression.py`` on the code before that work (one
resolvent solve per evaluation, mpmath polish, float64 and 30/50 digits, gradient flow
and descent). Faster code may move a result only within what the two reported bounds
allow:

* ``L_S(t)`` and ``L_S(t*)``: by at most the sum of the two ``error_bound["student_risk"]``
  (each bounds every reported time's error, so the difference of two correct answers is
  within their sum), plus one unit of the float64 rounding of the sum's terms;
* ``t*`` and the ends of the win intervals, found by Newton on ``dL_S/dlog t = 0`` and on
  ``L_S = L_T``: an error ``e`` in the risk moves a stationary point by about
  ``sqrt(e / L'')`` relative at worst and a crossing by ``e / (t |L'|)``; measured
  differences are below 1e-12 (float64) and none at the printed digits (30 and 50
  digits); asserted at 1e-9 and ``10**-(digits // 2)`` (the first bound's order: a
  stationary point is determined to half the digits of the value);
* ``nu_S``, the ceiling (teacher formulas, unchanged) and the top edge ``s_+`` (a
  stationary value of ``z(kappa)``, so its root finder's tolerance does not show):
  relative ``4 eps`` of the precision;
* the best step count of gradient descent: the same integer.

The 30 against 60 digit and float64 against 40 digit agreements are in
``tests/test_resolvent.py`` and ``tests/test_finite_student.py``.
"""

from __future__ import annotations

import importlib.util
import json
import math
import warnings
from pathlib import Path

import mpmath
import pytest

import w2s_theory as w2s

DATA = Path(__file__).with_name("data")
REF = json.loads((DATA / "finite_student_regression.json").read_text())
_spec = importlib.util.spec_from_file_location(
    "make_finite_student_regression", DATA / "make_finite_student_regression.py")
make = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make)


def _num(x, dps):
    if x is None:
        return None
    return mpmath.mpf(x) if dps else float(x)


@pytest.mark.parametrize("name", sorted(make.CASES))
def test_results_within_the_reported_bounds_of_the_former_code(name):
    kwargs = make.CASES[name]
    digits = kwargs.get("precision")
    ref = REF[name]
    got = make.record(kwargs)
    with mpmath.workdps((digits or 16) + 20):
        conv = lambda x: _num(x, digits)  # noqa: E731
        bound = got["error_bound"] + ref["error_bound"]
        eps = 2.3e-16 if digits is None else 10.0 ** -digits
        assert [conv(t) for t in got["times"]] == [conv(t) for t in ref["times"]]
        for a, b in zip(got["student_risk"], ref["student_risk"]):
            assert abs(conv(a) - conv(b)) <= bound + 4 * eps, (a, b)
        assert abs(conv(got["optimal_student_risk"]) - conv(ref["optimal_student_risk"])) \
            <= bound + 4 * eps
        t_tol = 1e-9 if digits is None else 10.0 ** -(digits // 2)
        pairs = [(got["optimal_time"], ref["optimal_time"])]
        assert len(got["win_intervals"]) == len(ref["win_intervals"])
        for ga, ra in zip(got["win_intervals"], ref["win_intervals"]):
            pairs += list(zip(ga, ra))
        for a, b in pairs:
            if a is None or b is None:           # infinite: both
                assert a is None and b is None
                continue
            a, b = conv(a), conv(b)
            assert abs(a - b) <= t_tol * abs(b), (a, b)
        for key in ("nu_student", "student_ceiling_risk", "student_top_edge"):
            a, b = conv(got[key]), conv(ref[key])
            assert abs(a - b) <= 4 * eps * abs(b), (key, a, b)
        assert got["optimal_steps"] == ref["optimal_steps"]


def test_the_mpmath_fallback_agrees_with_python_flint(monkeypatch):
    # the high-precision node arithmetic has two backends (theory/highprec.py): the same
    # midpoints to the working precision, so the results agree far below the bound
    from w2s_theory._src.theory import highprec

    if not highprec.HAVE_FLINT:
        pytest.skip("python-flint is not installed")
    kwargs = dict(make.CASES["finite-flow-30"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = w2s.risk_curve(**kwargs)
        for mod in ("resolvent", "finite_evolution"):
            monkeypatch.setattr(f"w2s_theory._src.theory.{mod}.HP",
                                highprec.backend("mpmath"))
        b = w2s.risk_curve(**kwargs)
    assert math.isclose(float(a.optimal_time), float(b.optimal_time), rel_tol=1e-14)
    with mpmath.workdps(40):
        for x, y in zip(a.student_risk, b.student_risk):
            assert abs(x - y) <= mpmath.mpf(10) ** -38
        assert abs(a.optimal_student_risk - b.optimal_student_risk) <= \
            mpmath.mpf(10) ** -38
