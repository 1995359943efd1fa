"""Record finite-width student results (``THEORY.md`` 3b) for the before/after test.

``tests/data/finite_student_regression.json`` was written by this script on commit
86ccd2b (the first finite-width ``risk_curve``, before its performance work: one
resolvent solve per evaluation, mpmath node polish) so that
``tests/test_finite_student_regression.py`` can check that faster code moves no result
beyond its reported error bound. Numbers are decimal strings carrying the result's
digits (as ``RiskCurve.to_dict(as_strings=True)`` writes them; infinite: null). Run from
the repository root::

    python tests/data/make_finite_student_regression.py
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

#: name -> keyword arguments of risk_curve (JSON-able)
CASES = {
    "relu10-flow-f64": dict(activation="relu", dim=10, target="degree:1",
                            teacher_width=100, student_width=400,
                            times=["10", "100", "1000", "1e4", "1e5", "inf"]),
    "relu10-flow-50": dict(activation="relu", dim=10, target="degree:1",
                           teacher_width=100, student_width=400,
                           times=["10", "1000", "1e5", "inf"], precision=50),
    "finite-flow-f64": dict(eigenvalues=[1.0, 0.3, 0.05], multiplicities=[10, 30, 60],
                            target="energies:0=0.5,1=0.3,2=0.2", teacher_width=20,
                            student_width=50, times=["0.5", "3", "20", "150", "inf"]),
    "finite-flow-30": dict(eigenvalues=[1.0, 0.3, 0.05], multiplicities=[10, 30, 60],
                           target="energies:0=0.5,1=0.3,2=0.2", teacher_width=20,
                           student_width=50, times=["0.5", "3", "20", "150"],
                           precision=30),
    "relu10-descent-f64": dict(activation="relu", dim=10, target="degree:1",
                               teacher_width=100, student_width=400, lr=20,
                               steps=[1, 10, 100, 1000, 10000]),
    "relu1000-flow-f64": dict(activation="relu", dim=1000, target="degree:1",
                              teacher_width=10_000, student_width=100_000,
                              times=["0.1", "10", "1e3", "1e5", "1e7", "1e9"]),
}

def record(kwargs) -> dict:
    import math

    import w2s_theory as w2s
    from w2s_theory._src.precision import number_formatter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = w2s.risk_curve(**kwargs)
    conv = number_formatter(c.digits)

    def num(x):
        return None if x is None or math.isinf(float(x)) else conv(x)

    out = {"times": [num(t) for t in c.times],
           "student_risk": [num(x) for x in c.student_risk],
           "optimal_time": num(c.optimal_time),
           "optimal_student_risk": num(c.optimal_student_risk),
           "win_intervals": [[num(a), num(b)] for a, b in c.win_intervals],
           "student_ceiling_risk": num(c.student_ceiling_risk),
           "nu_student": num(c.nu_student),
           "student_top_edge": num(c.student_top_edge),
           "optimal_steps": None if c.optimal_steps is None else int(c.optimal_steps),
           "error_bound": float(c.error_bound["student_risk"])}
    return out


def main():
    data = {name: record(kw) for name, kw in CASES.items()}
    path = Path(__file__).with_name("finite_student_regression.json")
    path.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
