r"""Activations on the sphere: a registry, and closed-form Funk-Hecke coefficients.

An :class:`Activation` carries its finite-width function (numpy and mpmath versions) and,
where one exists, its closed form: every activation of the *piecewise-power family*

.. math:: \sigma(u) = \sum_p a_p\, u_+^p + b_p\, (-u)_+^p

(ReLU, step, ReLU powers, abs, leaky ReLU, sign, all polynomials) has Funk-Hecke
coefficients :math:`c_k = \sum_p (a_p + (-1)^k b_p)\, e_{p,k}` with
:math:`e_{p,k} = E_u[u_+^p P_k(u)]` given, for :math:`k \le p`, by

.. math:: e_{p,k} = \frac{\Gamma(d/2)\, p!\, \Gamma(\frac{p-k+1}{2})}
          {\sqrt\pi\, 2^{k+1} (p-k)!\, \Gamma(\frac{p+k+d}{2})},

for :math:`k > p` with :math:`k - p` odd by

.. math:: e_{p,k} = (-1)^{\frac{k-p-1}{2}} \frac{p!\, \Gamma(d/2)\, \Gamma(\frac{k-p}{2})}
          {2^{p+1}\pi\, \Gamma(\frac{k+p+d}{2})},

and :math:`e_{p,k} = 0` for :math:`k > p` with :math:`k - p` even (so ReLU has no odd
harmonics of degree >= 3). Derivation (Rodrigues' formula and integration by parts):
``derivations/relu_funk_hecke.py`` and ``docs/spectral_core.md``; the ReLU case is
Bach (2017), *Breaking the curse of dimensionality with convex neural networks*, JMLR 18,
Appendix D.2. Other activations (erf, tanh, sigmoid, softplus, gelu, any callable) are
projected by quadrature (:mod:`.funk_hecke`).

>>> relu = get_activation("relu")
>>> c = relu.family.coefficients_exact(6, 4)      # exact sympy numbers at d = 6
>>> c[1], c[3]
(1/12, 0)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable

import mpmath
import numpy as np

from .errors import InvalidArgument
from .lazy import lazy_module
from .precision import FLOAT64, Precision
from .sphere import check_dim, symbols
from .tails import GammaProduct

sp = lazy_module("sympy")                 # the closed forms: imported on first use
special = lazy_module("scipy.special")    # imported on first evaluation

__all__ = [
    "Activation",
    "PiecewisePower",
    "get_activation",
    "activation_names",
    "register_activation",
    "relu_power_coefficient_expr",
]


# --------------------------------------------------------------------------------------
# Closed forms for u_+^p


def relu_power_coefficient_expr(p: int):
    r"""Sympy expression of :math:`e_{p,k}(d) = E_u[u_+^p P_k(u)]` (piecewise in ``k``).

    >>> e = relu_power_coefficient_expr(1)
    >>> k_sym = symbols()[1]
    >>> sp.simplify(e.subs(k_sym, 1))
    1/(2*d)
    """
    p = int(p)
    d, k, _ = symbols()
    low = (sp.gamma(d / 2) * sp.factorial(p) * sp.gamma(sp.Rational(p + 1, 2) - k / 2)
           / (sp.sqrt(sp.pi) * 2 ** (k + 1) * sp.factorial(p - k)
              * sp.gamma((p + k + d) / 2)))
    high = ((-1) ** ((k - p - 1) / 2) * sp.factorial(p) * sp.gamma(d / 2)
            * sp.gamma((k - p) / 2) / (2 ** (p + 1) * sp.pi * sp.gamma((k + p + d) / 2)))
    return sp.Piecewise(
        (low, sp.Le(k, p)),
        (0, sp.Eq(sp.Mod(k - p, 2), 0)),
        (high, True))


def _log_e_low(p, k, d):
    """log e_{p,k} for k <= p (positive), float."""
    return (special.gammaln(d / 2) + math.lgamma(p + 1) + special.gammaln((p - k + 1) / 2)
            - 0.5 * math.log(math.pi) - (k + 1) * math.log(2) - math.lgamma(p - k + 1)
            - special.gammaln((p + k + d) / 2))


def _high_gamma_product(p: int, d: int) -> GammaProduct:
    """|e_{p,k}| for k > p, k - p odd, as a Gamma product in k (mpmath)."""
    const = (mpmath.log(mpmath.factorial(p)) + mpmath.loggamma(mpmath.mpf(d) / 2)
             - (p + 1) * mpmath.log(2) - mpmath.log(mpmath.pi))
    half = mpmath.mpf(1) / 2
    return GammaProduct(const=const, gammas=((1, half, -half * p),
                                             (-1, half, half * (p + d))))


@dataclass(frozen=True)
class PiecewisePower:
    r""":math:`\sigma(u) = \sum_p a_p u_+^p + b_p (-u)_+^p` (``right = a``, ``left = b``).

    >>> f = PiecewisePower.polynomial([1, 0, 2])
    >>> [int(a) for a in f.right], [int(b) for b in f.left]
    ([1, 0, 2], [1, 0, 2])
    """

    right: tuple = ()
    left: tuple = ()

    def __post_init__(self):
        n = max(len(self.right), len(self.left))
        # Exact rationals (0.01 means 1/100), so closed forms are exact at any precision.
        r = tuple(_rational(x) for x in self.right) + (Fraction(0),) * (n - len(self.right))
        l_ = tuple(_rational(x) for x in self.left) + (Fraction(0),) * (n - len(self.left))
        object.__setattr__(self, "right", r)
        object.__setattr__(self, "left", l_)

    @classmethod
    def polynomial(cls, coeffs) -> "PiecewisePower":
        """``sum_j a_j u^j = sum_j a_j (u_+^j + (-1)^j (-u)_+^j)``."""
        coeffs = tuple(coeffs)
        return cls(coeffs, tuple((-1) ** j * a for j, a in enumerate(coeffs)))

    @property
    def max_power(self) -> int:
        return len(self.right) - 1

    def weight(self, p: int, k: int):
        """Weight of ``e_{p,k}`` in ``c_k``: ``a_p + (-1)^k b_p``."""
        return self.right[p] + (-1) ** k * self.left[p]

    # -- evaluation ----------------------------------------------------------------
    def __call__(self, u):
        u = np.asarray(u, dtype=float)
        up, um = np.maximum(u, 0), np.maximum(-u, 0)
        out = np.zeros_like(u)
        for p, (a, b) in enumerate(zip(self.right, self.left)):
            a, b = float(a), float(b)
            if a:
                out = out + a * (up ** p if p else (u > 0).astype(float))
            if b:
                out = out + b * (um ** p if p else (u < 0).astype(float))
        return out

    def mp_call(self, u):
        u = mpmath.mpf(u)
        out = mpmath.mpf(0)
        for p, (a, b) in enumerate(zip(self.right, self.left)):
            if a and u > 0:
                out += (mpmath.mpf(a.numerator) / a.denominator) * u ** p
            if b and u < 0:
                out += (mpmath.mpf(b.numerator) / b.denominator) * (-u) ** p
        return out

    def is_polynomial(self) -> bool:
        return all(b == (-1) ** p * a for p, (a, b) in enumerate(zip(self.right, self.left)))

    # -- coefficients ----------------------------------------------------------------
    def expr(self):
        """Sympy expression of ``c_k(d)`` (piecewise in ``k``)."""
        k_sym = symbols()[1]
        return sum(((sp.Rational(a) + (-1) ** k_sym * sp.Rational(b))
                    * relu_power_coefficient_expr(p)
                    for p, (a, b) in enumerate(zip(self.right, self.left)) if a or b),
                   sp.Integer(0))

    def coefficients_exact(self, d: int, k_max: int) -> list:
        """Exact ``c_0..c_{k_max}`` as sympy numbers (for tests and derivations)."""
        d = check_dim(d)
        d_sym, k_sym, _ = symbols()
        out = []
        for k in range(k_max + 1):
            val = sp.Integer(0)
            for p in range(self.max_power + 1):
                w = sp.Rational(self.weight(p, k))
                if w == 0:
                    continue
                e = relu_power_coefficient_expr(p).subs({d_sym: d, k_sym: k})
                val += w * e
            out.append(sp.nsimplify(sp.simplify(sp.gammasimp(val))))
        return out

    def log_abs_coefficients(self, d: int, k_max: int, precision: Precision = FLOAT64):
        """``(log|c_k|, sign c_k)`` for ``k = 0..k_max`` in the working precision.

        Logarithms keep the coefficients finite where they underflow float64
        (``d = 1000, k = 10^4``: ``c_k ~ 10^-1850``). Linear in ``k_max``: the weights
        depend only on the parity of ``k``, and in mpmath the high branch follows the
        exact ratio :math:`e_{p,k+2}/e_{p,k} = -(k-p)/(k+p+d)`.
        """
        d = check_dim(d)
        ks = np.arange(k_max + 1)
        p_ = precision
        P = self.max_power
        logs, signs = [], []
        with p_.context():
            for p in range(P + 1):
                # weight a_p + (-1)^k b_p: one value per parity
                w_par = [self.weight(p, 0), self.weight(p, 1)]
                w_sign = np.where(ks % 2 == 0, float(np.sign(w_par[0])),
                                  float(np.sign(w_par[1])))
                lw_par = [p_.log(p_.scalar(_to_number(abs(w) or Fraction(1), p_)))
                          for w in w_par]
                lw = np.where(ks % 2 == 0, lw_par[0], lw_par[1])
                le = self._log_e(p, d, ks, p_)
                sg = np.where((ks > p) & ((ks - p) % 2 == 0), 0.0,
                              np.where(ks <= p, 1.0, (-1.0) ** ((ks - p - 1) // 2)))
                logs.append(le + lw)
                signs.append(w_sign * sg)
        return _signed_logsumexp(logs, signs, p_)

    @staticmethod
    def _log_e(p: int, d: int, ks, precision: Precision):
        """log|e_{p,k}| for each degree (arbitrary where e_{p,k} = 0)."""
        pr = precision
        if pr.is_float:
            high = (math.lgamma(p + 1) + special.gammaln(d / 2)
                    + special.gammaln(np.maximum(ks - p, 1) / 2) - (p + 1) * math.log(2)
                    - math.log(math.pi) - special.gammaln((ks + p + d) / 2))
            low = np.array([_log_e_low(p, int(k), d) if k <= p else 0.0 for k in ks])
            return np.where(ks <= p, low, high)
        with pr.context():
            g = _high_gamma_product(p, d)
            out = [_log_e_low_mp(p, int(k), d) if k <= p else mpmath.mpf(0) for k in ks]
            # high branch: log|e| at the first degree of each parity class, then the
            # exact ratio |e_{p,k+2}/e_{p,k}| = (k-p)/(k+p+d) (cumulative logs)
            k_top = int(ks[-1])
            for k0 in (p + 1, p + 2):
                if k0 > k_top:
                    continue
                cur = g.log_value(k0)
                out[k0] = cur
                for k in range(k0, k_top - 1, 2):
                    cur = cur + mpmath.log(mpmath.mpf(k - p) / (k + p + d))
                    out[k + 2] = cur
        return np.array(out, dtype=object)

    def tail_classes(self, d: int):
        """The parity classes of degrees ``k > max_power`` whose coefficients are nonzero.

        Returns a list of ``(parity, [(weight * sign, GammaProduct), ...])``: on the class
        ``k = 2 j + k0`` (``k0`` the first degree of that parity above ``max_power``),
        ``|c_k| = |sum_i w_i g_i(k)|`` with ``g_i`` Gamma products (positive).
        """
        out = []
        P = self.max_power
        for parity in (0, 1):
            k0 = P + 1 if (P + 1) % 2 == parity else P + 2
            terms = []
            for p in range(P + 1):
                if (k0 - p) % 2 == 0:
                    continue          # e_{p,k} = 0 on this class
                w = self.weight(p, parity)
                if w == 0:
                    continue
                sign = (-1) ** ((k0 - p - 1) // 2)
                terms.append((sign * (mpmath.mpf(w.numerator) / w.denominator),
                              _high_gamma_product(p, d)))
            if terms:
                out.append((parity, k0, tuple(terms)))
        return out


def _rational(x) -> Fraction:
    if isinstance(x, Fraction):
        return x
    if isinstance(x, (int, np.integer)):
        return Fraction(int(x))
    try:
        return Fraction(str(float(x)))
    except (TypeError, ValueError):
        raise InvalidArgument("activation", f"coefficient {x!r} is not a real number") \
            from None


def _to_number(x: Fraction, precision: Precision):
    if precision.is_float:
        return float(x)
    return mpmath.mpf(x.numerator) / x.denominator


def _log_e_low_mp(p, k, d):
    d = mpmath.mpf(d)
    return (mpmath.loggamma(d / 2) + mpmath.log(mpmath.factorial(p))
            + mpmath.loggamma(mpmath.mpf(p - k + 1) / 2) - mpmath.log(mpmath.pi) / 2
            - (k + 1) * mpmath.log(2) - mpmath.log(mpmath.factorial(p - k))
            - mpmath.loggamma((p + k + d) / 2))


def _signed_logsumexp(logs, signs, precision: Precision):
    """Combine ``sum_i sign_i exp(log_i)`` into ``(log|total|, sign total)``."""
    pr = precision
    S = np.array(signs, dtype=float)
    if pr.is_float:
        L = np.array(logs, dtype=float)
        masked = np.where(S == 0, -np.inf, L)
        top = np.max(masked, axis=0)
        top = np.where(np.isfinite(top), top, 0.0)
        with np.errstate(over="ignore", invalid="ignore"):
            total = np.sum(np.where(S == 0, 0.0, S * np.exp(np.where(S == 0, 0.0, L) - top)),
                           axis=0)
        with np.errstate(divide="ignore"):
            return np.log(np.abs(total)) + top, np.sign(total)
    L = np.array(logs, dtype=object)
    out_log, out_sign = [], []
    for i in range(L.shape[1]):
        terms = [(S[j, i], L[j, i]) for j in range(L.shape[0]) if S[j, i] != 0]
        if not terms:
            out_log.append(mpmath.ninf)
            out_sign.append(0.0)
            continue
        if len(terms) == 1:
            out_log.append(terms[0][1])
            out_sign.append(terms[0][0])
            continue
        top = max(lv for _, lv in terms)
        tot = mpmath.fsum(sg * mpmath.exp(lv - top) for sg, lv in terms)
        out_log.append(mpmath.log(abs(tot)) + top if tot != 0 else mpmath.ninf)
        out_sign.append(float(mpmath.sign(tot)))
    return np.array(out_log, dtype=object), np.array(out_sign)


# --------------------------------------------------------------------------------------
# The registry


@dataclass(frozen=True)
class Activation:
    """An activation: finite-width function, mpmath version, and closed form if any."""

    name: str
    func: Callable = field(repr=False)
    mp_func: Callable | None = field(default=None, repr=False)
    family: PiecewisePower | None = None
    breakpoints: tuple = (0.0,)
    description: str = ""

    def __call__(self, u):
        return self.func(np.asarray(u, dtype=float))

    @property
    def has_closed_form(self) -> bool:
        return self.family is not None

    @classmethod
    def from_callable(cls, func, name: str | None = None, mp_func=None,
                      breakpoints=(0.0,)) -> "Activation":
        """Wrap a user function of one variable (numpy-vectorized, or scalar)."""
        if not callable(func):
            raise InvalidArgument("activation", f"expected a callable, got {func!r}")
        name = name or getattr(func, "__name__", "custom")

        def vec(u, _f=func):
            try:
                out = _f(u)
                out = np.asarray(out, dtype=float)
                if out.shape == np.shape(u):
                    return out
            except Exception:  # noqa: BLE001 - fall back to elementwise evaluation
                pass
            return np.vectorize(lambda x: float(_f(float(x))), otypes=[float])(u)

        return cls(name=name, func=vec, mp_func=mp_func, family=None,
                   breakpoints=tuple(breakpoints), description="user-defined function")


_REGISTRY: dict[str, Activation] = {}


def register_activation(act: Activation) -> Activation:
    """Add an activation to the registry (name must be new)."""
    if act.name in _REGISTRY:
        raise InvalidArgument("activation", f"{act.name!r} is already registered")
    _REGISTRY[act.name] = act
    return act


def _family(name, family: PiecewisePower, description):
    return Activation(name=name, func=family, mp_func=family.mp_call, family=family,
                      breakpoints=(0.0,), description=description)


def _smooth(name, func, mp_func, description):
    return Activation(name=name, func=func, mp_func=mp_func, family=None, breakpoints=(),
                      description=description)


def _erf(u):
    return special.erf(u)


def _expit(u):
    return special.expit(u)


def _mp_gelu(u):
    return u * (1 + mpmath.erf(u / mpmath.sqrt(2))) / 2


def _mp_softplus(u):
    return mpmath.log1p(mpmath.exp(-abs(u))) + max(u, 0)


for _act in [
    _family("relu", PiecewisePower((0, 1)), "max(u, 0)"),
    _family("step", PiecewisePower((1,)), "1 if u > 0 else 0 (relu power 0)"),
    _family("relu0", PiecewisePower((1,)), "relu power 0 (step)"),
    _family("relu1", PiecewisePower((0, 1)), "relu power 1 (relu)"),
    _family("relu2", PiecewisePower((0, 0, 1)), "max(u, 0)^2"),
    _family("relu3", PiecewisePower((0, 0, 0, 1)), "max(u, 0)^3"),
    _family("abs", PiecewisePower((0, 1), (0, 1)), "|u|"),
    _family("sign", PiecewisePower((1,), (-1,)), "sign(u)"),
    _family("leaky_relu", PiecewisePower((0, 1), (0, -0.01)),
            "max(u, 0.01 u) (slope 0.01 for u < 0)"),
    _family("linear", PiecewisePower.polynomial((0, 1)), "u (linear features)"),
    _smooth("erf", _erf, mpmath.erf, "erf(u)"),
    _smooth("tanh", np.tanh, mpmath.tanh, "tanh(u)"),
    _smooth("sigmoid", _expit, lambda u: 1 / (1 + mpmath.exp(-u)),
            "1 / (1 + exp(-u))"),
    _smooth("softplus", lambda u: np.logaddexp(0.0, u), _mp_softplus, "log(1 + exp(u))"),
    _smooth("gelu", lambda u: u * (1 + special.erf(u / np.sqrt(2))) / 2, _mp_gelu,
            "u Phi(u) (exact Gaussian error linear unit)"),
]:
    register_activation(_act)

_POWER_RE = re.compile(r"^relu\^(\d+)$")
_POLY_RE = re.compile(r"^poly(?:nomial)?:(.+)$")


def activation_names() -> list[str]:
    """Registered names (plus the parametrized forms ``relu^p`` and ``poly:a0,a1,...``)."""
    return sorted(_REGISTRY)


def get_activation(spec) -> Activation:
    """An :class:`Activation` from a name, ``relu^p``, ``poly:a0,a1,...`` or a callable.

    >>> get_activation("poly:0,0,1").family.is_polynomial()
    True
    >>> get_activation("relu^2").name
    'relu2'
    """
    if isinstance(spec, Activation):
        return spec
    if callable(spec):
        return Activation.from_callable(spec)
    if not isinstance(spec, str):
        raise InvalidArgument("activation", f"expected a name or a callable, got {spec!r}")
    name = spec.strip().lower()
    if name in _REGISTRY:
        return _REGISTRY[name]
    m = _POWER_RE.match(name)
    if m:
        p = int(m.group(1))
        if p > 12:
            raise InvalidArgument("activation", f"relu powers up to 12 are supported, got {p}")
        return _family(f"relu{p}", PiecewisePower((0,) * p + (1,)), f"max(u, 0)^{p}")
    m = _POLY_RE.match(name)
    if m:
        try:
            coeffs = tuple(float(s) for s in m.group(1).split(","))
        except ValueError:
            raise InvalidArgument(
                "activation", f"polynomial coefficients must be numbers: {spec!r}") from None
        coeffs = tuple(int(c) if float(c).is_integer() else c for c in coeffs)
        if not any(coeffs):
            raise InvalidArgument("activation", "the zero polynomial has no features")
        return _family(f"poly:{','.join(str(c) for c in coeffs)}",
                       PiecewisePower.polynomial(coeffs), "polynomial")
    import difflib
    close = difflib.get_close_matches(name, activation_names(), n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise InvalidArgument(
        "activation", f"unknown activation {spec!r}{hint}; known: "
        f"{', '.join(activation_names())}, relu^p, poly:a0,a1,...")
