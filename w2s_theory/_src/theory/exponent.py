r"""Exponents along scaling paths (issue 12 item 4): how fast the student's risk falls as
the teacher's does, when both grow with the dimension.

A *scaling path* ties the widths to the dimension, :math:`M_T = C d^\kappa` (and
optionally a finite student :math:`M_S = C_S d^\gamma`; an infinitely wide student by
default), and runs the deterministic-equivalent engine (:func:`~.curve.risk_curve`) at
every dimension of a list. Along it :func:`exponent_path` reports the teacher's risk
:math:`L_T(d)`, the optimally stopped student's :math:`L_S(t^*)(d)`, the lower bound of
``THEORY.md`` section 4 and the ratio of the optimum to it, and the *local exponent*

.. math:: e(d) = \frac{d\log L_S(t^*)}{d\log L_T}\quad\text{along the path,}

twice: between consecutive dimensions (the secant, from the listed points), and as a
derivative at each dimension. A bound :math:`L_S = O(L_T^a)` along the path is a
statement about :math:`e`: its limit is the rate.

**Which dimension.** Features on the sphere (any activation; ``inputs="gaussian"`` for
:math:`x \sim N(0, I_d)`): ``d`` is the input dimension. A power law (``power_law``):
``d`` is the *number of coordinates* of linear features on
:math:`x \sim N(0, \mathrm{diag}(s\,i^{-\alpha}))`, ``i = 1..d`` (the power law
truncated to ``d`` directions; the teacher's width must stay below ``d``, so
:math:`\kappa \le 1`). A fixed finite spectrum (``variances``, ``eigenvalues``) has no
dimension to grow and is refused.

**The derivative.** The engine takes integer ``d`` and integer widths (the sphere's
spectrum is defined at integer ``d`` only), so the derivative along the path is
assembled from partial derivatives at the path's point :math:`(d, M_T, M_S)` (its widths
rounded to integers, a relative shift of at most :math:`1/(2M_T)`):

.. math:: \frac{d\log L}{d\log d}\Big|_{\text{path}} = \partial_{\log d}\log L
          + \kappa\,\partial_{\log M_T}\log L + \gamma\,\partial_{\log M_S}\log L,

for :math:`L = L_T` and :math:`L = L_S(t^*)` (the optimum is a smooth function of the
parameters: at :math:`t^*`, :math:`\partial_t L_S = 0`, so moving :math:`t^*` changes
it only to second order). Each partial comes from central differences at integer steps
``h, 2h, 3h, 4h``, extrapolated to ``h -> 0`` (Richardson in :math:`h^2`, Neville's
scheme: the 9-point stencil, error :math:`O(h^8)`). The step keeps the stencil's
truncation far below the engine's rounding noise :math:`\varepsilon` amplified by
:math:`x/h`: :math:`h = \max(1, \mathrm{round}(x\,\varepsilon^{1/5}))`, with
:math:`\varepsilon = u \max(64, d \ln d)` (``u`` the unit roundoff of the working
precision): the relative noise of :math:`\log L` measured on the sphere, from sixth
differences in ``d`` at fixed widths, is about :math:`10^{-14}` at ``d = 20``,
:math:`10^{-12}` at ``d = 1000`` and :math:`10^{-10}` at :math:`d = 10^5`, the rounding
of log-Gamma values that grow like :math:`d \ln d` (``docs/exponents.md``). At small
``d`` the risks' high derivatives in ``d`` are large (at ``d = 20``, ``M_T = 89`` the
sixth differences of :math:`\log L_S(t^*)` are :math:`3\times 10^{-5}`), which is why the
stencil is high in order and short in reach. The reported error of each partial is the
change made by the last order of extrapolation (it overestimates the final one's) plus
:math:`3\varepsilon x/h`; errors combine into the exponent's to first order. Where the
stencil does not fit (``d - 2h < 2``, a width below 3, or a power law's teacher
reaching its coordinates) the derivative is ``None``, with the reason in ``notes``.

**The limit.** Where :mod:`~w2s_theory._src.symbolic.asymptotics` has the high-dimension
asymptotics (ReLU features, an infinitely wide student, :math:`\kappa` in a regime
``(1, 2)``, ``(2, 4)``, ``(4, 6)``; the degree-1 target on the sphere or with Gaussian
inputs, where its risks are the sphere's; the single-index ReLU target on the sphere),
its expressions give the limit of the exponent (2 and 1), and the same expressions,
differentiated along the path, the exponent they predict at each ``d``.

>>> r = exponent_path(activation="relu", target="degree:1", path="M_T=d^1.5",
...                   dims=[100, 1000], asymptotics=False)
>>> [round(float(e), 2) for e in r.local_exponent]
[2.27, 2.05]
"""

from __future__ import annotations

import dataclasses
import math
import re
import warnings
from dataclasses import dataclass, field
from fractions import Fraction

import mpmath

from ..errors import InvalidArgument
from ..precision import number_formatter
from ..setting import PARAMS, Setting, exact_fraction, parse_number
from ..targets import IrreducibleFloorWarning
from ..targets.exact import format_number

__all__ = ["ScalingPath", "parse_path", "ExponentPath", "exponent_path", "parse_dims",
           "exponent_seconds"]

#: keys the path sets (not accepted from the caller)
_PATH_KEYS = ("dim", "teacher_width", "student_width")
#: keys a path computation does not take (gradient descent, finite samples, times)
_REFUSED = ("lr", "steps", "samples", "student_samples", "ridge", "teacher_time",
            "student_ridge", "noise", "shared_inputs")


# --------------------------------------------------------------------------------------
# The path


def _exact(key, value, *, minimum=0, strict=True) -> Fraction:
    """An exact positive number from a string, int, Fraction or float (a float by its
    shortest decimal, so ``1.1`` is 11/10)."""
    if isinstance(value, float) and not isinstance(value, Fraction) and \
            type(value) is float:
        if not math.isfinite(value):
            raise InvalidArgument(key, f"must be a finite real number, got {value!r}")
        value = repr(value)
    x = parse_number(key, value, minimum=minimum, strict=strict)
    return exact_fraction(x)


@dataclass(frozen=True)
class ScalingPath:
    r"""A scaling path :math:`M_T = C d^\kappa`, and :math:`M_S = C_S d^\gamma` or an
    infinitely wide student (``gamma=None``). Numbers are kept exact (fractions).

    >>> p = parse_path("M_T=2*d^1.5,M_S=d^2")
    >>> str(p), p.teacher_width(100), p.student_width(100)
    ('M_T=2*d^1.5,M_S=d^2', 2000, 10000)
    >>> str(parse_path("M_T=d^3/2")), parse_path("M_T = d ^ 1.5").student_width(10)
    ('M_T=d^1.5', None)
    """

    kappa: object
    teacher_coefficient: object = 1
    gamma: object = None
    student_coefficient: object = 1

    def __post_init__(self):
        set_ = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731
        set_("kappa", _exact("path", self.kappa))
        set_("teacher_coefficient", _exact("path", self.teacher_coefficient))
        if self.gamma is not None:
            set_("gamma", _exact("path", self.gamma))
        set_("student_coefficient", _exact("path", self.student_coefficient))

    @staticmethod
    def _width(c, e, d) -> int:
        with mpmath.workdps(50):
            x = mpmath.mpf(c.numerator) / c.denominator * mpmath.power(
                d, mpmath.mpf(e.numerator) / e.denominator)
            return int(mpmath.nint(x))

    def teacher_width(self, d: int) -> int:
        """:math:`\\mathrm{round}(C d^\\kappa)`."""
        return self._width(self.teacher_coefficient, self.kappa, d)

    def student_width(self, d: int):
        """:math:`\\mathrm{round}(C_S d^\\gamma)`, or ``None`` (infinitely wide)."""
        if self.gamma is None:
            return None
        return self._width(self.student_coefficient, self.gamma, d)

    @staticmethod
    def _term(name, c, e) -> str:
        head = "" if c == 1 else f"{format_number(c)}*"
        return f"{name}={head}d^{format_number(e)}"

    def __str__(self):
        out = self._term("M_T", self.teacher_coefficient, self.kappa)
        if self.gamma is not None:
            out += "," + self._term("M_S", self.student_coefficient, self.gamma)
        return out

    def to_dict(self) -> dict:
        f = lambda x: None if x is None else float(x)  # noqa: E731
        return {"text": str(self), "teacher_coefficient": f(self.teacher_coefficient),
                "kappa": f(self.kappa), "student_coefficient":
                None if self.gamma is None else f(self.student_coefficient),
                "gamma": f(self.gamma)}


_TERM = re.compile(r"^(?:(?P<c>[^d*]+?)\s*\*?\s*)?d(?:\s*(?:\^|\*\*)\s*(?P<e>.+?))?\s*$")
_TEACHER_NAMES = ("m_t", "mt", "teacher", "teacher_width")
_STUDENT_NAMES = ("m_s", "ms", "student", "student_width")
_SYNTAX = "expected M_T=C*d^K (C optional), optionally followed by ,M_S=C*d^G or ,M_S=inf"


def _parse_term(text):
    m = _TERM.match(text.strip())
    if m is None:
        raise InvalidArgument("path", f"cannot read {text.strip()!r}: {_SYNTAX}")
    c = m.group("c")
    e = m.group("e")
    try:
        coef = 1 if c is None else _exact("path", c.strip())
        expo = 1 if e is None else _exact("path", e.strip())
    except InvalidArgument as exc:
        raise InvalidArgument("path", f"in {text.strip()!r}: the coefficient and the "
                              f"exponent must be numbers > 0 ({exc.message})") from None
    return coef, expo


def parse_path(text) -> ScalingPath:
    """A :class:`ScalingPath` from ``M_T=C*d^K[,M_S=C*d^G|,M_S=inf]`` (a path is
    returned as is). Errors name ``path``."""
    if isinstance(text, ScalingPath):
        return text
    if not isinstance(text, str) or not text.strip():
        raise InvalidArgument("path", f"{_SYNTAX}, got {text!r}")
    parts = {}
    for item in text.split(","):
        key, eq, value = item.partition("=")
        key = key.strip().lower().replace("-", "_")
        if not eq or not value.strip():
            raise InvalidArgument("path", f"cannot read {item.strip()!r}: {_SYNTAX}")
        name = "M_T" if key in _TEACHER_NAMES else "M_S" if key in _STUDENT_NAMES else None
        if name is None:
            raise InvalidArgument("path", f"unknown width {key!r}: {_SYNTAX}")
        if name in parts:
            raise InvalidArgument("path", f"{name} given twice")
        parts[name] = value.strip()
    if "M_T" not in parts:
        raise InvalidArgument("path", f"no teacher width: {_SYNTAX}")
    c, k = _parse_term(parts["M_T"])
    student = parts.get("M_S")
    if student is None or student.lower() in ("inf", "infinity", "infinite"):
        return ScalingPath(kappa=k, teacher_coefficient=c)
    cs, g = _parse_term(student)
    return ScalingPath(kappa=k, teacher_coefficient=c, gamma=g, student_coefficient=cs)


def parse_dims(value) -> tuple:
    """The dimensions of a path: integers >= 2, in increasing order (duplicates
    dropped). Errors name ``dims``."""
    if isinstance(value, str):
        items = [s for s in value.replace(";", ",").split(",") if s.strip()]
    elif isinstance(value, (int,)) and not isinstance(value, bool):
        items = [value]
    else:
        try:
            items = list(value)
        except TypeError:
            raise InvalidArgument("dims", f"expected a list of integers, got {value!r}") \
                from None
    if not items:
        raise InvalidArgument("dims", "give at least one dimension")
    out = []
    for v in items:
        try:
            out.append(PARAMS["dim"].parse("dims", v.strip() if isinstance(v, str) else v))
        except InvalidArgument as exc:
            raise InvalidArgument("dims", exc.message) from None
    return tuple(sorted(set(out)))


# --------------------------------------------------------------------------------------
# The result


@dataclass(frozen=True)
class ExponentPath:
    r"""Result of :func:`exponent_path` (immutable; ``.to_dict()``).

    Per dimension (tuples aligned with ``dims``): the widths, ``teacher_risk``
    :math:`L_T`, ``optimal_student_risk`` :math:`L_S(t^*)`, ``optimal_time``,
    ``target_energy`` :math:`E = \|f^*\|^2`, ``floor``, ``lower_bound`` (section 4 at
    :math:`\alpha = 1`, valid at every time and every student width),
    ``optimum_over_bound``, ``student_ceiling_risk`` (finite student), the
    ``local_exponent`` (derivative along the path; ``None`` where it cannot be formed)
    with its ``local_exponent_error``, ``global_exponent`` :math:`\log(L_S/E) /
    \log(L_T/E)` and the ``partials`` (each a dict of
    :math:`\partial_{\log x} \log L` and their errors). Between consecutive dimensions:
    ``secant_exponent``. ``asymptotic``: the limit and the predicted exponents where the
    asymptotics module has them, else a note.
    """

    path: ScalingPath
    features: dict
    target: str
    digits: int | None
    dims: tuple
    teacher_widths: tuple
    student_widths: tuple
    teacher_risk: tuple
    optimal_student_risk: tuple
    optimal_time: tuple
    target_energy: tuple
    floor: tuple
    lower_bound: tuple
    optimum_over_bound: tuple
    student_ceiling_risk: tuple
    global_exponent: tuple
    secant_exponent: tuple
    local_exponent: tuple
    local_exponent_error: tuple
    partials: tuple
    asymptotic: dict = field(default_factory=dict)
    notes: tuple = ()
    evaluations: int = 0

    def replace(self, **changes) -> "ExponentPath":
        return dataclasses.replace(self, **changes)

    def to_dict(self, as_strings: bool = False) -> dict:
        """Plain JSON values (numbers as floats, or as decimal strings carrying the
        result's digits; ``None`` where undefined; an infinite student width as
        ``"inf"``)."""
        conv = number_formatter(self.digits if as_strings else None)

        def c(x):
            if x is None:
                return None
            f = float(x)
            return None if not math.isfinite(f) else conv(x)

        asym = dict(self.asymptotic)
        for key in ("local_exponent", "global_exponent"):
            if key in asym and asym[key] is not None:
                asym[key] = [c(x) for x in asym[key]]
        if asym.get("limit") is not None:
            asym["limit"] = float(asym["limit"])
        return {
            "path": str(self.path),
            "path_terms": self.path.to_dict(),
            "features": dict(self.features),
            "target": self.target,
            "digits": self.digits,
            "dims": list(self.dims),
            "teacher_width": list(self.teacher_widths),
            "student_width": ["inf" if m is None else m for m in self.student_widths],
            "teacher_risk": [c(x) for x in self.teacher_risk],
            "optimal_student_risk": [c(x) for x in self.optimal_student_risk],
            "optimal_time": [c(x) for x in self.optimal_time],
            "target_energy": [c(x) for x in self.target_energy],
            "floor": [c(x) for x in self.floor],
            "lower_bound": [c(x) for x in self.lower_bound],
            "optimum_over_bound": [c(x) for x in self.optimum_over_bound],
            "student_ceiling_risk": [c(x) for x in self.student_ceiling_risk],
            "local_exponent": [c(x) for x in self.local_exponent],
            "local_exponent_error": [c(x) for x in self.local_exponent_error],
            "secant_exponent": [c(x) for x in self.secant_exponent],
            "secant_dims": [[a, b] for a, b in zip(self.dims, self.dims[1:])],
            "global_exponent": [c(x) for x in self.global_exponent],
            "partials": [None if p is None else {k: v if isinstance(v, int) else c(v)
                                                 for k, v in p.items()}
                         for p in self.partials],
            "asymptotic": asym,
            "notes": list(self.notes),
            "evaluations": self.evaluations,
        }


# --------------------------------------------------------------------------------------
# The computation


def _keys_of(setting, keys: dict) -> dict:
    """The setting's parameter keys (those set), updated with ``keys``; the widths and
    the dimension are the path's."""
    out = {}
    if setting is not None:
        if not isinstance(setting, Setting):
            raise InvalidArgument("setting", f"expected a Setting, got {setting!r}")
        out = {k: getattr(setting, k) for k in PARAMS if getattr(setting, k) is not None}
        for k in _PATH_KEYS:
            out.pop(k, None)
    for k, v in keys.items():
        if k in _PATH_KEYS:
            raise InvalidArgument(k, "is set by the path (M_T = C d^K, M_S = C d^G) and "
                                  "its dims; do not give it")
        if k not in PARAMS:
            from ..setting import unknown_key

            raise unknown_key(k, list(PARAMS) + ["path", "dims"])
        if v is not None:
            out[k] = v
    for k in _REFUSED:
        if out.get(k) is not None:
            raise InvalidArgument(k, "not supported along a scaling path (the population "
                                  "theory with gradient flow: no learning rate, steps or "
                                  "finite samples)")
    out.pop("times", None)
    return out


def _family(keys: dict) -> str:
    if keys.get("variances") is not None or keys.get("eigenvalues") is not None:
        key = "variances" if keys.get("variances") is not None else "eigenvalues"
        raise InvalidArgument(key, "a fixed finite spectrum has no dimension to grow: a "
                              "scaling path needs features on the sphere (activation, "
                              "inputs) or a power law (power_law: linear features on d "
                              "coordinates with variances s i^-alpha)")
    if keys.get("power_law") is not None:
        for k in ("activation", "inputs"):
            if keys.get(k) is not None:
                raise InvalidArgument(k, "give only one feature family (power_law or "
                                      "the sphere's activation and inputs)")
        return "power_law"
    return "sphere"


class _Engine:
    """The risk engine at the points of a path, cached by ``(d, M_T, M_S)``."""

    def __init__(self, keys: dict, family: str):
        self.keys, self.family = keys, family
        self.cache = {}
        self._spectra = {}

    def setting(self, d, M, MS) -> Setting:
        keys = dict(self.keys)
        if self.family == "sphere":
            keys["dim"] = d
            return Setting(**keys, teacher_width=M, student_width=MS)
        alpha = keys.pop("power_law")
        scale = keys.pop("power_law_scale", None)
        return Setting(**keys, spectrum=self._spectrum(d, alpha, scale),
                       teacher_width=M, student_width=MS)

    def _spectrum(self, n, alpha, scale):
        from ..spectra import LinearGaussianSpectrum

        if n not in self._spectra:
            prec = self.keys.get("precision")
            digits = None if prec is None else getattr(prec, "digits", prec)
            if digits is None:
                a, s = float(alpha), 1.0 if scale is None else float(scale)
                v = [s * i ** -a for i in range(1, n + 1)]
            else:
                with mpmath.workdps(int(digits) + 10):
                    a = mpmath.mpf(exact_fraction(alpha).numerator) / \
                        exact_fraction(alpha).denominator
                    s = 1 if scale is None else mpmath.mpf(
                        exact_fraction(scale).numerator) / exact_fraction(scale).denominator
                    v = [s * mpmath.power(i, -a) for i in range(1, n + 1)]
            self._spectra[n] = LinearGaussianSpectrum(v)
        return self._spectra[n]

    def __call__(self, d, M, MS):
        key = (d, M, MS)
        if key not in self.cache:
            from .curve import risk_curve

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", IrreducibleFloorWarning)
                self.cache[key] = risk_curve(self.setting(d, M, MS))
        return self.cache[key]


def _rank(engine, d) -> int | None:
    """The number of non-zero eigendirections at dimension ``d`` (None: infinite)."""
    if engine.family == "power_law":
        return d
    keys = dict(engine.keys, dim=d)
    for k in ("target", "precision"):
        keys.pop(k, None)
    from ..setting import features

    return features({k: v for k, v in keys.items() if k in
                     ("activation", "dim", "inputs")})[1].rank()


def _check_path(engine, path: ScalingPath, dims):
    """The widths at every dimension, refused where the spectrum cannot take them."""
    out = []
    for d in dims:
        M, MS = path.teacher_width(d), path.student_width(d)
        if M < 1:
            raise InvalidArgument("path", f"M_T = {format_number(path.teacher_coefficient)}"
                                  f"*d^{format_number(path.kappa)} rounds to {M} at d = {d}"
                                  "; the teacher needs a width >= 1")
        if MS is not None and MS < 1:
            raise InvalidArgument("path", f"M_S rounds to {MS} at d = {d}; the student "
                                  "needs a width >= 1")
        rank = _rank(engine, d)
        if rank is not None:
            what = "coordinates" if engine.family == "power_law" else \
                "non-zero eigendirections of the kernel"
            if M >= rank:
                raise InvalidArgument(
                    "path", f"M_T = {M} at d = {d} reaches the {rank} {what}: the exponent "
                    f"kappa = {format_number(path.kappa)} is outside the range this "
                    "spectrum supports (the teacher must stay below the number of "
                    "eigendirections" + (", so kappa <= 1 with C < 1 at kappa = 1)"
                                         if engine.family == "power_law" else ")"))
            if MS is not None and MS > rank:
                raise InvalidArgument(
                    "path", f"M_S = {MS} at d = {d} exceeds the {rank} {what}: the "
                    f"exponent gamma = {format_number(path.gamma)} is outside the range "
                    "this spectrum supports")
        out.append((M, MS))
    return out


def _unit_roundoff(digits) -> float:
    return 2.0 ** -52 if digits is None else 10.0 ** -digits


def _noise(d, digits) -> float:
    """The engine's relative rounding noise in a risk at dimension (or number of
    coordinates) ``d`` (see the module docstring)."""
    return _unit_roundoff(digits) * max(64.0, d * math.log(d))


#: central differences at steps h, 2h, .., LEVELS h, extrapolated to h -> 0 (a
#: (2 LEVELS + 1)-point stencil, error O(h^(2 LEVELS)))
LEVELS = 4


def _step(x, eps, lowest):
    """``(h, levels)``: the integer step of the central differences at ``x`` and how
    many multiples of it fit (``x - levels h >= lowest``; at least 2), or ``None``."""
    h = max(1, int(round(x * eps ** 0.2)))
    while h > 1 and x - LEVELS * h < lowest:
        h = max(1, h // 2)
    levels = LEVELS
    while levels > 2 and x - levels * h < lowest:
        levels -= 1
    return (h, levels) if x - levels * h >= lowest else None


def _log(x):
    return mpmath.log(mpmath.mpf(x))


def _extrapolate(D):
    """Neville's scheme in ``s = j^2`` at ``s = 0`` for ``D[j-1] = D(j h)``: the
    extrapolations of orders 1..len(D) (the last is the stencil's)."""
    s = [mpmath.mpf((j + 1) ** 2) for j in range(len(D))]
    P = list(D)
    out = [P[0]]
    for k in range(1, len(D)):
        P = [(s[i + k] * P[i] - s[i] * P[i + 1]) / (s[i + k] - s[i])
             for i in range(len(P) - 1)]
        out.append(P[0])
    return out


def _partial(values, x, h, levels, eps):
    """``d log L / d log x`` for ``(L_T, L_S(t*))`` from ``{j: (log L_T, log L_S)}``,
    ``j = ±1..±levels`` (multiples of ``h``), and error estimates: the change made by
    the last order of extrapolation, plus the rounding noise ``eps`` amplified by the
    stencil (its weights sum to less than ``3/h`` in absolute value)."""
    out = []
    for i in range(2):
        D = [(values[j][i] - values[-j][i]) / (2 * j * h) * x for j in range(1, levels + 1)]
        T = _extrapolate(D)
        out.append((T[-1], abs(T[-1] - T[-2]) + 3 * eps * x / h))
    return out


def _point_values(engine, d, M, MS):
    c = engine(d, M, MS)
    return (_log(c.teacher_risk), _log(c.optimal_student_risk))


def _stencil(engine, at, h, levels):
    """``{j: values}`` at ``at(j h)`` for ``j = ±1..±levels``."""
    return {s * j: _point_values(engine, *at(s * j * h))
            for j in range(1, levels + 1) for s in (1, -1)}


def _derivative(engine, path, d, M, MS, digits):
    """The local exponent at ``(d, M, MS)`` by partial derivatives (module docstring):
    ``(exponent, error, partials)`` or ``(None, None, reason)``."""
    eps = _noise(d, digits)
    with mpmath.workdps(max(30, (digits or 15) + 10)):
        # d at fixed widths: the sphere needs d >= 2, the power law more coordinates
        # than the teacher's width (and at least the student's)
        lowest = max(M + 1, MS or 0) if engine.family == "power_law" else 2
        sd = _step(d, eps, lowest)
        if sd is None:
            return None, None, f"d = {d} is too small for a central difference in d"
        sM = _step(M, eps, 1)
        if sM is None:
            return None, None, f"M_T = {M} is too small for a central difference in M_T"
        if engine.family == "power_law" and M + sM[0] * sM[1] >= d:
            return None, None, (f"M_T + {sM[1]} h = {M + sM[0] * sM[1]} reaches the {d} "
                                "coordinates")
        (pdT, edT), (pdS, edS) = _partial(
            _stencil(engine, lambda x: (d + x, M, MS), *sd), d, *sd, eps)
        (pMT, eMT), (pMS, eMS) = _partial(
            _stencil(engine, lambda x: (d, M + x, MS), *sM), M, *sM, eps)
        kappa = mpmath.mpf(path.kappa.numerator) / path.kappa.denominator
        A, B = pdS + kappa * pMS, pdT + kappa * pMT
        eA, eB = edS + kappa * eMS, edT + kappa * eMT
        parts = {"d_log_teacher_risk_d_log_d": pdT, "d_log_student_risk_d_log_d": pdS,
                 "d_log_teacher_risk_d_log_M_T": pMT, "d_log_student_risk_d_log_M_T": pMS,
                 "step_d": sd[0], "levels_d": sd[1], "step_M_T": sM[0],
                 "levels_M_T": sM[1]}
        if MS is not None:
            sS = _step(MS, eps, 1)
            if sS is None:
                return None, None, f"M_S = {MS} is too small for a central difference"
            if engine.family == "power_law" and MS + sS[0] * sS[1] > d:
                return None, None, (f"M_S + {sS[1]} h = {MS + sS[0] * sS[1]} exceeds the "
                                    f"{d} coordinates")
            (pST, eST), (pSS, eSS) = _partial(
                _stencil(engine, lambda x: (d, M, MS + x), *sS), MS, *sS, eps)
            gamma = mpmath.mpf(path.gamma.numerator) / path.gamma.denominator
            A, B = A + gamma * pSS, B + gamma * pST
            eA, eB = eA + gamma * eSS, eB + gamma * eST
            parts.update({"d_log_teacher_risk_d_log_M_S": pST,
                          "d_log_student_risk_d_log_M_S": pSS, "step_M_S": sS[0],
                          "levels_M_S": sS[1]})
        parts.update({"d_log_teacher_risk_along_path": B,
                      "d_log_student_risk_along_path": A,
                      "error_along_path_teacher": eB, "error_along_path_student": eA})
        if B == 0:
            return None, None, "L_T does not change along the path here"
        e = A / B
        return e, (eA + abs(e) * eB) / abs(B), parts


def exponent_seconds(setting_keys: dict, path, dims, derivative=True) -> float:
    """Estimated seconds of :func:`exponent_path` (the risk-curve cost model of
    :mod:`~w2s_theory._src.cost` per evaluation; finite spectra of ``n`` coordinates add
    ``6e-5 s`` per coordinate, measured at ``n = 10^4..10^5``)."""
    from .. import cost

    path = parse_path(path)
    dims = parse_dims(dims)
    keys = _keys_of(None, {k: v for k, v in setting_keys.items() if k not in _PATH_KEYS})
    family = _family(keys)
    per = 1 + (2 * LEVELS * (3 if path.gamma is not None else 2) if derivative else 0)
    total = 0.0
    for d in dims:
        if family == "sphere":
            s = Setting(**keys, dim=d, teacher_width=1,
                        student_width=None if path.gamma is None else 1)
            one = cost.risk_seconds(s, times=0)
        else:
            s = Setting(**{k: v for k, v in keys.items()}, teacher_width=1,
                        student_width=None if path.gamma is None else 1)
            one = cost.risk_seconds(s, times=0) + 6e-5 * d
        total += per * one
    return total


def exponent_path(setting=None, /, *, path, dims, derivative: bool = True,
                  asymptotics: bool = True, **keys) -> ExponentPath:
    r"""Risks and exponents along a scaling path (see the module docstring).

    Parameters
    ----------
    setting : Setting, optional
        The features, target and precision (its widths and dimension are replaced by
        the path's); or give them as keywords (``activation``, ``inputs``, ``target``,
        ``power_law``, ``power_law_scale``, ``precision``).
    path : str or ScalingPath
        ``"M_T=C*d^K"`` (C optional), optionally ``",M_S=C*d^G"`` (or ``",M_S=inf"``,
        the default).
    dims : sequence of int
        Dimensions ``>= 2`` (on a power law: numbers of coordinates).
    derivative : bool
        Also the local exponent as a derivative at each dimension (16 more engine
        evaluations per dimension, 24 with a finite student).
    asymptotics : bool
        The limit and the predicted exponents from the asymptotics module, where it
        has them (loads sympy).
    """
    path = parse_path(path)
    dims = parse_dims(dims)
    keys = _keys_of(setting, keys)
    family = _family(keys)
    engine = _Engine(keys, family)
    widths = _check_path(engine, path, dims)
    # validate the rest of the setting once, at the first point (errors name its keys)
    first = engine.setting(dims[0], *widths[0])
    digits = first.digits
    notes = []
    from ..targets.network import Network

    redrawn = any(isinstance(c, Network) and c.file is None
                  for c in getattr(first.target, "components", ()))
    if redrawn:
        notes.append("the network target is drawn afresh (same seed) at every d: the "
                     "secant exponents compare different draws, and no derivative in d "
                     "exists (local_exponent is None)")
    rows = []
    for d, (M, MS) in zip(dims, widths):
        c = engine(d, M, MS)
        rows.append(c)
    from ..bounds import student_lower_bound

    LT = tuple(c.teacher_risk for c in rows)
    LS = tuple(c.optimal_student_risk for c in rows)
    E = tuple(c.target_energy for c in rows)
    prec = first.precision
    lb = tuple(student_lower_bound(lt, e, 1, precision=prec) for lt, e in zip(LT, E))
    ratio = tuple(ls / b if float(b) > 0 else None for ls, b in zip(LS, lb))
    with mpmath.workdps(max(30, (digits or 15) + 10)):
        glob = []
        for lt, ls, e in zip(LT, LS, E):
            a, b = _log(mpmath.mpf(ls) / mpmath.mpf(e)), _log(mpmath.mpf(lt) / mpmath.mpf(e))
            glob.append(a / b if b != 0 else None)
        secant = []
        for (lt0, ls0), (lt1, ls1) in zip(zip(LT, LS), list(zip(LT, LS))[1:]):
            den = _log(lt1) - _log(lt0)
            secant.append((_log(ls1) - _log(ls0)) / den if den != 0 else None)
    local, local_err, partials = [], [], []
    for d, (M, MS) in zip(dims, widths):
        if not derivative or redrawn:
            local.append(None)
            local_err.append(None)
            partials.append(None)
            continue
        e, err, parts = _derivative(engine, path, d, M, MS, digits)
        if e is None:
            notes.append(f"no derivative at d = {d}: {parts}")
            parts = None
        local.append(e)
        local_err.append(err)
        partials.append(parts)
    rising = [f"{a}-{b}" for a, b, x, y in zip(dims, dims[1:], LT, LT[1:]) if y >= x]
    rising += [f"{d} (d log L_T/d log d = {float(p['d_log_teacher_risk_along_path']):.3g})"
               for d, p in zip(dims, partials)
               if p is not None and p["d_log_teacher_risk_along_path"] >= 0]
    if rising:
        notes.append("L_T does not decrease along the path at d = " + ", ".join(rising)
                     + ": there the exponent compares risks that do not tend to zero "
                     "(no rate)")
    out_num = (lambda x: x) if digits is not None else \
        (lambda x: None if x is None else float(x))
    asym = {}
    if asymptotics:
        asym = _asymptotic(keys, family, first, path, dims)
    if family == "sphere":
        feats = {k: v for k, v in first.to_dict().items() if k in ("activation", "inputs")}
    else:
        scale = keys.get("power_law_scale")
        feats = {"power_law": float(keys["power_law"]),
                 "power_law_scale": 1.0 if scale is None else float(scale)}
    feats["family"] = family
    feats["dimension"] = "number of coordinates of linear features" if \
        family == "power_law" else "input dimension"
    return ExponentPath(
        path=path, features=feats, target=str(first.target), digits=digits, dims=dims,
        teacher_widths=tuple(m for m, _ in widths),
        student_widths=tuple(s for _, s in widths),
        teacher_risk=LT, optimal_student_risk=LS,
        optimal_time=tuple(c.optimal_time for c in rows), target_energy=E,
        floor=tuple(c.floor for c in rows), lower_bound=lb, optimum_over_bound=ratio,
        student_ceiling_risk=tuple(c.student_ceiling_risk for c in rows),
        global_exponent=tuple(out_num(x) for x in glob),
        secant_exponent=tuple(out_num(x) for x in secant),
        local_exponent=tuple(out_num(x) for x in local),
        local_exponent_error=tuple(out_num(x) for x in local_err),
        partials=tuple(None if p is None else {k: (v if isinstance(v, int) else out_num(v))
                                                for k, v in p.items()}
                       for p in partials),
        asymptotic=asym, notes=tuple(notes), evaluations=len(engine.cache))


# --------------------------------------------------------------------------------------
# The asymptotics module's prediction


def _asymptotic(keys, family, setting, path, dims) -> dict:
    """``{"limit", "regime", "local_exponent", "global_exponent", "source", "note"}``
    from :mod:`~w2s_theory._src.symbolic.asymptotics`, or ``{"limit": None, "note"}``."""
    act = setting.activation if family == "sphere" else None
    name = act if isinstance(act, str) else getattr(act, "name", None)
    target = str(setting.target)
    gaussian = family == "sphere" and setting.inputs == "gaussian"
    none = lambda why: {"limit": None, "note": why}  # noqa: E731
    if family != "sphere" or name != "relu":
        return none("the asymptotics module covers ReLU features on the sphere "
                    "(THEORY.md 2) only")
    if path.gamma is not None:
        return none("the asymptotics module covers an infinitely wide student only")
    if target not in ("degree:1", "single-index:relu"):
        return none("the asymptotics module covers the degree-1 and the single-index "
                    "ReLU targets only")
    if gaussian and target != "degree:1":
        return none("with Gaussian inputs the single-index ReLU target keeps its energy "
                    "(E = 1/2) while L_T/E tends to 2 tau > 0: L_T does not tend to 0 "
                    "along the path, there is no rate")
    import sympy as sp

    from ..kernels import kernel_expr
    from ..sphere import u_sym
    from ..symbolic import asymptotics as A

    K = sp.Rational(path.kappa.numerator, path.kappa.denominator)
    regime = next(((lo, hi) for lo, hi, _ in A.REGIMES if lo < K < hi), None)
    if regime is None:
        return none(f"kappa = {format_number(path.kappa)} is outside the regimes (1, 2), "
                    "(2, 4), (4, 6) of the asymptotics module")
    d, kap = A.d, A.kappa_sym
    hb = A.high_dim()

    def branch(key):
        e = hb[key]
        if isinstance(e, sp.Piecewise):
            for expr, cond in e.args:
                if bool(cond.subs(kap, K)):
                    return expr
        return e

    C = sp.Rational(path.teacher_coefficient.numerator, path.teacher_coefficient.denominator)
    kap_path = K + sp.log(C) / sp.log(d) if C != 1 else K        # M_T = C d^kappa
    if target == "degree:1":
        LT = branch("teacher_risk").subs(kap, kap_path)
        LS = LT ** 2 * branch("risk_ratio").subs(kap, kap_path)
        E = sp.Integer(1)
        limit_expr = branch("exponent").subs(kap, K)
        source = ("high_dim: teacher_risk, risk_ratio (L_S = L_T^2 (1 + delta_b)); the "
                  "limit of exponent")
        why = "L_S(t*) = L_T^2 (1 + delta_b), delta_b -> 0"
    else:
        E = sp.simplify(kernel_expr(1).subs(u_sym, 1))       # ||relu(<beta, x>)||^2
        LT = E * branch("si_teacher_risk").subs(kap, kap_path)
        if K < sp.Rational(3, 2):
            LS = LT * (1 - branch("si_gain_fraction").subs(kap, kap_path))
            limit_expr = branch("si_exponent").subs(kap, K)
            source = ("high_dim: si_teacher_risk, si_gain_fraction (L_S = L_T (1 - "
                      "d^(1-kappa))); the limit of si_exponent")
        else:
            LS = E * branch("si_student_risk").subs(kap, kap_path)
            limit_expr = sp.log(LS / E) / sp.log(LT / E)
            source = "high_dim: si_teacher_risk, si_student_risk (leading order: equal)"
        why = ("L_S(t*)/L_T -> 1: the unlearned degrees hold 2 tau of the energy; "
               "exponent 1 (L_T ~ tau/d falls only with the target's energy 1/(2d))")
    local = sp.diff(sp.log(LS), d) / sp.diff(sp.log(LT), d)
    glob = sp.log(LS / E) / sp.log(LT / E)
    try:
        limit = sp.limit(limit_expr, d, sp.oo)
        limit = float(limit) if limit.is_finite else None
    except (NotImplementedError, ValueError, TypeError):       # pragma: no cover
        limit = None
    f_loc = sp.lambdify(d, local, "mpmath")
    f_glob = sp.lambdify(d, glob, "mpmath")
    with mpmath.workdps(30):
        loc = [float(mpmath.re(f_loc(mpmath.mpf(x)))) for x in dims]
        glo = [float(mpmath.re(f_glob(mpmath.mpf(x)))) for x in dims]
    return {"limit": limit, "regime": [int(regime[0]), int(regime[1])],
            "local_exponent": loc, "global_exponent": glo, "source":
            "w2s_theory._src.symbolic.asymptotics." + source, "note": why,
            "accuracy": "leading order in d: relative error O(d^-r), r = min(kappa - lo, "
                        "hi - kappa, 1) for the risks (registry b_*)"}
