r"""Random-feature kernels on the sphere: :math:`\lambda_k = c_k^2` with multiplicity
:math:`N(d, k)` (``THEORY.md`` section 2).

The Funk-Hecke coefficients :math:`c_k` of an activation (or of a single-index target
function) form a :class:`CoefficientSequence`: closed form for the piecewise-power family
(ReLU, step, ReLU powers, abs, polynomials), with tails summed by Euler-Maclaurin
(mpmath) or by direct summation with a power-law end correction (float64); or computed by
quadrature for any other function, with the tail bounded through the Mercer identity
:math:`\sum_k N(d,k) c_k^2 = E_u[\sigma(u)^2]`.
"""

from __future__ import annotations

from functools import lru_cache

import mpmath
import numpy as np

from ..activations import Activation, get_activation
from ..errors import InvalidArgument
from ..precision import FLOAT64, Precision
from ..sphere import check_dim, log_multiplicities, multiplicity
from ..tails import GammaProduct, TermExpr, numpy_tail_sums, tail_sums
from .base import Blocks, Spectrum, TailMoments

__all__ = ["CoefficientSequence", "ClosedFormSequence", "NumericalSequence",
           "coefficient_sequence", "SphereSpectrum", "multiplicity_gamma_product"]


def multiplicity_gamma_product(d: int) -> GammaProduct:
    r""":math:`N(d,k) = \frac{2k+d-2}{k}\frac{\Gamma(k+d-2)}{\Gamma(k)\Gamma(d-1)}` in k >= 1."""
    return GammaProduct(const=-mpmath.loggamma(d - 1), gammas=((1, 1, d - 2), (-1, 1, 0)),
                        logs=((1, 2, d - 2), (-1, 1, 0)))


class CoefficientSequence:
    """Funk-Hecke coefficients ``c_k`` of a function of one variable at dimension ``d``."""

    d: int
    closed_form: bool = False

    def log_abs(self, K: int, precision: Precision = FLOAT64):
        """``(log|c_k|, sign c_k)`` for ``k < K``."""
        raise NotImplementedError

    @property
    def first_tail_degree(self) -> int:
        """Degrees from here on follow the smooth tail classes (closed forms)."""
        return 0


class ClosedFormSequence(CoefficientSequence):
    """Coefficients of a piecewise-power function, exact at any precision."""

    closed_form = True

    def __init__(self, family, d: int):
        self.family = family
        self.d = check_dim(d)

    @property
    def first_tail_degree(self) -> int:
        return self.family.max_power + 1

    def log_abs(self, K, precision=FLOAT64):
        cache = self.__dict__.setdefault("_cache", {})
        have = cache.get(precision.digits)
        if have is None or len(have[0]) < K:
            n = max(int(K), 2 * len(have[0]) if have else 0)
            with precision.context():
                have = self.family.log_abs_coefficients(self.d, n - 1, precision)
            cache[precision.digits] = have
        return have[0][:K], have[1][:K]

    def classes(self, precision: Precision):
        """Tail classes ``(parity, k0, terms)`` (Gamma products built at this precision)."""
        return _classes(self.family, self.d, precision.mp_digits())


@lru_cache(maxsize=256)
def _classes(family, d, dps):
    with mpmath.workdps(dps):
        return tuple(family.tail_classes(d))


class NumericalSequence(CoefficientSequence):
    """Coefficients by quadrature (:mod:`..funk_hecke`), up to where they vanish.

    The coefficients are computed for ``k < K_num``, with ``K_num`` doubled until the
    Mercer remainder :math:`E[\\sigma^2] - \\sum_{k<K_{num}} N(d,k) c_k^2` is at the
    rounding level (or a cap is reached). Beyond ``K_num`` the coefficients are treated
    as zero and the remainder is reported as an error bound.
    """

    def __init__(self, activation: Activation, d: int, k_cap: int = 2048):
        self.activation = activation
        self.d = check_dim(d)
        self.k_cap = k_cap
        self._cache = {}

    def _compute(self, precision: Precision):
        from ..funk_hecke import funk_hecke_coefficients

        key = precision.digits
        if key in self._cache:
            return self._cache[key]
        # Quadrature at a higher precision than requested, so that coefficients far
        # below E|sigma| keep their relative accuracy (float mode included).
        work = Precision(max(30, (precision.digits or 15) + 15)) \
            if self.activation.mp_func is not None else precision
        k_num = 32
        while True:
            with work.context():
                res = funk_hecke_coefficients(
                    self.activation.func, self.d, k_num - 1, work,
                    breakpoints=self.activation.breakpoints, mp_func=self.activation.mp_func)
                c = res.coefficients
                logN = log_multiplicities(self.d, np.arange(k_num), work)
                energy = work.sum(work.exp(logN) * c * c)
                rem = res.second_moment - energy
                scale = res.second_moment
            tol = (precision.eps if precision.is_float else 10.0 ** -(precision.digits + 3))
            if abs(float(rem)) <= tol * abs(float(scale)) or k_num >= self.k_cap:
                break
            k_num *= 2
        # Coefficients within their error of zero are zero (parity, or below the
        # precision floor): this keeps exact zeros of odd/even activations exact.
        errs_arr = np.asarray(res.errors, dtype=float)
        with work.context():
            c = np.array([x if abs(float(x)) > e else 0 * x for x, e in zip(c, errs_arr)],
                         dtype=c.dtype)
        with precision.context():
            cc = precision.array(c)
            la = precision.log(np.abs(cc) if precision.is_float else np.array(
                [abs(x) for x in cc], dtype=object))
            sg = np.array([float(np.sign(float(x))) for x in c])
        out = (la, sg, max(float(rem), 0.0) + float(np.sum(np.abs(res.errors))) * 0,
               k_num, np.asarray(res.errors, dtype=float), float(res.second_moment))
        self._cache[key] = out
        return out

    def explicit_limit(self, precision: Precision) -> int:
        return self._compute(precision)[3]

    def remainder(self, precision: Precision) -> float:
        """Mercer remainder: the energy ``sum N c_k^2`` beyond the explicit limit."""
        return self._compute(precision)[2]

    def log_abs(self, K, precision=FLOAT64):
        la, sg, rem, k_num, errs, _ = self._compute(precision)
        if K <= k_num:
            return la[:K], sg[:K]
        with precision.context():
            pad = precision.array(np.full(K - k_num, -np.inf)) if precision.is_float else \
                np.array([mpmath.ninf] * (K - k_num), dtype=object)
        return np.concatenate([la, pad]), np.concatenate([sg, np.zeros(K - k_num)])


def coefficient_sequence(activation, d: int) -> CoefficientSequence:
    """The coefficient sequence of an activation (name, callable or :class:`Activation`)."""
    act = get_activation(activation)
    if act.family is not None:
        return ClosedFormSequence(act.family, d)
    return NumericalSequence(act, d)


class SphereSpectrum(Spectrum):
    r"""The kernel :math:`K(x,x') = E_w \sigma(\langle w,x\rangle)\sigma(\langle w,x'\rangle)`
    on :math:`S^{d-1}`: eigenvalue :math:`\lambda_k = c_k^2` on the degree-k harmonics.

    >>> s = SphereSpectrum("relu", 6)
    >>> b = s.blocks(3)
    >>> round(float(np.exp(b.log_lam[1])), 15) == round(1 / 144, 15)   # c_1 = 1/(2d)
    True
    >>> bool(abs(np.exp(s.log_trace()) - 1 / 12) < 1e-14)           # kappa(1) = 1/(2d)
    True
    """

    kind = "sphere"

    def __init__(self, activation, dim: int):
        self.d = check_dim(dim)
        self.activation = get_activation(activation)
        self.sequence = coefficient_sequence(self.activation, self.d)

    def __repr__(self):
        return f"SphereSpectrum({self.activation.name!r}, dim={self.d})"

    @property
    def n_blocks(self):
        return None

    @property
    def min_tail_start(self) -> int:
        return self.sequence.first_tail_degree

    def describe(self) -> dict:
        return {"kind": self.kind, "activation": self.activation.name, "dim": self.d}

    # -- blocks ----------------------------------------------------------------------
    def coefficients(self, K: int, precision: Precision = FLOAT64):
        """``(log|c_k|, sign c_k)`` for ``k < K``."""
        return self.sequence.log_abs(K, precision)

    def blocks(self, K, precision=FLOAT64):
        K = int(K)
        la, _ = self.sequence.log_abs(K, precision)
        with precision.context():
            log_lam = 2 * la
            log_mult = log_multiplicities(self.d, np.arange(K), precision)
        return Blocks(np.arange(K), log_lam, log_mult)

    def rank(self):
        if self.sequence.closed_form:
            if self.sequence.classes(FLOAT64):
                return None
            la, _ = self.sequence.log_abs(self.min_tail_start, FLOAT64)
            return int(sum(multiplicity(self.d, k) for k in range(len(la))
                           if np.isfinite(la[k])))
        return None

    # -- tails -----------------------------------------------------------------------
    def _class_exprs(self, K, precision):
        """``(j_start, log N, log c^2)`` as functions of ``j`` on each tail class."""
        out = []
        with mpmath.workdps(precision.mp_digits()):
            gp_n = multiplicity_gamma_product(self.d)
            for parity, k0, terms in self.sequence.classes(precision):
                first = max(K, k0)
                first += (first - k0) % 2
                base = gp_n.substitute(2, k0)
                step = TermExpr(GammaProduct(), ((terms, 2),)).substitute(2, k0)
                out.append(((first - k0) // 2, base, step))
        return out

    def log_lambda_bar(self, K, precision=FLOAT64):
        K = int(K)
        seq = self.sequence
        if seq.closed_form:
            K = max(K, self.min_tail_start)
            # lambda_k decreases along each class once the leading power dominates;
            # the window below covers the non-monotone start of mixed families.
            width = max(16, K)
            la, _ = seq.log_abs(K + width, precision)
            with precision.context():
                window = 2 * la[K:]
                top = np.max(window) if len(window) else precision.scalar(-np.inf)
                end = 2 * la[-4:]
            finite_end = [x for x in end if np.isfinite(float(x))]
            if len(finite_end) >= 2 and not all(
                    a >= b for a, b in zip(finite_end[:-1], finite_end[1:])):
                return self.log_lambda_bar(2 * K + 16, precision) if False else top
            return top
        la, _, rem, k_num, _, _ = seq._compute(precision)
        with precision.context():
            parts = [2 * x for x in la[K:]] if K < k_num else []
            if rem > 0:
                parts.append(precision.scalar(np.log(rem)) - log_multiplicities(
                    self.d, np.array([k_num]), precision)[0])
            if not parts:
                return precision.scalar(-np.inf)
            return max(parts)

    def tail_moments(self, K, q_max, precision=FLOAT64):
        key = (int(K), int(q_max), precision.digits)
        cache = self.__dict__.setdefault("_tail_cache", {})
        if key not in cache:
            cache[key] = self._tail_moments(int(K), int(q_max), precision)
        return cache[key]

    def _tail_moments(self, K, q_max, precision):
        if K < self.min_tail_start:
            raise InvalidArgument("K", f"tails start at degree >= {self.min_tail_start}")
        log_bar = self.log_lambda_bar(K, precision)
        if self.sequence.closed_form:
            return self._closed_tail(K, q_max, precision, log_bar)
        return self._numerical_tail(K, q_max, precision, log_bar)

    def _closed_tail(self, K, q_max, precision, log_bar):
        classes = self._class_exprs(K, precision)
        if not classes:
            return TailMoments.empty_tail(K, q_max, precision)
        qs = list(range(1, q_max + 1))
        per_class, err = [], 0.0
        for j0, base, step in classes:
            res = class_tail_sums(base, step, qs, j0, precision)
            per_class.append([lv for lv, _ in res])
            err = max(err, max(e for _, e in res))
        with precision.context():
            logs = [precision.logsumexp(precision.array([pc[i] for pc in per_class]))
                    for i in range(len(qs))]
            log_mass = logs[0]
            ratios = tuple(precision.exp(logs[q - 1] - log_mass - (q - 1) * log_bar)
                           if q > 1 else precision.scalar(1) for q in qs)
        return TailMoments(K, log_bar, log_mass, ratios, err)

    def _numerical_tail(self, K, q_max, precision, log_bar):
        la, _, rem, k_num, errs, second = self.sequence._compute(precision)
        with precision.context():
            if K >= k_num and rem <= 0:
                return TailMoments.empty_tail(K, q_max, precision)
            ks = np.arange(K, k_num)
            logN = log_multiplicities(self.d, ks, precision) if len(ks) else None
            logs = []
            for q in range(1, q_max + 1):
                terms = (logN + 2 * q * la[K:k_num]) if len(ks) else precision.array([])
                extra = []
                if rem > 0:   # bounded remainder: T_q beyond k_num <= rem * bar^(q-1)
                    extra = [precision.scalar(np.log(rem)) + (q - 1) * log_bar]
                logs.append(precision.logsumexp(np.concatenate(
                    [np.asarray(terms), np.asarray(extra, dtype=np.asarray(terms).dtype)])))
            log_mass = logs[0]
            ratios = tuple(precision.exp(logs[q - 1] - log_mass - (q - 1) * log_bar)
                           if q > 1 else precision.scalar(1) for q in range(1, q_max + 1))
            mass = float(precision.exp(log_mass))
        rel = rem / mass if mass > 0 else 0.0
        return TailMoments(K, log_bar, log_mass, ratios, rel)


def class_tail_sums(base, step, qs, j0, precision: Precision):
    """``[(log sum_{j >= j0} exp(base + q step), rel_error)]`` in the working precision."""
    if precision.is_float:
        return numpy_tail_sums(base, step, qs, j0)
    dps = precision.working_digits + 5
    res = tail_sums(base, step, qs, j0, dps=dps) if j0 > 0 else \
        _tail_from_zero(base, step, qs, dps)
    with mpmath.workdps(dps):
        return [(mpmath.log(v) if v > 0 else mpmath.ninf,
                 float(e / v) if v > 0 else 0.0) for v, e in res]


def _tail_from_zero(base, step, qs, dps):
    """Sums from ``j = 0``: the first term explicitly, then :func:`tail_sums` from 1."""
    rest = tail_sums(base, step, qs, 1, dps=dps)
    with mpmath.workdps(dps):
        b0 = base.log_value(0)
        s0 = step.log_value(0) if step is not None else 0  # no step: plain sums (q = 0)
        return [(mpmath.exp(b0 + q * s0) + v, e) for q, (v, e) in zip(qs, rest)]
