r"""The string form of targets (the command line's ``--target``).

Grammar: components joined by ``+``, each ``[WEIGHT*]FORM:ARGUMENT``; ``WEIGHT`` is a
decimal (``0.5``, ``-2``, ``1e-3``) or a ratio (``1/3``), kept exact (:mod:`.exact`);
``FORM`` names a :class:`.base.Component` subclass (a subclass registers its form when it
is defined, see ``Component.forms``), which parses ``ARGUMENT``. ``str`` of a target is
in this grammar and parses back to an equal target.

>>> t = parse_target("degree:1 + 1/3*energies:2=0.25 + 2*single-index:relu")
>>> parse_target(str(t)) == t and str(t)
'degree:1 + 1/3*energies:2=0.25 + 2*single-index:relu'
"""

from __future__ import annotations

import dataclasses
import difflib
import re

from ..errors import InvalidArgument
from .base import Component, Target
from .exact import exact

__all__ = ["parse_target"]

_COMPONENT_RE = re.compile(r"^\s*(?:([-+0-9.eE/]+)\s*\*\s*)?([a-z\-]+)\s*:\s*(.+?)\s*$")


def parse_target(spec) -> Target:
    """Parse a target description (a :class:`Target` passes through; a component becomes
    a one-component target). Every error is ``InvalidArgument("target", ...)``.

    >>> str(parse_target("energies:0=0.5,2=0.25"))
    'energies:0=0.5,2=0.25'
    """
    if isinstance(spec, Target):
        return spec
    if isinstance(spec, Component):
        return Target((spec,))
    if not isinstance(spec, str) or not spec.strip():
        raise InvalidArgument("target", f"expected a target description, got {spec!r}")
    return Target(tuple(_component(part) for part in _split_sum(spec)))


def _component(part: str) -> Component:
    m = _COMPONENT_RE.match(part)
    if not m:
        raise InvalidArgument("target", f"cannot parse {part.strip()!r}; expected forms "
                              "like degree:1, energies:0=0.5,1=1, single-index:relu, "
                              "power-law:2, linear:1,0.5, joined with '+'")
    weight_s, form, arg = m.groups()
    try:
        weight = exact(weight_s) if weight_s else 1
    except InvalidArgument:
        raise InvalidArgument("target", f"bad weight {weight_s!r} in "
                              f"{part.strip()!r}") from None
    cls = Component.forms.get(form)
    if cls is None:
        names = sorted({c.form for c in Component.forms.values()})
        close = difflib.get_close_matches(form, names, n=2)
        hint = f" (did you mean {' or '.join(close)}?)" if close else \
            f" (known: {', '.join(names)})"
        raise InvalidArgument("target", f"unknown target form {form!r}{hint}")
    try:
        comp = cls.parse(arg)
    except InvalidArgument as exc:
        raise InvalidArgument("target", f"{exc.message} in {part.strip()!r}") from None
    return comp if weight == 1 else dataclasses.replace(comp, weight=weight)


def _split_sum(spec: str):
    # split on '+' that are not part of a number's exponent (1e+3) or a leading sign
    parts, cur = [], ""
    for ch in spec:
        if ch == "+" and cur.strip() and not re.search(r"[0-9.][eE]$", cur):
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p for p in parts if p.strip()]
