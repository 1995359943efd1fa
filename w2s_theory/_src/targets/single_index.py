r"""Single-index targets on the sphere: :math:`f^*(x) = g(\langle\beta, x\rangle)`.

By the Funk-Hecke theorem (``THEORY.md`` section 2) the degree-k part of
:math:`g(\langle\beta,\cdot\rangle)` is :math:`c_k(g) N(d,k) P_k(\langle\beta,x\rangle)`, a
zonal harmonic of amplitude :math:`a_k = c_k(g)\sqrt{N(d,k)}` (energy
:math:`B_k = c_k(g)^2 N(d,k)`), with :math:`c_k(g)` the coefficient sequence of ``g``
(:func:`..spectra.sphere.coefficient_sequence`). Tails
:math:`U_q = \sum_{k\ge K,\lambda_k>0} B_k\lambda_k^q`:

* closed-form ``g`` and features: per parity class, the amplitudes of all single-index
  components add as sums of Gamma-product terms, and :math:`B_k\lambda_k^q` is summed by
  :func:`..spectra.sphere.class_tail_sums` (Euler-Maclaurin, or direct sums in float64);
* otherwise (quadrature coefficients): explicit blocks up to where the sequences
  vanish, the Mercer remainders :math:`E[g^2] - \sum_{k<K_{num}} B_k` as relative error,
  and the energy of closed-form components beyond the explicit blocks summed exactly.

Parseval: :math:`\sum_k B_k = E_u[g(u)^2]` (for ReLU, :math:`1/(2d)`):

>>> import math
>>> from w2s_theory import SphereSpectrum
>>> bt = SingleIndex("relu").bind(SphereSpectrum("relu", 6))
>>> abs(math.exp(bt.log_total_energy()) * 12 - 1) < 1e-14
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import mpmath
import numpy as np

from ..activations import get_activation
from ..errors import InvalidArgument
from ..spectra import SphereSpectrum
from ..spectra.sphere import (ClosedFormSequence, NumericalSequence, class_tail_sums,
                              coefficient_sequence, multiplicity_gamma_product)
from ..sphere import log_multiplicities
from ..tails import GammaProduct, TermExpr
from .base import Component, SphereParts
from .bound import assemble_tail

__all__ = ["SingleIndex"]


def _activation(g):
    try:
        return get_activation(g)
    except InvalidArgument as exc:         # unknown name: the target's error, with hints
        raise InvalidArgument("target", exc.message) from None


@dataclass(frozen=True)
class SingleIndex(Component):
    """``single-index:NAME``: ``g(<beta, x>)`` for an activation name (as
    :func:`..activations.get_activation` reads it), an :class:`Activation` or a callable
    (which need not pickle)."""

    form: ClassVar[str] = "single-index"
    aliases: ClassVar[tuple] = ("singleindex", "single")
    g: object

    def __post_init__(self):
        super().__post_init__()
        if isinstance(self.g, str):
            self._set("g", self.g.strip().lower())      # as get_activation reads it
        _activation(self.g)

    @classmethod
    def parse(cls, argument):
        return cls(argument)

    def argument(self):
        return self.g if isinstance(self.g, str) else _activation(self.g).name

    @property
    def max_block(self):
        return None

    def sequence(self, d: int):
        """The coefficients :math:`c_k(g)` at dimension ``d``."""
        return coefficient_sequence(self.g, d)

    def validate(self, spectrum):
        if not isinstance(spectrum, SphereSpectrum):
            raise InvalidArgument("target", "single-index targets need features on the "
                                  "sphere (an activation and a dimension)")
        super().validate(spectrum)

    def tail_start(self, spectrum):
        return self.sequence(spectrum.d).first_tail_degree

    def amplitudes(self, spectrum, K, precision):
        # a_k = c_k(g) sqrt(N(d, k))
        p = precision
        seq = self.sequence(spectrum.d)
        la, sg = seq.log_abs(K, p)
        logN = log_multiplicities(spectrum.d, np.arange(K), p)
        vals = p.exp(la + logN / 2)
        return [(k, sg[k] * vals[k]) for k in range(K) if sg[k] != 0]

    def sphere_parts(self):
        return SphereParts(ridges=((float(self.weight), _activation(self.g)),))

    def atoms(self, d, law, precision):
        """Ridges at :math:`\beta = e_1`, one per homogeneous piece of ``g`` (a
        piecewise-power function: closed-form coefficients)."""
        from .atoms import Ridge, e1, homogeneous_pieces

        g = _activation(self.g)
        if g.family is None:
            raise InvalidArgument("target", f"single-index:{g.name} has no closed-form "
                                  "coefficients: it cannot be combined with network "
                                  "targets or used on gaussian inputs (use a "
                                  "piecewise-power g: relu, step, relu^p, abs, sign, "
                                  "leaky_relu, linear, poly:...)")
        u = e1(d, precision)
        return [Ridge(piece, q, u, precision.array([1])) for q, piece in
                homogeneous_pieces(g)]

    # -- tails -------------------------------------------------------------------------
    @classmethod
    def tail(cls, bound, components, K, q_max, log_bar, precision):
        sp = bound.spectrum
        seqs = [(c.weight, c.sequence(sp.d)) for c in components]
        sigma = sp.sequence
        if all(isinstance(s, ClosedFormSequence) for _, s in seqs) and \
                isinstance(sigma, ClosedFormSequence):
            return _closed_sphere_tail(bound, K, q_max, log_bar, seqs, precision)
        return _numerical_sphere_tail(bound, components, K, q_max, log_bar, precision)


def _weighted_terms(seqs, precision, dps):
    """``{parity: [(w x, g), ...]}``: the closed-form amplitude terms of all sequences
    (weights converted in the working precision, at ``dps`` digits)."""
    out = {}
    with mpmath.workdps(dps):
        for w, seq in seqs:
            wm = mpmath.mpf(precision.scalar(w))
            for par, _, terms in seq.classes(precision):
                out.setdefault(par, []).extend((wm * x, g) for x, g in terms)
    return out


def _closed_sphere_tail(bound, K, q_max, log_bar, seqs, precision):
    p = precision
    sp = bound.spectrum
    d = sp.d
    dps = p.mp_digits()
    with mpmath.workdps(dps):
        gp_n = multiplicity_gamma_product(d)
        sig_classes = {par: terms for par, _, terms in sp.sequence.classes(p)}
    tgt_terms = _weighted_terms(seqs, p, dps)
    logs_pos = [[] for _ in range(q_max + 1)]
    logs_null, err = [], 0.0
    for par, terms in tgt_terms.items():
        k0 = K + ((K - par) % 2)
        with mpmath.workdps(dps):
            base = TermExpr(gp_n, ((tuple(terms), 2),)).substitute(2, k0)
            step = TermExpr(GammaProduct(), ((sig_classes[par], 2),)).substitute(2, k0) \
                if par in sig_classes else None
        if step is None:
            [(lv, e)] = class_tail_sums(base, None, [0], 0, p)
            logs_null.append(lv)
            err = max(err, e)
            continue
        res = class_tail_sums(base, step, list(range(q_max + 1)), 0, p)
        for q, (lv, e) in enumerate(res):
            logs_pos[q].append(lv)
            err = max(err, e)
    return assemble_tail(K, logs_pos, logs_null, log_bar, err, p)


def _numerical_sphere_tail(bound, components, K, q_max, log_bar, precision):
    """Quadrature coefficients: explicit blocks up to where the sequences vanish, and
    the Mercer remainders as error."""
    p = precision
    sp = bound.spectrum
    limits, rems = [], []
    for c in components:
        seq = c.sequence(sp.d)
        if isinstance(seq, NumericalSequence):
            limits.append(seq.explicit_limit(p))
            rems.append(abs(float(c.weight)) ** 2 * seq.remainder(p))
        elif isinstance(seq, ClosedFormSequence):
            limits.append(max(K + 1, 4 * K + 64))
    if isinstance(sp.sequence, NumericalSequence):
        limits.append(sp.sequence.explicit_limit(p))
    k_lim = max(max(limits), K)
    la, _ = bound.amplitudes(k_lim, p)
    b = sp.blocks(k_lim, p)
    with p.context():
        logB = 2 * la[K:]
        loglam = b.log_lam[K:]
        ninf = p.scalar(-np.inf) if p.is_float else mpmath.ninf
        pos = np.array([float(x) > -np.inf for x in loglam])
        safe_lam = np.where(pos, loglam, p.scalar(0))
        logs_pos = [[p.logsumexp(np.where(pos, logB + q * safe_lam, ninf))]
                    for q in range(q_max + 1)]
        logs_null = [p.logsumexp(np.where(pos, ninf, logB))]
    # closed-form target components: their energy beyond k_lim, summed exactly per
    # parity class (before, it was dropped: ~1e-6 relative for a ReLU target).
    beyond, err_beyond = _closed_energy_beyond(bound, components, k_lim, p)
    null_par = _null_parities(sp, p) if beyond else set()
    for par, lv in beyond:
        if par in null_par:
            logs_null.append(lv)
        else:
            # lambda_k there is below the numerical spectrum's resolution: the mass
            # counts in U_0; its U_q (q >= 1) are below U_0 lambda_bar^q and dropped.
            logs_pos[0].append(lv)
    with p.context():
        mass = float(p.exp(p.logsumexp(p.array(logs_pos[0])))) + \
            float(p.exp(p.logsumexp(p.array(logs_null))))
    rel = (sum(rems) / mass) if mass > 0 else 0.0
    rel = max(rel, err_beyond)
    return assemble_tail(K, logs_pos, logs_null, log_bar, rel, p)


def _closed_energy_beyond(bound, components, k_lim, precision):
    """``[(parity, log sum_{k >= k_lim, k = parity mod 2} B_k)]`` of the closed-form
    single-index components (their amplitudes add before squaring), and the largest
    relative error of those sums."""
    p = precision
    d = bound.spectrum.d
    dps = p.mp_digits()
    seqs = [(c.weight, c.sequence(d)) for c in components]
    tgt_terms = _weighted_terms([(w, s) for w, s in seqs
                                 if isinstance(s, ClosedFormSequence)], p, dps)
    with mpmath.workdps(dps):
        gp_n = multiplicity_gamma_product(d) if tgt_terms else None
    out, err = [], 0.0
    for par, terms in sorted(tgt_terms.items()):
        k0 = k_lim + ((k_lim - par) % 2)
        with mpmath.workdps(dps):
            base = TermExpr(gp_n, ((tuple(terms), 2),)).substitute(2, k0)
        [(lv, e)] = class_tail_sums(base, None, [0], 0, p)
        out.append((par, lv))
        err = max(err, e)
    return out, err


def _null_parities(spectrum, precision):
    """Parities ``k mod 2`` on which the spectrum vanishes in its tail: for a
    quadrature spectrum, those with all computed coefficients of degree ``k >= 2``
    zero (odd/even activations, e.g. tanh: even degrees; sigmoid, an odd function
    plus a constant: even degrees >= 2)."""
    seq = spectrum.sequence
    if isinstance(seq, ClosedFormSequence):
        return {0, 1} - {par for par, _, _ in seq.classes(precision)}
    la = seq.log_abs(seq.explicit_limit(precision), precision)[0]
    out = set()
    for par in (0, 1):
        vals = [float(x) for x in la[2 + par::2]]
        if vals and all(v == -np.inf for v in vals):
            out.add(par)
    return out
