r"""The quantitative limit of weak-to-strong generalization (``THEORY.md`` section 4).

Setting: functions in :math:`L^2(\mu)`, a target :math:`f^*` with energy
:math:`E = \|f^*\|^2 > 0`, a projection teacher :math:`f_T`
(:math:`\langle f^*, f_T\rangle = \|f_T\|^2 = F^2`, so :math:`F^2 = E - L_T` with
:math:`L_T = \|f^* - f_T\|^2`) and a student :math:`f_S = A f_T` with :math:`A`
self-adjoint on :math:`L^2(\mu)`, :math:`0 \preceq A \preceq \alpha I`,
:math:`\alpha\in[0, 1]`. Then

.. math::

    L_S = \|f_S - f^*\|^2 \;\ge\;
    \Bigl(\sqrt{E - \alpha F^2 + \tfrac{\alpha^2 F^2}{4}} - \tfrac{\alpha F}{2}\Bigr)^2
    = \frac{\bigl((1-\alpha) E + \alpha L_T\bigr)^2}
           {\bigl(\sqrt{(1-\alpha)E + \alpha L_T + \alpha^2F^2/4} + \alpha F/2\bigr)^2},

and the bound is attained (:func:`optimal_operator`). The second, cancellation-free form
is the one evaluated: every operation in it adds or multiplies non-negative numbers, so
the float64 result has a relative error of at most :math:`20u` (:math:`u = 2^{-53}`)
for every input, including :math:`L_T \ll E` where the first form cancels. The
``max(0, .)`` of ``THEORY.md`` is redundant: :math:`(1-\alpha)E + \alpha L_T \ge 0`.

This covers gradient flow from zero with any positive semi-definite kernel :math:`K_S`,
any width, any stopping time (:math:`A = I - e^{-tK_S}`, :func:`alpha_from_time`) and
ridge regression with any kernel; it does not cover a student fitted to finitely many
samples. Proof, tightness and scope: ``docs/bounds.md``; symbolic checks:
``derivations/student_lower_bound.py``; numerical verification:
``derivations/verify_student_bound.py``. The sympy expressions live here
(:func:`lower_bound_expr`) and in :mod:`.bounds_series` (the small-:math:`L_T`
expansion); the tests check the numerical functions against them. sympy is imported only
when an expression (or one of the symbols ``L_T_sym``, ...) is asked for.

Vectors: :func:`student_lower_bound`, :func:`gain_upper_bound`, :func:`pgr_upper_bound`
and :func:`alpha_from_time` take arrays (lists, tuples or numpy arrays) for any of their
number arguments, broadcast together, in float64 and at any precision; the arguments are
validated once for the whole array and the results are, element by element, bit for bit
those of the scalar calls (float64 arrays, or numpy object arrays of ``mpf``). A risk
curve's bounds over a vector of times are two calls::

    alpha = alpha_from_time(times, top_eigenvalue, precision=p)
    lower = student_lower_bound(teacher_risk, target_energy, alpha, precision=p)
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, fields

import mpmath
import numpy as np

from .errors import InvalidArgument, check_real
from .lazy import lazy_attributes, lazy_module
from .precision import Precision, as_precision

sp = lazy_module("sympy")                 # the closed forms only: imported on first use

__all__ = [
    "L_T_sym", "E_sym", "alpha_sym", "F_sym",
    "lower_bound_expr",
    "student_lower_bound",
    "gain_upper_bound",
    "pgr_upper_bound",
    "alpha_from_time",
    "StudentBound",
    "student_bound",
    "optimal_operator",
]

_SYMBOLS = ("L_T_sym", "E_sym", "alpha_sym", "F_sym")


def symbols():
    """``(L_T_sym, E_sym, alpha_sym, F_sym)``: the symbols of the closed forms (teacher
    risk, target energy, the student's operator bound, and ``F = ||f_T||``, ``F^2 = E -
    L_T`` for a projection teacher), made on first use (this imports sympy)."""
    g = globals()
    if "L_T_sym" not in g:
        g.update(zip(_SYMBOLS, sp.symbols("L_T E alpha F", positive=True)))
    return tuple(g[n] for n in _SYMBOLS)


__getattr__ = lazy_attributes(globals(), {
    name: (lambda i=i: symbols()[i]) for i, name in enumerate(_SYMBOLS)})


def lower_bound_expr():
    r"""Sympy expression of the student lower bound in :math:`L_T, E, \alpha`.

    .. math::

        \Bigl(\sqrt{E - \alpha (E - L_T) + \tfrac{\alpha^2 (E - L_T)}{4}}
              - \tfrac{\alpha \sqrt{E - L_T}}{2}\Bigr)^2

    valid for :math:`0 \le L_T \le E`, :math:`0 \le \alpha \le 1` (where the base of the
    square is non-negative, so the ``max(0, .)`` of THEORY.md section 4 is not needed).
    This is the single definition used for documentation, LaTeX and the tests.

    >>> L_T_sym, E_sym, alpha_sym, _ = symbols()
    >>> e = lower_bound_expr()
    >>> sp.simplify(e.subs(alpha_sym, 0) - E_sym)
    0
    >>> e.subs({alpha_sym: 1, L_T_sym: 0})
    0
    """
    L_T_sym, E_sym, alpha_sym, _ = symbols()
    F2 = E_sym - L_T_sym
    return (sp.sqrt(E_sym - alpha_sym * F2 + alpha_sym**2 * F2 / 4)
            - alpha_sym * sp.sqrt(F2) / 2) ** 2


# -- input validation ----------------------------------------------------------------------

_ARRAYS = (np.ndarray, list, tuple)


def _mp_real(name, value, allow_inf=False):
    """A real number as an ``mpf`` at the current mpmath precision (strings parsed
    exactly), or an object array of them for array input (:func:`_mp_array`)."""
    if isinstance(value, _ARRAYS):
        return _mp_array(name, value, allow_inf)
    if isinstance(value, str):
        try:
            value = mpmath.mpf(value.strip())
        except (TypeError, ValueError):
            raise InvalidArgument(name, f"must be a real number, got {value!r}") from None
    value = check_real(name, value, allow_inf=allow_inf)
    if isinstance(value, numbers.Rational) and not isinstance(value, numbers.Integral):
        return mpmath.mpf(value.numerator) / value.denominator
    return mpmath.mpf(value)


def _mp_array(name, value, allow_inf=False):
    """An object array of ``mpf``: each element converted exactly as the scalar
    :func:`_mp_real` converts it (so the results are the scalar calls' bit for bit), in
    one pass - floats, ints and ``mpf`` on a fast path, checked for finiteness together
    at the end; anything else through the scalar conversion."""
    arr = np.asarray(value, dtype=object)
    if arr.ndim == 0:
        return _mp_real(name, arr[()], allow_inf)
    mpf = mpmath.mpf
    out = np.empty(arr.shape, dtype=object)
    flat = out.reshape(-1)
    for i, v in enumerate(arr.flat):
        t = type(v)
        if t is float or t is int or t is mpf or t is np.float64:
            flat[i] = mpf(v)
        else:
            flat[i] = _mp_real(name, v, allow_inf)
    finite = np.fromiter((mpmath.isfinite(x) or (allow_inf and not mpmath.isnan(x))
                          for x in flat), dtype=bool, count=flat.size)
    if not finite.all():
        bad = arr.reshape(-1)[~finite][0]
        raise InvalidArgument(name, f"must be a finite real number, got {bad!r}")
    return out


def _float_real(name, value, allow_inf=False):
    """A float, or a float array for array input; finite values only."""
    if isinstance(value, _ARRAYS):
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise InvalidArgument(name, f"must be real numbers, got {value!r}") from None
        bad = np.isnan(arr) if allow_inf else ~np.isfinite(arr)
        if bad.any():
            raise InvalidArgument(
                name, f"must be finite real numbers, got {arr[bad].ravel()[0]!r}")
        return arr
    return float(check_real(name, value, allow_inf=allow_inf))


def _real(name, value, prec):
    return _float_real(name, value) if prec.is_float else _mp_real(name, value)


def _first_bad(mask, values):
    return np.broadcast_to(values, np.shape(mask))[mask].ravel()[0]


def _require(name, ok, values, message):
    """Raise ``InvalidArgument(name, message + got)`` where ``ok`` fails (scalar or array)."""
    ok = np.asarray(ok, dtype=bool)
    if not ok.all():
        bad = _first_bad(~ok, np.asarray(values, dtype=object))
        raise InvalidArgument(name, f"{message}, got {bad}")


def _check(teacher_risk, target_energy, alpha, prec):
    """Validated (L_T, E, alpha) in the working type of ``prec`` (call inside its context)."""
    E = _real("target_energy", target_energy, prec)
    _require("target_energy", E > 0, E,
             "must be > 0 (the target energy ||f*||^2 of a nonzero target)")
    L = _real("teacher_risk", teacher_risk, prec)
    _require("teacher_risk", L >= 0, L, "must be >= 0")
    limit = f" = {E}" if np.ndim(E) == 0 else ""
    _require("teacher_risk", L <= E, L,
             f"must be <= target_energy{limit} (a projection teacher has "
             f"L_T = E - ||f_T||^2 <= E)")
    a = _real("alpha", alpha, prec)
    _require("alpha", (a >= 0) & (a <= 1), a, "must be in [0, 1]")
    return L, E, a


def _check_ceiling(ceiling_risk, L, prec, strict=True):
    c = _real("ceiling_risk", ceiling_risk, prec)
    _require("ceiling_risk", c >= 0, c, "must be >= 0")
    ok = c < L if strict else c <= L
    _require("ceiling_risk", ok, c,
             "must be < teacher_risk (PGR = (L_T - L_S) / (L_T - L_ceil) needs a gap "
             "between teacher and ceiling)" if strict else
             "must be <= teacher_risk (the ceiling is the risk of the student trained on "
             "f* itself)")
    return c


# -- the formula ---------------------------------------------------------------------------

def _terms(L, E, a, sqrt):
    """``(F, q)`` with ``q = sqrt(D + b^2) - b = D / (sqrt(D + b^2) + b)`` (``a`` is alpha,
    ``b = a F / 2``, ``D = (1 - a) E + a L``); the bound is ``q^2``, the gain
    ``F (a q - (1 - a) F)``.

    Every step adds, multiplies or divides non-negative numbers (``E - L`` is exact by
    Sterbenz's lemma when ``L >= E/2`` and a single rounding otherwise): this is what the
    20u relative-error count (written out in tests/test_bounds.py) relies on.
    """
    F = sqrt(E - L)
    b = (a * F) / 2
    D = (1 - a) * E + a * L          # = E - a F^2 = (squared distance to centre) - b^2 >= 0
    s = sqrt(D + b * b) + b          # > 0 because E > 0
    return F, D / s


_mp_sqrt_array = np.frompyfunc(mpmath.sqrt, 1, 1)


def _mp_sqrt(x):
    """``mpmath.sqrt``, elementwise on object arrays."""
    return _mp_sqrt_array(x) if isinstance(x, np.ndarray) else mpmath.sqrt(x)


def _evaluate(teacher_risk, target_energy, alpha, precision, ceiling_risk=None,
              want=()):
    prec = as_precision(precision)
    with prec.context():
        L, E, a = _check(teacher_risk, target_energy, alpha, prec)
        c = None if ceiling_risk is None else _check_ceiling(ceiling_risk, L, prec)
        sqrt = np.sqrt if prec.is_float else _mp_sqrt
        F, q = _terms(L, E, a, sqrt)
        out = {}
        if "lower" in want:
            out["lower"] = q * q
        if "gain" in want or "pgr" in want:
            out["gain"] = F * (a * q - (1 - a) * F)
        if "pgr" in want:
            out["pgr"] = out["gain"] / (L - c)
    return {k: (float(v) if prec.is_float and np.ndim(v) == 0 else v)
            for k, v in out.items()}


def student_lower_bound(teacher_risk, target_energy, alpha=1, precision=None):
    r"""Smallest risk :math:`L_S = \|A f_T - f^*\|^2` of a student with
    :math:`0 \preceq A \preceq \alpha I` self-adjoint, for a projection teacher.

    .. math::

        L_S \ge \Bigl(\sqrt{E - \alpha F^2 + \alpha^2 F^2/4} - \alpha F/2\Bigr)^2
        = \frac{\bigl((1-\alpha)E + \alpha L_T\bigr)^2}
               {\bigl(\sqrt{(1-\alpha)E + \alpha L_T + \alpha^2 F^2/4} + \alpha F/2\bigr)^2},
        \qquad F^2 = E - L_T.

    Reference: ``THEORY.md`` section 4; the proof (and why the bound is attained) is in
    ``docs/bounds.md``. Evaluated in the cancellation-free second form: relative error
    at most :math:`20u` in float64, also for :math:`L_T \ll E` (where the first form
    loses :math:`\log_{10}(E/L_T)` digits).

    Parameters
    ----------
    teacher_risk : :math:`L_T \in [0, E]` (float64 mode: a number or an array).
    target_energy : :math:`E = \|f^*\|^2 > 0`.
    alpha : the student's operator bound, in ``[0, 1]`` (1 for gradient flow run to any
        time, or :func:`alpha_from_time` for a finite time).
    precision : ``None`` for float64, a number of digits ``>= 15`` or a
        :class:`~w2s_theory._src.precision.Precision`: computed with mpmath at that
        many significant digits (plus guard digits) and returned as an ``mpf``; string
        inputs are then read exactly.

    Identities: :math:`\alpha = 0` (the zero student) gives :math:`E`; a perfect teacher
    gives :math:`(1-\alpha)^2 E`; at :math:`\alpha=1`, :math:`L_S \approx L_T^2/F^2`.

    >>> u = 2.0 ** -53                            # float64 unit roundoff
    >>> abs(student_lower_bound(0.3, 2.0, alpha=0) - 2.0) <= 20 * u * 2.0
    True
    >>> abs(student_lower_bound(0.0, 2.0, alpha=0.75) - 0.125) <= 20 * u * 0.125
    True
    >>> student_lower_bound(0.0, 1.0)
    0.0
    >>> student_lower_bound(3, 7)                 # F = 2: (sqrt(3 + 1) - 1)^2
    1.0
    >>> print(student_lower_bound("0.01", "1", precision=30))   # about L_T^2 / F^2
    9.90196087949761e-5
    """
    return _evaluate(teacher_risk, target_energy, alpha, precision, want=("lower",))["lower"]


def gain_upper_bound(teacher_risk, target_energy, alpha=1, precision=None):
    r"""Upper bound on the weak-to-strong gain :math:`G = L_T - L_S`.

    .. math::

        G \le L_T - \mathrm{LB} = F\Bigl(\frac{\alpha\,((1-\alpha)E + \alpha L_T)}
              {\sqrt{(1-\alpha)E + \alpha L_T + \alpha^2F^2/4} + \alpha F/2}
              - (1-\alpha) F\Bigr),

    with LB = :func:`student_lower_bound`. The right-hand form is evaluated: at
    :math:`\alpha = 1` it is :math:`F L_T / (\sqrt{L_T + F^2/4} + F/2)` with no
    cancellation, so it keeps full relative accuracy for a weak teacher
    (:math:`F \to 0`, where :math:`L_T - \mathrm{LB}` would cancel). A negative value
    means the student is necessarily worse than the teacher (possible for
    :math:`\alpha < 1`). Reference: ``THEORY.md`` section 4, ``docs/bounds.md``.
    Arguments as for :func:`student_lower_bound`.

    >>> abs(gain_upper_bound(0.5, 1.0, alpha=0) + 0.5) < 1e-15  # zero student: L_T - E
    True
    >>> gain_upper_bound(0.0, 1.0)            # nothing to gain from a perfect teacher
    0.0
    >>> gain_upper_bound(3, 7)                # L_T - (sqrt(3 + 1) - 1)^2
    2.0
    """
    return _evaluate(teacher_risk, target_energy, alpha, precision, want=("gain",))["gain"]


def pgr_upper_bound(teacher_risk, target_energy, alpha=1, ceiling_risk=0,
                    precision=None):
    r"""Upper bound on the performance gap recovered
    :math:`\mathrm{PGR} = (L_T - L_S) / (L_T - L_{\mathrm{ceil}})`.

    :math:`L_{\mathrm{ceil}}` (``ceiling_risk``) is the risk of the same student trained
    on :math:`f^*` itself (0 for an infinite-width student, the projection error of its
    own features for a finite one; ``THEORY.md`` section 1). Because the denominator is
    positive and :math:`L_S \ge \mathrm{LB}`,

    .. math::

        \mathrm{PGR} \le \frac{L_T - \mathrm{LB}}{L_T - L_{\mathrm{ceil}}},
        \qquad\text{at } \alpha = 1,\ L_{\mathrm{ceil}} = 0:\quad
        \mathrm{PGR} \le \frac{F}{\sqrt{L_T + F^2/4} + F/2}
                     = \frac{2}{1 + \sqrt{1 + 4 L_T / F^2}},

    which tends to 0 as the teacher approaches the zero function (:math:`F \to 0`).
    Raises :class:`InvalidArgument` if ``ceiling_risk >= teacher_risk`` (no gap to
    recover). Reference: ``THEORY.md`` section 4, ``docs/bounds.md``.

    >>> pgr_upper_bound(0.5, 1.0)  # F = sqrt(1/2): 2 / (1 + sqrt(5))
    0.6180339887498948
    >>> pgr_upper_bound(0.5, 1.0, ceiling_risk=0.5)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    w2s_theory._src.errors.InvalidArgument: ceiling_risk: must be < teacher_risk ...
    """
    return _evaluate(teacher_risk, target_energy, alpha, precision, ceiling_risk,
                     want=("pgr",))["pgr"]


def alpha_from_time(t, top_eigenvalue, precision=None):
    r"""Operator bound of gradient flow from zero stopped at time ``t``.

    Gradient flow on the population loss with kernel :math:`K_S` from :math:`f = 0`
    gives :math:`f_S(t) = (I - e^{-tK_S}) f_T`, so :math:`A = I - e^{-tK_S}` has
    spectrum in :math:`[0, 1 - e^{-t\|K_S\|}]`:

    .. math:: \alpha(t) = 1 - e^{-t \lambda_{\max}} = -\operatorname{expm1}(-t\lambda_{\max})

    Vectorized over ``t`` (a number or an array, ``t >= 0``, ``inf`` allowed);
    ``top_eigenvalue`` is :math:`\lambda_{\max} = \|K_S\| \ge 0`. With ``precision``, mpmath
    numbers (an object array for array ``t``). Reference: ``THEORY.md`` sections 1 and 4.

    >>> alpha_from_time(0.0, 3.0), alpha_from_time(float("inf"), 3.0)
    (0.0, 1.0)
    >>> bool(abs(alpha_from_time(2.0, 0.5) - (1 - np.exp(-1.0))) < 1e-16)
    True
    """
    prec = as_precision(precision)
    with prec.context():
        lam = _real("top_eigenvalue", top_eigenvalue, prec)
        if np.ndim(lam) != 0:
            raise InvalidArgument("top_eigenvalue",
                                  f"must be a single number, got {top_eigenvalue!r}")
        _require("top_eigenvalue", lam >= 0, lam, "must be >= 0 (the norm of a PSD kernel)")
        if prec.is_float:
            tt = _float_times(t)
            with np.errstate(invalid="ignore"):
                out = np.where(lam == 0, 0.0, -np.expm1(-tt * lam))
            return float(out) if out.ndim == 0 else out
        tt = _mp_real("t", t, allow_inf=True)           # validated once, arrays too
        _require("t", tt >= 0, tt, "must be >= 0")
        if lam == 0:
            return mpmath.mpf(0) if np.ndim(tt) == 0 else \
                np.full(np.shape(tt), mpmath.mpf(0), dtype=object)
        if np.ndim(tt) == 0:
            return -mpmath.expm1(-tt * lam)
        return _mp_alpha_array(tt, lam)


def _mp_alpha_array(tt, lam):
    out = np.empty(tt.shape, dtype=object)
    flat = out.reshape(-1)
    expm1 = mpmath.expm1
    for i, v in enumerate(tt.flat):
        flat[i] = -expm1(-v * lam)
    return out


def _float_times(t):
    if isinstance(t, _ARRAYS):
        try:
            tt = np.asarray(t, dtype=float)
        except (TypeError, ValueError):
            raise InvalidArgument("t", f"must be real numbers, got {t!r}") from None
    else:
        tt = np.asarray(float(check_real("t", t, allow_inf=True)))
    _require("t", ~np.isnan(tt) & (tt >= 0), tt, "must be >= 0 (inf allowed)")
    return tt


@dataclass(frozen=True)
class StudentBound:
    """The bounds of ``THEORY.md`` section 4 for one teacher (see :func:`student_bound`).

    ``pgr_upper_bound`` is ``None`` when ``ceiling_risk == teacher_risk`` (no gap to
    recover, e.g. a perfect teacher with ceiling 0).
    """

    lower_bound: object
    gain_upper_bound: object
    pgr_upper_bound: object
    teacher_risk: object
    target_energy: object
    alpha: object
    ceiling_risk: object = 0.0

    def to_dict(self) -> dict:
        """The fields as a plain dict (numbers stay float or mpf)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def student_bound(teacher_risk, target_energy, alpha=1, ceiling_risk=0,
                  precision=None) -> StudentBound:
    r"""All bounds at once: :func:`student_lower_bound`, :func:`gain_upper_bound` and
    :func:`pgr_upper_bound` (scalars only).

    .. math:: L_S \ge \mathrm{LB},\quad G \le L_T - \mathrm{LB},\quad
              \mathrm{PGR} \le (L_T - \mathrm{LB}) / (L_T - L_{\mathrm{ceil}})

    Reference: ``THEORY.md`` section 4; proof in ``docs/bounds.md``.

    >>> b = student_bound(3, 7)   # F = 2, LB = (sqrt(3 + 1) - 1)^2 = 1
    >>> (b.lower_bound, b.gain_upper_bound, b.pgr_upper_bound)
    (1.0, 2.0, 0.6666666666666666)
    >>> student_bound(0.0, 1.0).pgr_upper_bound is None
    True
    """
    prec = as_precision(precision)
    with prec.context():
        for name, v in (("teacher_risk", teacher_risk), ("target_energy", target_energy),
                        ("alpha", alpha), ("ceiling_risk", ceiling_risk)):
            if isinstance(v, (np.ndarray, list, tuple)):
                raise InvalidArgument(name, "must be a single number (use the functions "
                                            "student_lower_bound etc. for arrays)")
        L, E, a = _check(teacher_risk, target_energy, alpha, prec)
        c = _check_ceiling(ceiling_risk, L, prec, strict=False)
        vals = _evaluate(L, E, a, prec, want=("lower", "gain"))
        pgr = None if c == L else vals["gain"] / (L - c)
        if prec.is_float and pgr is not None:
            pgr = float(pgr)
    return StudentBound(lower_bound=vals["lower"], gain_upper_bound=vals["gain"],
                        pgr_upper_bound=pgr, teacher_risk=L, target_energy=E, alpha=a,
                        ceiling_risk=c)


# -- tightness -----------------------------------------------------------------------------

def _vector(name, v):
    try:
        arr = np.asarray(v, dtype=float)
    except (TypeError, ValueError):
        raise InvalidArgument(name, "must be a vector of real numbers") from None
    if arr.ndim != 1 or arr.size == 0:
        raise InvalidArgument(name, f"must be a non-empty 1-d vector, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise InvalidArgument(name, "must have finite entries")
    return arr


def _sphere_operator(points, weights, alpha, n):
    """``alpha * sum_i w_i u_i u_i^T`` with ``u_i = p_i / |p_i|`` (zero points skipped)."""
    A = np.zeros((n, n))
    for p, w in zip(points, weights):
        norm = np.linalg.norm(p)
        if norm > 0 and w > 0:
            u = p / norm
            A += (alpha * w) * np.outer(u, u)
    return (A + A.T) / 2


def optimal_operator(f_star, f_teacher, alpha):
    r"""A symmetric matrix :math:`0 \preceq A \preceq \alpha I` of rank at most 2 whose
    student :math:`A f_T` is the closest possible to :math:`f^*` (tightness of the bound).

    Vectors are coordinates in an orthonormal basis of :math:`L^2(\mu)` (so the inner
    product is the Euclidean one). Every admissible student lies in the ball

    .. math::

        \|A f_T - c\| \le r, \qquad c = \tfrac{\alpha}{2} f_T,\quad
        r = \tfrac{\alpha}{2}\|f_T\|,

    and the points of its sphere are exactly :math:`\alpha\langle u, f_T\rangle u =
    (\alpha u u^T) f_T`, :math:`\|u\| = 1`. If :math:`f^*` is outside the ball, the nearest
    point :math:`p = c + r (f^* - c)/\|f^* - c\|` is on the sphere and :math:`A = \alpha
    u u^T` with :math:`u = p / \|p\|` (rank 1) gives risk
    :math:`(\|f^* - c\| - r)^2`; for a projection teacher this equals
    :func:`student_lower_bound` of :math:`L_T = \|f^* - f_T\|^2`, :math:`E = \|f^*\|^2`.
    If :math:`f^*` is inside the ball (only possible for a teacher that is not a
    projection, or :math:`f_T = f^*` at :math:`\alpha=1`), :math:`f^*` is a convex
    combination of two sphere points and :math:`A` (rank 2) reproduces it exactly.
    Reference: ``THEORY.md`` section 4, ``docs/bounds.md`` (tightness).

    >>> A = optimal_operator([1.0, 1.0], [1.0, 0.0], 1.0)   # L_T = 1, E = 2, F = 1
    >>> risk = float(np.sum((np.array([1.0, 1.0]) - A @ [1.0, 0.0]) ** 2))
    >>> abs(risk - student_lower_bound(1.0, 2.0)) < 1e-15
    True
    """
    fs = _vector("f_star", f_star)
    ft = _vector("f_teacher", f_teacher)
    if ft.shape != fs.shape:
        raise InvalidArgument("f_teacher", f"must have the shape of f_star {fs.shape}, "
                                           f"got {ft.shape}")
    if not np.any(fs):
        raise InvalidArgument("f_star", "must be nonzero (a zero target)")
    a = float(check_real("alpha", alpha, 0, 1))
    n = fs.size
    F = np.linalg.norm(ft)
    if a == 0 or F == 0:
        return np.zeros((n, n))
    c = (a / 2) * ft
    r = (a / 2) * F
    v = fs - c
    dist = np.linalg.norm(v)
    if dist >= r:                        # nearest point of the ball lies on its sphere
        return _sphere_operator([c + (r / dist) * v], [1.0], a, n)
    # Inside: f* = lam * (c + r d) + (1 - lam) * (c - r d), d = v / |v|, lam = (r + |v|)/2r.
    d = v / dist if dist > 0 else ft / F
    lam = (r + dist) / (2 * r)
    return _sphere_operator([c + r * d, c - r * d], [lam, 1 - lam], a, n)
