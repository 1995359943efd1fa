r"""Random-feature kernels on the sphere and cross-kernels for exact simulations.

With weights ``w`` uniform on :math:`S^{d-1}` (not Gaussian) and ``u = <x, x'>``,

.. math::

    \kappa(u) = \mathbb{E}_w\, \sigma(\langle w, x\rangle)\,\sigma(\langle w, x'\rangle)
              = \sum_{k \ge 0} c_k^2\, N(d, k)\, P_k(u)

(``THEORY.md`` section 2: Funk-Hecke coefficients :math:`c_k`, multiplicities
:math:`N(d,k)`, normalized Gegenbauer polynomials :math:`P_k`). The *cross-kernel* of two
functions, used for :math:`b_i = \mathbb{E}[f^* \phi_i]` with single-index targets
:math:`f^*(x) = g(\langle\beta, x\rangle)` (``THEORY.md`` section 5), is

.. math::

    \kappa_{\sigma, g}(u) = \mathbb{E}_x\, \sigma(\langle w, x\rangle)\, g(\langle \beta,
    x\rangle) = \sum_{k \ge 0} c_k(\sigma)\, c_k(g)\, N(d, k)\, P_k(u),
    \qquad u = \langle w, \beta\rangle

(by rotation invariance the same as :math:`\mathbb{E}_w \sigma(\langle w,x\rangle)
g(\langle w,x'\rangle)` at :math:`\langle x, x'\rangle = u`).

Three evaluation methods, chosen by :func:`kernel` / :func:`cross_kernel`:

* **arc-cosine closed forms** for every pair of *piecewise-power* functions
  :math:`\sigma(u) = \sum_p a_p u_+^p + b_p (-u)_+^p` (ReLU, step, ReLU powers, abs, sign,
  leaky ReLU, and any mixture of powers). With :math:`\theta = \arccos u` and
  :math:`m = p + q`, project a standard Gaussian ``g`` on the plane of ``x, x'``
  (polar coordinates ``r, phi``):

  .. math::

      \mathbb{E}_g[(g\cdot x)_+^p (g\cdot x')_+^q]
        = \frac{2^{m/2}\,\Gamma(\tfrac m2 + 1)}{2\pi} I_{p,q}(\theta), \qquad
      I_{p,q}(\theta) = \int_{\theta - \pi/2}^{\pi/2} \cos^p\varphi\,
                        \cos^q(\varphi - \theta)\, d\varphi,

  and since :math:`g = |g| w` with :math:`|g|` independent of ``w`` and
  :math:`\mathbb{E}|g|^m = 2^{m/2}\Gamma(\tfrac{d+m}{2})/\Gamma(\tfrac d2)`,

  .. math::

      \kappa_{p,q}(u) = \mathbb{E}_w[(w\cdot x)_+^p (w\cdot x')_+^q]
        = \frac{\Gamma(\tfrac d2)\,\Gamma(\tfrac m2 + 1)}{2\pi\,\Gamma(\tfrac{d+m}{2})}
          I_{p,q}(\theta).

  For ``p = q`` this is Cho and Saul's arc-cosine kernel in the sphere normalization,
  :math:`I_{p,p} = J_p / (2^p p!)`, i.e.
  :math:`\kappa_p(u) = \Gamma(d/2) J_p(\theta) / (2\pi\, 2^p\, \Gamma(d/2 + p))` with
  :math:`J_p(\theta) = (-1)^p (\sin\theta)^{2p+1} (\tfrac{1}{\sin\theta}
  \tfrac{\partial}{\partial\theta})^p \tfrac{\pi - \theta}{\sin\theta}` (Cho and Saul
  2009, *Kernel methods for deep learning*, NIPS, eq. (4)); ReLU:
  :math:`\kappa(u) = (\sqrt{1-u^2} + (\pi - \arccos u)\, u) / (2\pi d)`.
  :math:`I_{p,q}` is computed exactly (rational arithmetic, ``cos = (e^{i.} + e^{-i.})/2``)
  in the form :math:`A(u) + B(u)\sqrt{1-u^2} + C(u)(\pi - \arccos u)` with rational
  polynomials ``A, B, C``; reflections :math:`(-u)_+^p` give
  :math:`\kappa_{p,q}(-u)`, so

  .. math::

      \kappa_{\sigma,g}(u) = \sum_{p,q} (a_p a'_q + b_p b'_q)\, \kappa_{p,q}(u)
                            + (a_p b'_q + b_p a'_q)\, \kappa_{p,q}(-u).

  ``derivations/arccos_kernel.py`` derives all of this with sympy.

* **finite Mercer sums** when either function is a polynomial (its coefficients vanish
  above its degree): exact, evaluated by Clenshaw's recurrence.

* **truncated Mercer series** otherwise (an activation without closed-form coefficients,
  e.g. tanh, projected by quadrature): degrees ``k < K``, Clenshaw evaluation, with the
  omitted part bounded rigorously (given the coefficients) by :math:`|P_k| \le 1` and
  Cauchy-Schwarz,

  .. math::

      \Big|\sum_{k \ge K} c_k(\sigma) c_k(g) N(d,k) P_k(u)\Big|
      \le \sqrt{T_1^\sigma(K)\, T_1^g(K)}, \qquad T_1(K) = \sum_{k\ge K} N(d,k) c_k^2,

  (for a kernel, :math:`T_1(K)` itself), ``K`` being the smallest degree at which the
  bound (plus the propagated quadrature errors of the coefficients) is below
  ``tol * sqrt(E[sigma^2] E[g^2])``. The bound is :attr:`Kernel.error_bound`.

>>> k = kernel("relu", 6)
>>> bool(abs(k(1.0) - 1 / 12) < 1e-15)            # kappa(1) = E[relu(u)^2] = 1/(2d)
True
>>> k.closed_form, k.error_bound
(True, 0.0)
>>> bool(abs(kernel("step", 3)(0.0) - 0.25) < 1e-15)  # P(w.x > 0, w.y > 0) = 1/4
True
"""

from __future__ import annotations

from .arccos import _arccos_expr, _log_arccos_constant, _mercer_expr, arccos_parts, kernel_expr
from .build import _build, cross_kernel, kernel
from .evaluate import U_SLACK, Kernel, _arccos_evaluator, _clenshaw_evaluator

__all__ = ["Kernel", "kernel", "cross_kernel", "kernel_expr", "arccos_parts",
           "U_SLACK"]
