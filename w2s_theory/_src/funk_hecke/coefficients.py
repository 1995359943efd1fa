"""The main Funk-Hecke routine: :func:`funk_hecke_coefficients`, its refinement loop and
error assessment, and the result type :class:`FunkHeckeResult` (method and error control
in the package docstring)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import mpmath
import numpy as np

from ..errors import InvalidArgument, check_int, check_real
from ..precision import FLOAT64, Precision, as_precision
from ..sphere import check_dim, log_u_normalizer
from .inputs import _check_finite, _evaluate_mp, _pieces, _proxy_values, _sigma_proxy
from .nodes import (_LN2, _RENORM_EVERY, _fixed_point_sums, _float_sums, _geometry_float,
                    _log2_split, _node_mp, _relevance, _t_max)

# Rounding floor constant C (package docstring). Float64 errors measured against 25-40
# digits (d = 2..5000, k <= 60, ten activations, steps where the weight is 1e-190) stay
# below 0.4 of the reported error.
_FLOOR_C = 4.0
_GUARD_DIGITS = 3           # extra digits in mpmath mode on top of the floor requirement
_MIN_LEVEL = 2              # at least h = 1, 1/2, 1/4 before testing convergence
_DEFAULT_MAX_NODES = 2 ** 15
_FLOAT_LOG2_TINY = -100 * math.log2(10)  # float64: nodes mattering < 1e-100 are dropped
_FLOAT_ABS_FLOOR_LOG2 = -1000  # float64: absolute error floor (subnormal range)
_BAND_BITS = 40             # nodes within 2**40 of that threshold form the "tail band"


@dataclass(frozen=True)
class FunkHeckeResult:
    """Funk-Hecke coefficients ``c_0 .. c_kmax`` with error estimates.

    Attributes
    ----------
    coefficients:
        ``c_0 .. c_kmax`` in the working precision (float64 array, or object array of
        ``mpf`` rounded to the precision's working digits).
    errors:
        float64 absolute error estimates, one per coefficient (the refinement
        difference, the truncation tail and the rounding floor; estimates below the
        float64 range are reported as the smallest positive float64).
    second_moment:
        :math:`\\mathbb{E}[\\sigma(u)^2]` (float or mpf), the sum of
        :math:`N(d,k) c_k^2` over all degrees.
    second_moment_error:
        its absolute error estimate (float).
    nodes:
        number of quadrature nodes at the final level (all pieces together).
    """

    coefficients: np.ndarray
    errors: np.ndarray
    second_moment: object
    second_moment_error: float
    nodes: int


def _mpf_split(x):
    """``x`` as ``(m, e)`` with ``x = m 2**e``, ``m`` a float of modulus in [0.5, 1) or 0."""
    sign, man, exp, bc = x._mpf_
    if man == 0:
        return 0.0, 0
    drop = max(bc - 53, 0)
    m = math.ldexp(man >> drop, -(bc - drop))
    return (-m if sign else m), exp + bc


def _log2_abs(x) -> float:
    """``log2 |x|`` of a float or mpf (``-inf`` for 0), never under- or overflowing."""
    if isinstance(x, mpmath.mpf):
        m, e = _mpf_split(x)
        return -math.inf if m == 0 else math.log2(abs(m)) + e
    x = abs(float(x))
    return math.log2(x) if x > 0 else -math.inf


def _float_err(log2_err: float) -> float:
    """``2**log2_err`` as a float64; positive estimates below the range give 5e-324."""
    if log2_err == -math.inf:
        return 0.0
    if log2_err > 1023:
        return math.inf
    return max(2.0 ** log2_err, 5e-324)


def funk_hecke_coefficients(func, d, k_max, precision=FLOAT64, *, breakpoints=(0.0,),
                            mp_func=None, rtol=None, cancellation_digits=None,
                            max_nodes=None) -> FunkHeckeResult:
    r"""Funk-Hecke coefficients :math:`c_0, \dots, c_{k_{max}}` of ``func`` on :math:`S^{d-1}`.

    .. math::

        c_k = \frac{\Gamma(d/2)}{\sqrt{\pi}\,\Gamma((d-1)/2)}
              \int_{-1}^{1} \sigma(u) P_k(u) (1-u^2)^{(d-3)/2}\,du

    (Atkinson and Han 2012, Theorem 2.22). Tanh-sinh quadrature on each piece between
    break points, refined until every coefficient meets its target (see the module
    docstring for the error control).

    Parameters
    ----------
    func:
        The function :math:`\sigma`. In float64 it receives numpy float arrays (a
        scalar-only function is evaluated element by element). In mpmath mode it is
        called on ``mpf`` scalars unless ``mp_func`` is given.
    d:
        Sphere dimension, ``d >= 2`` (inputs on :math:`S^{d-1} \subset R^d`).
    k_max:
        Largest degree.
    precision:
        :class:`Precision`, digits (int) or ``None`` for float64.
    breakpoints:
        Points of ``(-1, 1)`` where ``func`` may be non-analytic (kinks, jumps); ``0`` is
        always a split point. In mpmath mode pass strings (``"0.3"``) or ``mpf`` for
        decimal values exactly.
    mp_func:
        mpmath version of ``func`` (``mpf -> mpf``), used in mpmath mode.
    rtol:
        Relative accuracy requested; default ``10**-digits`` (float64: ``1e-15``, where
        the rounding floor usually decides).
    cancellation_digits:
        mpmath mode: coefficients down to ``10**-cancellation_digits`` times
        :math:`\mathbb{E}|\sigma P_k|` get relative accuracy ``rtol``; smaller ones
        absolute accuracy ``rtol * 10**-cancellation_digits * E|sigma P_k|``. The working
        precision grows accordingly. Default: ``digits``. Ignored in float64.
    max_nodes:
        Largest number of quadrature nodes (all pieces) before giving up (default
        ``max(2**15, 64 (k_max + 1))``).

    Raises
    ------
    InvalidArgument
        (``activation``) when ``func`` is not finite at a node, cannot be evaluated at
        mpmath precision, or the coefficients or :math:`\mathbb{E}[\sigma^2]` do not
        converge (non-integrable singularity, kink not listed in ``breakpoints``).

    Examples
    --------
    :math:`\sigma = P_3` has :math:`c_3 = \mathbb{E}[P_3^2] = 1/N(d, 3)` (``d = 4``:
    ``N = 16``) and no other coefficient:

    >>> from w2s_theory._src.precision import Precision
    >>> p3 = lambda u: (4 * u**3 - 2 * u) / 2  # C_3^{(1)}(u) / C_3^{(1)}(1) at d = 4
    >>> r = funk_hecke_coefficients(p3, 4, 5, Precision(30))
    >>> [mpmath.nstr(c, 12) for c in r.coefficients]
    ['0.0', '0.0', '0.0', '0.0625', '0.0', '0.0']
    >>> bool(abs(r.coefficients[3] - mpmath.mpf(1) / 16) < 1e-30)
    True
    """
    if not callable(func):
        raise InvalidArgument("activation", f"must be callable, got {func!r}")
    if mp_func is not None and not callable(mp_func):
        raise InvalidArgument("mp_func", f"must be callable, got {mp_func!r}")
    d = check_dim(d, "d")
    k_max = check_int("k_max", k_max, minimum=0)
    precision = as_precision(precision)
    mp_mode = not precision.is_float
    if max_nodes is None:
        max_nodes = max(_DEFAULT_MAX_NODES, 64 * (k_max + 1))
    max_nodes = check_int("max_nodes", max_nodes, minimum=16)
    if rtol is not None:
        rtol = check_real("rtol", rtol, 0, 1, strict_min=True)

    if not mp_mode:
        return _compute(func, None, d, k_max, precision, breakpoints,
                        1e-15 if rtol is None else float(rtol), None, max_nodes, None)
    digits = precision.digits
    cd = digits if cancellation_digits is None else check_int(
        "cancellation_digits", cancellation_digits, minimum=0, maximum=100000)
    rtol_digits = digits if rtol is None else max(0, -math.floor(math.log10(float(rtol))))
    work = max(precision.working_digits,
               rtol_digits + cd + math.ceil(math.log10(10 * _FLOOR_C * (k_max + 1)))
               + _GUARD_DIGITS)
    with precision.context(extra_digits=work - precision.working_digits):
        rtol_mp = mpmath.mpf(10) ** (-digits) if rtol is None else mpmath.mpf(rtol)
        res = _compute(func, mp_func, d, k_max, precision, breakpoints, rtol_mp, cd,
                       max_nodes, work)
    with precision.context():
        # Round to the precision's working digits; the rounding joins the error.
        l2ulp = 1 - mpmath.mp.prec
        coeffs = np.empty(k_max + 1, dtype=object)
        for i, c in enumerate(res.coefficients):
            coeffs[i] = +c
        m2 = +res.second_moment
    errors = np.array([e + _float_err(_log2_abs(c) + l2ulp)
                       for e, c in zip(res.errors, coeffs)])
    m2_err = res.second_moment_error + _float_err(_log2_abs(m2) + l2ulp)
    return FunkHeckeResult(coeffs, errors, m2, m2_err, res.nodes)


def _compute(func, mp_func, d, k_max, precision, breakpoints, rtol, cd, max_nodes,
             work_digits) -> FunkHeckeResult:
    mp_mode = not precision.is_float
    pieces = _pieces(breakpoints, mp_mode)
    pieces_f = [(float(a), float(b)) for a, b in pieces]
    logZ_f = log_u_normalizer(d)
    alpha_f = (d - 3) / 2
    if mp_mode:
        dps = mpmath.mp.dps
        l2eps = -work_digits * math.log2(10)
        log2_tiny = 2 * l2eps - 20 * math.log2(10)
        Z_mp = mpmath.exp(+log_u_normalizer(d, Precision(min(work_digits, 10000))))
        alpha_mp = mpmath.mpf(d - 3) / 2
        keys = [(a._mpf_, b._mpf_) for a, b in pieces]
        bits = math.ceil(work_digits * math.log2(10)) + 16 + \
            _RENORM_EVERY * math.ceil(math.log2(d + k_max) + 2)
        eval_func = mp_func if mp_func is not None else func
    else:
        l2eps = math.log2(np.finfo(float).eps)
        log2_tiny = _FLOAT_LOG2_TINY
    t_max = _t_max(log2_tiny * _LN2)
    ks = np.arange(k_max + 1)

    def candidates(level, h_log):
        """Float geometry of the new nodes of ``level`` on all pieces."""
        out = {"u": [], "lw2": [], "piece": [], "j": [], "lam": []}
        for p_i, (a, b) in enumerate(pieces_f):
            j, u, l12, ldudt = _geometry_float(a, b, level, t_max)
            with np.errstate(invalid="ignore"):
                lw = logZ_f + alpha_f * l12 + ldudt + h_log
                # Relative rounding error of a weight ~ eps * (sum of |terms| of its log).
                lam = 2 + abs(logZ_f) + np.abs(alpha_f * l12) + np.abs(ldudt) + abs(h_log)
            out["u"].append(u)
            out["lw2"].append(np.where(np.isfinite(lw), lw / _LN2, -np.inf))
            out["piece"].append(np.full(j.size, p_i))
            out["j"].append(j)
            out["lam"].append(np.where(np.isfinite(lam), lam, 0.0))
        return {key: np.concatenate(v) for key, v in out.items()}

    # Reference scale E|sigma P_k| on a fixed grid (float64, sigma by its proxy). A node
    # is dropped when max_k w_i |sigma(u_i) P_k(u_i)| / E|sigma P_k| < 2**log2_tiny.
    level_ref = min(6, max(3, math.ceil(math.log2((k_max + 1) / 4))))
    ref = [candidates(lev, -level_ref * _LN2) for lev in range(level_ref + 1)]
    ref_u = np.concatenate([c["u"] for c in ref])
    ref_lw2 = np.concatenate([c["lw2"] for c in ref])
    with np.errstate(divide="ignore"):
        ref_lw2 = ref_lw2 + np.log2(_sigma_proxy(_proxy_values(func, ref_u, mp_mode)))
    rm, re_ = _log2_split(ref_lw2)
    _, log2ref, _, _ = _float_sums(ref_u, rm, re_, np.zeros(ref_u.size, bool), d, k_max,
                                   False)

    hist_I, hist_m2, hist_disc = [], [], []
    I = m2 = None
    log2scale = np.full(k_max + 1, -np.inf)     # log2 E|sigma P_k|
    log2tail = np.full(k_max + 1, -np.inf)      # log2 of the tail-band part of it
    log2lam = np.full(k_max + 1, -np.inf)       # log2 sum lam_i |g_i P_k(u_i)|
    m2_lam = tail_m2 = 0.0
    tail_where = {}
    nodes_total = 0
    level = 0
    while True:
        h = 2.0 ** -level
        # ---- candidate nodes (float geometry) and the ones that matter ---------------
        c = candidates(level, math.log(h))
        raw = _proxy_values(func, c["u"], mp_mode)
        with np.errstate(divide="ignore"):
            lw2s = c["lw2"] + np.log2(_sigma_proxy(raw, 2.0 ** -40 if mp_mode else 0.0))
        rel = _relevance(c["u"], lw2s, d, k_max, log2ref)
        with np.errstate(invalid="ignore"):
            keep = rel >= log2_tiny
        # Tail band: kept nodes next to the threshold or at the ends of the t range.
        band = ((rel < log2_tiny + _BAND_BITS)
                | (np.abs(c["j"]) * h > t_max - 0.5))[keep]
        cpiece, cj, lam = c["piece"][keep], c["j"][keep], c["lam"][keep]
        n_new = int(keep.sum())

        # ---- function values and weighted sums ----------------------------------------
        if mp_mode:
            u = np.empty(n_new, dtype=object)
            w = np.empty(n_new, dtype=object)
            hh = mpmath.ldexp(Z_mp, -level)
            for i, (p_i, j) in enumerate(zip(cpiece, cj)):
                ui, l12, dudt = _node_mp(*keys[p_i], int(j), level, dps)
                u[i] = ui
                w[i] = hh * dudt * (mpmath.exp(alpha_mp * l12) if d != 3 else 1)
            sig = _evaluate_mp(eval_func, u, mp_func is not None)
            g = w * sig
            gm, ge = np.zeros(n_new), np.zeros(n_new, dtype=np.int64)
            for i, x in enumerate(g):
                gm[i], ge[i] = _mpf_split(x)
            _, l2s, l2b, l2l = _float_sums(c["u"][keep], gm, ge, band, d, k_max, False, lam)
            S_new = np.array(_fixed_point_sums(u, g, d, k_max, bits), dtype=object)
            gs = g * sig
            m2_new = mpmath.fsum(gs)
            g_abs = np.array([float(abs(x)) for x in g])
            gs_abs = np.array([float(abs(x)) for x in gs])
        else:
            u = c["u"][keep]
            sig = _check_finite(raw[keep], u)
            wm, we = _log2_split(c["lw2"][keep])
            gm, ge = np.frexp(wm * sig)
            ge = ge.astype(np.int64) + we
            S_new, l2s, l2b, l2l = _float_sums(u, gm, ge, band, d, k_max, True, lam)
            with np.errstate(under="ignore", over="ignore", invalid="ignore"):
                g = np.ldexp(gm, ge)
                gs = g * sig
            m2_new = float(np.sum(gs))
            g_abs, gs_abs = np.abs(g), np.abs(gs)
        I = S_new if I is None else I / 2 + S_new
        m2 = m2_new if m2 is None else m2 / 2 + m2_new
        log2scale = np.logaddexp2(log2scale - 1, l2s)
        log2tail = np.logaddexp2(log2tail - 1, l2b)
        log2lam = np.logaddexp2(log2lam - 1, l2l)
        with np.errstate(invalid="ignore", over="ignore"):
            m2_lam = m2_lam / 2 + float(np.sum(gs_abs * lam))
            tail_m2 = tail_m2 / 2 + float(np.sum(gs_abs[band]))
        for p_i, j, val in zip(cpiece[band], cj[band], (g_abs + gs_abs)[band]):
            end = pieces_f[p_i][0] if j < 0 else pieces_f[p_i][1]
            tail_where[end] = tail_where.get(end, 0.0) + float(val)
        hist_I.append(I)
        hist_m2.append(m2)
        nodes_total += n_new

        # ---- error estimates ------------------------------------------------------------
        if level >= _MIN_LEVEL:
            verdict = _assess(hist_I, hist_m2, log2scale, log2tail, log2lam, tail_m2,
                              m2_lam, rtol, cd, l2eps, ks)
            hist_disc.append(verdict["l_disc"])
            if verdict["converged"] and nodes_total >= 2 * (k_max + 1):
                break
            # The band next to the cut-off does not shrink with h: a non-integrable end
            # point singularity (of sigma P_k, or of sigma^2 for E[sigma^2]).
            with np.errstate(invalid="ignore"):
                coef_tail = bool(np.any(log2tail - log2scale > -20))
            m2_f = abs(float(m2))
            m2_tail = not math.isfinite(m2_f) or not math.isfinite(tail_m2) \
                or tail_m2 > 1e-6 * m2_f
            stalled = _stalled(hist_disc, verdict, level, nodes_total, k_max, max_nodes)
            if ((level > _MIN_LEVEL and (coef_tail or m2_tail)) or stalled
                    or 2 * nodes_total > max_nodes):
                where = max(tail_where, key=tail_where.get) if tail_where else None
                _fail(verdict, where, coef_tail, m2_tail, nodes_total, max_nodes)
        level += 1

    return FunkHeckeResult(I, verdict["errors"], m2, verdict["m2_error"], nodes_total)


def _log2_abs_array(x) -> np.ndarray:
    if x.dtype == object:
        return np.array([_log2_abs(v) for v in x])
    with np.errstate(divide="ignore"):
        return np.log2(np.abs(x))


def _assess(hist_I, hist_m2, log2scale, log2tail, log2lam, tail_m2, m2_lam, rtol, cd,
            l2eps, ks):
    """Error estimates (in log2) and the convergence verdict for the latest level."""
    float_mode = cd is None
    I0, I1, I2 = hist_I[-1], hist_I[-2], hist_I[-3]
    d1 = _log2_abs_array(I0 - I1)
    d2 = _log2_abs_array(I1 - I2)
    lc = _log2_abs_array(I0)
    # Ratio extrapolation: error(I_l) ~ d1 * min(1, d1 / d2) (tanh-sinh errors shrink
    # ever faster; d1 >= d2 means no evidence of convergence, so the error is d1).
    with np.errstate(invalid="ignore"):
        ratio = np.where(np.isfinite(d2), np.minimum(0.0, d1 - d2), 0.0)
    disc = np.where(np.isfinite(d1), d1 + np.nan_to_num(ratio, nan=0.0), -np.inf)
    l_disc = np.logaddexp2(disc, log2tail)
    # Rounding floor: P_k by the recurrence (~(k+1) ulps), weights (lam ulps each).
    l_floor = math.log2(_FLOOR_C) + l2eps + np.logaddexp2(np.log2(ks + 1) + log2scale,
                                                          log2lam)
    if float_mode:  # float64 cannot resolve anything below its normal range
        l_floor = np.logaddexp2(l_floor, _FLOAT_ABS_FLOOR_LOG2)
    l_rtol = _log2_abs(rtol)
    l_target = l_rtol + lc
    if cd is not None:
        l_target = np.maximum(l_target, l_rtol - cd * math.log2(10) + log2scale)
    ok = l_disc <= np.maximum(l_target, l_floor + 1)
    l_err = np.logaddexp2(l_disc, l_floor)
    errors = np.array([_float_err(x) for x in l_err])

    m2a, m2b, m2c = hist_m2[-1], hist_m2[-2], hist_m2[-3]
    m2_d1 = abs(float(m2a - m2b))
    m2_d2 = abs(float(m2b - m2c))
    m2_abs = abs(float(m2a))
    m2_disc = m2_d1 * min(1.0, m2_d1 / m2_d2) if m2_d2 > 0 else m2_d1
    eps_w = 2.0 ** l2eps
    m2_floor = _FLOOR_C * eps_w * m2_lam + (2.0 ** _FLOAT_ABS_FLOOR_LOG2 if float_mode else 0)
    m2_err = m2_disc + tail_m2 + m2_floor
    m2_ok = m2_disc + tail_m2 <= max(float(rtol) * m2_abs, 2 * m2_floor)
    return {
        "converged": bool(np.all(ok)) and m2_ok,
        "ok": ok,
        "errors": errors,
        "l_target": np.maximum(l_target, l_floor + 1),
        "l_disc": l_disc,
        "m2_error": float(m2_err),
        "m2_ok": m2_ok,
        "m2": m2_abs,
    }


def _stalled(hist_disc, verdict, level, nodes, k_max, max_nodes) -> bool:
    """True when some coefficient converges too slowly to reach its target in time.

    Only judged once the nodes resolve every P_k many times over (``32 (k_max + 1)``),
    where tanh-sinh gains far more than 4 bits per halving of the step; a coefficient
    whose error fell by less than that in each of the last two halvings (algebraic
    convergence: a kink or jump not listed in ``breakpoints``, or an interior
    singularity), and which would miss its target even if that rate held up to
    ``max_nodes``, cannot converge.
    """
    if level < 6 or len(hist_disc) < 3 or nodes < 32 * (k_max + 1):
        return False
    l0, l1, l2 = hist_disc[-1], hist_disc[-2], hist_disc[-3]
    with np.errstate(invalid="ignore"):
        r0, r1 = l0 - l1, l1 - l2
        behind = l0 > verdict["l_target"]
        slow = (r0 > -4) & (r1 > -4)
        levels_left = max(0, math.floor(math.log2(max_nodes / nodes)))
        predicted = l0 + levels_left * np.minimum(np.nan_to_num(r0, nan=0.0), 0.0)
        return bool(np.any(behind & slow & (predicted > verdict["l_target"])))


def _fail(verdict, where, coef_tail, m2_tail, nodes, max_nodes):
    ok = verdict["ok"]
    if coef_tail:
        raise InvalidArgument(
            "activation",
            "Funk-Hecke coefficients do not converge: sigma(u) P_k(u) times the weight "
            f"does not decay near u = {where} (a non-integrable singularity there?)")
    if m2_tail:
        raise InvalidArgument(
            "activation",
            "Funk-Hecke coefficients do not converge: E[sigma^2] is infinite (sigma(u)^2 "
            f"times the weight does not decay near u = {where}); sigma is not square "
            "integrable, so the Mercer sum of N(d,k) c_k^2 diverges")
    if not np.all(ok):
        bad = np.flatnonzero(~ok)
        k = int(bad[0])
        ks = ", ".join(str(int(x)) for x in bad[:5]) + (", ..." if bad.size > 5 else "")
        raise InvalidArgument(
            "activation",
            f"Funk-Hecke coefficients do not converge: after {nodes} quadrature nodes "
            f"(max_nodes = {max_nodes}) c_k for k = {ks} are not within their targets "
            f"(c_{k}: estimated error {verdict['errors'][k]:.3g}, target "
            f"{_float_err(verdict['l_target'][k]):.3g}); sigma may have a kink, jump or "
            "singularity not listed in breakpoints")
    raise InvalidArgument(
        "activation",
        f"Funk-Hecke coefficients do not converge: after {nodes} quadrature nodes "
        f"(max_nodes = {max_nodes}) E[sigma^2] = {verdict['m2']:.6g} still has estimated "
        f"error {verdict['m2_error']:.3g} (infinite, or a singularity not listed in "
        "breakpoints?)")
