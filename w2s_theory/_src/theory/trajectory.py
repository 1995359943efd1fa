r"""The student's risk along its training, for a student of any width (``THEORY.md`` 3b).

A :class:`Trajectory` holds one teacher (:mod:`.teacher`) and one student kernel
(:mod:`.resolvent`: width :math:`M_S`, or infinite) and evaluates :math:`L_S` at training
times (gradient flow) or step counts (gradient descent, ``lr``). With :math:`e_k(t)` the
equivalent of :math:`E[e^{-tK_S}]` on degree ``k`` (:math:`(1-\eta K_S)^k` for descent),
the risk is linear in :math:`e_k(t)` and :math:`e_k(2t)`:

.. math::

    L_S(t) = \underbrace{B_{null} + \sum_k s_k^2 B_k + \sum_k F_k}_{L_S^\circ}
    + \sum_k e_k(t)\,\big(2 s_k (1-s_k) B_k - 2F_k\big)
    + \sum_k e_k(2t)\,\big((1-s_k)^2 B_k + F_k\big),

(``derivations/finite_width_student.py``, step 2; :math:`L_S^\circ = L_T` when
:math:`\nu` solves the width equation). Each of the four sums is one weighted sum
:meth:`~.evolution.Evolution.pair` over the explicit blocks and the tails (prepared once,
:class:`.finite_evolution.WeightedSum`, whose columns are cached window by window, and
evaluated together by :meth:`~.evolution.Evolution.sums`: the many small batches of the
optimal-stopping search solve nothing twice); they also
split :math:`L_S` into a non-increasing part :math:`D(t)` (the three sums with
non-negative weights: :math:`e_k` is a mixture of decaying exponentials) and a
non-decreasing part :math:`I(t)` (the :math:`-2F_k` sum), so that on any interval
:math:`[a, b]`, :math:`L_S \ge L_S^\circ + D(b) + I(a)`: the certified search for the
optimal stopping time (:mod:`.stopping`) needs nothing else.

The infinitely wide student trained by gradient flow is the same formula with
:math:`e_k(2t) = e_k(t)^2 = e^{-2t\lambda_k}`; there the engine keeps its closed form
(:mod:`.student`: the non-cancelling per-block sum, and its Lipschitz certificate), and
the tests check it against this general path.

>>> from w2s_theory._src.setting import Setting
>>> from w2s_theory._src.theory.curve import risk_curve
>>> c = risk_curve(Setting(eigenvalues=[1, 0.5, 0.1], multiplicities=[2, 4, 8],
...                        target="energies:0=1,1=0.5", teacher_width=3,
...                        student_width=6, times=[0]))
>>> bool(abs(c.student_risk[0] - c.target_energy) < 1e-13)      # L_S(0) = ||f*||^2
True
"""

from __future__ import annotations

import math

import mpmath
import numpy as np

from ..powerseries import PowerSeries
from .finite_evolution import WeightedSum
from .resolvent import StudentKernel
from .student import gain_beyond, student_risk
from .table import SpectralTable
from .teacher import TeacherSolution, _x

__all__ = ["Trajectory"]


class _ZeroSubtracted(WeightedSum):
    r""":math:`\sum_b N_b\,(e(\lambda_b) - e(0))` for weights ``w_b = N_b lambda_b``
    (and the spectral tail): the column of :class:`WeightedSum` times
    :math:`-1/(aK_j)` (:meth:`Trajectory._init_weights`)."""

    def column(self, fam, win):
        G = super().column(fam, win)
        if self.p.is_float:
            return G * (-math.exp(-float(win.log_a)) / win.K)[:, None]
        from .highprec import HP
        sc = HP.real(self.p.exp(-win.log_a))
        return [[-(sc * row[0]) / K] for row, K in zip(G, win.K)]

    def columns(self, fam, wins):
        G = super().columns(fam, wins)
        K = np.stack([win.K for win in wins])
        la = np.array([float(win.log_a) for win in wins])
        return G * (-np.exp(-la)[:, None] / K)[:, :, None]


class Trajectory:
    """:math:`L_S` along the training of one student on one teacher (module docstring).

    ``lr=None``: gradient flow, points are times; else gradient descent with that
    learning rate, points are step counts.
    """

    def __init__(self, table: SpectralTable, teacher: TeacherSolution,
                 kernel: StudentKernel, lr=None, init=0, noise=None):
        self.table, self.teacher, self.kernel, self.lr = table, teacher, kernel, lr
        #: online SGD's excess over gradient descent (:class:`.sgd.SGDNoise`), or None
        self.noise = noise
        self.p = table.precision
        #: the variance of one initial output weight of the student (0: from zero)
        self.init = init
        self.has_init = float(init) > 0
        #: the infinite-width student under gradient flow from zero: the closed form of
        #: .student
        self.closed_form = kernel.is_infinite and lr is None and not self.has_init \
            and noise is None
        self.descent = lr is not None
        if not self.closed_form:
            self._weights()
            if self.has_init:
                self._init_weights()

    # -- the four weighted sums ------------------------------------------------------
    def _weights(self):
        p, table, teacher = self.p, self.table, self.teacher
        with p.context():
            idx = np.flatnonzero(table.positive)
            self.log_lam = table.log_lam[idx]
            s, oms = p.exp(teacher.log_s[idx]), p.exp(teacher.log_1ms[idx])
            B = p.exp(table.log_B[idx])
            F = p.exp(table.log_mult[idx] + table.log_lam[idx] + 2 * teacher.log_s[idx]) \
                * teacher.C
            Q = table.Q
            s_ser = PowerSeries.geometric(_x(table, teacher.log_nu), Q)
            oms_ser = 1 - s_ser
            tt, st = table.tgt_tail, table.spec_tail
            has_b = table.has_tail and float(tt.log_mass) > -math.inf
            log_c = p.log(teacher.C) if teacher.C > 0 else None

            def tail_b(series):
                return (tt.log_mass, series, tt.ratios) if has_b else None

            def tail_f(series):
                return (st.log_mass + log_c, series, st.ratios) \
                    if table.has_tail and log_c is not None else None

            # (weights on e(t) or e(2t), tail, sign: +1 in D(t), -1 in I(t))
            self.sums = [
                (1, 2 * s * oms * B, tail_b(2 * (s_ser * oms_ser)), +1),
                (1, -2 * F, tail_f(-2 * (s_ser * s_ser)), -1),
                (2, oms * oms * B, tail_b(oms_ser * oms_ser), +1),
                (2, F, tail_f(s_ser * s_ser), +1),
            ]
            #: the sums, prepared once: their columns are cached per window
            self.wsums = [WeightedSum(p, self.log_lam, w, tail)
                          for _, w, tail, _ in self.sums]
            s2B = p.sum(s * s * B)
            if has_b:
                s2B = s2B + p.exp(tt.log_mass) * (s_ser * s_ser).pair(tt.ratios)
            self.const = teacher.floor + s2B + teacher.sum_F

    def _init_weights(self):
        r"""The initial top layer's energy (``derivations/practitioner_conventions.py``):
        :math:`J = v\,E\,\mathrm{tr}(K_S\,g(K_S)^2)`, :math:`g = e^{-tK_S}` or
        :math:`(1-\eta K_S)^k`, :math:`v` the variance of one initial output weight.

        * infinite width: :math:`v\sum_k N_k\lambda_k\,e(2t;\lambda_k)` (weights
          :math:`N\lambda`, the spectral tail as the table writes it);
        * finite width, gradient flow: :math:`-\tfrac v2\sum_k N_k\,\tfrac{d}{dt}
          e_k(2t)`;
        * finite width, gradient descent: :math:`\tfrac v\eta\sum_k N_k\,(e_k(2k) -
          e_k(2k+1))`.

        The finite-width sums weigh each block by :math:`N_k`, which is not summable on
        the sphere; they are evaluated as :math:`\sum_k N_k(e_k - e_0)` (``e_0``, the
        value at :math:`\lambda = 0`, is 1 or its derivative 0, so nothing changes
        mathematically), whose column :math:`\sum_b N_b(1/(\ell_b+K_j) - 1/K_j) =
        -(aK_j)^{-1}\sum_b N_b\lambda_b/(\ell_b+K_j)` has the summable weights
        :math:`N_b\lambda_b` (:class:`_ZeroSubtracted`)."""
        p, table = self.p, self.table
        with p.context():
            idx = np.flatnonzero(table.positive)
            v = p.scalar(self.init)
            w = p.exp(table.log_mult[idx] + table.log_lam[idx]) * v
            st = table.spec_tail
            tail = None
            trace = p.sum(w)
            if table.has_tail:
                tail = (st.log_mass + p.log(v), PowerSeries.constant(p.scalar(1), table.Q),
                        st.ratios)
                trace = trace + p.exp(st.log_mass) * v
            #: v tr(Sigma): the energy at t = 0 (E tr K_S = tr Sigma, exactly)
            self.init_trace = trace
            ll = table.log_lam[idx]
            if self.kernel.is_infinite:
                self.init_sums = [(WeightedSum(p, ll, w, tail), 2, 0, p.scalar(1), False)]
            elif not self.descent:
                self.init_sums = [(_ZeroSubtracted(p, ll, w, tail), 2, 1, p.scalar(-0.5),
                                   False)]
            else:
                ws = _ZeroSubtracted(p, ll, w, tail)
                lr = p.scalar(self.lr)
                # (ws, multiple, derivative, coefficient, at 2k + 1 steps)
                self.init_sums = [(ws, 2, 0, 1 / lr, False), (ws, 1, 0, -1 / lr, True)]

    def _init_term(self, ev, points, derivatives):
        """``(values, error, d1, d2)`` of the init energy at ``points`` (module
        docstring of :meth:`_init_weights`)."""
        p = self.p
        n = len(ev.times)
        vals = p.zeros(n) if p.is_float else np.full(n, mpmath.mpf(0), dtype=object)
        d1, d2 = vals.copy(), vals.copy()
        err = np.zeros(n)
        for ws, m, r, coef, shifted in self.init_sums:
            e = ev
            if shifted:
                e = self._evolution([2 * k + 1 if math.isfinite(float(k)) else k
                                     for k in points])
            [(v, _)] = e.sums([(ws, m, r)], errors=False)
            vals = vals + coef * v
            # error: the rule's uniform bound per unit weight; a block's column is that
            # of e_k - e_0, at most |l/((l + K) K)| <= 1/|K| per unit weight N_k lambda_k /
            # a, with |K_j| >= 1 and a = c/(m t): weight sum times m t / c
            T = np.array([float(t) * m * (float(self.lr) if self.descent else 1.0)
                          for t in e.times])
            T = np.where(np.isfinite(T), T, 0.0)
            scale = np.maximum(1.0, T / float(self.kernel.plan.c)) if \
                isinstance(ws, _ZeroSubtracted) else 1.0
            eb = e.error(m, r) * ws.wsum * scale
            if ws.tail is not None:
                eb = eb + e.tail_error(m, r) * ws.tail_size * scale
            err = err + abs(float(coef)) * eb
            if derivatives:
                if self.kernel.is_infinite:
                    res = e.sums([(ws, m, r + 1), (ws, m, r + 2)], errors=False)
                else:
                    # the third derivative of e(2t) (finite flow): past the interface's
                    # check, which guards error bounds that are not asked for here
                    res = e._sums([(ws, m, r + 1), (ws, m, r + 2)], errors=False)
                d1 = d1 + coef * res[0][0]
                d2 = d2 + coef * res[1][0]
        with p.context():
            vals[ev.zero] = self.init_trace
            vals[ev.inf] = 0
            d1[ev.inf] = 0
            d2[ev.inf] = 0
        err[ev.zero | ev.inf] = 0.0
        return vals, err, d1, d2

    def _evolution(self, points):
        if self.descent:
            return self.kernel.descent(points, self.lr)
        return self.kernel.flow(points)

    # -- evaluation ------------------------------------------------------------------
    def risk(self, points, derivatives=0):
        """``(values, error)`` or, with ``derivatives``, ``(values, d1, d2, error)``:
        :math:`L_S` and its first two derivatives in ``t`` at ``points``, in the working
        precision; ``error`` is a float64 bound per point (tail series, quadrature)."""
        if self.closed_form:
            return student_risk(self.table, self.teacher, points, derivatives)
        out = self.evaluate(points, derivatives)
        if derivatives:
            return out["values"], out["d1"], out["d2"], out["error"]
        return out["values"], out["error"]

    def evaluate(self, points, derivatives=0) -> dict:
        """The general path: ``values``, ``error``, the monotone parts ``D`` and ``I``
        (float64; ``values = const + D + I``) and, with ``derivatives``, ``d1`` and
        ``d2``."""
        p = self.p
        ev = self._evolution(points)
        n = len(ev.times)
        rs = range(1 + (2 if derivatives else 0))
        which = [(i, r) for r in rs for i in range(len(self.sums))]
        k = len(self.sums)
        res = ev.sums([(self.wsums[i], self.sums[i][0], r) for i, r in which[:k]])
        if derivatives:          # the derivatives' error bounds are not needed
            res += ev.sums([(self.wsums[i], self.sums[i][0], r) for i, r in which[k:]],
                           errors=False)
        with p.context():
            zero = p.zeros(n) if p.is_float else np.full(n, mpmath.mpf(0), dtype=object)
            vals, err = zero + self.const, np.zeros(n)
            D, I = np.zeros(n), np.zeros(n)
            d1, d2 = zero.copy(), zero.copy()
            for (i, r), (v, e) in zip(which, res):
                m, _, tail, sign = self.sums[i]
                if r == 1:
                    d1 = d1 + v
                elif r == 2:
                    d2 = d2 + v
                else:
                    vals = vals + v
                    err = err + e + self._tail_error(ev, m, 0, tail)
                    vf = np.array([float(x) for x in v])
                    if sign > 0:
                        D += vf
                    else:
                        I += vf
            if self.has_init:
                # non-increasing in t (a mixture of decaying exponentials with
                # non-negative weights): part of D
                J, Je, J1, J2 = self._init_term(ev, points, derivatives)
                vals = vals + J
                err = err + Je
                D += np.array([float(x) for x in J])
                if derivatives:
                    d1, d2 = d1 + J1, d2 + J2
            if self.noise is not None:
                # SGD's excess X >= 0 is in neither monotone part: the envelope
                # const + D(b) + I(a) of gradient descent stays a lower bound
                X, Xe = self.noise.excess(points)
                vals = vals + X
                err = err + Xe
            out = {"values": vals, "error": err, "D": D, "I": I,
                   "const": float(self.const)}
            if derivatives:
                out["d1"], out["d2"] = d1, d2
            return out

    def _tail_error(self, ev, m, r, tail):
        """What the tail's series leaves out: its bound per point times the tail's mass
        and the largest coefficient of its weight series (float64)."""
        if tail is None:
            return 0.0
        log_scale, series, _ = tail
        size = math.exp(float(log_scale)) * sum(abs(float(c)) for c in series.coeffs)
        return ev.tail_error(m, r) * size

    def limit(self):
        """:math:`L_S(\\infty)`: the projection onto the student's span (the teacher's
        risk for an infinitely wide student)."""
        inf = float("inf") if self.p.is_float else mpmath.inf
        [v], _ = self.risk([inf])
        return v

    def decrease_beyond(self, t_hi):
        """Upper bound on how much :math:`L_S` can still fall after ``t_hi`` (a time, or
        a step count): :math:`L_S(t_{hi}) - L_S^\\circ - D(\\infty) - I(t_{hi})`."""
        if self.closed_form:
            return gain_beyond(self.table, self.teacher, t_hi)
        inf = float("inf") if self.p.is_float else mpmath.inf
        out = self.evaluate([t_hi, inf])
        return max(0.0, float(out["values"][0]) - out["const"] - out["D"][1]
                   - out["I"][0])
