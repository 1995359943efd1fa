r"""Geometry of the unit sphere :math:`S^{d-1}`: harmonics, Gegenbauer polynomials, the
law of :math:`\langle w, x\rangle`.

Notation follows ``THEORY.md`` section 2:

.. math::

    N(d, 0) = 1, \qquad N(d, k) = \frac{2k + d - 2}{k} \binom{k + d - 3}{k - 1},

    P_k(u) = C_k^{(\alpha)}(u) / C_k^{(\alpha)}(1), \quad \alpha = (d - 2)/2,

    \sum_j Y_{kj}(x) Y_{kj}(y) = N(d, k) P_k(\langle x, y\rangle),

and :math:`u = \langle w, x\rangle` has density
:math:`\frac{\Gamma(d/2)}{\sqrt{\pi}\,\Gamma((d-1)/2)} (1-u^2)^{(d-3)/2}` on ``[-1, 1]``.
Reference: Atkinson and Han, *Spherical Harmonics and Approximations on the Unit Sphere*
(2012), eqs. (2.10), (2.29), (2.41) and Theorem 2.22 (Funk-Hecke).
"""

from __future__ import annotations

import math
from functools import lru_cache

import mpmath
import numpy as np

from .errors import InvalidArgument, check_int
from .lazy import lazy_attributes, lazy_module
from .precision import FLOAT64, Precision, takes_precision

__all__ = [
    "check_dim",
    "multiplicity",
    "multiplicities",
    "log_multiplicities",
    "multiplicity_expr",
    "gegenbauer",
    "gegenbauer_expr",
    "log_u_normalizer",
    "u_density",
    "u_density_expr",
    "sample_sphere",
]

sp = lazy_module("sympy")              # the closed forms only: imported on first use


def symbols():
    """``(d_sym, k_sym, u_sym)``: the symbols shared by every closed form of the package
    (the symbolic layer collects them), made on first use - reading ``sphere.d_sym``
    imports sympy, importing this module does not."""
    g = globals()
    if "d_sym" not in g:
        d, u = sp.symbols("d u", positive=True)
        g.update(d_sym=d, u_sym=u, k_sym=sp.Symbol("k", integer=True, nonnegative=True))
    return g["d_sym"], g["k_sym"], g["u_sym"]


__getattr__ = lazy_attributes(globals(), {
    "d_sym": lambda: symbols()[0], "k_sym": lambda: symbols()[1],
    "u_sym": lambda: symbols()[2]})


def check_dim(dim, name: str = "dim") -> int:
    """Validate a sphere dimension ``d >= 2`` (inputs live on :math:`S^{d-1}\\subset R^d`)."""
    return check_int(name, dim, minimum=2)


def multiplicity_expr():
    r"""Sympy expression of :math:`N(d, k)` for :math:`k \ge 1` (``N(d, 0) = 1``).

    >>> d_sym, k_sym, _ = symbols()
    >>> e = multiplicity_expr()
    >>> int(e.subs({d_sym: 3, k_sym: 4}))
    9
    """
    d_sym, k_sym, _ = symbols()
    return (2 * k_sym + d_sym - 2) / k_sym * sp.binomial(k_sym + d_sym - 3, k_sym - 1)


def multiplicity(d: int, k: int) -> int:
    r"""Number of linearly independent degree-``k`` spherical harmonics on :math:`S^{d-1}`.

    Exact integer arithmetic, any ``d >= 2`` (thousands included).

    .. math:: N(d, k) = \frac{2k+d-2}{k}\binom{k+d-3}{k-1}

    >>> [multiplicity(3, k) for k in range(5)]
    [1, 3, 5, 7, 9]
    >>> [multiplicity(2, k) for k in range(4)]
    [1, 2, 2, 2]
    >>> multiplicity(1000, 2) == 1000 * 1001 // 2 - 1
    True
    """
    d = check_dim(d)
    k = check_int("k", k, minimum=0)
    if k == 0:
        return 1
    num = (2 * k + d - 2) * math.comb(k + d - 3, k - 1)
    q, r = divmod(num, k)
    assert r == 0
    return q


def multiplicities(d: int, k_max: int) -> list[int]:
    """Exact ``[N(d, 0), ..., N(d, k_max)]`` by the ratio recurrence (linear time)."""
    d = check_dim(d)
    k_max = check_int("k_max", k_max, minimum=0)
    out = [1]
    if k_max == 0:
        return out
    # binom(k + d - 3, k - 1) for k = 1, 2, ...; updated by an exact ratio.
    b = 1
    for k in range(1, k_max + 1):
        if k > 1:
            b = b * (k + d - 3) // (k - 1)
        out.append((2 * k + d - 2) * b // k)
    return out


@takes_precision
def log_multiplicities(d: int, ks, precision: Precision = FLOAT64):
    r"""``log N(d, k)`` for an array of degrees, in the working precision.

    From the exact integers (:func:`multiplicities`, a linear-time recurrence), whose
    logarithms are taken directly: finite where ``N`` itself overflows float64
    (``d = 1000, k = 10^4``: ``N ~ 10^{1400}``) and correctly rounded, with none of the
    cancellation of log-Gamma differences at large ``d``.

    >>> import numpy as np
    >>> bool(np.allclose(np.exp(log_multiplicities(3, np.arange(4))), [1, 3, 5, 7]))
    True
    """
    d = check_dim(d)
    ks = np.asarray(ks)
    if ks.size and (np.min(ks) < 0):
        raise InvalidArgument("k", "degrees must be >= 0")
    if ks.size == 0:
        return precision.array([])
    exact = _multiplicity_table(d, int(np.max(ks)))
    p = precision
    if p.is_float:
        out = np.array([math.log(exact[int(k)]) for k in np.ravel(ks)]).reshape(ks.shape)
        return out if np.ndim(out) else float(out)
    with p.context():
        vals = [mpmath.log(exact[int(k)]) for k in np.ravel(ks)]
    out = np.array(vals, dtype=object).reshape(ks.shape)
    return out if np.ndim(out) else out[()]


_MULT_CACHE: dict = {}


def _multiplicity_table(d: int, k_max: int) -> list:
    """Exact ``N(d, 0..k_max)``, cached per ``d`` (extended on demand)."""
    have = _MULT_CACHE.get(d)
    if have is None or len(have) <= k_max:
        have = multiplicities(d, max(k_max, 2 * (len(have) if have else 0)))
        if len(_MULT_CACHE) > 64:
            _MULT_CACHE.clear()
        _MULT_CACHE[d] = have
    return have


# --------------------------------------------------------------------------------------
# Gegenbauer polynomials


def gegenbauer_expr():
    r"""Sympy expression of the normalized Gegenbauer polynomial :math:`P_k(u)`.

    For ``d = 2`` the normalized limit is the Chebyshev polynomial :math:`T_k(u)`.

    >>> d_sym, k_sym, u_sym = symbols()
    >>> e = gegenbauer_expr().subs({d_sym: 3, k_sym: 2})
    >>> sp.simplify(e - (3 * u_sym**2 - 1) / 2)
    0
    """
    d_sym, k_sym, u_sym = symbols()
    a = (d_sym - 2) / 2
    return sp.gegenbauer(k_sym, a, u_sym) / sp.gegenbauer(k_sym, a, 1)


@takes_precision
def gegenbauer(k_max: int, u, d: int, precision: Precision = FLOAT64):
    r"""Normalized Gegenbauer polynomials :math:`P_0(u), \dots, P_{k_{max}}(u)`.

    Three-term recurrence (stable for large ``k`` and ``d``; no explicit sums), with
    :math:`P_0 = 1`, :math:`P_1 = u` and

    .. math:: (k + d - 2) P_{k+1}(u) = (2k + d - 2)\, u P_k(u) - k P_{k-1}(u),

    which at ``d = 2`` is the Chebyshev recurrence :math:`T_{k+1} = 2uT_k - T_{k-1}`.
    Returns an array of shape ``(k_max + 1,) + shape(u)``.

    >>> import numpy as np
    >>> P = gegenbauer(3, np.array([0.3, 1.0]), 3)
    >>> bool(np.allclose(P[2], (3 * np.array([0.3, 1.0])**2 - 1) / 2)), float(P[3, 1])
    (True, 1.0)
    """
    d = check_dim(d)
    k_max = check_int("k_max", k_max, minimum=0)
    p = precision
    with p.context():
        u = np.asarray(p.array(u), dtype=float if p.is_float else object)  # 0-d too
        out = np.empty((k_max + 1,) + u.shape, dtype=u.dtype)
        out[0] = p.scalar(1) + 0 * u
        if k_max >= 1:
            out[1] = u
        for k in range(1, k_max):
            out[k + 1] = ((2 * k + d - 2) * u * out[k] - k * out[k - 1]) / (k + d - 2)
    return out


# --------------------------------------------------------------------------------------
# Law of u = <w, x>


@lru_cache(maxsize=None)
def _log_u_normalizer_mp(d: int, dps: int):
    with mpmath.workdps(dps):
        return (mpmath.loggamma(mpmath.mpf(d) / 2) - mpmath.log(mpmath.pi) / 2
                - mpmath.loggamma(mpmath.mpf(d - 1) / 2))


@takes_precision
def log_u_normalizer(d: int, precision: Precision = FLOAT64):
    r"""``log(Gamma(d/2) / (sqrt(pi) Gamma((d-1)/2)))``, the log-normalizer of the law of u."""
    d = check_dim(d)
    if precision.is_float:
        return float(_log_u_normalizer_mp(d, 30))
    return +_log_u_normalizer_mp(d, precision.working_digits + 10)


def u_density_expr():
    """Sympy expression of the density of ``u = <w, x>`` on ``[-1, 1]``."""
    d_sym, _, u_sym = symbols()
    return (sp.gamma(d_sym / 2) / (sp.sqrt(sp.pi) * sp.gamma((d_sym - 1) / 2))
            * (1 - u_sym**2) ** ((d_sym - 3) / 2))


@takes_precision
def u_density(u, d: int, precision: Precision = FLOAT64):
    r"""Density of :math:`u = \langle w, x\rangle` for ``w, x`` uniform on the sphere.

    .. math:: \frac{\Gamma(d/2)}{\sqrt{\pi}\,\Gamma((d-1)/2)} (1-u^2)^{(d-3)/2}

    (infinite at ``u = +-1`` when ``d = 2``).

    >>> from scipy.integrate import quad
    >>> round(quad(lambda u: u_density(u, 5), -1, 1)[0], 12)
    1.0
    """
    d = check_dim(d)
    p = precision
    with p.context():
        u = p.array(u)
        one_minus = p.log1p(-u * u)
        return p.exp(log_u_normalizer(d, p) + (p.scalar(d - 3) / 2) * one_minus)


def sample_sphere(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` points uniform on :math:`S^{d-1}` (normalized Gaussians), shape ``(n, d)``."""
    n = check_int("n", n, minimum=0)
    d = check_dim(d)
    g = rng.standard_normal((n, d))
    return g / np.linalg.norm(g, axis=1, keepdims=True)
