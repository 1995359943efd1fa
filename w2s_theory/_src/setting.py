r"""The setting of a computation: one immutable, validated description for every entry point.

A :class:`Setting` says *what* is computed: the features (a feature family and its
parameters), the target, the teacher's and the student's widths, the student's training
(stopping times, or a learning rate and numbers of gradient-descent steps) and the
precision. :func:`~w2s_theory._src.theory.risk_curve`, :func:`~w2s_theory._src.simulation.
simulate`, the report, the command line and the worker processes all take one; it is
built once - from keyword arguments, a TOML table or command-line options - and
validated once, here.

Every parameter is declared once in :data:`~w2s_theory._src.parameters.PARAMS` (its
keyword, which is also its TOML key; its command-line option; its help; its parser). Bad input raises
:class:`~w2s_theory._src.errors.InvalidArgument` carrying the parameter's key; the
builders for other callers re-label it with the caller's own name for it
(:func:`relabel`: the option ``--teacher-width`` on the command line, ``file.toml:
teacher_width`` in a file), so an error always names what the user typed.

Numbers keep the digits the user gave: a decimal string stays exact
(:class:`~w2s_theory._src.errors.DecimalFloat`), a :class:`fractions.Fraction` is exact,
and both are converted to the working precision only where the computation runs
(:meth:`Precision.scalar`, inside its context).

>>> s = Setting(dim=6, teacher_width=100, times="300,1000")
>>> s.activation, s.dim, str(s.target), s.student_width, s.times
('relu', 6, 'degree:1', None, (300, 1000))
>>> Setting.from_toml(s.to_toml()) == s                          # round trip
True
>>> s.replace(student_width="inf") == s
True
>>> Setting(dim=6, teacher_width=0)
Traceback (most recent call last):
...
w2s_theory._src.errors.InvalidArgument: teacher_width: must be a positive integer, got 0
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable

from .errors import InvalidArgument
from .parameters import (FAMILY_KEYS, FEATURE_KEYS, PARAMS, Param, _double,  # noqa: F401
                         _parse_activation, exact_fraction, init_variance, option_name, parse_bool,
                         parse_int, parse_ints, parse_number, parse_numbers, parse_width,
                         relabel, unknown_key)
from .precision import FLOAT64, Precision
from .spectra import (FiniteSpectrum, GaussianInputSpectrum, LinearGaussianSpectrum,
                      PowerLawSpectrum, Spectrum, SphereSpectrum)
from .tomlio import exact_value, load_toml_text, plain_value, toml_value

__all__ = ["Param", "PARAMS", "Setting", "relabel", "option_name", "parse_width",
           "parse_number", "parse_numbers", "parse_int", "parse_ints", "parse_bool",
           "unknown_key", "load_toml_text", "toml_value", "FAMILY_KEYS", "FEATURE_KEYS",
           "exact_fraction", "features"]


# --------------------------------------------------------------------------------------
# The setting


def _family_of(values: dict) -> list:
    """The families whose keys are set (not ``None``) in ``values``."""
    return [fam for fam, keys in FAMILY_KEYS.items()
            if any(values.get(k) is not None for k in keys)]


def _spectrum_keys(spectrum: Spectrum) -> dict:
    """The feature keys describing a spectrum object."""
    if isinstance(spectrum, (SphereSpectrum, GaussianInputSpectrum)):
        return {"activation": _parse_activation("activation", spectrum.activation),
                "dim": spectrum.d, "inputs": "gaussian" if isinstance(
                    spectrum, GaussianInputSpectrum) else "sphere"}
    if isinstance(spectrum, LinearGaussianSpectrum):
        return {"variances": tuple(spectrum.variances)}
    if isinstance(spectrum, FiniteSpectrum):
        mult = tuple(spectrum.multiplicities)
        return {"eigenvalues": tuple(spectrum.eigenvalues),
                "multiplicities": None if all(m == 1 for m in mult) else mult}
    if isinstance(spectrum, PowerLawSpectrum):
        return {"power_law": spectrum.alpha,
                "power_law_scale": None if spectrum.scale == 1 else spectrum.scale}
    raise InvalidArgument("spectrum", f"expected a Spectrum, got {spectrum!r}")


def features(keys: dict, spectrum: Spectrum | None = None):
    """``(keys, spectrum)``: the feature keys checked and completed (one family; the
    sphere by default, with ``relu``), and the spectrum they describe; or, given a
    spectrum object, the keys that describe it. Errors name the feature keys.

    >>> keys, spec = features({"power_law": "1.5"})
    >>> keys["power_law"], spec.kind
    (1.5, 'power-law')
    """
    keys = {k: keys.get(k) for k in FEATURE_KEYS}
    for k, v in keys.items():
        if v is not None:
            keys[k] = PARAMS[k].parse(k, v)
    if spectrum is not None:
        if not isinstance(spectrum, Spectrum):
            raise InvalidArgument("spectrum", f"expected a Spectrum, got {spectrum!r}")
        theirs = _spectrum_keys(spectrum)
        set_keys = {k: v for k, v in keys.items() if v is not None}
        if set_keys and set_keys != {k: v for k, v in theirs.items() if v is not None}:
            raise InvalidArgument(next(iter(set_keys)), "give the features either as a "
                                  "spectrum or as keys, not both")
        return {**keys, **theirs}, spectrum
    families = _family_of(keys)
    if len(families) > 1:
        named = [k for fam in families for k in FAMILY_KEYS[fam] if keys.get(k) is not None]
        raise InvalidArgument(named[-1], "give only one feature family (got "
                              + ", ".join(named) + ")")
    fam = families[0] if families else "sphere"
    if keys["multiplicities"] is not None and keys["eigenvalues"] is None:
        raise InvalidArgument("multiplicities", "goes with eigenvalues")
    if keys["power_law_scale"] is not None and keys["power_law"] is None:
        raise InvalidArgument("power_law_scale", "goes with power_law")
    if fam == "sphere":
        if keys["activation"] is None:
            keys["activation"] = "relu"
        if keys["inputs"] is None:
            keys["inputs"] = "sphere"
        if keys["dim"] is None:
            raise InvalidArgument("dim", "required for features on the sphere "
                                  "(e.g. dim = 6)")
    return keys, _build_spectrum(fam, keys)


def _build_spectrum(family: str, k: dict) -> Spectrum:
    key = FAMILY_KEYS[family][0]
    try:
        if family == "sphere":
            if k["inputs"] == "gaussian":
                return GaussianInputSpectrum(k["activation"], k["dim"])
            return SphereSpectrum(k["activation"], k["dim"])
        if family == "variances":
            return LinearGaussianSpectrum(list(k["variances"]))
        if family == "eigenvalues":
            return FiniteSpectrum(list(k["eigenvalues"]), None if k["multiplicities"]
                                  is None else list(k["multiplicities"]))
        scale = 1 if k["power_law_scale"] is None else k["power_law_scale"]
        return PowerLawSpectrum(k["power_law"], scale)
    except InvalidArgument as exc:
        # the spectrum's own argument names are this setting's keys where they differ
        arg = {"dim": "dim", "activation": "activation", "inputs": "inputs",
               "multiplicities": "multiplicities", "scale": "power_law_scale"}.get(
            exc.argument, key)
        raise InvalidArgument(arg, exc.message) from None


@dataclass(frozen=True)
class Setting:
    """What is computed (see the module docstring). Immutable; ``.replace(**changes)``
    returns a new, re-validated setting.

    Fields are the parameter keys of :data:`PARAMS`; ``spectrum`` may instead be given
    as a :class:`~w2s_theory._src.spectra.Spectrum` object (the feature keys are then
    read from it). ``student_width=None`` is an infinitely wide student. ``times`` and
    ``(lr, steps)`` are alternatives: stopping times of gradient flow, or a learning
    rate and numbers of steps of gradient descent (``time = lr * steps``).

    Finite samples (``docs/finite_samples.md``): ``samples`` (the teacher's ``n_T``),
    ``student_samples`` (``n_S`` fresh inputs labelled by the teacher), ``noise`` (label
    noise on the teacher's samples), and each model's training: ridge (``ridge``,
    ``student_ridge``) or gradient flow (``teacher_time``, ``times``). Ridge 0 is least
    squares, and with fewer samples than features the minimum-norm interpolator (the
    limit of ridge as the penalty goes to 0, and of gradient flow from zero as the time
    goes to infinity); with as many samples as features it is refused (the
    interpolation threshold, where that fit's risk is infinite).
    """

    activation: object = None
    dim: int | None = None
    inputs: str | None = None
    variances: tuple | None = None
    eigenvalues: tuple | None = None
    multiplicities: tuple | None = None
    power_law: object = None
    power_law_scale: object = None
    target: object = "degree:1"
    teacher_width: int = 100
    student_width: int | None = None
    times: tuple | None = None
    lr: object = None
    steps: tuple | None = None
    loss: str | None = None
    init: str | None = None
    batch: int | None = None
    samples: int | None = None
    student_samples: int | None = None
    ridge: object = None
    teacher_time: object = None
    student_ridge: tuple | None = None
    noise: object = None
    shared_inputs: bool | None = None
    precision: Precision = FLOAT64
    spectrum: Spectrum | None = field(default=None, compare=False, repr=False)

    # -- validation ------------------------------------------------------------------
    def __post_init__(self):
        set_ = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731
        for key, param in PARAMS.items():
            v = getattr(self, key)
            if v is None:                     # "not given": the default, if there is one
                v = _DEFAULTS[key]
                set_(key, v)
            if v is not None:
                set_(key, param.parse(key, v))
        keys, spectrum = features({k: getattr(self, k) for k in FEATURE_KEYS},
                                  self.spectrum)
        for k, v in keys.items():
            set_(k, v)
        set_("spectrum", spectrum)
        self._check_widths()
        self._check_training()
        self._check_samples()
        self._check_init()
        try:
            self.bound_target                                    # validates, cached
        except InvalidArgument as exc:
            raise InvalidArgument("target", exc.message) from None

    def _check_widths(self):
        rank = self.spectrum.rank()
        if rank is None:
            return
        if self.teacher_width >= rank:
            raise InvalidArgument(
                "teacher_width", f"must be below the number of non-zero eigendirections "
                f"of the kernel ({rank}); at {self.teacher_width} the teacher fits every "
                "direction exactly")

    def _check_training(self):
        if self.lr is not None and self.times is not None:
            raise InvalidArgument("lr", "give either times or a learning rate with steps, "
                                  "not both")
        if self.steps is not None and self.times is not None:
            raise InvalidArgument("steps", "give either times or a learning rate with "
                                  "steps, not both")
        if (self.lr is None) != (self.steps is None):
            missing = "steps" if self.steps is None else "lr"
            raise InvalidArgument(missing, "a learning rate and numbers of steps go "
                                  f"together: give {missing} too")
        if self.batch is not None:
            if self.lr is None:
                raise InvalidArgument("batch", "online SGD runs steps: give lr and steps "
                                      "(a batch size has no meaning for gradient flow)")
            if self.has_samples:
                raise InvalidArgument("batch", "online SGD draws fresh inputs: it has no "
                                      "finite training set (drop samples, or batch)")

    def _check_samples(self):
        """The finite-sample parameters (``docs/finite_samples.md``): one training per
        model, gradient flow or ridge; what the theory does not cover is refused."""
        if self.shared_inputs:
            raise InvalidArgument("shared_inputs", "not supported: a student labelled on "
                                  "the teacher's own inputs is correlated with the "
                                  "teacher's fit, and no verified deterministic "
                                  "equivalent covers it; the student's inputs are fresh")
        if self.ridge is not None and self.teacher_time is not None:
            raise InvalidArgument("teacher_time", "give either ridge or teacher_time "
                                  "(gradient flow), not both")
        if self.student_ridge is not None and (self.times is not None or
                                               self.lr is not None):
            raise InvalidArgument("student_ridge", "give either student_ridge or the "
                                  "student's times (or lr and steps), not both")
        if self.noise is not None and self.samples is None:
            raise InvalidArgument("noise", "label noise enters only a teacher fitted on "
                                  "finitely many samples: give samples")
        if self.has_samples and self.lr is not None:
            raise InvalidArgument("lr", "gradient descent with finite samples, ridge or "
                                  "noise is not covered: use times (gradient flow) or "
                                  "student_ridge")
        rank = self.spectrum.rank()
        for key, n, m in (("samples", self.samples, self.teacher_width),
                          ("student_samples", self.student_samples, self.student_width)):
            lam0 = (self.ridge in (None, 0) and self.teacher_time is None) if \
                key == "samples" else (self.student_ridge is not None and
                                       any(x == 0 for x in self.student_ridge))
            if n is not None and m is not None and n == m and lam0 and \
                    (rank is None or n < rank):
                raise InvalidArgument(key, f"equals the width ({n}) with ridge 0: the "
                                      "interpolation threshold, where the ridgeless fit's "
                                      "risk is infinite; give a positive ridge")

    def _check_init(self):
        if self.init is not None and self.has_samples:
            raise InvalidArgument("init", "a random initial top layer with finite samples "
                                  "is not covered (its decay on the samples' kernel needs "
                                  "a two-matrix equivalent): use the population setting "
                                  "or init = zero")

    @property
    def loss_name(self) -> str:
        """``"half"`` (the theory's loss, default) or ``"mse"``."""
        return self.loss or "half"

    def half_loss(self) -> "Setting":
        r"""The same training written in the theory's own convention, the loss
        :math:`\tfrac12(f - y)^2`: with ``loss = "mse"`` every gradient is twice as
        large, so gradient flow for time ``t`` is the theory's time ``2t``, and gradient
        descent with learning rate :math:`\eta` is the theory's rate :math:`2\eta` (the
        same steps); a teacher's ``teacher_time`` likewise. Ridge penalties are defined
        on the mean squared error either way (unchanged). This is the one place where the
        loss is mapped: the engine and the simulators compute with the returned setting
        and report times in the caller's units.

        >>> Setting(dim=6, times=[1, 2.5], loss="mse").half_loss().times
        (2, 5.0)
        >>> Setting(dim=6, lr="0.1", steps=[10], loss="mse").half_loss().lr.decimal
        '0.2'
        """
        if self.loss is None:
            return self
        changes = {"loss": None}
        if self.times is not None:
            changes["times"] = tuple(_double(t) for t in self.times)
        if self.lr is not None:
            changes["lr"] = _double(self.lr)
        if self.teacher_time is not None:
            changes["teacher_time"] = _double(self.teacher_time)
        return dataclasses.replace(self, **changes)

    def time_factor(self) -> int:
        """Theory time per unit of the caller's time: 2 for ``mse``, else 1."""
        return 2 if self.loss == "mse" else 1

    def init_variance(self, width):
        """The variance of one initial output weight :math:`a_i` of a model of width
        ``width`` (``None``: infinitely wide), exact: ``SCALE^2`` (normal), ``SCALE^2/3``
        (uniform), ``1/(3 width)`` (torch; 0 for an infinite width), 0 (zero).

        >>> Setting(dim=6, init="torch").init_variance(100)
        Fraction(1, 300)
        >>> Setting(dim=6, init="uniform:0.3").init_variance(None)
        Fraction(3, 100)
        """
        return init_variance(self.init, width)

    @property
    def has_samples(self) -> bool:
        """Whether a finite-sample parameter is set (the theory of
        ``docs/finite_samples.md``; otherwise the population theory)."""
        return any(getattr(self, k) is not None for k in (
            "samples", "student_samples", "ridge", "teacher_time", "student_ridge",
            "noise"))

    # -- derived ---------------------------------------------------------------------
    @cached_property
    def bound_target(self):
        """The target bound to the spectrum (its energies per block)."""
        return self.target.bind(self.spectrum)

    @property
    def digits(self) -> int | None:
        """The number of significant digits (``None``: float64)."""
        return self.precision.digits

    @property
    def family(self) -> str:
        """``"sphere"``, ``"variances"``, ``"eigenvalues"`` or ``"power_law"``."""
        return _family_of({k: getattr(self, k) for k in PARAMS})[0]

    @property
    def is_discrete(self) -> bool:
        """Gradient descent with a learning rate and steps (not gradient flow)."""
        return self.lr is not None

    def training_times(self) -> tuple:
        """The student's training times: ``times``, or ``lr * steps`` (exact)."""
        if self.times is not None:
            return self.times
        if self.steps is None:
            return ()
        lr = exact_fraction(self.lr)
        return tuple(lr * k for k in self.steps)

    def replace(self, **changes) -> "Setting":
        """A new, re-validated setting with ``changes``. Feature keys of another family
        replace the whole family; ``times`` replaces ``lr``/``steps`` and vice versa."""
        feature_keys = FEATURE_KEYS
        named = {k: changes[k] for k in feature_keys if k in changes}
        if "spectrum" in changes:
            changes = {**{k: None for k in feature_keys}, **changes}
        elif named:
            new = _family_of(named)
            keep = self._features() if not new or new == [self.family] else {}
            changes = {**{k: None for k in feature_keys}, **keep, "spectrum": None,
                       **changes}
        if changes.get("times") is not None:
            changes = {"lr": None, "steps": None, "student_ridge": None, **changes}
        if changes.get("student_ridge") is not None:
            changes = {"times": None, "lr": None, "steps": None, **changes}
        if changes.get("ridge") is not None:
            changes = {"teacher_time": None, **changes}
        if changes.get("teacher_time") is not None:
            changes = {"ridge": None, **changes}
        if changes.get("lr") is not None or changes.get("steps") is not None:
            changes = {"times": None, "student_ridge": None, **changes}
        return dataclasses.replace(self, **changes)

    def __hash__(self):
        # computed once: exact numbers (long tuples of fractions) hash slowly, and the
        # simulators look settings up in a cache once per seed
        h = self.__dict__.get("_hash")
        if h is None:
            h = hash(tuple(getattr(self, k) for k in PARAMS))
            self.__dict__["_hash"] = h
        return h

    def __reduce__(self):
        # pickled by its keys (worker processes rebuild the spectrum, which may hold
        # closures that do not pickle)
        return (_rebuild, ({k: getattr(self, k) for k in PARAMS},))

    def _features(self) -> dict:
        return {k: getattr(self, k) for k in FEATURE_KEYS}

    # -- description and serialization ------------------------------------------------
    def describe_features(self, tex: bool = False) -> str:
        """The features in words: plain for the terminal, with ``$...$`` math for
        figures (``tex=True``)."""
        fam = self.family
        if fam == "sphere":
            name = self.activation if isinstance(self.activation, str) else \
                self.activation.name
            if self.inputs == "gaussian":
                if tex:
                    return (f"{name} features on $x \\sim N(0, I_{{{self.dim}}})$ "
                            f"(d = {self.dim})")
                return f"{name} features, x ~ N(0, I_{self.dim})"
            if tex:
                return f"{name} features on $S^{{{self.dim - 1}}}$ (d = {self.dim})"
            return f"{name} features, d = {self.dim}"
        if fam == "variances":
            return f"linear features on Gaussian data ({len(self.variances)} variances)"
        if fam == "eigenvalues":
            return f"user spectrum ({len(self.eigenvalues)} eigenvalues)"
        alpha = float(self.power_law)
        if tex:
            return f"power-law spectrum i^-{alpha:g}"
        return f"power-law spectrum, alpha = {alpha:g}"

    def to_dict(self) -> dict:
        """The keys that are set, as plain JSON values (numbers as floats, or as their
        exact decimal strings when they were given as decimals at a precision above
        float64; the target as its string; an infinite student width as ``"inf"``)."""
        out = {}
        for key in PARAMS:
            v = getattr(self, key)
            if key == "precision":
                v = v.digits
            if v is None and key != "student_width":
                continue
            out[key] = plain_value(key, v)
        return out

    def to_toml(self, header: str = "") -> str:
        """TOML text that :meth:`from_toml` reads back to an equal setting."""
        lines = [f"# {ln}" if ln else "#" for ln in header.splitlines()]
        for key, v in self.to_dict().items():
            lines.append(f"{key} = {toml_value(exact_value(getattr(self, key), v))}")
        return "\n".join(lines) + "\n"

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=False)

    @classmethod
    def from_toml(cls, text: str, name: str = "<toml>") -> "Setting":
        """A setting from TOML text; errors name ``name: key``."""
        return cls.from_values(load_toml_text(text, name),
                               label=lambda k: f"{name}: {k}")

    @classmethod
    def from_values(cls, values: dict, label: Callable[[str], str] = lambda k: k,
                    defaults: dict | None = None) -> "Setting":
        """A setting from raw values (strings or Python objects) keyed by parameter key;
        errors are re-labelled by ``label(key)`` (e.g. the command-line option)."""
        values = {k: v for k, v in values.items() if v is not None}
        for key, v in values.items():
            if key not in PARAMS and key != "spectrum":
                raise unknown_key(key, list(PARAMS), label(key))
            if isinstance(v, dict):
                raise InvalidArgument(label(key), "expected a value, got a table")
        try:
            return cls(**{**(defaults or {}), **values})
        except InvalidArgument as exc:
            raise relabel(exc, label) from None


_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Setting)}


def _rebuild(keys: dict) -> Setting:
    return Setting(**keys)
