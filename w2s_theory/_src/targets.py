r"""Targets :math:`f^*`, described by their energy in each eigenspace of the kernel.

A target is a weighted sum of components, written as a string (the command line's
``--target``) or built in Python:

* ``degree:K`` - a unit-energy harmonic of degree ``K`` (on the sphere, the zonal
  harmonic :math:`\sqrt{N(d,K)}\, P_K(\langle\beta, x\rangle)`; for other spectra, the
  unit-norm eigenfunction of block ``K``);
* ``energies:0=0.5,1=1,2=0.25`` - given energies :math:`B_k = \|P_k f^*\|^2` per block;
* ``single-index:NAME`` - on the sphere, :math:`g(\langle \beta, x\rangle)` for any
  registered activation or callable ``g``: energies
  :math:`B_k = c_k(g)^2 N(d, k)` over all degrees (``THEORY.md`` section 2);
* ``power-law:BETA`` - for block-indexed spectra, :math:`B_i = i^{-\beta}`, ``i = k + 1``;
* ``linear:t1,t2,...`` - for linear features on Gaussian data, :math:`\langle\theta^*,
  x\rangle` with :math:`B_i = \sigma_i \theta_i^{*2}` (``THEORY.md`` section 1b);
* sums ``A + B`` and weights ``0.5*degree:2``.

All sphere components are zonal in one common direction :math:`\beta`, so the degree-k
parts of a sum add as signed amplitudes :math:`a_k` (with :math:`B_k = a_k^2`); block
components of other spectra likewise add along the block's eigenfunction. The part of the
target in eigenspaces with :math:`\lambda_k = 0` (odd degrees >= 3 for ReLU) cannot be
learned at any width: it is reported as the irreducible floor ``B_null``.

>>> t = parse_target("degree:1 + 0.5*degree:2")
>>> [(c.kind, c.weight) for c in t.components]
[('degree', 1.0), ('degree', 0.5)]
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass

import mpmath
import numpy as np

from .activations import get_activation
from .errors import InvalidArgument
from .precision import FLOAT64, Precision
from .spectra import LinearGaussianSpectrum, SphereSpectrum, Spectrum
from .spectra.sphere import (ClosedFormSequence, NumericalSequence, class_tail_sums,
                             coefficient_sequence, multiplicity_gamma_product)
from .sphere import log_multiplicities
from .tails import GammaProduct, TermExpr

__all__ = ["Target", "TargetComponent", "parse_target", "BoundTarget", "TargetTail",
           "IrreducibleFloorWarning"]


class IrreducibleFloorWarning(UserWarning):
    """The target has energy that the kernel cannot represent at any width."""


@dataclass(frozen=True)
class TargetComponent:
    kind: str           # "degree", "energies", "single-index", "power-law", "linear"
    weight: float
    param: object       # int, tuple of (block, energy), activation spec, float, tuple

    def describe(self) -> str:
        w = "" if self.weight == 1 else f"{self.weight:g}*"
        if self.kind == "degree":
            return f"{w}degree:{self.param}"
        if self.kind == "energies":
            return f"{w}energies:" + ",".join(f"{k}={float(e):g}" for k, e in self.param)
        if self.kind == "single-index":
            name = self.param if isinstance(self.param, str) else \
                getattr(self.param, "name", "callable")
            return f"{w}single-index:{name}"
        if self.kind == "power-law":
            return f"{w}power-law:{self.param:g}"
        return f"{w}linear:" + ",".join(f"{float(t):g}" for t in self.param)


@dataclass(frozen=True)
class Target:
    """A target function as a weighted sum of components (see the module docstring)."""

    components: tuple

    def __str__(self):
        return " + ".join(c.describe() for c in self.components)

    def __add__(self, other: "Target") -> "Target":
        return Target(self.components + other.components)

    def bind(self, spectrum: Spectrum) -> "BoundTarget":
        """The target's energies in the eigenspaces of ``spectrum``."""
        return BoundTarget(self, spectrum)


_COMPONENT_RE = re.compile(r"^\s*(?:([-+0-9.eE]+)\s*\*\s*)?([a-z\-]+)\s*:\s*(.+?)\s*$")


def parse_target(spec) -> Target:
    """Parse a target description (or pass a :class:`Target` through).

    >>> str(parse_target("energies:0=0.5,2=0.25"))
    'energies:0=0.5,2=0.25'
    """
    if isinstance(spec, Target):
        return spec
    if not isinstance(spec, str) or not spec.strip():
        raise InvalidArgument("target", f"expected a target description, got {spec!r}")
    comps = []
    for part in _split_sum(spec):
        m = _COMPONENT_RE.match(part)
        if not m:
            raise InvalidArgument("target", f"cannot parse {part!r}; expected forms like "
                                  "degree:1, energies:0=0.5,1=1, single-index:relu, "
                                  "power-law:2, linear:1,0.5, joined with '+'")
        weight_s, kind, arg = m.groups()
        try:
            weight = float(weight_s) if weight_s else 1.0
        except ValueError:
            raise InvalidArgument("target", f"bad weight {weight_s!r} in {part!r}") from None
        comps.append(_component(kind, arg, weight, part))
    return Target(tuple(comps))


def _split_sum(spec: str):
    # split on '+' that are not part of a number's exponent (1e+3) or a leading sign
    parts, cur = [], ""
    for i, ch in enumerate(spec):
        if ch == "+" and cur.strip() and not re.search(r"[0-9.][eE]$", cur):
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p for p in parts if p.strip()]


def _component(kind, arg, weight, text) -> TargetComponent:
    if kind == "degree":
        try:
            k = int(arg)
        except ValueError:
            raise InvalidArgument("target", f"degree must be an integer in {text!r}") from None
        if k < 0:
            raise InvalidArgument("target", f"degree must be >= 0 in {text!r}")
        return TargetComponent("degree", weight, k)
    if kind == "energies":
        pairs = []
        for item in arg.split(","):
            if "=" not in item:
                raise InvalidArgument("target", f"expected BLOCK=ENERGY items in {text!r}")
            k_s, e_s = item.split("=", 1)
            try:
                k, e = int(k_s), float(e_s)
            except ValueError:
                raise InvalidArgument("target", f"bad item {item!r} in {text!r}") from None
            if k < 0 or e < 0 or not np.isfinite(e):
                raise InvalidArgument("target", f"blocks must be >= 0 and energies finite "
                                      f"and >= 0 in {text!r}")
            pairs.append((k, e_s.strip()))
        if len({k for k, _ in pairs}) != len(pairs):
            raise InvalidArgument("target", f"a block is given twice in {text!r}")
        return TargetComponent("energies", weight, tuple(sorted(pairs)))
    if kind in ("single-index", "singleindex", "single"):
        get_activation(arg)     # validates the name (raises naming "activation")
        return TargetComponent("single-index", weight, arg)
    if kind in ("power-law", "powerlaw"):
        try:
            beta = float(arg)
        except ValueError:
            raise InvalidArgument("target", f"power-law exponent must be a number in "
                                  f"{text!r}") from None
        if not beta > 1:
            raise InvalidArgument("target", f"power-law exponent must be > 1 (finite "
                                  f"energy) in {text!r}")
        return TargetComponent("power-law", weight, beta)
    if kind == "linear":
        try:
            theta = tuple(float(x) for x in arg.split(","))
        except ValueError:
            raise InvalidArgument("target", f"bad coefficients in {text!r}") from None
        if not all(math.isfinite(t) for t in theta):
            raise InvalidArgument("target", f"linear coefficients must be finite numbers "
                                  f"in {text!r}")
        return TargetComponent("linear", weight, theta)
    import difflib

    close = difflib.get_close_matches(kind, ["degree", "energies", "single-index",
                                             "power-law", "linear"], n=2)
    hint = f" (did you mean {' or '.join(close)}?)" if close else ""
    raise InvalidArgument("target", f"unknown target form {kind!r}{hint}")


def single_index_target(g, weight: float = 1.0) -> Target:
    """``g(<beta, x>)`` for an activation name, :class:`Activation` or callable."""
    get_activation(g)
    return Target((TargetComponent("single-index", float(weight), g),))


# --------------------------------------------------------------------------------------
# Binding to a spectrum


@dataclass(frozen=True)
class TargetTail:
    r"""Energies of the target in the blocks ``k >= start``.

    ``log_mass`` is :math:`\log U_0`, :math:`U_q = \sum_{k\ge K,\lambda_k>0} B_k
    \lambda_k^q`; ``ratios[q]`` is :math:`U_q / (U_0 \bar\lambda^q)` for ``q = 0..q_max``;
    ``log_null`` is the log of the energy in tail blocks with :math:`\lambda_k = 0`.
    """

    start: int
    log_mass: object
    ratios: tuple
    log_null: object
    rel_error: float = 0.0


class BoundTarget:
    """A target's amplitudes ``a_k`` (energies ``B_k = a_k^2``) in a spectrum's blocks."""

    def __init__(self, target: Target, spectrum: Spectrum):
        self.target = target
        self.spectrum = spectrum
        self._validate()

    def _validate(self):
        sp = self.spectrum
        for c in self.target.components:
            if c.kind == "single-index" and not isinstance(sp, SphereSpectrum):
                raise InvalidArgument("target", "single-index targets need features on the "
                                      "sphere (an activation and a dimension)")
            if c.kind == "linear":
                if not isinstance(sp, LinearGaussianSpectrum):
                    raise InvalidArgument("target", "linear:... targets need linear features "
                                          "on Gaussian data (variances)")
                if len(c.param) != sp.dim:
                    raise InvalidArgument("target", f"linear target needs {sp.dim} "
                                          f"coefficients, got {len(c.param)}")
            if c.kind == "power-law" and isinstance(sp, SphereSpectrum):
                raise InvalidArgument("target", "power-law targets are for block-indexed "
                                      "spectra (power-law, finite, linear features)")
            if sp.n_blocks is not None:
                top = self._component_max_block(c)
                if top is not None and top >= sp.n_blocks:
                    raise InvalidArgument("target", f"block {top} does not exist: the "
                                          f"spectrum has {sp.n_blocks} blocks")
        if self.max_block is not None and not self._has_energy():
            raise InvalidArgument("target", "the target has zero energy")

    def _has_energy(self):
        la, _ = self.amplitudes(self.max_block + 1)
        return bool(np.any(np.isfinite(np.asarray(la, dtype=float))))

    @staticmethod
    def _component_max_block(c):
        if c.kind == "degree":
            return c.param
        if c.kind == "energies":
            return max(k for k, _ in c.param)
        if c.kind == "linear":
            return len(c.param) - 1
        return None

    @property
    def max_block(self):
        """Largest block with energy, or ``None`` if the target has infinitely many."""
        tops = [self._component_max_block(c) for c in self.target.components]
        if any(t is None for t in tops):
            if isinstance(self.spectrum, SphereSpectrum) or self.spectrum.n_blocks is None:
                return None
            return self.spectrum.n_blocks - 1
        return max(tops)

    @property
    def min_tail_start(self) -> int:
        """Tails are available from this block on (past all finite components)."""
        out = self.spectrum.min_tail_start
        for c in self.target.components:
            top = self._component_max_block(c)
            if top is not None:
                out = max(out, top + 1)
            elif c.kind == "single-index":
                seq = coefficient_sequence(c.param, self.spectrum.d)
                out = max(out, seq.first_tail_degree)
        return out

    # -- amplitudes of the blocks k < K ----------------------------------------------
    def amplitudes(self, K: int, precision: Precision = FLOAT64):
        """``(log|a_k|, sign a_k)`` for ``k < K`` (energies ``B_k = a_k^2``)."""
        K = int(K)
        with precision.context():
            total = [precision.scalar(0)] * K
            for c in self.target.components:
                w = precision.scalar(c.weight)
                for k, a in self._component_amplitudes(c, K, precision):
                    total[k] = total[k] + w * a
            total = np.array(total, dtype=object if not precision.is_float else float)
            absval = np.abs(total) if precision.is_float else np.array(
                [abs(x) for x in total], dtype=object)
            return precision.log(absval), np.array([float(np.sign(float(x))) for x in total])

    def _component_amplitudes(self, c: TargetComponent, K: int, precision: Precision):
        p = precision
        if c.kind == "degree":
            return [(c.param, p.scalar(1))] if c.param < K else []
        if c.kind == "energies":
            return [(k, p.sqrt(p.scalar(mpmath.mpf(e) if not p.is_float else float(e))))
                    for k, e in c.param if k < K]
        if c.kind == "linear":
            var = self.spectrum.variances
            return [(i, p.sqrt(p.scalar(var[i])) * p.scalar(t)) for i, t in
                    enumerate(c.param) if i < K]
        if c.kind == "power-law":
            n = K if self.spectrum.n_blocks is None else min(K, self.spectrum.n_blocks)
            return [(k, p.exp(-p.scalar(c.param) / 2 * p.log(p.scalar(k + 1))))
                    for k in range(n)]
        # single-index on the sphere: a_k = c_k(g) sqrt(N(d, k))
        seq = coefficient_sequence(c.param, self.spectrum.d)
        la, sg = seq.log_abs(K, p)
        logN = log_multiplicities(self.spectrum.d, np.arange(K), p)
        vals = p.exp(la + logN / 2)
        return [(k, sg[k] * vals[k]) for k in range(K) if sg[k] != 0]

    def log_total_energy(self, precision: Precision = FLOAT64):
        """``log ||f*||^2``: the blocks with energy summed, plus the tail's mass when
        there are infinitely many."""
        top = self.max_block
        K = self.min_tail_start if top is None else max(self.min_tail_start, top + 1)
        la, _ = self.amplitudes(K, precision)
        with precision.context():
            head = precision.logsumexp(2 * la) if K else precision.scalar(-np.inf)
            if self.max_block is not None:
                return head
            tail = self.tail(K, 0, precision.scalar(0), precision)
            return precision.logaddexp(precision.logaddexp(head, tail.log_mass),
                                       tail.log_null)

    # -- tails -------------------------------------------------------------------------
    def tail(self, K: int, q_max: int, log_bar, precision: Precision = FLOAT64) -> TargetTail:
        """Energies of the blocks ``k >= K`` (``K >= min_tail_start``)."""
        key = (int(K), int(q_max), str(log_bar), precision.digits)
        cache = self.__dict__.setdefault("_tail_cache", {})
        if key not in cache:
            cache[key] = self._tail(int(K), int(q_max), log_bar, precision)
        return cache[key]

    def _tail(self, K, q_max, log_bar, precision):
        if K < self.min_tail_start:
            raise InvalidArgument("K", f"target tails start at block >= {self.min_tail_start}")
        ninf = precision.scalar(-np.inf) if precision.is_float else mpmath.ninf
        zero_ratios = tuple(precision.scalar(0) for _ in range(q_max + 1))
        infinite = [c for c in self.target.components
                    if self._component_max_block(c) is None]
        if not infinite:
            return TargetTail(K, ninf, zero_ratios, ninf, 0.0)
        sp = self.spectrum
        if isinstance(sp, SphereSpectrum):
            return self._sphere_tail(K, q_max, log_bar, infinite, precision)
        return self._block_tail(K, q_max, log_bar, infinite, precision)

    def _block_tail(self, K, q_max, log_bar, comps, precision):
        """Power-law targets on block-indexed spectra (Hurwitz zeta / direct sums)."""
        sp = self.spectrum
        p = precision
        if len(comps) != 1 or sp.n_blocks is not None:
            # finite spectra: sum the remaining blocks directly
            n = sp.n_blocks
            la, _ = self.amplitudes(n, p)
            b = sp.blocks(n, p)
            with p.context():
                logB = 2 * la[K:]
                loglam = b.log_lam[K:]
                pos = np.array([float(x) > -np.inf for x in loglam])
                safe_lam = np.where(pos, loglam, p.scalar(0))
                logs = [p.logsumexp(np.where(pos, logB + q * (safe_lam - log_bar),
                                             p.scalar(-np.inf))) for q in range(q_max + 1)]
                log_null = p.logsumexp(np.where(pos, p.scalar(-np.inf), logB))
                ratios = tuple(p.exp(x - logs[0]) if logs[0] > -np.inf else p.scalar(0)
                               for x in logs)
            return TargetTail(K, logs[0], ratios, log_null, 0.0)
        # power-law target on a power-law spectrum: B_i lambda_i^q = w^2 s^q i^{-(beta + a q)}
        c = comps[0]
        with p.context():
            logs = []
            for q in range(q_max + 1):
                s = p.scalar(c.param) + q * p.scalar(sp.alpha)
                if p.is_float:
                    from scipy import special

                    z = np.log(special.zeta(float(s), K + 1.0))
                else:
                    z = mpmath.log(mpmath.zeta(s, K + 1))
                logs.append(2 * p.log(p.scalar(abs(c.weight))) + q * p.log(p.scalar(sp.scale))
                            + z)
            ratios = tuple(p.exp(logs[q] - logs[0] - q * log_bar) for q in range(q_max + 1))
            ninf = p.scalar(-np.inf) if p.is_float else mpmath.ninf
        return TargetTail(K, logs[0], ratios, ninf, 0.0)

    def _sphere_tail(self, K, q_max, log_bar, comps, precision):
        sp = self.spectrum
        p = precision
        d = sp.d
        seqs = [(c.weight, coefficient_sequence(c.param, d)) for c in comps]
        sigma = sp.sequence
        if all(isinstance(s, ClosedFormSequence) for _, s in seqs) and \
                isinstance(sigma, ClosedFormSequence):
            return self._closed_sphere_tail(K, q_max, log_bar, seqs, precision)
        return self._numerical_sphere_tail(K, q_max, log_bar, precision)

    def _closed_sphere_tail(self, K, q_max, log_bar, seqs, precision):
        p = precision
        d = self.spectrum.d
        dps = p.mp_digits()
        with mpmath.workdps(dps):
            gp_n = multiplicity_gamma_product(d)
            sig_classes = {par: terms for par, _, terms in
                           self.spectrum.sequence.classes(p)}
            tgt_terms = {}
            for w, seq in seqs:
                for par, _, terms in seq.classes(p):
                    wm = mpmath.mpf(w)
                    tgt_terms.setdefault(par, []).extend((wm * x, g) for x, g in terms)
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
        return self._assemble_tail(K, logs_pos, logs_null, log_bar, err, p)

    @staticmethod
    def _assemble_tail(K, logs_pos, logs_null, log_bar, err, p):
        with p.context():
            ninf = p.scalar(-np.inf) if p.is_float else mpmath.ninf
            logs = [p.logsumexp(p.array(x)) if x else ninf for x in logs_pos]
            log_null = p.logsumexp(p.array(logs_null)) if logs_null else ninf
            if logs[0] == ninf:
                ratios = tuple(p.scalar(0) for _ in logs)
            else:
                ratios = tuple(p.exp(logs[q] - logs[0] - q * log_bar)
                               for q in range(len(logs)))
        return TargetTail(K, logs[0], ratios, log_null, err)

    def _numerical_sphere_tail(self, K, q_max, log_bar, precision):
        """Quadrature coefficients: explicit blocks up to where the sequences vanish, and
        the Mercer remainders as error."""
        p = precision
        sp = self.spectrum
        limits, rems = [], []
        for c in self.target.components:
            seq = coefficient_sequence(c.param, sp.d) if c.kind == "single-index" else None
            if isinstance(seq, NumericalSequence):
                limits.append(seq.explicit_limit(p))
                rems.append(abs(c.weight) ** 2 * seq.remainder(p))
            elif isinstance(seq, ClosedFormSequence):
                limits.append(max(K + 1, 4 * K + 64))
        if isinstance(sp.sequence, NumericalSequence):
            limits.append(sp.sequence.explicit_limit(p))
        k_lim = max(max(limits), K)
        la, _ = self.amplitudes(k_lim, p)
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
        beyond, err_beyond = self._closed_energy_beyond(k_lim, p)
        null_par = self._null_parities(p) if beyond else set()
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
        return self._assemble_tail(K, logs_pos, logs_null, log_bar, rel, p)

    def _closed_energy_beyond(self, k_lim, precision):
        """``[(parity, log sum_{k >= k_lim, k = parity mod 2} B_k)]`` of the closed-form
        single-index components (their amplitudes add before squaring), and the largest
        relative error of those sums."""
        p = precision
        d = self.spectrum.d
        dps = p.mp_digits()
        tgt_terms = {}
        with mpmath.workdps(dps):
            for c in self.target.components:
                if c.kind != "single-index":
                    continue
                seq = coefficient_sequence(c.param, d)
                if not isinstance(seq, ClosedFormSequence):
                    continue
                wm = mpmath.mpf(c.weight)
                for par, _, terms in seq.classes(p):
                    tgt_terms.setdefault(par, []).extend((wm * x, g) for x, g in terms)
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

    def _null_parities(self, precision):
        """Parities ``k mod 2`` on which the spectrum vanishes in its tail: for a
        quadrature spectrum, those with all computed coefficients of degree ``k >= 2``
        zero (odd/even activations, e.g. tanh: even degrees; sigmoid, an odd function
        plus a constant: even degrees >= 2)."""
        seq = self.spectrum.sequence
        if isinstance(seq, ClosedFormSequence):
            return {0, 1} - {par for par, _, _ in seq.classes(precision)}
        la = seq.log_abs(seq.explicit_limit(precision), precision)[0]
        out = set()
        for par in (0, 1):
            vals = [float(x) for x in la[2 + par::2]]
            if vals and all(v == -np.inf for v in vals):
                out.add(par)
        return out

    def null_energy_head(self, K: int, precision: Precision = FLOAT64):
        """``log sum_{k < K, lambda_k = 0} B_k``."""
        la, _ = self.amplitudes(K, precision)
        b = self.spectrum.blocks(K, precision)
        with precision.context():
            ninf = precision.scalar(-np.inf) if precision.is_float else mpmath.ninf
            null = np.array([float(x) == -np.inf for x in b.log_lam])
            return precision.logsumexp(np.where(null, 2 * la, ninf)) if K else ninf

    def warn_floor(self, log_floor, log_total, precision):
        """Warn when a noticeable fraction of the target cannot be learned."""
        frac = float(np.exp(float(log_floor) - float(log_total)))
        if frac > 1e-12:
            warnings.warn(
                f"{frac:.3g} of the target's energy lies in eigenspaces the kernel cannot "
                "represent (lambda_k = 0); it is an irreducible floor of every risk",
                IrreducibleFloorWarning, stacklevel=3)
        return frac
