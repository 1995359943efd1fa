"""The one validated Setting (issue 16): construction from keywords, TOML and options,
round trips, replace semantics, errors that carry the caller's names, exact numbers at
any precision, and one way of giving a precision to every public function."""

from __future__ import annotations

import ast
import pickle
import sys
import tomllib
from fractions import Fraction
from pathlib import Path

import mpmath
import numpy as np
import pytest

import w2s_theory as w2s
from w2s_theory._src.errors import InvalidArgument
from w2s_theory._src.precision import FLOAT64, Precision, as_precision
from w2s_theory._src.setting import FEATURE_KEYS, PARAMS, Setting, option_name

ROOT = Path(__file__).resolve().parents[1]

#: settings covering every feature family, a sum target, decimals and fractions
EXAMPLES = [
    dict(dim=6, teacher_width=100, times="300,1000"),
    dict(activation="tanh", dim=5, target="degree:1 + 0.5*degree:2", teacher_width=20,
         student_width=400, times=["0.1", 1e3, Fraction(1, 3), "inf"]),
    dict(variances="1,0.5,0.25,0.125", target="linear:1,1,1,1", teacher_width=2,
         student_width=4, lr="0.25", steps="10,20"),
    dict(eigenvalues=[1, 0.5, 0.25], multiplicities=[1, 2, 3], target="energies:0=0.5,2=1",
         teacher_width=3, precision=40),
    dict(power_law="1.5", power_law_scale="0.5", target="power-law:2", teacher_width=50),
]


@pytest.mark.parametrize("kw", EXAMPLES)
def test_round_trips(kw):
    s = Setting(**kw)
    assert Setting.from_toml(s.to_toml()) == s                       # TOML
    assert Setting.from_values(s.to_dict()) == s                     # JSON-like dict
    assert pickle.loads(pickle.dumps(s)) == s                        # worker processes
    assert hash(pickle.loads(pickle.dumps(s))) == hash(s)
    assert s.replace() == s
    assert Setting(spectrum=s.spectrum, **{k: v for k, v in kw.items()
                                           if k not in FEATURE_KEYS}) == s


def test_exact_numbers_survive_toml():
    s = Setting(dim=6, times=["0.1", "1e-3", Fraction(1, 3)], precision=50)
    back = Setting.from_toml(s.to_toml())
    assert [getattr(t, "decimal", t) for t in back.times] == ["0.1", "0.001", Fraction(1, 3)]
    text = s.to_toml()
    assert "0.1" in text and "0.1000000000000000055" not in text


def test_defaults_and_families():
    s = Setting(dim=6)
    assert (s.activation, str(s.target), s.teacher_width, s.student_width,
            s.precision) == ("relu", "degree:1", 100, None, FLOAT64)
    # a feature key of another family replaces the whole family, others are kept
    t = s.replace(variances=[1, 0.5], target="linear:1,1", teacher_width=1)
    assert t.family == "variances" and t.dim is None and t.activation is None
    assert s.replace(dim=8).activation == "relu"
    assert s.replace(activation="tanh").dim == 6
    # times and (lr, steps) replace each other
    g = s.replace(times=[1]).replace(lr="0.5", steps=[3])
    assert g.times is None and g.training_times() == (Fraction(3, 2),)
    assert g.replace(times=[2]).lr is None


@pytest.mark.parametrize("kw, key, words", [
    (dict(dim=1), "dim", "must be an integer >= 2"),
    (dict(dim=6, teacher_width=0), "teacher_width", "positive integer"),
    (dict(dim=6, student_width="abc"), "student_width", "positive integer or inf"),
    (dict(dim=6, times=[-1]), "times", ">= 0"),
    (dict(dim=6, times=["x"]), "times", "real number"),
    (dict(dim=6, power_law=2), "power_law", "only one feature family"),
    (dict(power_law=1.0), "power_law", "> 1"),
    (dict(power_law=2, power_law_scale=0), "power_law_scale", "> 0"),
    (dict(dim=6, target="single-index:nope"), "target", "unknown activation"),
    (dict(dim=6, target="degree:x"), "target", "degree"),
    (dict(dim=6, activation="nosuch"), "activation", "unknown activation"),
    (dict(eigenvalues=[1, 2], teacher_width=2), "teacher_width", "eigendirections"),
    (dict(dim=6, times=[1], lr=0.1, steps=[1]), "lr", "not both"),
    (dict(dim=6, lr=0.1), "steps", "go together"),
    (dict(dim=6, steps=[1.5], lr=0.1), "steps", "integer"),
    (dict(dim=6, lr=0, steps=[1]), "lr", "> 0"),
    (dict(dim=6, precision=5), "precision", "at least 15"),
    (dict(multiplicities=[1]), "multiplicities", "goes with eigenvalues"),
])
def test_errors_name_the_key(kw, key, words):
    with pytest.raises(InvalidArgument, match=words) as info:
        Setting(**kw)
    assert info.value.argument == key
    # the same error, built from options or a file, names the option or the file's key
    strings = {k: v if isinstance(v, str) else
               ",".join(map(str, v)) if isinstance(v, list) else str(v)
               for k, v in kw.items()}
    with pytest.raises(InvalidArgument) as opt:
        Setting.from_values(strings, label=option_name)
    assert opt.value.argument == option_name(key)
    assert opt.value.message.replace("'", "") == info.value.message.replace("'", "")
    with pytest.raises(InvalidArgument) as toml:
        Setting.from_values(strings, label=lambda k: f"s.toml: {k}")
    assert toml.value.argument == f"s.toml: {key}"


def test_unknown_keys_have_close_matches():
    with pytest.raises(InvalidArgument, match="did you mean 'teacher_width'"):
        Setting.from_values({"teacher_widht": 3, "dim": 6})
    with pytest.raises(InvalidArgument, match="not valid TOML"):
        Setting.from_toml("dim = [")
    with pytest.raises(InvalidArgument, match="expected a value, got a table"):
        Setting.from_toml("[dim]\nx = 1")


def test_every_parameter_has_an_option_and_help():
    options = [p.flag for p in PARAMS.values()]
    assert len(set(options)) == len(options)
    assert option_name("times") == "--time" and option_name("precision") == "--digits"
    assert all(p.help and p.flag.startswith("--") for p in PARAMS.values())


# --------------------------------------------------------------------------------------
# numbers at the working precision


@pytest.mark.parametrize("digits", [40, 60])
def test_decimal_time_is_exact_at_any_precision(digits):
    """``0.1`` is 1/10 at every digit: a curve at the decimal time agrees with one at the
    exact rational time to the precision asked (38 digits at 40), while the float64
    time ``0.1`` differs from 1/10 at digit 17 and moves the result by about
    ``|dL/dt| 5.6e-18``, far beyond that."""
    kw = dict(activation="relu", dim=6, teacher_width=100, optimal_stopping=False)
    dec = w2s.risk_curve(times=["0.1"], precision=digits, **kw)
    exact = w2s.risk_curve(times=[Fraction(1, 10)], precision=digits + 20, **kw)
    binary = w2s.risk_curve(times=[0.1], precision=digits, **kw)
    with mpmath.workdps(digits + 30):
        a, b, c = (mpmath.mpf(x.student_risk[0]) for x in (dec, exact, binary))
        assert abs(dec.times[0] - mpmath.mpf(1) / 10) < mpmath.mpf(10) ** -(digits + 5)
        assert abs(a - b) <= abs(b) * mpmath.mpf(10) ** -(digits - 2)
        # the binary time moves the result far beyond the tolerance: the test can fail
        assert abs(c - b) > abs(b) * mpmath.mpf(10) ** -(digits - 10)


def _public_calls():
    """Every public function taking a precision, called with ``p``."""
    spec = w2s.SphereSpectrum("relu", 6)
    return {
        "u_density": lambda p: w2s.u_density(0.3, 6, p),
        "gegenbauer": lambda p: w2s.gegenbauer(3, 0.3, 6, p)[3],
        "log_multiplicities": lambda p: w2s.log_multiplicities(6, [5], p)[0],
        "funk_hecke_coefficients": lambda p: w2s.funk_hecke_coefficients(
            np.tanh, 6, 3, p, mp_func=mpmath.tanh).coefficients[1],
        "kernel": lambda p: w2s.kernel("relu", 6, p)("0.3"),
        "Spectrum.blocks": lambda p: spec.blocks(3, p).log_lam[1],
        "Spectrum.tail_moments": lambda p: spec.tail_moments(8, 2, p).log_mass,
        "Spectrum.log_trace": lambda p: spec.log_trace(p),
        "student_lower_bound": lambda p: w2s.student_lower_bound("0.01", "1",
                                                                 precision=p),
        "alpha_from_time": lambda p: w2s.alpha_from_time("2", "0.5", precision=p),
        "risk_curve": lambda p: w2s.risk_curve(dim=6, teacher_width=50, precision=p,
                                               optimal_stopping=False).teacher_risk,
    }


@pytest.mark.parametrize("name", sorted(_public_calls()))
def test_every_public_function_takes_precision_the_same_way(name):
    call = _public_calls()[name]
    forms = [30, "30", Precision(30)]
    values = [call(p) for p in forms]
    assert all(isinstance(v, mpmath.mpf) for v in values), name
    assert values[0] == values[1] == values[2]
    low = [call(p) for p in (None, FLOAT64)]
    assert low[0] == low[1] and not isinstance(low[0], mpmath.mpf)
    assert abs(float(values[0]) - float(low[0])) <= 1e-9 * abs(float(values[0])) + 1e-300
    with pytest.raises(InvalidArgument, match="precision"):
        call(10)
    with pytest.raises(InvalidArgument, match="precision"):
        as_precision(1.5)


# --------------------------------------------------------------------------------------
# the Python version the package declares


def test_declared_python_version_is_the_one_used_and_its_syntax_suffices():
    """``requires-python`` is what CI runs on, and every module parses with that
    version's grammar (no newer syntax slips in)."""
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    spec = meta["requires-python"]
    assert spec.startswith(">=")
    major, minor = (int(x) for x in spec[2:].split(".")[:2])
    assert sys.version_info[:2] >= (major, minor)
    for path in sorted((ROOT / "w2s_theory").rglob("*.py")):
        ast.parse(path.read_text(), filename=str(path), feature_version=(major, minor))
