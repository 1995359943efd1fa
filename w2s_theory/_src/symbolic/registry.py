r"""The registry of named closed forms: name -> sympy expression, with parameters.

Every entry is *obtained* from the one module where its formula lives (``sphere``,
``activations``, ``kernels``, ``theory.expressions``, ``bounds``, or the asymptotic
derivations of :mod:`.asymptotics`); the registry only names it, documents it, checks
parameter values and substitutes them. The LaTeX export (``w2s latex``), the generated
formula reference (``docs/formulas.md``) and the lambdified functions all read the same
entries, so they cannot drift apart.

A :class:`Parameter` is either *symbolic* (a sympy symbol of the expression, replaced by
a value on substitution: ``dim=6``) or *structural* (an argument of the builder that
selects the expression, e.g. the power ``p`` of :math:`u_+^p`).

>>> e = expression("multiplicity", dim=3, degree=4)
>>> e
9
>>> latex("multiplicity", dim=3)          # N(3, 0) = 1 = 2*0 + 1: one branch left
'2 k + 1'
>>> latex("multiplicity", dim=2)
'\\begin{cases} 1 & \\text{for}\\: k = 0 \\\\2 & \\text{otherwise} \\end{cases}'
"""

from __future__ import annotations

import difflib
import numbers
from dataclasses import dataclass, field
from typing import Callable

import sympy as sp

from ..errors import InvalidArgument

__all__ = ["Parameter", "Entry", "register", "names", "entries", "get_entry", "expression",
           "latex", "parse_value", "SECTIONS"]

#: Sections, in document order.
SECTIONS = [
    "Sphere",
    "Activations (Funk-Hecke coefficients)",
    "Kernels",
    "Deterministic equivalents",
    "Finite-width student",
    "Student lower bound",
    "Asymptotics: large teacher width at fixed dimension",
    "Asymptotics: high dimension with teacher width d^kappa",
]


@dataclass(frozen=True)
class Parameter:
    """A parameter of an expression, with its domain.

    ``name`` is the keyword of :func:`expression` / :func:`latex` and, with ``_``
    turned into ``-``, the option of ``w2s latex`` (``teacher_width`` ->
    ``--teacher-width``).
    """

    name: str
    description: str
    symbol: sp.Symbol | None = None       # None: structural (passed to the builder)
    integer: bool = False
    minimum: object = None
    maximum: object = None
    strict_min: bool = False
    strict_max: bool = False
    default: object = None                # structural parameters only
    excluded: tuple = ()                  # isolated values outside the domain
    domain_note: str = ""                 # why (appended to the error message)

    @property
    def structural(self) -> bool:
        return self.symbol is None

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")

    def domain_text(self) -> str:
        """The domain in words, e.g. ``integer >= 2`` or ``real in (1, 6)``."""
        kind = "integer" if self.integer else "real"
        lo, hi = self.minimum, self.maximum
        if lo is not None and hi is not None:
            text = (f"{kind} in {'(' if self.strict_min else '['}{lo}, {hi}"
                    f"{')' if self.strict_max else ']'}")
        elif lo is not None:
            text = f"{kind} {'>' if self.strict_min else '>='} {lo}"
        elif hi is not None:
            text = f"{kind} {'<' if self.strict_max else '<='} {hi}"
        else:
            text = kind
        if self.excluded:
            text += ", not " + ", ".join(str(x) for x in self.excluded)
        return text

    def check(self, value):
        """``value`` as an exact sympy number inside the domain, or :class:`InvalidArgument`."""
        v = parse_value(self.name, value)
        note = f" ({self.domain_note})" if self.domain_note else ""
        if self.integer and not v.is_integer:
            raise InvalidArgument(self.name, f"must be an integer, got {value}{note}")
        lo, hi = self.minimum, self.maximum
        bad = ((lo is not None and (v < lo or (self.strict_min and v == lo)))
               or (hi is not None and (v > hi or (self.strict_max and v == hi)))
               or any(v == x for x in self.excluded))
        if bad:
            raise InvalidArgument(self.name, f"must be {self.domain_text()}, got {value}"
                                             f"{note}")
        return int(v) if self.structural and self.integer else v


def parse_value(name: str, value):
    """An exact sympy number from a string (``"0.3"`` is 3/10, ``"3/2"``, ``"1e-3"``),
    an int, a float, a ``Fraction`` or a sympy number."""
    if isinstance(value, bool) or value is None:
        raise InvalidArgument(name, f"must be a number, got {value!r}")
    try:
        if isinstance(value, str):
            v = sp.Rational(value.strip())
        elif isinstance(value, sp.Basic):
            v = sp.nsimplify(value) if value.is_Float else value
        elif isinstance(value, numbers.Integral):
            v = sp.Integer(int(value))
        elif isinstance(value, numbers.Rational):
            v = sp.Rational(value.numerator, value.denominator)
        elif isinstance(value, numbers.Real):
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError
            v = sp.Rational(repr(float(value)))
        else:
            raise TypeError
    except (TypeError, ValueError, SyntaxError, sp.SympifyError):
        raise InvalidArgument(name, f"must be a finite number, got {value!r}") from None
    if not (v.is_number and v.is_real and v.is_finite):
        raise InvalidArgument(name, f"must be a finite real number, got {value!r}")
    return v


@dataclass(frozen=True)
class Entry:
    """A named closed form.

    ``builder(**structural)`` returns the sympy expression; ``source`` names the function
    of the lower module it comes from (the one place it lives); ``lhs`` is the LaTeX of
    what it defines (``N(d, k)``), used by the document; ``notes`` (free text, may hold
    ``$...$``) describe validity and error rates; ``relation(values)`` checks constraints
    between several parameter values (raises :class:`InvalidArgument`).
    """

    name: str
    description: str
    section: str
    source: str
    builder: Callable = field(repr=False)
    parameters: tuple = ()
    lhs: str = ""
    notes: str = ""
    relation: Callable | None = field(default=None, repr=False)

    def parameter(self, name: str) -> Parameter | None:
        for p in self.parameters:
            if p.name == name:
                return p
        return None

    @property
    def symbolic_parameters(self) -> tuple:
        return tuple(p for p in self.parameters if not p.structural)

    @property
    def structural_parameters(self) -> tuple:
        return tuple(p for p in self.parameters if p.structural)

    def build(self, **structural):
        kwargs = {p.name: p.default for p in self.structural_parameters}
        kwargs.update(structural)
        return _cached_build(self.name, tuple(sorted(kwargs.items())))


_REGISTRY: dict[str, Entry] = {}
_CACHE: dict = {}


def _cached_build(name, key):
    if (name, key) not in _CACHE:
        _CACHE[(name, key)] = _REGISTRY[name].builder(**dict(key))
    return _CACHE[(name, key)]


def register(entry: Entry) -> Entry:
    """Add an entry (the name must be new, the section known)."""
    if entry.name in _REGISTRY:
        raise InvalidArgument("name", f"expression {entry.name!r} is already registered")
    if entry.section not in SECTIONS:
        raise InvalidArgument("section", f"unknown section {entry.section!r}")
    _REGISTRY[entry.name] = entry
    return entry


def names() -> list[str]:
    """Registered names, in document order (by section, then registration)."""
    order = {s: i for i, s in enumerate(SECTIONS)}
    return [e.name for e in sorted(_REGISTRY.values(), key=lambda e: order[e.section])]


def entries() -> list[Entry]:
    return [_REGISTRY[n] for n in names()]


def get_entry(name: str) -> Entry:
    """The entry called ``name``; an unknown name lists the close matches."""
    if not isinstance(name, str) or name not in _REGISTRY:
        text = str(name)
        close = difflib.get_close_matches(text, list(_REGISTRY), n=4, cutoff=0.5)
        if not close:
            close = [n for n in _REGISTRY if text and text.lower() in n][:4]
        hint = f"; did you mean {', '.join(close)}?" if close else \
            "; 'w2s latex --list' shows the names"
        raise InvalidArgument("name", f"unknown expression {text!r}{hint}")
    return _REGISTRY[name]


def _split(entry: Entry, params: dict):
    """Validated (structural kwargs, {symbol: value}) from keyword parameters."""
    structural, subs, values = {}, {}, {}
    for key, value in params.items():
        p = entry.parameter(key)
        if p is None:
            known = ", ".join(q.name for q in entry.parameters) or "none"
            raise InvalidArgument(key, f"the expression {entry.name!r} has no parameter "
                                       f"{key!r} (its parameters: {known})")
        v = p.check(value)
        values[key] = v
        if p.structural:
            structural[key] = v
        else:
            subs[p.symbol] = v
    if entry.relation is not None and values:
        entry.relation(values)
    return structural, subs


def expression(name: str, **params):
    """The expression ``name``, built with its structural parameters and with the
    symbolic ones substituted (values checked against their domains)."""
    entry = get_entry(name)
    structural, subs = _split(entry, params)
    expr = entry.build(**structural)
    if not subs:
        return expr
    return tidy(expr.subs(subs))


def tidy(expr):
    """Light simplification after a substitution (exact; never slower than ~1 s)."""
    if isinstance(expr, sp.Equality):
        return expr.func(tidy(expr.lhs), tidy(expr.rhs))
    if expr.has(sp.Sum, sp.Order) or expr.count_ops() > 400:
        return expr
    if not expr.free_symbols:
        return sp.simplify(sp.gammasimp(expr))
    cand = sp.simplify(expr)
    # with symbols left (e.g. the degree k), keep the original form unless simplify only
    # shortened it: no new imaginary units or trigonometric functions from (-1)^(k/2)
    new_funcs = ({type(f) for f in cand.atoms(sp.Function)}
                 - {type(f) for f in expr.atoms(sp.Function)})
    if (cand.has(sp.I) and not expr.has(sp.I)) or new_funcs or \
            sp.count_ops(cand) > sp.count_ops(expr):
        return expr
    return cand


def latex(name: str, evalf: int | None = None, **params) -> str:
    r"""LaTeX of :func:`expression` (``evalf``: a numeric value with that many digits,
    for expressions whose parameters are all given)."""
    expr = expression(name, **params)
    if evalf is not None:
        if getattr(expr, "free_symbols", None):
            entry = get_entry(name)
            missing = [p.name for p in entry.symbolic_parameters
                       if p.symbol in expr.free_symbols]
            raise InvalidArgument("evalf", f"needs every parameter of {name!r}; not given: "
                                           f"{', '.join(missing)}")
        expr = sp.N(expr, int(evalf))
    return sp.latex(expr)
