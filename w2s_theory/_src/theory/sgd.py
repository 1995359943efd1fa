r"""Online SGD's minibatch noise: the deterministic equivalent of an infinitely wide
student trained by online SGD on **Gaussian features** (issue 12 item 3).

The student runs :math:`\theta_{k+1} = \theta_k - \frac{\eta}{B}\sum_{b\le B}
u_b(\langle u_b,\theta_k\rangle - y_b)` on fresh batches of ``B`` inputs, with labels
:math:`y = f_T(x)` of the teacher. In the eigenbasis of the features' covariance
(eigenvalue :math:`\lambda_i` per direction), the mean of :math:`\theta_k` follows
gradient descent (the engine's :class:`~.trajectory.Trajectory`); the variance's energy
:math:`q_i(k)` follows, **exactly** for Gaussian features (Isserlis:
:math:`E[uu^\top Vuu^\top] = 2CVC + \mathrm{tr}(CV)C`,
``derivations/practitioner_conventions.py`` section 4),

.. math:: q_i(k+1) = (1-\eta\lambda_i)^2 q_i(k)
          + \frac{\eta^2\lambda_i^2}{B}\bigl(q_i(k) + \mu_i(k) + L_k\bigr),\qquad
          L_k = \sum_j \bigl(q_j(k) + \mu_j(k)\bigr),

:math:`\mu_i(k) = (1-\eta\lambda_i)^{2k}\mu_i(0)` the mean residual's energy (the
labels are realizable: an infinitely wide student on a finite spectrum spans
:math:`f_T`, so no label noise enters). Everything is linear in :math:`(q, \mu)`, so the
mean over the teacher's draw replaces :math:`\mu_i(0)` by the teacher's block moment
:math:`V_b = (1-s_b)^2B_b + F_b` (the equivalent's, as in the trajectory) and the
recursion runs per block :math:`b` of :math:`N_b` equal eigenvalues:
:math:`q_b' = r_b q_b + g_b\mu_b + \gamma_b L`, :math:`r_b = \rho_b + g_b`,
:math:`\rho_b = (1-\eta\lambda_b)^2`, :math:`g_b = \eta^2\lambda_b^2/B`,
:math:`\gamma_b = N_b g_b`.

**Closed form at any step count.** :math:`q(k+1) = Aq(k) + G\mu(k)` with
:math:`A = \mathrm{diag}(r) + \gamma 1^\top` (diagonal plus rank one) and
:math:`G = \mathrm{diag}(g) + \gamma 1^\top`. The eigenvalues :math:`\theta_m` of
:math:`A` solve the secular equation :math:`\sum_b \gamma_b/(\theta - r_b) = 1` (one
root between consecutive :math:`r_b`, one above the largest), with right eigenvectors
:math:`u_m = (\theta_m - r)^{-1}\gamma`, left :math:`w_m = (\theta_m - r)^{-1}` and
:math:`1^\top u_m = w_m^\top\gamma = 1`; so, with :math:`n_m = \sum_b
\gamma_b/(\theta_m - r_b)^2`,

.. math:: 1^\top q(k) = \sum_m \frac{1}{n_m}\Bigl(\theta_m^k\, w_m^\top q(0)
          + \sum_b \bigl(w_{mb}g_b + 1\bigr)V_b\,
          \frac{\theta_m^k - \rho_b^k}{\theta_m - \rho_b}\Bigr).

The excess over gradient descent is :math:`1^\top q(k) - \sum_b\rho_b^k q_b(0)` (the
initial layer's deterministic decay, :math:`q_b(0) = vN_b\lambda_b`, is the engine's
init term already). As :math:`k\to\infty` it tends to 0 when :math:`\theta_{max} < 1`
(realizable labels: SGD converges to the interpolant) and diverges otherwise (the
step is too large for the batch: ``stable`` is ``False``).

**Where no equivalent exists here.** Features on the sphere (or any non-Gaussian
features): the fourth moment does not close (31 % off for ReLU at d = 4, derivation
section 4(c)), so no recursion of this kind is exact; a finite student: the recursion
needs the joint law of the student's Gram spectrum and the teacher's labels in its
eigenbasis, which the first-order equivalent does not give. For both, the exact
simulation computes SGD's expectation for Gaussian features (``simulate(method=
"exact")`` with a batch), and the sampled simulation runs SGD.

One step from zero, on one block of ``N = 3`` equal eigenvalues ``lambda = 1``:
:math:`q(1) = g\,(V + N L_0)` with :math:`V = L_0 = \|f^*\|^2 - L_T` (the labels'
energy) and :math:`g = \eta^2/B`:

>>> import w2s_theory as w2s
>>> kw = dict(variances=[1, 1, 1], target="linear:1,1,1", teacher_width=1, lr="0.5",
...           steps=[1], optimal_stopping=False)
>>> gd, sgd = w2s.risk_curve(**kw), w2s.risk_curve(**kw, batch=4)
>>> x = sgd.student_risk[0] - gd.student_risk[0]
>>> bool(abs(x - 0.5 ** 2 / 4 * (1 + 3) * (sgd.target_energy - sgd.teacher_risk)) < 1e-15)
True
"""

from __future__ import annotations

import math

import mpmath
import numpy as np

from ..errors import InvalidArgument

__all__ = ["SGDNoise"]


def _map(f, a):
    """``f`` elementwise on an object array (mpmath at the current precision)."""
    return np.array([f(x) for x in a], dtype=object)


class SGDNoise:
    r"""The excess risk of online SGD over gradient descent for the infinitely wide
    student (module docstring), at any step counts, in the table's precision.

    float64: each pair's :math:`(\theta_m^k - \rho_b^k)/(\theta_m - \rho_b)` in a
    cancellation-free form (:meth:`_ratio`), vectorized. mpmath: the sums regrouped
    into :math:`\sum_m\theta_m^k a_m - \sum_b\rho_b^k b_b` (O(D) per point), whose
    differences of nearby powers cost up to :math:`\log_{10}\max(\theta/|\theta -
    \rho|)` digits: every quantity is computed with that many guard digits more (the
    mpmath way, measured once in float64), then rounded to the working precision."""

    def __init__(self, table, teacher, lr, batch, init=0):
        p = self.p = table.precision
        if table.has_tail:
            raise InvalidArgument("batch", "online SGD's noise has an exact equivalent for "
                                  "a finite Gaussian spectrum (variances or eigenvalues); "
                                  "this spectrum has an infinite tail")
        idx = np.flatnonzero(table.positive)
        args = (table.log_lam[idx], table.log_mult[idx], table.log_B[idx],
                teacher.log_s[idx], teacher.log_1ms[idx], teacher.C, lr, int(batch), init)
        self.D = len(idx)
        if p.is_float:
            self._setup(np.exp, np.sqrt, *args)
            self.guard = 0
        else:
            with mpmath.workdps(20):                   # float64-grade pre-pass
                probe = SGDNoise.__new__(SGDNoise)
                probe.p, probe.D = p, self.D
                probe._setup(np.exp, np.sqrt, *[np.asarray(a, dtype=float)
                                                if isinstance(a, np.ndarray)
                                                else float(a) for a in args])
            lost = probe._lost_digits()
            self.guard = min(int(math.ceil(lost)) + 5, 2 * p.working_digits)
            with mpmath.workdps(p.working_digits + self.guard):
                self._setup(lambda a: _map(mpmath.exp, a), lambda a: _map(mpmath.sqrt, a),
                            *[_map(mpmath.mpf, a) if isinstance(a, np.ndarray)
                              else mpmath.mpf(a) if not isinstance(a, int) else a
                              for a in args])
                self._regroup()
        self.stable = bool(max(float(t) for t in self.theta) < 1) if self.D else True

    def _setup(self, exp, sqrt, log_lam, log_mult, log_B, log_s, log_1ms, C, lr, batch,
               init):
        lam, N = exp(log_lam), exp(log_mult)
        s2, oms = exp(2 * log_s), exp(log_1ms)
        V = oms * oms * exp(log_B) + N * lam * s2 * C           # E ||P_b f_T||^2
        # blocks of equal eigenvalues (a spiked model's bulk) evolve alike: one block
        keys = list(log_lam)
        if len(set(keys)) < len(keys):
            groups = {}
            for i, key in enumerate(keys):
                groups.setdefault(key, []).append(i)
            first = [g[0] for g in groups.values()]
            lam = lam[first]
            N = np.array([sum(N[i] for i in g) for g in groups.values()], dtype=N.dtype)
            V = np.array([sum(V[i] for i in g) for g in groups.values()], dtype=V.dtype)
            self.D = len(first)
        #: per block: eigenvalue, multiplicity, the teacher's label energy
        self.lam, self.N, self.V = lam, N, V
        d = 1 - lr * lam
        self.rho = d * d
        self.g = lr * lr * lam * lam / batch
        self.r = self.rho + self.g
        self.gamma = N * self.g
        self.q0 = init * N * lam                                 # the initial layer's
        self.tau, self.off = self._modes(sqrt)
        #: the modes theta_m = r_m + tau_m and n_m = sum_b gamma_b / (theta_m - r_b)^2
        self.theta = self.r + self.tau
        self.n = (self.gamma[None, :] / (self.off * self.off)).sum(axis=1)
        # per pair (m, b), once: the labels' drive (w_mb g_b + 1) V_b and the initial
        # layer's w_mb q_b(0)
        self.drive = (self.g[None, :] / self.off + 1) * self.V[None, :]
        self.start = self.q0[None, :] / self.off

    def _lost_digits(self):
        r"""Digits the regrouped sums lose: :math:`\log_{10}\max_{m,b}\mathrm{big}/
        |\delta|` over the pairs (float64)."""
        if not self.D:
            return 0.0
        delta = np.abs(self.off + self.g[None, :])
        big = np.maximum(self.theta[:, None], self.rho[None, :])
        with np.errstate(divide="ignore"):
            return float(np.max(np.log10(big / delta)))

    def _regroup(self):
        r""":math:`a_m = \sum_b c_{mb}/\delta_{mb} + \sum_b q_b(0)/((\theta_m - r_b)
        n_m)` and :math:`b_b = \sum_m c_{mb}/\delta_{mb} + q_b(0)`, with
        :math:`c_{mb} = (g_b/(\theta_m - r_b) + 1)V_b/n_m` (mpmath, guard digits on)."""
        delta = self.off + self.g[None, :]
        c = self.drive / self.n[:, None] / delta
        self.a = c.sum(axis=1) + self.start.sum(axis=1) / self.n
        self.b = c.sum(axis=0) + self.q0

    def _modes(self, sqrt):
        r"""The roots :math:`\theta_m = r_m + \tau_m` of :math:`\sum_b\gamma_b/(\theta
        - r_b) = 1`, each as its offset :math:`\tau_m` from its left pole, found by
        geometric bisection for all roots at once to the working precision (relative to
        :math:`\tau_m`, which can be far below the gaps when the batch is large), and
        the offsets :math:`\theta_m - r_b` (left eigenvectors
        :math:`w_{mb} = 1/(\theta_m - r_b)`).

        Bracket: on :math:`(0, \text{gap}_m]` the function
        :math:`f(\tau) = \sum_b\gamma_b/(r_m - r_b + \tau) - 1` decreases from
        :math:`+\infty`; for :math:`\tau \le \text{gap}_m/2` the poles above are at
        least half their distance away, so :math:`f(\tau) > 0` for
        :math:`\tau \le \tau_{lo} = \min(\text{gap}_m/2, \gamma_m/(1 + S_m))`,
        :math:`S_m = 2\sum_{b>m}\gamma_b/(r_b - r_m)`; the top root's gap is
        :math:`\sum\gamma` (there :math:`f \le 0`)."""
        D = len(self.r)
        if D == 0:
            return self.r, np.zeros((0, 0))
        rf = np.array([float(x) for x in self.r])
        order = np.argsort(rf)
        if D > 1 and np.any(np.diff(rf[order]) <= 0):
            raise InvalidArgument("batch", "two different eigenvalues give the same SGD "
                                  "factor (1 - lr lambda)^2 + lr^2 lambda^2 / B (their "
                                  "modes coincide, which the closed form does not "
                                  "separate): change lr or the batch slightly")
        r, gamma = self.r[order], self.gamma[order]
        diff = r[:, None] - r[None, :]                     # r_m - r_b (0 on the diagonal)
        gap = r * 0
        gap[:-1] = r[1:] - r[:-1]
        gap[-1] = gamma.sum()
        above = np.triu(np.ones((D, D), dtype=bool), 1)
        with np.errstate(divide="ignore"):
            S = 2 * np.where(above, gamma[None, :] / np.where(above, -diff, 1), 0 * diff)
        S = S.sum(axis=1)
        lo = np.array([min(a / 2, b) for a, b in zip(gap, gamma / (1 + S))],
                      dtype=gap.dtype)
        hi = gap.copy()
        bits = 53 if r.dtype != object else mpmath.mp.prec + 8
        spread = max(math.log2(max(float(h / l), 2.0)) for h, l in zip(hi, lo))
        for _ in range(int(math.log2(spread + 1)) + bits + 4):
            mid = sqrt(lo * hi)
            f = (gamma[None, :] / (diff + mid[:, None])).sum(axis=1) - 1
            pos = np.array([float(x) > 0 for x in f])
            lo = np.where(pos, mid, lo)
            hi = np.where(pos, hi, mid)
        tau = sqrt(lo * hi)
        inv = np.argsort(order)
        # back to the table's order: offsets theta_m - r_b = (r_m - r_b) + tau_m
        off = (diff + tau[:, None])[inv][:, inv]
        return tau[inv], off

    def _ratio(self, k):
        r""":math:`(\theta_m^k - \rho_b^k)/(\theta_m - \rho_b)` for all pairs
        (float64), without cancellation or overflow: with :math:`\delta = \theta_m -
        \rho_b = (\theta_m - r_b) + g_b` (accurate: no difference of nearby numbers) and
        ``big`` the larger of the two, it is :math:`\mathrm{big}^k(1 - (1 -
        |\delta|/\mathrm{big})^k)/|\delta|`."""
        delta = self.off + self.g[None, :]
        neg = delta < 0
        big = np.where(neg, self.rho[None, :], self.theta[:, None])
        ad = np.abs(delta)
        with np.errstate(over="ignore", under="ignore"):
            return big ** k * (-np.expm1(k * np.log1p(-ad / big))) / ad

    def excess(self, points):
        """``(values, error)``: the SGD excess at each step count of ``points``
        (``inf``: its limit, 0 when stable, ``inf`` otherwise) in the working
        precision, and a float64 bound on its rounding error: each term's relative
        error is a small multiple of the unit roundoff ``u`` per operation (about
        ``D + log2 k`` of them), times the terms' absolute sum, plus the final rounding
        to the working precision."""
        p = self.p
        vals, errs = [], []
        with p.context():
            for k in points:
                if not math.isfinite(float(k)):
                    vals.append(p.scalar(0) if self.stable else p.scalar(float("inf")))
                    errs.append(0.0)
                    continue
                k = int(k)
                if k == 0 or not self.D:
                    vals.append(p.scalar(0))
                    errs.append(0.0)
                    continue
                ops = self.D + k.bit_length()
                if p.is_float:
                    tk = self.theta ** k
                    terms = (self.drive * self._ratio(k) + tk[:, None] * self.start) \
                        / self.n[:, None]
                    init_decay = self.rho ** k * self.q0
                    x = terms.sum() - init_decay.sum()
                    size = np.abs(terms).sum() + np.abs(init_decay).sum()
                    errs.append(float(16 * ops * 2.0 ** -52 * size))
                    vals.append(x)
                    continue
                with mpmath.workdps(p.working_digits + self.guard):
                    up = _map(lambda t: t ** k, self.theta) * self.a
                    down = _map(lambda t: t ** k, self.rho) * self.b
                    x = mpmath.fsum(up) - mpmath.fsum(down)
                    size = float(sum(abs(v) for v in up) + sum(abs(v) for v in down))
                vals.append(+x)                          # rounded to the working digits
                errs.append(16 * ops * 10.0 ** -(p.working_digits + self.guard) * size
                            + 10.0 ** -p.working_digits * abs(float(x)))
            return p.array(vals), np.array(errs)
