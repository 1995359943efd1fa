"""Construction of kernels and cross-kernels: per-function coefficient data, choice of
the evaluation method, truncation of Mercer series. See the package docstring."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import mpmath
import numpy as np

from ..activations import Activation, PiecewisePower, get_activation
from ..errors import check_real
from ..precision import FLOAT64, Precision, as_precision
from ..sphere import check_dim, log_multiplicities, multiplicities
from .arccos import _arccos_expr, _mercer_expr
from .evaluate import Kernel, _arccos_evaluator, _clenshaw_evaluator


# --------------------------------------------------------------------------------------
# Coefficient data of one function


@dataclass
class _Side:
    """Coefficients of one function: ``log|c_k|``, signs, tail masses, errors."""

    act: Activation
    spectrum: object
    family: PiecewisePower | None
    poly_degree: int | None       # degree if a polynomial family
    num: tuple | None = None      # quadrature data (see _numerical_data), set on demand


def _side(act: Activation, d: int) -> _Side:
    from ..spectra.sphere import SphereSpectrum

    spec = SphereSpectrum(act, d)
    fam = act.family
    poly_deg = None
    if fam is not None and fam.is_polynomial():
        nz = [p for p, a in enumerate(fam.right) if a != 0]
        poly_deg = max(nz) if nz else 0
    return _Side(act, spec, fam, poly_deg)


def _numerical_data(side: _Side, precision: Precision):
    """``(log|c|, sign, log R, errors, k_num, E[g^2])`` of a quadrature sequence.

    ``R`` bounds the Mercer energy beyond the computed degrees: the Parseval remainder
    ``E[g^2] - sum_{k<k_num} N c_k^2`` plus the accuracy of that difference, taken as
    ``4 eps_q E[g^2]`` with ``eps_q`` the precision of the quadrature (the sequence
    integrates at ``max(30, digits + 15)`` digits when an mpmath version of the function
    is known, else at the requested precision).
    """
    if side.num is None:
        seq = side.spectrum.sequence
        la, sg, rem, k_num, errs, second = seq._compute(precision)
        if side.act.mp_func is not None:
            eps_q = 10.0 ** -max(30, (precision.digits or 15) + 15)
        else:
            eps_q = float(precision.eps)
        r = max(float(rem), 0.0) + 4 * eps_q * abs(float(second))
        log_r = math.log(r) if r > 0 else -math.inf
        side.num = (la, sg, log_r, np.asarray(errs, dtype=float), int(k_num), float(second))
    return side.num


def _refine_numerical(side: _Side, precision: Precision, log_r_needed: float,
                      k_cap: int = 2048):
    """Recompute the quadrature coefficients of ``side`` so that the Parseval remainder
    ``R`` can reach ``exp(log_r_needed)``: more degrees (doubling) and a working
    precision of about ``-log10(R / E[g^2])`` digits. Needs an mpmath version of the
    function; otherwise nothing is done."""
    from ..funk_hecke import funk_hecke_coefficients

    if side.act.mp_func is None:
        return
    _, _, _, _, k_num, second = _numerical_data(side, precision)
    rel = log_r_needed - math.log(abs(second)) if second else 0.0
    digits = max(30, (precision.digits or 15) + 15, int(math.ceil(-rel / math.log(10))) + 8)
    digits = min(digits, 10000)
    work = Precision(digits)
    d = side.spectrum.d
    k_num = min(2 * k_num, k_cap)
    while True:
        with work.context():
            res = funk_hecke_coefficients(side.act.func, d, k_num - 1, work,
                                          breakpoints=side.act.breakpoints,
                                          mp_func=side.act.mp_func)
            c = res.coefficients
            log_n = log_multiplicities(d, np.arange(k_num), work)
            rem = res.second_moment - work.sum(work.exp(log_n) * c * c)
        r = (max(float(rem), 0.0) + float(res.second_moment_error)
             + 4 * 10.0 ** -digits * abs(float(res.second_moment)))
        if (r > 0 and math.log(r) <= log_r_needed) or k_num >= k_cap:
            break
        k_num = min(2 * k_num, k_cap)
    with precision.context():
        la = precision.log(precision.array([abs(x) for x in c]))
        sg = np.array([float(mpmath.sign(x)) for x in c])
    side.num = (la, sg, math.log(r) if r > 0 else -math.inf,
                np.asarray(res.errors, dtype=float), int(k_num),
                float(res.second_moment))


def _log_tails(side: _Side, K_cap: int, precision: Precision):
    """``(log|c_k|, sign_k)`` for ``k < K_cap``, float ``log T_1(K)`` for ``K <= K_cap``,
    and float absolute coefficient errors (zeros for closed forms).

    For a quadrature sequence ``K_cap`` must not exceed its computed degrees."""
    d = side.spectrum.d
    if side.family is None:
        la_all, sg_all, log_r, errs, k_num, _ = _numerical_data(side, precision)
        if K_cap > k_num:                                  # pragma: no cover - internal
            raise ValueError("K_cap beyond the computed coefficients")
        la, sg, errs = la_all[:K_cap], sg_all[:K_cap], errs[:K_cap]
        rest = _log_energies(d, la_all, K_cap, k_num)
        log_tail_end = float(np.logaddexp.reduce(np.append(rest, log_r)))
    else:
        K_c = max(K_cap, side.spectrum.min_tail_start)
        # closed-form coefficients at >= 30 digits (float64 log-Gamma differences lose
        # eps * log Gamma(d/2) relative at large d); rounded where used
        la_c, sg_c = side.spectrum.coefficients(
            K_c, Precision(30) if precision.is_float else precision)
        tm = side.spectrum.tail_moments(K_c, 1, precision)
        mass = float(tm.log_mass)
        # the Euler-Maclaurin tail sum carries a relative error estimate: include it
        log_tail_end = mass + math.log1p(float(tm.rel_error)) if math.isfinite(mass) else mass
        rest = _log_energies(d, la_c, K_cap, K_c)
        log_tail_end = float(np.logaddexp.reduce(np.append(rest, log_tail_end)))
        la, sg, errs = la_c[:K_cap], sg_c[:K_cap], np.zeros(K_cap)
    log_e = _log_energies(d, la, 0, K_cap)
    # log T_1(K) for K = 0..K_cap: reverse cumulative log-sum-exp.
    log_t1 = np.logaddexp.accumulate(np.append(log_e, log_tail_end)[::-1])[::-1]
    return la, sg, log_t1, errs


def _log_energies(d: int, la, start: int, stop: int):
    """Float ``log(N(d,k) c_k^2)`` for ``start <= k < stop``."""
    if stop <= start:
        return np.zeros(0)
    ks = np.arange(start, stop)
    return (np.asarray([float(x) for x in log_multiplicities(d, ks)])
            + 2 * np.asarray([float(x) for x in la[start:stop]]))

# --------------------------------------------------------------------------------------
# Construction


def kernel(activation, d: int, precision=FLOAT64, *, tol=None) -> Kernel:
    r"""The random-feature kernel :math:`\kappa(u) = \mathbb{E}_w \sigma(\langle w,
    x\rangle)\sigma(\langle w, x'\rangle)` on :math:`S^{d-1}`, ``w`` uniform.

    .. math:: \kappa(u) = \sum_{k\ge 0} c_k^2 N(d,k) P_k(u), \qquad
              \kappa(1) = \mathbb{E}_u[\sigma(u)^2].

    Closed form (arc-cosine) for every piecewise-power activation, e.g.
    :math:`\kappa_{relu}(u) = (\sqrt{1-u^2} + (\pi - \arccos u)u)/(2\pi d)`; finite
    Mercer sum for polynomials; otherwise the Mercer series truncated where its tail
    :math:`T_1(K) = \sum_{k \ge K} N(d,k) c_k^2` (a bound on the omitted part, since
    :math:`|P_k| \le 1`) is below ``tol * kappa(1)`` (default ``tol``: the precision's
    ``eps``). See the module docstring and ``THEORY.md`` section 2.

    Parameters
    ----------
    activation:
        Name (``"relu"``, ``"relu^3"``, ``"poly:0,1,1"``, ``"tanh"``...), callable or
        :class:`~.activations.Activation`.
    d:
        Sphere dimension ``>= 2``.
    precision:
        :class:`Precision`, digits or ``None``.
    tol:
        Relative tolerance of the truncated series (ignored for closed forms).

    >>> k = kernel("relu", 10)
    >>> bool(abs(k(1.0) - 1 / 20) < 1e-16), bool(abs(k(-1.0)) < 1e-16)
    (True, True)
    >>> t = kernel("tanh", 5)
    >>> t.closed_form, bool(t.error_bound < 1e-16 * t(1.0))
    (False, True)
    """
    act = get_activation(activation)
    d = check_dim(d)
    precision = as_precision(precision)
    tol = _check_tol(tol, precision)
    return _build(act, act, d, precision, tol, single=True)


def cross_kernel(sigma, g, d: int, precision=FLOAT64, *, tol=None) -> Kernel:
    r"""Cross-kernel :math:`u \mapsto \mathbb{E}_x \sigma(\langle w, x\rangle)
    g(\langle \beta, x\rangle)` at :math:`u = \langle w, \beta\rangle` (unit ``w, beta``).

    .. math:: \kappa_{\sigma,g}(u) = \sum_{k \ge 0} c_k(\sigma) c_k(g) N(d,k) P_k(u).

    Used for :math:`b_i = \mathbb{E}[f^* \phi_i] = \kappa_{\sigma,g}(\langle w_i,
    \beta\rangle)` with single-index targets :math:`f^* = g(\langle\beta, x\rangle)`
    (``THEORY.md`` section 5). Closed form when both functions are piecewise powers
    (arc-cosine, mixed powers included) or one is a polynomial (finite Mercer sum);
    otherwise the Mercer series truncated at ``K`` with the omitted part bounded by
    Cauchy-Schwarz, :math:`\sqrt{T_1^\sigma(K) T_1^g(K)}`, below
    ``tol * sqrt(E[sigma^2] E[g^2])``.

    >>> ck = cross_kernel("relu", "relu", 4)
    >>> bool(abs(ck(0.3) - kernel("relu", 4)(0.3)) < 1e-16)
    True
    >>> lin = cross_kernel("relu", "linear", 4)   # c_1(relu) c_1(u) N(d,1) u = u/(2d)
    >>> bool(abs(lin(0.3) - 0.3 / 8) < 1e-16), lin.method
    (True, 'finite Mercer sum')
    """
    s_act = get_activation(sigma)
    g_act = get_activation(g)
    d = check_dim(d)
    precision = as_precision(precision)
    tol = _check_tol(tol, precision)
    return _build(s_act, g_act, d, precision, tol, single=False)


def _check_tol(tol, precision: Precision) -> float:
    if tol is None:
        return float(precision.eps)
    return float(check_real("tol", tol, minimum=0, maximum=1, strict_min=True))


@lru_cache(maxsize=128)
def _build(s_act: Activation, g_act: Activation, d: int, precision: Precision, tol: float,
           single: bool) -> Kernel:
    name = s_act.name if single else f"{s_act.name} x {g_act.name}"
    s_side = _side(s_act, d)
    g_side = s_side if single else _side(g_act, d)
    fs, fg = s_side.family, g_side.family

    # Closed-form coefficients, a polynomial on either side: finite Mercer sum.
    degs = [x.poly_degree for x in (s_side, g_side) if x.poly_degree is not None]
    if degs and fs is not None and fg is not None:
        K = min(degs) + 1
        la_s, sg_s, _, _ = _log_tails(s_side, K, precision)
        la_g, sg_g = (la_s, sg_s) if single else _log_tails(g_side, K, precision)[:2]
        weights = _weights(la_s, sg_s, la_g, sg_g, d, precision)
        return Kernel(name, d, precision, True, 0.0, K, "finite Mercer sum",
                      _clenshaw_evaluator(weights, d, precision),
                      lambda: _mercer_expr(fs, fg, K))

    # Two piecewise-power functions: arc-cosine closed form.
    if fs is not None and fg is not None:
        ev = _arccos_evaluator(fs, fg, d, precision)
        return Kernel(name, d, precision, True, 0.0, None, "arc-cosine", ev,
                      lambda: _arccos_expr(fs, fg))

    # Truncated Mercer series.
    sides = [s_side] if single else [s_side, g_side]
    K, bound, parts = _series_choice(s_side, g_side, single, d, precision, tol)
    if bound > parts["target"]:
        # The quadrature remainder is too coarse for the bound (e.g. a 30-digit
        # cross-kernel with a slowly decaying ReLU tail): refine the numerical sides.
        for side in sides:
            if side.family is None:
                other = parts["log_t1_g"] if side is s_side and not single else \
                    parts["log_t1_s"]
                log_target = math.log(parts["target"]) if parts["target"] > 0 else -700.0
                need = (log_target if single
                        else 2 * log_target - max(float(other[-1]), -700.0)) - math.log(4)
                _refine_numerical(side, precision, need)
        K, bound, parts = _series_choice(s_side, g_side, single, d, precision, tol)
    la_s, sg_s, la_g, sg_g = parts["coefficients"]
    weights = _weights(la_s[:K], sg_s[:K], la_g[:K], sg_g[:K], d, precision)
    # with a polynomial on one side the omitted part is empty once K passes its degree
    finite = (parts["log_t1_s"][K] == -np.inf or parts["log_t1_g"][K] == -np.inf)
    return Kernel(name, d, precision, False, bound, K,
                  "finite Mercer sum" if finite else "truncated Mercer series",
                  _clenshaw_evaluator(weights, d, precision), None)


def _series_choice(s_side, g_side, single, d, precision, tol):
    """Smallest ``K`` (up to the computed degrees) whose bound meets the tolerance."""
    caps = [_numerical_data(x, precision)[4] for x in (s_side, g_side) if x.family is None]
    K_cap = min(caps)
    la_s, sg_s, lt_s, err_s = _log_tails(s_side, K_cap, precision)
    la_g, sg_g, lt_g, err_g = (la_s, sg_s, lt_s, err_s) if single else \
        _log_tails(g_side, K_cap, precision)
    log_scale = 0.5 * (lt_s[0] + lt_g[0])
    log_tail = 0.5 * (lt_s + lt_g)               # Cauchy-Schwarz, K = 0..K_cap
    coef_err = _coefficient_error_cumulative(d, la_s, la_g, err_s, err_g)  # K = 0..K_cap
    bounds = np.exp(log_tail) + coef_err
    target = tol * math.exp(log_scale) if math.isfinite(log_scale) else 0.0
    ok = np.nonzero(bounds <= target)[0]
    K = max(int(ok[0]) if len(ok) else K_cap, 1)
    return K, float(bounds[K]), {"target": target, "log_t1_s": lt_s, "log_t1_g": lt_g,
                                 "coefficients": (la_s, sg_s, la_g, sg_g)}


def _weights(la_s, sg_s, la_g, sg_g, d, precision: Precision):
    """``w_k = c_k(s) c_k(g) N(d, k)`` in the working precision.

    Formed in mpmath (float64 mode: at 30 digits, then rounded) from exact integer
    multiplicities, so that large ``d`` costs no accuracy (float64 ``log N(d, k)`` from
    log-Gamma differences loses ``eps * log Gamma(d)`` relative)."""
    K = len(la_s)
    wp = Precision(30) if precision.is_float else precision
    mult = multiplicities(d, K - 1) if K else []
    out = []
    with wp.context():
        for k in range(K):
            s = int(sg_s[k]) * int(sg_g[k])
            if s == 0:
                out.append(mpmath.mpf(0))
                continue
            out.append(s * mpmath.exp(mpmath.mpf(la_s[k]) + mpmath.mpf(la_g[k])
                                      + mpmath.log(mult[k])))
        if precision.is_float:
            return [float(x) for x in out]
        return out


def _coefficient_error_cumulative(d, la_s, la_g, err_s, err_g):
    r"""For ``K = 0..len``: :math:`\sum_{k<K} N_k (|c_k^s| e_k^g + |c_k^g| e_k^s +
    e_k^s e_k^g)`, the effect of the coefficients' quadrature errors (float)."""
    K = len(la_s)
    if K == 0:
        return np.zeros(1)
    log_n = np.asarray([float(x) for x in log_multiplicities(d, np.arange(K))])
    cs = np.exp(np.asarray([float(x) for x in la_s]))
    cg = np.exp(np.asarray([float(x) for x in la_g]))
    es, eg = np.asarray(err_s, dtype=float), np.asarray(err_g, dtype=float)
    with np.errstate(divide="ignore", over="ignore"):
        terms = np.exp(log_n + np.log(cs * eg + cg * es + es * eg))
    return np.concatenate([[0.0], np.cumsum(terms)])
