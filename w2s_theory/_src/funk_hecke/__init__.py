r"""Funk-Hecke coefficients of a function of one variable, with error control.

For a function :math:`\sigma` on ``[-1, 1]`` and inputs on :math:`S^{d-1}`, the Funk-Hecke
theorem (Atkinson and Han, *Spherical Harmonics and Approximations on the Unit Sphere*,
2012, Theorem 2.22) says that the degree-``k`` part of :math:`x \mapsto \sigma(\langle w,
x\rangle)` is :math:`c_k N(d, k) P_k(\langle w, x\rangle)`, with

.. math::

    c_k = \mathbb{E}_u[\sigma(u) P_k(u)]
        = Z_d \int_{-1}^{1} \sigma(u) P_k(u) (1 - u^2)^{(d-3)/2} \, du,
    \qquad Z_d = \frac{\Gamma(d/2)}{\sqrt{\pi}\,\Gamma((d-1)/2)},

:math:`P_k` the normalized Gegenbauer polynomial (``sphere.gegenbauer``) and
:math:`N(d, k)` the number of degree-``k`` harmonics. Since
:math:`\mathbb{E}[P_k^2] = 1/N(d, k)`, Parseval (Mercer at ``u = 1``) reads
:math:`\sum_k N(d, k) c_k^2 = \mathbb{E}[\sigma(u)^2]`, which is also returned.

Algorithm
---------
Tanh-sinh (double-exponential) quadrature on each piece ``[a, b]`` between consecutive
break points (``0`` is always a split point: for large ``d`` the weight concentrates in
:math:`|u| \lesssim 1/\sqrt{d}`, which then sits at a piece end, where tanh-sinh nodes
cluster doubly exponentially). With :math:`s = \tfrac{\pi}{2}\sinh t`,
:math:`u = m + r\tanh s`, the distances to the ends :math:`b - u = 2r/(1 + e^{2s})` and
:math:`u - a = 2r/(1 + e^{-2s})` are formed without cancellation, and the weight is
evaluated in log form, :math:`\exp(\log Z_d + \tfrac{d-3}{2}\log(1-u^2) + \log(du/dt))`
(with :math:`\log(1-u^2)` from the end distances, or ``log1p(-u^2)`` near ``u = 0``).
So the ``d = 2`` end point singularity :math:`(1-u^2)^{-1/2}` is integrated with
spectral accuracy and ``d`` in the thousands neither under- nor overflows.

Nodes are chosen with float64 estimates: a node is dropped (in mpmath mode before the
mpmath evaluation) when :math:`\max_k w_i |\sigma(u_i) P_k(u_i)| / \mathbb{E}|\sigma P_k|`
is below ``1e-100`` (float64) or :math:`10^{-20}\varepsilon_w^2` (mpmath), with
:math:`\mathbb{E}|\sigma P_k|` from a fixed coarse grid. This keeps, for large ``d`` and
``k``, the nodes far from ``0`` where :math:`P_k` is large enough to matter, and the
nodes where :math:`\sigma` is large, and skips the rest of the ``(1-u^2)^{(d-3)/2}``
desert. The terms of the kept nodes within :math:`2^{40}` of that threshold, or at the
ends of the ``t`` range (the "tail band"), are added to the error; when they do not
shrink, the integrand does not decay at a piece end and the call fails. The step
:math:`h = 2^{-\ell}` is halved, reusing all previous nodes, until every coefficient
meets its target.

For each level the new nodes feed the Gegenbauer three-term recurrence of
``sphere.gegenbauer``, vectorized over nodes, and the sums for all ``k`` are accumulated
at once (cost ``nodes * k_max``). In mpmath mode the recurrence runs in fixed point on
Python integers with a separate binary scale per node (renormalized every few degrees),
which keeps the relative accuracy of each term however small :math:`P_k(u)` gets
(``d = 1000``, ``k = 200``: ``1e-117`` in the bulk of the weight) at about a tenth of the
cost of ``mpf`` arithmetic. A float64 pass of the same recurrence, also rescaled per
node, gives the scales :math:`s_k = \mathbb{E}|\sigma P_k|` of the rounding errors.

Error control
-------------
Let :math:`I_\ell` be the estimate at step :math:`2^{-\ell}`,
:math:`\delta_1 = |I_\ell - I_{\ell-1}|` and :math:`\delta_2 = |I_{\ell-1} - I_{\ell-2}|`.
The reported error of :math:`c_k` is

.. math::

    \delta_1 \min(1, \delta_1/\delta_2) + \text{tail}_k
    + C \varepsilon_w \Big((k+1) s_k + \sum_i \lambda_i |w_i \sigma(u_i) P_k(u_i)|\Big).

The first term extrapolates the last two refinement differences at their ratio
(tanh-sinh errors shrink ever faster with each halving, roughly squaring, so once
converging the extrapolation over-estimates; when :math:`\delta_1 \ge \delta_2` there
is no evidence of convergence and the error is :math:`\delta_1`). The last term is the
rounding floor at working precision :math:`\varepsilon_w`: ``(k+1)`` ulps for the
recurrence, and :math:`\lambda_i` (the sum of the moduli of the terms of
:math:`\log w_i`, up to ``d/2`` times :math:`|\log(1-u^2)|`) ulps for each weight, whose
exponent amplifies its rounding. ``C = 4``; measured errors stay below 0.4 of the
reported ones (``tests/test_funk_hecke.py``).

The target of coefficient ``k`` is
:math:`\max(\text{rtol}\,|c_k|,\ \text{rtol}\,10^{-\text{cancellation\_digits}} s_k)`:
coefficients down to ``10**-cancellation_digits`` times their natural scale :math:`s_k`
are given to relative accuracy ``rtol``; smaller ones (zero by symmetry, or
astronomically small at large ``d`` and ``k``) to that absolute accuracy. In mpmath mode
the working precision is raised by ``cancellation_digits`` (default: ``digits``) so that
the rounding floor stays below the target, and the final rounding of the results to the
precision's working digits is added to their errors; in float64 the floor, about
:math:`10^{-16}((k+1) s_k + \dots)` (and never below ``2**-1000``), cannot be lowered and
is what gets reported. A
level is accepted when every coefficient's non-rounding error is below
``max(target, 2 * floor)`` and :math:`\mathbb{E}[\sigma^2]` meets ``rtol`` the same way;
a coefficient whose error falls by less than a factor 16 per halving once the nodes
resolve every :math:`P_k` (a kink, jump or singularity not listed in ``breakpoints``) is
reported as not converging instead of refining up to ``max_nodes``.

>>> r = funk_hecke_coefficients(lambda u: u**2, 5, 3)
>>> [round(float(c), 14) for c in r.coefficients]    # 1/d, 0, 2/(d(d+2)), 0
[0.2, 0.0, 0.05714285714286, 0.0]
>>> bool(max(r.errors) < 1e-14), round(float(r.second_moment), 14)  # E u^4 = 3/(d(d+2))
(True, 0.08571428571429)
"""

from __future__ import annotations

from .coefficients import FunkHeckeResult, funk_hecke_coefficients
from .projection import FunkHeckeProjection, funk_hecke_projection

__all__ = [
    "FunkHeckeResult",
    "FunkHeckeProjection",
    "funk_hecke_coefficients",
    "funk_hecke_projection",
]
