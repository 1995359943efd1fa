"""The bounds over vectors (issue 15 item 3): one array call, validated once, the same
results bit for bit as the scalar calls, in float64 and at 30 digits.

"Bit for bit": a float64 element equals the scalar call's float in every bit (compared
by ``float.hex``); an mpmath element equals the scalar call's ``mpf`` in mantissa and
exponent. The array call performs, element by element, the same operations in the same
order as the scalar call, in the same mpmath context, so no tolerance is involved.
"""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest

from w2s_theory._src import bounds
from w2s_theory._src.bounds import (alpha_from_time, gain_upper_bound, pgr_upper_bound,
                                    student_lower_bound)
from w2s_theory._src.bounds_series import (_leading_term_function,
                                           lower_bound_leading_term)
from w2s_theory._src.errors import InvalidArgument
from w2s_theory._src.precision import Precision

PRECISIONS = [None, 30, Precision(30)]

rng = np.random.default_rng(20260315)
TIMES = np.concatenate([[0.0, np.inf, 1e-300, 1e300], np.logspace(-6, 9, 60)])
ALPHAS = np.concatenate([[0.0, 1.0, 0.5, 1 - 2.0**-53], rng.uniform(0, 1, 40)])
RISKS = np.concatenate([[0.0, 1.0, 1e-30, 0.5], rng.uniform(0, 1, 40)])


def same(vector_element, scalar) -> bool:
    if isinstance(scalar, mpmath.mpf):
        return isinstance(vector_element, mpmath.mpf) and \
            vector_element._mpf_ == scalar._mpf_
    return isinstance(scalar, float) and float(vector_element).hex() == scalar.hex()


def assert_same(vec, scalars):
    assert isinstance(vec, np.ndarray) and vec.shape == (len(scalars),)
    bad = [i for i, (v, s) in enumerate(zip(vec, scalars)) if not same(v, s)]
    assert bad == [], [(i, vec[i], scalars[i]) for i in bad[:3]]


@pytest.mark.parametrize("precision", PRECISIONS, ids=str)
def test_alpha_from_time(precision):
    vec = alpha_from_time(TIMES, 0.37, precision=precision)
    assert_same(vec, [alpha_from_time(t, 0.37, precision=precision) for t in TIMES])
    assert_same(alpha_from_time(list(TIMES), "0.37", precision=precision),
                [alpha_from_time(t, "0.37", precision=precision) for t in TIMES])
    zero = alpha_from_time(TIMES, 0, precision=precision)
    assert_same(zero, [alpha_from_time(t, 0, precision=precision) for t in TIMES])


@pytest.mark.parametrize("precision", PRECISIONS, ids=str)
def test_lower_bound_over_times(precision):
    """The risk engine's call: the lower bound at every time of a curve."""
    alpha = alpha_from_time(TIMES, 0.37, precision=precision)
    vec = student_lower_bound(0.01, 1.0, alpha, precision=precision)
    scal = [student_lower_bound(0.01, 1.0, alpha_from_time(t, 0.37, precision=precision),
                                precision=precision) for t in TIMES]
    assert_same(vec, scal)


@pytest.mark.parametrize("precision", PRECISIONS, ids=str)
@pytest.mark.parametrize("function", [student_lower_bound, gain_upper_bound])
def test_vectors_of_alphas_and_risks(function, precision):
    vec = function(0.3, 2.0, ALPHAS, precision=precision)
    assert_same(vec, [function(0.3, 2.0, a, precision=precision) for a in ALPHAS])
    vec = function(RISKS, 1.0, 0.9, precision=precision)
    assert_same(vec, [function(r, 1.0, 0.9, precision=precision) for r in RISKS])
    # both at once, broadcast
    vec = function(RISKS, 1.0, ALPHAS[:len(RISKS)], precision=precision)
    assert_same(vec, [function(r, 1.0, a, precision=precision)
                      for r, a in zip(RISKS, ALPHAS)])


@pytest.mark.parametrize("precision", PRECISIONS, ids=str)
def test_pgr_vectors(precision):
    risks = RISKS[RISKS > 1e-3]
    vec = pgr_upper_bound(risks, 1.5, ALPHAS[:len(risks)], ceiling_risk=1e-3,
                          precision=precision)
    assert_same(vec, [pgr_upper_bound(r, 1.5, a, ceiling_risk=1e-3, precision=precision)
                      for r, a in zip(risks, ALPHAS)])
    ceilings = risks / 2
    vec = pgr_upper_bound(risks, 1.5, 1, ceiling_risk=ceilings, precision=precision)
    assert_same(vec, [pgr_upper_bound(r, 1.5, 1, ceiling_risk=c, precision=precision)
                      for r, c in zip(risks, ceilings)])


def test_exact_inputs_at_30_digits():
    """Strings and fractions are read exactly, element by element as by the scalar call
    (and mpf inputs at a higher precision are rounded the same way)."""
    values = ["0.1", "1e-20", Fraction(1, 3), 0.25, 7, mpmath.mpf(1) / 7]
    with mpmath.workdps(60):
        values.append(mpmath.mpf(1) / 3)
    vec = student_lower_bound(values, 10, "0.99", precision=30)
    assert_same(vec, [student_lower_bound(v, 10, "0.99", precision=30) for v in values])
    t = ["1", "2.5", Fraction(7, 2), "inf", 3]
    assert_same(alpha_from_time(t, "0.1", precision=30),
                [alpha_from_time(x, "0.1", precision=30) for x in t])


@pytest.mark.parametrize("precision", PRECISIONS, ids=str)
def test_array_errors_name_the_argument_and_the_first_bad_element(precision):
    with pytest.raises(InvalidArgument, match=r"^t: must be >= 0.*-1"):
        alpha_from_time([1, 2, -1, -2], 1.0, precision=precision)
    with pytest.raises(InvalidArgument, match=r"^alpha: must be in \[0, 1\].*1\.5"):
        student_lower_bound(0.1, 1, [0.5, 1.5, 2], precision=precision)
    with pytest.raises(InvalidArgument, match=r"^teacher_risk: must be <= target_energy"):
        gain_upper_bound([0.1, 3], 1, precision=precision)
    with pytest.raises(InvalidArgument, match=r"^teacher_risk: must be.*finite"):
        student_lower_bound([0.1, float("nan")], 1, precision=precision)
    with pytest.raises(InvalidArgument, match=r"^ceiling_risk: must be < teacher_risk"):
        pgr_upper_bound([0.2, 0.1], 1, ceiling_risk=[0.1, 0.1], precision=precision)
    with pytest.raises(InvalidArgument, match=r"^top_eigenvalue: must be a single number"):
        alpha_from_time([1, 2], [1, 2], precision=precision)


def test_validated_once_not_per_element(monkeypatch):
    """The array call runs each argument's checks once for the whole array (the scalar
    path, one call per element, ran them once per time: issue 15)."""
    calls = []
    real = bounds._require
    monkeypatch.setattr(bounds, "_require", lambda *a: (calls.append(a[0]), real(*a)))
    for precision in (None, 30):
        calls.clear()
        alpha = alpha_from_time(TIMES, 0.37, precision=precision)
        student_lower_bound(0.01, 1.0, alpha, precision=precision)
        assert len(calls) == 6, calls       # top_eigenvalue, t, E, L x2, alpha


@pytest.mark.parametrize("precision", [None, 30])
def test_leading_term_is_the_lambdified_series_term(precision):
    """``w2s bound``'s series term, evaluated without sympy, equals the lambdified
    leading term of lower_bound_series bit for bit."""
    module = "math" if precision is None else "mpmath"
    f = _leading_term_function(module)
    for L, E in [(0.01, 1.0), (0.3, 2.0), (1e-12, 1.0), ("0.2", "0.7"), (5, 7)]:
        got = lower_bound_leading_term(L, E, precision=precision)
        p = Precision(precision)
        with p.context():
            Lx, Ex = (float(L), float(E)) if precision is None else \
                (mpmath.mpf(L), mpmath.mpf(E))
            sqrt = np.sqrt if precision is None else mpmath.sqrt
            ref = f(Lx, sqrt(Ex - Lx))
        assert same(got, float(ref) if precision is None else ref), (L, E, got, ref)
