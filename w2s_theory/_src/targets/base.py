r"""Target components and their algebra: :math:`f^* = \sum_j w_j f_j`.

A :class:`Target` is a tuple of components; a :class:`Component` is one kind of function
(a harmonic of one degree, given energies, a single-index function, ...) with an exact
weight :math:`w_j` (:mod:`.exact`). They compose as scikit-learn's kernels do: ``+``
concatenates, a number times a component or a target multiplies the weights, ``-`` is
``+ (-1)*``. Components and targets are frozen dataclasses: hashable, comparable, and
picklable (except a single-index target of a user callable).

Every component is expanded in the eigenspaces (blocks ``k``) of the kernel along one
common direction (on the sphere: zonal in :math:`\beta`, ``THEORY.md`` section 2), so the
block-``k`` parts of a sum add as signed amplitudes,
:math:`a_k = \sum_j w_j a_{j,k}`, and the target's energy there is :math:`B_k = a_k^2`
(:class:`.bound.BoundTarget`).

A new kind is one more subclass (defining it registers its ``form`` for
:func:`.parse.parse_target`); see :class:`Component` for what it implements.

>>> from w2s_theory._src.targets import Degree, parse_target
>>> t = Degree(1) + 0.5 * Degree(2)
>>> 2 * t == 2 * Degree(1) + Degree(2)           # weights multiply: 2 (a + b) = 2a + 2b
True
>>> sum([Degree(1), Degree(2) * 0.5]) == t == parse_target(str(t))
True
>>> str(t), str(-t)
('degree:1 + 0.5*degree:2', '-1*degree:1 + -0.5*degree:2')
"""

from __future__ import annotations

import abc
import dataclasses
from dataclasses import dataclass, field
from fractions import Fraction
from typing import ClassVar

from ..errors import InvalidArgument
from .exact import exact, format_number, is_number

__all__ = ["Component", "Target", "SphereParts"]


@dataclass(frozen=True)
class SphereParts:
    r"""What the exact simulator on the sphere needs of a component, zonal in
    :math:`\beta`: :math:`f(x) = \sum_{(k, A)} A \sqrt{N(d,k)} P_k(\langle\beta,x\rangle)
    + \sum_{(v, g)} v\, g(\langle\beta,x\rangle)`, ``poly`` the pairs ``(k, A)`` (floats,
    weight included), ``ridges`` the pairs ``(v, g)`` (``g`` an :class:`Activation`; the
    simulator takes its cross-kernel with the features)."""

    poly: tuple = ()
    ridges: tuple = ()


@dataclass(frozen=True)
class Component(abc.ABC):
    """One kind of target function with an exact ``weight`` (keyword only, default 1).

    A subclass is a frozen dataclass that sets the class attribute ``form`` (its name in
    the string grammar ``[WEIGHT*]form:ARGUMENT``, and optional ``aliases``); defining it
    registers it. It implements

    * ``parse(argument)`` (classmethod) and ``argument()``, inverse to each other, so that
      ``str(c)`` parses back to ``c``;
    * ``max_block`` (property): its last block with energy, ``None`` if infinitely many;
    * ``amplitudes(spectrum, K, precision)``: its unweighted signed amplitudes
      ``[(k, a_k)]`` for ``k < K``, in the working precision (called inside
      ``precision.context()``);
    * if ``max_block`` is ``None``: ``tail(bound, components, K, q_max, log_bar,
      precision)`` (classmethod): the :class:`.bound.TargetTail` of the blocks ``k >= K``
      of the given components of its class (their amplitudes add before squaring);
      and ``tail_start(spectrum)`` if its tail sums start later than the spectrum's;

    and, as needed, ``validate(spectrum)`` (the spectra it applies to; call
    ``super().validate``, which checks that its blocks exist) and ``sphere_parts()``
    (for the exact simulator on the sphere).

    Components in several directions (a two-layer network: ``multi_direction = True``),
    and every component of a target on Gaussian inputs that is a function of ``x``
    rather than given in the kernel's eigenbasis (``eigenbasis = False``), are bound
    through :class:`.atoms.AtomModel`, which asks ``atoms(d, law, precision)``: the
    component, unweighted, as ridges and harmonics (:mod:`.atoms`); energies per
    block, cross terms with the other components, tails and floors follow from them.
    Its numbers go through
    :func:`.exact.exact` in ``__post_init__`` (after ``super().__post_init__()``), and
    reach the working precision only in ``precision.scalar``. Every error is
    ``InvalidArgument("target", message)``.
    """

    form: ClassVar[str] = ""
    aliases: ClassVar[tuple] = ()
    #: given in the kernel's eigenbasis (degree, energies), not as a function of x
    eigenbasis: ClassVar[bool] = False
    #: made of ridges in several directions (bound through the atom model)
    multi_direction: ClassVar[bool] = False
    #: form name (and aliases) -> class, filled in by subclass definitions
    forms: ClassVar[dict] = {}

    weight: Fraction = field(default=Fraction(1), kw_only=True)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("form"):
            return
        names = (cls.form,) + tuple(cls.aliases)
        for name in names:
            old = Component.forms.get(name)
            if old is not None and (old.__module__, old.__qualname__) != \
                    (cls.__module__, cls.__qualname__):
                raise TypeError(f"target form {name!r} is already {old.__qualname__}")
        Component.forms.update(dict.fromkeys(names, cls))

    def __post_init__(self):
        self._set("weight", exact(self.weight, "weight"))

    def _set(self, name, value):
        object.__setattr__(self, name, value)

    # -- algebra -----------------------------------------------------------------------
    __array_ufunc__ = None          # numpy scalars defer to __rmul__

    def __add__(self, other):
        return Target((self,)) + other

    def __radd__(self, other):
        return Target((self,)).__radd__(other)

    def __sub__(self, other):
        return Target((self,)) - other

    def __mul__(self, number):
        if not is_number(number):
            return NotImplemented
        return dataclasses.replace(self, weight=self.weight * exact(number))

    __rmul__ = __mul__

    def __neg__(self):
        return dataclasses.replace(self, weight=-self.weight)

    def __str__(self):
        w = "" if self.weight == 1 else f"{format_number(self.weight)}*"
        return f"{w}{self.form}:{self.argument()}"

    def bind(self, spectrum):
        """The component alone as a target, bound to ``spectrum``."""
        return Target((self,)).bind(spectrum)

    # -- behaviour (see the class docstring) -------------------------------------------
    @classmethod
    @abc.abstractmethod
    def parse(cls, argument: str) -> "Component":
        """The component (weight 1) from the text after ``form:``."""

    @abc.abstractmethod
    def argument(self) -> str:
        """The text after ``form:`` (``parse`` of it is this component, weight 1)."""

    @property
    @abc.abstractmethod
    def max_block(self):
        """The last block with energy, ``None`` for infinitely many."""

    @abc.abstractmethod
    def amplitudes(self, spectrum, K: int, precision) -> list:
        """``[(k, a_k)]``, unweighted, for ``k < K`` (inside ``precision.context()``)."""

    def validate(self, spectrum):
        """Raise if the component does not apply to ``spectrum`` (its blocks exist)."""
        top, n = self.max_block, spectrum.n_blocks
        if n is not None and top is not None and top >= n:
            raise InvalidArgument("target", f"block {top} does not exist: the spectrum "
                                  f"has {n} blocks")

    def tail_start(self, spectrum) -> int:
        """Tail sums of this component are available from this block on."""
        top = self.max_block
        return 0 if top is None else top + 1

    @classmethod
    def tail(cls, bound, components, K, q_max, log_bar, precision):
        """Tail of ``components`` (of this class, infinitely many blocks) from ``K``."""
        raise InvalidArgument("target", f"{cls.form} targets have no tail sums on "
                              f"{bound.spectrum!r}")

    def sphere_parts(self) -> SphereParts:
        """Its polynomial and single-index parts on the sphere (exact simulator)."""
        raise InvalidArgument("target", f"{self.form} targets are not on the sphere")

    def atoms(self, d: int, law, precision) -> list:
        """The component, unweighted, as :class:`.atoms.Ridge` and
        :class:`.atoms.Harmonic` atoms at dimension ``d`` (``law``: the inputs'
        :class:`.atoms.RadialLaw`), in the working precision."""
        raise InvalidArgument("target", f"{self.form} targets cannot be combined with "
                              "network targets or used on gaussian inputs")


@dataclass(frozen=True)
class Target:
    """A target function: a sum of weighted components (see the module docstring).

    ``Target((c1, c2, ...))``, or ``c1 + c2 + ...``; a string is read by
    :func:`.parse.parse_target`.
    """

    components: tuple

    def __post_init__(self):
        comps = self.components
        if isinstance(comps, Component):
            comps = (comps,)
        try:
            comps = tuple(comps)
        except TypeError:
            raise InvalidArgument("target", f"expected target components, got "
                                  f"{comps!r}") from None
        if not comps:
            raise InvalidArgument("target", "a target needs at least one component")
        for c in comps:
            if not isinstance(c, Component):
                raise InvalidArgument("target", f"expected target components, got {c!r}")
        object.__setattr__(self, "components", comps)

    __array_ufunc__ = None

    def __str__(self):
        return " + ".join(str(c) for c in self.components)

    def __add__(self, other):
        if isinstance(other, Component):
            other = Target((other,))
        if not isinstance(other, Target):
            return NotImplemented
        return Target(self.components + other.components)

    def __radd__(self, other):
        if isinstance(other, Component):
            return Target((other,) + self.components)
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self                                         # sum([...])
        return NotImplemented

    def __sub__(self, other):
        if not isinstance(other, (Component, Target)):
            return NotImplemented
        return self + (-other)

    def __mul__(self, number):
        if not is_number(number):
            return NotImplemented
        return Target(tuple(c * number for c in self.components))

    __rmul__ = __mul__

    def __neg__(self):
        return Target(tuple(-c for c in self.components))

    def bind(self, spectrum):
        """The target's energies in the eigenspaces of ``spectrum``."""
        from .bound import BoundTarget

        return BoundTarget(self, spectrum)
