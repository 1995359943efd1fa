r"""Random features on Gaussian inputs: :math:`x \sim N(0, I_d)`, features
:math:`\sigma(\langle w, x\rangle)` with ``w`` uniform on :math:`S^{d-1}`, no biases.

Write :math:`x = r \hat x` with :math:`r = |x|` (a chi variable with ``d`` degrees of
freedom) independent of :math:`\hat x` (uniform on the sphere). For an activation that
is *positively homogeneous* of degree ``p``, :math:`\sigma(r u) = r^p \sigma(u)` for
``r > 0`` (ReLU: 1; step, sign: 0; ReLU powers, abs, leaky ReLU, ``u``: their degree),

.. math:: \sigma(\langle w, x\rangle) = r^p\, \sigma(\langle w, \hat x\rangle), \qquad
          K(x, x') = r^p r'^p\, \kappa(\langle\hat x, \hat x'\rangle),

with :math:`\kappa = \sum_k c_k^2 N(d,k) P_k` the kernel on the sphere. The radial part is
rank one, so the eigenfunctions in :math:`L^2(N(0, I_d))` are
:math:`r^p Y_{kj}(\hat x) / \sqrt{m_{2p}}` with eigenvalues

.. math:: \lambda_k = m_{2p}\, c_k^2, \qquad
          m_s = E|x|^s = \frac{2^{s/2}\,\Gamma(\frac{d+s}{2})}{\Gamma(\frac d2)},

and multiplicities :math:`N(d,k)`: the sphere's spectrum scaled by :math:`m_{2p}`
(:math:`m_2 = d` for ReLU). A function orthogonal to every :math:`r^p Y_{kj}` - a
radial profile :math:`h(r) \perp r^p` times any harmonic - is orthogonal to every
feature: its energy is an irreducible floor (:mod:`..targets.atoms` computes it).

Weights: ``w`` uniform on the sphere, as the seed paper's code draws them (Gaussian rows
normalized, ``U / |U|``). Gaussian ``w`` would multiply the kernel by
:math:`E|w|^{2p}` and leave the teacher (a projection, invariant to rescaling each
feature) unchanged, but the random norms make a finite student's kernel an elliptical
sample covariance, which the deterministic equivalent of ``THEORY.md`` 3b does not
describe: not offered.

Activations that are not homogeneous (tanh, erf, gelu, sigmoid, softplus, polynomials
with several degrees) are refused. With ``w`` on the sphere their kernel is still rank
one in ``r`` on each degree - the degree-k part of :math:`\sigma(r\langle w, \hat
x\rangle)` is :math:`c_k(r) N(d,k) P_k(\langle w, \hat x\rangle)`, :math:`c_k(r) =
E_u[\sigma(r u) P_k(u)]` - but the radial profile :math:`c_k(r)` changes with ``k``:
eigenvalues :math:`E_r[c_k(r)^2]` (the Funk-Hecke coefficients of the Gaussian dual
kernel :math:`E\,\sigma(z)\sigma(z')`, :math:`\mathrm{corr}(z,z') = \rho`) and
every target projected on a different radial function per degree: a quadrature in
``r`` for every degree, not implemented (``docs/spectral_core.md``).

>>> import numpy as np
>>> s = GaussianInputSpectrum("relu", 6)
>>> b, b0 = s.blocks(3), SphereSpectrum("relu", 6).blocks(3)
>>> bool(abs(np.exp(b.log_lam[1] - b0.log_lam[1]) - 6) < 1e-13)      # m_2 = d
True
"""

from __future__ import annotations

from functools import lru_cache

import mpmath

from ..activations import Activation, get_activation
from ..errors import InvalidArgument
from ..precision import FLOAT64, Precision, takes_precision
from .base import Blocks, Spectrum, TailMoments
from .sphere import SphereSpectrum

__all__ = ["GaussianInputSpectrum", "homogeneity_degree", "log_radial_moment",
           "HOMOGENEOUS_NAMES"]

#: registered homogeneous activations (for messages)
HOMOGENEOUS_NAMES = "relu, step, relu^p, abs, sign, leaky_relu, linear"


def homogeneity_degree(activation) -> int | None:
    """The degree ``p`` with :math:`\\sigma(r u) = r^p \\sigma(u)` for all ``r > 0``, or
    ``None`` if the activation is not positively homogeneous (or not known to be: only
    the piecewise-power family is inspected).

    >>> homogeneity_degree("relu"), homogeneity_degree("step"), homogeneity_degree("tanh")
    (1, 0, None)
    >>> homogeneity_degree("poly:0,0,1"), homogeneity_degree("poly:1,1")
    (2, None)
    """
    act = get_activation(activation)
    fam = act.family
    if fam is None:
        return None
    powers = [p for p, (a, b) in enumerate(zip(fam.right, fam.left)) if a or b]
    return powers[0] if len(powers) == 1 else None


@lru_cache(maxsize=1024)
def _log_moment_mp(d: int, s, dps: int):
    with mpmath.workdps(dps):
        s = mpmath.mpf(s)
        return (s / 2 * mpmath.log(2) + mpmath.loggamma((d + s) / 2)
                - mpmath.loggamma(mpmath.mpf(d) / 2))


@takes_precision
def log_radial_moment(d: int, s, precision: Precision = FLOAT64):
    r""":math:`\log E|x|^s = \frac s2 \log 2 + \log\Gamma(\frac{d+s}{2}) -
    \log\Gamma(\frac d2)` for :math:`x \sim N(0, I_d)` (``s > -d``), in the working
    precision (float64: computed at 30 digits, then rounded).

    >>> import math
    >>> round(math.exp(log_radial_moment(6, 2)), 12), round(math.exp(log_radial_moment(3, 4)), 12)
    (6.0, 15.0)
    """
    if precision.is_float:
        return float(_log_moment_mp(int(d), int(s) if float(s).is_integer() else float(s),
                                    30))
    return +_log_moment_mp(int(d), s, precision.working_digits + 10)


class GaussianInputSpectrum(Spectrum):
    r"""The kernel of :math:`\sigma(\langle w, x\rangle)`, ``w`` uniform on the sphere,
    in :math:`L^2(N(0, I_d))`, for a positively homogeneous :math:`\sigma` of degree
    ``p``: :math:`\lambda_k = m_{2p} c_k^2` on the degree-k harmonics times
    :math:`r^p` (see the module docstring). Every method is the sphere's
    (:attr:`sphere`) with eigenvalues scaled by :math:`m_{2p} = E|x|^{2p}`.
    """

    kind = "gaussian-inputs"

    def __init__(self, activation, dim: int):
        act = get_activation(activation)
        p = homogeneity_degree(act)
        if p is None:
            raise InvalidArgument(
                "inputs", f"gaussian inputs need a positively homogeneous activation "
                f"({HOMOGENEOUS_NAMES}: sigma(r u) = r^p sigma(u)), got {act.name!r}: its "
                "radial profile changes with the degree (not implemented; use inputs = "
                "sphere)")
        self.sphere = SphereSpectrum(act, dim)
        self.d = self.sphere.d
        self.activation: Activation = self.sphere.activation
        self.power = p

    def __repr__(self):
        return f"GaussianInputSpectrum({self.activation.name!r}, dim={self.d})"

    # -- the radial factor ------------------------------------------------------------
    @takes_precision
    def log_scale(self, precision: Precision = FLOAT64):
        """``log m_{2p}``: eigenvalues are the sphere's times ``m_{2p} = E|x|^{2p}``."""
        return log_radial_moment(self.d, 2 * self.power, precision)

    @takes_precision
    def log_moment(self, s, precision: Precision = FLOAT64):
        """``log E|x|^s`` (:func:`log_radial_moment`)."""
        return log_radial_moment(self.d, s, precision)

    @property
    def sequence(self):
        """The Funk-Hecke coefficients of the activation on the sphere (unscaled)."""
        return self.sphere.sequence

    # -- the Spectrum interface: the sphere's, scaled --------------------------------
    @property
    def n_blocks(self):
        return None

    @property
    def min_tail_start(self) -> int:
        return self.sphere.min_tail_start

    def describe(self) -> dict:
        return {"kind": self.kind, "activation": self.activation.name, "dim": self.d,
                "inputs": "gaussian", "degree_of_homogeneity": self.power}

    def coefficients(self, K: int, precision: Precision = FLOAT64):
        r"""``(log|c_k|, sign)`` of the features' amplitudes :math:`\sqrt{m_{2p}}\, c_k`
        on the eigenfunctions (``lambda_k`` is their square)."""
        la, sg = self.sphere.coefficients(K, precision)
        with precision.context():
            return la + self.log_scale(precision) / 2, sg

    def blocks(self, K, precision=FLOAT64):
        b = self.sphere.blocks(K, precision)
        with precision.context():
            return Blocks(b.index, b.log_lam + self.log_scale(precision), b.log_mult)

    def log_lambda_bar(self, K, precision=FLOAT64):
        out = self.sphere.log_lambda_bar(K, precision)
        with precision.context():
            return out + self.log_scale(precision)

    def tail_moments(self, K, q_max, precision=FLOAT64):
        # T_q scales by m^q, lambda_bar by m: log T_1 and log lambda_bar shift by log m,
        # the ratios T_q / (T_1 lambda_bar^(q-1)) are unchanged
        t = self.sphere.tail_moments(K, q_max, precision)
        if t.empty:
            return t
        with precision.context():
            ls = self.log_scale(precision)
            return TailMoments(t.start, t.log_lambda_bar + ls, t.log_mass + ls, t.ratios,
                               t.rel_error)

    def rank(self):
        return self.sphere.rank()

