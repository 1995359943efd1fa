"""Regressions of the risk engine, checked against independent exact values.

1. A closed-form single-index target (ReLU) on features whose Funk-Hecke coefficients
   come from quadrature (tanh, erf, sigmoid): the target's energy beyond the degrees
   where the quadrature coefficients were computed used to be dropped (``||f*||^2`` and
   the floor were wrong from the 7th digit, with a zero error bound).
2. Power-law spectra at large teacher width: the explicit head used to reach millions
   of blocks and ``student_risk`` allocated a (times x blocks) array of tens of GiB.
"""

import json
import subprocess
import sys
import textwrap
import warnings

import mpmath
import pytest

from w2s_theory import PowerLawSpectrum, risk_curve


def _exact_relu(d, activation):
    """``(||relu||^2, floor)`` on S^{d-1} for features ``activation`` (mpmath, 50 digits).

    ``||relu||^2 = E[u_+^2] = 1/(2d)``; ``relu(u) = u/2 + |u|/2`` with ``|u|`` even, so
    the odd-degree energy is ``E[u^2]/4 = 1/(4d)`` (all of it in degree 1). tanh and erf
    are odd (``lambda_k = 0`` on even degrees): floor = even energy = ``1/(4d)``. sigmoid
    is a constant plus an odd function (``lambda_k = 0`` on even ``k >= 2``): floor =
    ``1/(4d) - c_0(relu)^2`` with ``c_0 = E[u_+] = Gamma(d/2)/(2 sqrt(pi)
    Gamma((d+1)/2))``.
    """
    with mpmath.workdps(50):
        d = mpmath.mpf(d)
        energy = 1 / (2 * d)
        even = energy - 1 / (4 * d)
        if activation == "sigmoid":
            c0 = mpmath.gamma(d / 2) / (2 * mpmath.sqrt(mpmath.pi) * mpmath.gamma((d + 1) / 2))
            return energy, even - c0 ** 2
        return energy, even


def _relu_curve(activation, d, digits):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # IrreducibleFloorWarning: expected here
        return risk_curve(activation=activation, dim=d, target="single-index:relu",
                          teacher_width=100, times=[0, float("inf")], precision=digits,
                          optimal_stopping=False)


def _rel(x, y):
    with mpmath.workdps(50):
        return float(abs(mpmath.mpf(x) - y) / abs(y))


@pytest.mark.parametrize("activation", ["tanh", "erf", "sigmoid"])
@pytest.mark.parametrize("d", [6, 10])
def test_relu_target_on_quadrature_features_float64(activation, d):
    energy, floor = _exact_relu(d, activation)
    c = _relu_curve(activation, d, None)
    assert _rel(c.target_energy, energy) < 1e-12
    assert _rel(c.floor, floor) < 1e-12
    # L_S(0) = ||f*||^2
    assert _rel(c.student_risk[0], energy) < 1e-12
    # the reported error bound covers the actual error
    bound = max(c.error_bound["tail_moments"], 1e-13)
    assert _rel(c.target_energy, energy) <= bound


@pytest.mark.parametrize("activation", ["tanh", "erf", "sigmoid"])
@pytest.mark.parametrize("d", [6, 10])
def test_relu_target_on_quadrature_features_30_digits(activation, d):
    energy, floor = _exact_relu(d, activation)
    c = _relu_curve(activation, d, 30)
    assert _rel(c.target_energy, energy) < 1e-25
    assert _rel(c.floor, floor) < 1e-25
    assert _rel(c.student_risk[0], energy) < 1e-25


def test_power_law_reduced_cut_agrees_with_full_head(monkeypatch):
    """The shorter explicit head of power-law spectra (z = t lambda_bar up to 1, more
    series terms) gives the same curve as the old cut (z <= 1e-3)."""
    import w2s_theory._src.theory.curve as curve
    from w2s_theory._src.theory.table import series_plan

    kw = dict(spectrum=PowerLawSpectrum(1.5), target="power-law:1.5", teacher_width=10,
              times=[0.0, 1.0, 30.0, 1e3, 1e4, float("inf")], optimal_stopping=False)
    new = risk_curve(**kw)
    monkeypatch.setattr(curve, "time_plan", lambda spectrum, p: series_plan(p))
    old = risk_curve(**kw)
    assert new.diagnostics["K"] * 20 < old.diagnostics["K"]
    for a, b in zip(new.student_risk, old.student_risk):
        assert abs(a - b) <= 1e-13 * abs(b)
    assert abs(new.teacher_risk - old.teacher_risk) <= 1e-13 * old.teacher_risk
    assert abs(new.student_risk[0] - new.target_energy) <= 1e-13 * new.target_energy


_PEAK_RSS_SCRIPT = textwrap.dedent("""
    import json, resource
    from w2s_theory import risk_curve, PowerLawSpectrum
    c = risk_curve(spectrum=PowerLawSpectrum(1.5), target="power-law:1.5",
                   teacher_width=1000, times=[])
    print(json.dumps({"rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "K": c.diagnostics["K"], "L_T": c.teacher_risk,
                      "L_star": c.optimal_student_risk}))
""")


def test_power_law_large_width_bounded_memory():
    """M_T = 1000 used to need a 34.5 GiB (241 x 19,202,411) array; now < 1 GiB peak."""
    out = subprocess.run([sys.executable, "-c", _PEAK_RSS_SCRIPT], capture_output=True,
                         text=True, timeout=120, check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["rss_mb"] < 1024, res
    assert res["K"] < 10 ** 6, res
    assert 0 < res["L_star"] < res["L_T"]
