"""Heavy modules imported on first use (issue 15: a command line that answers at once).

``import w2s_theory`` and the command line load only numpy and mpmath; sympy (the
closed forms), ``scipy.special`` (a few special functions), matplotlib and the simulation
stack load when something needs them. A module that uses sympy in its functions binds

>>> from w2s_theory._src.lazy import lazy_module
>>> sp = lazy_module("sympy")

and writes ``sp.symbols(...)`` as before: the first attribute read imports sympy (then
every later read is a plain instance-dict lookup). The proxy is not put in
``sys.modules``, so ``"sympy" in sys.modules`` stays a true answer to "was sympy
imported?". Module-level objects built with sympy (symbols) are served by the module's
``__getattr__`` (PEP 562) through :func:`lazy_attributes`.
"""

from __future__ import annotations

import importlib

__all__ = ["lazy_module", "LazyModule", "lazy_attributes"]


class LazyModule:
    """A stand-in for the module ``name``, imported at the first attribute read."""

    def __init__(self, name: str):
        object.__setattr__(self, "_lazy_name", name)

    def _load(self):
        module = importlib.import_module(self._lazy_name)
        # every later read finds the attribute in the instance dict (no __getattr__)
        self.__dict__.update(module.__dict__)
        object.__setattr__(self, "_lazy_module", module)
        return module

    def __getattr__(self, attr):
        if attr.startswith("_lazy_"):
            raise AttributeError(attr)
        module = self.__dict__.get("_lazy_module") or self._load()
        return getattr(module, attr)            # e.g. a submodule imported later

    def __repr__(self):
        state = "loaded" if "_lazy_module" in self.__dict__ else "not loaded"
        return f"<lazy module {self._lazy_name!r} ({state})>"

    def __dir__(self):
        return dir(self.__dict__.get("_lazy_module") or self._load())


def lazy_module(name: str) -> LazyModule:
    """A :class:`LazyModule` for ``name`` (``"sympy"``, ``"scipy.special"``, ...)."""
    return LazyModule(name)


def lazy_attributes(namespace: dict, builders: dict):
    """A module ``__getattr__`` serving ``builders[name]()`` for the names in
    ``builders``, built once and then stored in the module's ``namespace`` (its
    ``globals()``), so that later reads - also of the bare name inside the module's
    functions - find it directly.

    >>> ns = {"__name__": "m"}
    >>> ns["__getattr__"] = lazy_attributes(ns, {"x": lambda: [1, 2]})
    >>> ns["__getattr__"]("x"), ns["x"]
    ([1, 2], [1, 2])
    """
    module_name = namespace.get("__name__", "?")

    def __getattr__(name):
        build = builders.get(name)
        if build is None:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        value = build()
        namespace[name] = value
        return value

    return __getattr__
