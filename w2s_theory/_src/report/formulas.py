r"""The LaTeX snippet of the formulas a report uses.

The formulas come from the symbolic registry (:mod:`w2s_theory._src.symbolic`, the one
place where the package's closed forms are named, and what ``w2s latex`` prints): the
sphere's multiplicities, the activation's Funk-Hecke coefficients, eigenvalues and
kernel when they have closed forms (also with the setting's dimension substituted), the
deterministic equivalents of the teacher and the student, and the student's lower
bound. Only if the registry module does not exist does the snippet fall back to the
sympy expressions kept in the lower modules (``sphere``, ``kernels``, ``bounds``).

The snippet needs ``amsmath``; paste it into a document or ``\input`` it.
"""

from __future__ import annotations

import importlib

import sympy as sp

__all__ = ["formulas_latex", "formula_names"]

_THEORY = ["width_equation", "shrinkage", "teacher_risk", "fluctuation_energy",
           "learned_fraction", "student_risk"]
_BOUNDS = ["student_lower_bound", "student_lower_bound_alpha1", "gain_upper_bound",
           "pgr_upper_bound"]


def _registry():
    """The symbolic registry, or ``None`` if that module does not exist."""
    name = f"{__package__.rsplit('.', 1)[0]}.symbolic"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise


def formula_names(setting, names) -> list[tuple[str, dict]]:
    """``(name, parameters)`` of the registry entries a report of ``setting`` uses."""
    out = []
    if setting.family == "sphere":
        act = (setting.activation or "relu").strip()
        d = {"dim": setting.dim}
        out += [("multiplicity", {}), ("multiplicity", d)]
        for key in (f"funk_hecke_{act}", f"eigenvalue_{act}", f"kernel_{act}"):
            if key in names:
                out += [(key, {}), (key, d)]
    out += [(n, {}) for n in _THEORY + _BOUNDS if n in names]
    return out


def _header(setting, version, source):
    widths = ", ".join(str(m) for m in setting.teacher_width)
    return [f"% Formulas used by this report (w2s_theory {version}), from {source}.",
            f"% Setting: {setting.family} features"
            + (f" ({setting.activation}, d = {setting.dim})" if setting.family == "sphere"
               else "") + f", target {setting.target}, teacher widths {widths}.",
            "% Needs \\usepackage{amsmath}. Notation: docs/formulas.md and THEORY.md.", ""]


def formulas_latex(setting, version: str) -> str:
    """The LaTeX snippet for ``setting``."""
    reg = _registry()
    if reg is None:
        return _fallback(setting, version)
    from importlib import import_module

    doc = import_module(f"{reg.__name__}.document")
    lines = _header(setting, version, "the symbolic registry (w2s latex NAME prints each)")
    for name, params in formula_names(setting, set(reg.names())):
        entry = reg.get_entry(name)
        body = reg.latex(name, **params)
        eq = doc.equation_latex(entry, body)
        sub = ", ".join(f"{k} = {v}" for k, v in params.items())
        lines.append(f"% {name}: {entry.description}" + (f" (with {sub})" if sub else ""))
        lines.append(f"% source: {entry.source}")
        label = name + "".join(f"-{k}{v}" for k, v in params.items())
        lines += ["\\begin{equation}", f"\\label{{w2s:{label}}}", eq, "\\end{equation}", ""]
    return "\n".join(lines)


def _fallback(setting, version):
    """Without the registry: the sympy expressions of the lower modules."""
    from .. import bounds, sphere

    lines = _header(setting, version, "the sympy expressions of the package's modules")
    items = []
    if setting.family == "sphere":
        items.append(("N(d, k) =", sphere.multiplicity_expr()))
    items.append(("L_S \\ge", bounds.lower_bound_expr()))
    for lhs, expr in items:
        lines += ["\\begin{equation}", f"{lhs} {sp.latex(expr)}", "\\end{equation}", ""]
    return "\n".join(lines)
