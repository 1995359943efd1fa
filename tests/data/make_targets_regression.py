"""Record float64 energies, amplitudes and tails of targets, to pin them bit for bit.

Run from the repository root (``python tests/data/make_targets_regression.py``) on the
commit whose results are the reference; it writes ``tests/data/targets_regression.json``,
which ``tests/test_targets.py`` compares against exactly (``repr`` of a float64
round-trips). The reference was recorded on commit 373968b, before targets became one
class per kind (issue 16): the refactor moves the algorithms and must not change a bit.

For each (spectrum, target) pair it records ``amplitudes(K)`` (log|a_k| and signs),
``log_total_energy()`` and ``tail(K, Q, log_bar)`` at ``K = min_tail_start`` and at a
later block. Cases marked ``digits30`` (only binary-exact inputs: 0.5, 2, ...) are also
recorded at 30 digits, as 30-digit strings (one case per code path: the 30-digit
closed-form sphere tails take seconds).
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np

import w2s_theory as w2s
from w2s_theory import (FiniteSpectrum, LinearGaussianSpectrum, PowerLawSpectrum,
                        SphereSpectrum, parse_target)

#: spectrum name -> constructor
SPECTRA = {
    "relu-d6": lambda: SphereSpectrum("relu", 6),
    "relu-d3": lambda: SphereSpectrum("relu", 3),
    "relu3-d5": lambda: SphereSpectrum("relu3", 5),
    "tanh-d4": lambda: SphereSpectrum("tanh", 4),
    "finite": lambda: FiniteSpectrum([1, 0.5, 0.1, 0.0, 0.02]),
    "finite-mult": lambda: FiniteSpectrum([1, 0.25, 0.1], [1, 3, 5]),
    "linear": lambda: LinearGaussianSpectrum([4, 1, 0.25]),
    "power-law": lambda: PowerLawSpectrum(2.0),
    "power-law-scaled": lambda: PowerLawSpectrum(1.5, 0.3),
}

#: (spectrum, target, digits30)
CASES = [
    ("relu-d6", "degree:1", False),
    ("relu-d6", "degree:0", False),
    ("relu-d6", "degree:1 + 0.5*degree:2", True),
    ("relu-d6", "degree:1 + -1*degree:1 + degree:2", False),
    ("relu-d6", "-2*degree:3", False),
    ("relu-d6", "energies:0=0.5,1=1,2=0.25", True),
    ("relu-d6", "energies:0=0.3,4=0.7 + 0.1*degree:4", False),
    ("relu-d6", "single-index:relu", False),
    ("relu-d6", "3*single-index:relu", False),
    ("relu-d6", "single-index:relu2", False),
    ("relu-d6", "single-index:relu3", False),
    ("relu-d6", "single-index:step", False),
    ("relu-d6", "single-index:abs", False),
    ("relu-d6", "single-index:poly:0,1,1", False),
    ("relu-d6", "single-index:relu + 0.5*single-index:relu3 + 0.5*degree:2", True),
    ("relu-d6", "0.1*single-index:relu + energies:1=0.2", False),
    ("relu-d6", "single-index:tanh", False),
    ("relu-d6", "0.3*single-index:tanh + single-index:relu", False),
    ("relu-d6", "1e-3*degree:2 + 2*single-index:sigmoid", False),
    ("relu-d3", "single-index:relu", False),
    ("relu-d3", "degree:1 + 0.25*single-index:relu2", False),
    ("relu3-d5", "degree:3", False),
    ("relu3-d5", "single-index:relu3 + -0.5*degree:1", False),
    ("tanh-d4", "degree:1 + 0.5*degree:2", False),
    ("tanh-d4", "single-index:relu", False),
    ("tanh-d4", "single-index:tanh + 0.5*single-index:relu", False),
    ("finite", "energies:0=0.5,2=0.25", False),
    ("finite", "degree:1", False),
    ("finite", "degree:3 + degree:1", True),
    ("finite", "power-law:2", False),
    ("finite", "power-law:2 + 0.5*degree:0", True),
    ("finite", "0.7*power-law:1.5 + power-law:3", False),
    ("finite-mult", "energies:1=2,2=0.1", False),
    ("finite-mult", "power-law:2.5", False),
    ("linear", "linear:1,-2,3", True),
    ("linear", "linear:1,0,0.1 + 0.1*degree:1", False),
    ("linear", "power-law:2", False),
    ("power-law", "power-law:3", True),
    ("power-law", "0.7*power-law:2.5", False),
    ("power-law", "-2*power-law:1.5", True),
    ("power-law", "power-law:3 + degree:2", True),
    ("power-law", "energies:0=1,3=0.5", False),
    ("power-law-scaled", "power-law:2", False),
    ("power-law-scaled", "power-law:1.1 + 0.5*degree:0", False),
]

K_AMPLITUDES = 14
Q = 3


def _f(x):
    return repr(float(x))


def _s(x, p):
    return "-inf" if float(x) == -np.inf else p.format(x, 30)


def record(spec_name, text, precision):
    sp = SPECTRA[spec_name]()
    bt = parse_target(text).bind(sp)
    fmt = _f if precision.is_float else (lambda x: _s(x, precision))
    out = {}
    la, sg = bt.amplitudes(K_AMPLITUDES, precision)
    out["amplitudes"] = [[fmt(a) for a in la], [_f(s) for s in sg]]
    out["log_total_energy"] = fmt(bt.log_total_energy(precision))
    out["min_tail_start"] = bt.min_tail_start
    out["max_block"] = bt.max_block
    tails = {}
    starts = [bt.min_tail_start, bt.min_tail_start + 3]
    for K in starts:
        if sp.n_blocks is not None and K >= sp.n_blocks:
            continue
        log_bar = sp.log_lambda_bar(K, precision)
        tt = bt.tail(K, Q, log_bar, precision)
        tails[str(K)] = {"log_mass": fmt(tt.log_mass), "ratios": [fmt(r) for r in tt.ratios],
                         "log_null": fmt(tt.log_null), "rel_error": _f(tt.rel_error)}
    out["tails"] = tails
    return out


def main(path=Path(__file__).with_name("targets_regression.json")):
    data = {"cases": []}
    p30 = w2s.Precision(30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for spec_name, text, exact in CASES:
            item = {"spectrum": spec_name, "target": text,
                    "float64": record(spec_name, text, w2s.Precision())}
            if exact:
                item["digits30"] = record(spec_name, text, p30)
            data["cases"].append(item)
            print(spec_name, text, file=sys.stderr)
    lines = ",\n".join(json.dumps(c) for c in data["cases"])
    path.write_text('{"cases": [\n' + lines + "\n]}\n")


if __name__ == "__main__":
    main()
