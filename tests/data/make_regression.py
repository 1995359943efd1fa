"""Record float64 results of the public entry points, to pin them bit for bit.

Run from the repository root (``python tests/data/make_regression.py``) on the commit
whose results are the reference; it writes ``tests/data/regression.json``, which
``tests/test_regression.py`` compares against exactly (``repr`` of a float64
round-trips). The reference was recorded on commit 373968b, before the setting
refactor (issue 16) and the finite-width student (issue 11), whose infinite-width
default must reproduce it.
"""

from __future__ import annotations

import json
import math
import sys
import warnings
from pathlib import Path

import w2s_theory as w2s

#: name -> keyword arguments of ``risk_curve``
CURVES = {
    "relu-d6-degree1": dict(activation="relu", dim=6, target="degree:1",
                            teacher_width=100, times=[0, 300, 1000, math.inf]),
    "relu-d10-degree1": dict(activation="relu", dim=10, target="degree:1",
                             teacher_width=100, times=[1000, 3162, 10000]),
    "relu-d6-single-index": dict(activation="relu", dim=6, target="single-index:relu",
                                 teacher_width=50, times=[100]),
    "tanh-d6-sum": dict(activation="tanh", dim=6, target="degree:1 + 0.5*degree:2",
                        teacher_width=40, times=[10, 100]),
    "relu-d100": dict(activation="relu", dim=100, target="degree:1 + degree:2",
                      teacher_width=1000, times=[1e3, 1e5]),
    "relu-floor": dict(activation="relu", dim=6, target="degree:1 + degree:3",
                       teacher_width=50, times=[100, 1000]),
    "linear-gaussian": dict(spectrum=("variances", [1, 0.5, 0.25, 0.125]),
                            target="linear:1,1,1,1", teacher_width=2, times=[10]),
    "finite": dict(spectrum=("finite", [1, 0.5, 0.25, 0.125], [1, 2, 3, 4]),
                   target="energies:0=0.5,1=0.3,3=0.2", teacher_width=3,
                   times=[1, 10, 100]),
    "power-law": dict(spectrum=("power-law", 1.5), target="power-law:2",
                      teacher_width=50, times=[10, 1000]),
}

#: keys of RiskCurve.to_dict() that are numbers or lists of numbers
CURVE_KEYS = ["nu_teacher", "teacher_risk", "target_energy", "floor", "times",
              "student_risk", "gain", "pgr", "optimal_time", "optimal_student_risk",
              "optimal_gain", "optimal_pgr", "win_intervals", "lower_bound",
              "gain_upper_bound", "pgr_upper_bound"]

SIMULATIONS = {
    "sim-relu-d6-inf": dict(activation="relu", dim=6, target="degree:1",
                            teacher_width=30, student_width="inf", times=[300, 1000],
                            seeds=3, seed=1, workers=1),
    "sim-relu-d6-finite": dict(activation="relu", dim=6, target="degree:1",
                               teacher_width=20, student_width=60, times=[100, 1000],
                               seeds=2, seed=0, workers=1),
}


def spectrum_of(spec):
    kind, *args = spec
    if kind == "variances":
        return w2s.LinearGaussianSpectrum(*args)
    if kind == "finite":
        return w2s.FiniteSpectrum(*args)
    return w2s.PowerLawSpectrum(*args)


def kwargs_of(kw):
    kw = dict(kw)
    if "spectrum" in kw:
        kw["spectrum"] = spectrum_of(kw["spectrum"])
    return kw


def curve_numbers(c) -> dict:
    d = c.to_dict()
    return {k: d[k] for k in CURVE_KEYS}


def sim_numbers(r) -> dict:
    return {"teacher_risk": list(r.teacher_risk.values),
            "student_risk": [list(s.values) for s in r.student_risk]}


def main(out=Path(__file__).with_name("regression.json")):
    data = {"curves": {}, "simulations": {}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, kw in CURVES.items():
            data["curves"][name] = curve_numbers(w2s.risk_curve(**kwargs_of(kw)))
        for name, kw in SIMULATIONS.items():
            data["simulations"][name] = sim_numbers(w2s.simulate(**kw))
    text = json.dumps(data, indent=1, allow_nan=False)
    Path(out).write_text(text + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main(*sys.argv[1:])
