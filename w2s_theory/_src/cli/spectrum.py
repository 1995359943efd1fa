"""``w2s spectrum``: eigenvalues and multiplicities of a random-feature kernel.

At many digits the tail mass of a spectrum on the sphere is long to compute: its duration
is estimated first (:mod:`w2s_theory._src.cost`), refused beyond ``--max-seconds``
(default 600), and shown in a progress bar on stderr.
"""

from __future__ import annotations

import math

import numpy as np

from .. import cost
from ..progress import ProgressBar
from ..setting import PARAMS, parse_int
from ..spectra import GaussianInputSpectrum, SphereSpectrum

#: spectra indexed by the degree of spherical harmonics (with Funk-Hecke coefficients)
_HARMONIC = (SphereSpectrum, GaussianInputSpectrum)
from ..sphere import multiplicities
from .common import (add_feature_options, add_max_seconds_option, add_output_options,
                     number_formatter, print_json, print_table, spectrum_from_args)

NAME = "spectrum"
HELP = "Funk-Hecke coefficients, eigenvalues and multiplicities of a kernel's spectrum."
EXAMPLE = """\
w2s spectrum --activation relu --dim 6 --max-degree 8 --json
w2s spectrum --activation tanh --dim 10 --digits 30
w2s spectrum --power-law 1.5 --max-degree 5"""


def add_arguments(parser):
    add_feature_options(parser)
    parser.add_argument("--max-degree", default="10", metavar="K",
                        help="list degrees (blocks) 0..K (default: 10)")
    add_max_seconds_option(parser)
    add_output_options(parser)


def run(args) -> int:
    max_degree = parse_int("--max-degree", args.max_degree, minimum=0)
    spec = spectrum_from_args(args)
    precision = PARAMS["precision"].parse("--digits", args.precision)
    digits = precision.digits
    fmt = number_formatter(digits)
    K = max_degree + 1
    if spec.n_blocks is not None:
        K = min(K, spec.n_blocks)
    seconds = cost.check(cost.estimate(spec, "spectrum", precision=precision),
                         cost.parse_max_seconds(args.max_seconds),
                         f"the spectrum at {digits} digits")
    bar = None if args.json or seconds < 1 else ProgressBar("w2s spectrum",
                                                             estimate=seconds)
    if bar is not None:
        bar.start("computing")
    try:
        out = _compute(spec, K, precision, digits, fmt)
    finally:
        if bar is not None:
            bar.close()
    coeffs, mults, tail = out["coefficients"], out["multiplicities"], out["tail_mass"]
    if args.json:
        print_json(out)
        return 0
    name = out["activation"] or spec.kind
    where = "" if not out["dim"] else (
        f" on Gaussian inputs N(0, I_{spec.d}) (the sphere's eigenvalues times "
        f"E|x|^(2p), c_k = sqrt(lambda_k))" if isinstance(spec, GaussianInputSpectrum) else f" on S^{spec.d - 1}")
    print(f"spectrum of {name}{where}")
    show = (lambda x: x) if digits else (lambda x: f"{float(x):.6g}")
    rows = []
    for k in range(K):
        row = [k]
        if coeffs is not None:
            row.append(show(out["coefficients"][k]))
        row += [show(out["eigenvalues"][k]), mults[k]]
        rows.append(row)
    headers = ["k"] + (["c_k"] if coeffs is not None else []) + ["lambda_k", "N_k"]
    print_table(rows, headers)
    print(f"trace sum_k N_k lambda_k = {show(out['trace'])}")
    if tail is not None:
        print(f"beyond degree {K - 1}: sum_k N_k lambda_k = {show(out['tail_mass'])}")
    return 0


def _compute(spec, K, precision, digits, fmt) -> dict:
    with precision.context():
        b = spec.blocks(K, precision)
        if isinstance(spec, _HARMONIC):
            la, sg = spec.coefficients(K, precision)
            coeffs = [sg[k] * precision.exp(la[k]) for k in range(K)]
            mults = multiplicities(spec.d, K - 1)
            log10_c = [float(la[k]) / math.log(10) if sg[k] != 0 else None for k in range(K)]
        else:
            coeffs = None
            mults = [int(round(float(np.exp(float(x))))) for x in b.log_mult]
        eig = [precision.exp(x) for x in b.log_lam]
        log10_eig = [float(x) / math.log(10) if float(x) > -np.inf else None
                     for x in b.log_lam]
        tail = None
        if spec.n_blocks is None or K < spec.n_blocks:
            t = spec.tail_moments(max(K, spec.min_tail_start), 1, precision)
            tail = precision.exp(t.log_mass)
            if spec.min_tail_start > K:       # degrees K..start-1 listed nowhere: add them
                extra = spec.blocks(spec.min_tail_start, precision)
                tail = tail + precision.sum(precision.exp(extra.log_lam[K:] +
                                                          extra.log_mult[K:]))
        trace = precision.exp(spec.log_trace(precision))
    out = {
        **({"activation": spec.activation.name, "dim": spec.d}
           if isinstance(spec, _HARMONIC) else {"activation": None, "dim": None}),
        "spectrum": spec.describe(),
        "degrees": list(range(K)),
        "coefficients": None if coeffs is None else [fmt(c) for c in coeffs],
        "eigenvalues": [fmt(e) for e in eig],
        "multiplicities": mults,
        "log10_eigenvalues": log10_eig,
        "trace": fmt(trace),
        "tail_mass": None if tail is None else fmt(tail),
        "digits": digits,
    }
    if coeffs is not None:
        out["log10_abs_coefficients"] = log10_c
    return out
