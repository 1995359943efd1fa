r"""Two-layer network targets: :math:`f^*(x) = \sum_{j=1}^{W} a_j\, g(\langle v_j, x\rangle)`.

Written ``network:G,width=W,seed=S[,standardize]`` (directions and output weights drawn
as the seed paper's code draws them: :math:`v_j \sim N(0, I_d)` - the columns of
``torch.randn(d, W)`` - and :math:`a_j \sim N(0, 1)`, here from
``numpy.random.default_rng(S)``: the same laws, not torch's stream), or
``network:FILE[,g=G][,standardize]`` with the directions ``V`` (``W x d``) and the
output weights ``a`` (``W``) in a file:

* ``.npz``: arrays ``V`` and ``a`` (and optionally a string ``activation``);
* ``.json``: ``{"V": [[...], ...], "a": [...], "activation": "relu"}`` (activation
  optional);
* ``.npy``: one ``W x (d + 1)`` array, rows :math:`(v_j, a_j)`.

``g`` defaults to the file's activation, else ReLU. ``standardize`` rescales the target
to unit variance and removes its mean, under the setting's input law (the paper's code
standardizes each sample by its own mean and standard deviation; here the population
values: :math:`(f^* - E f^*) / \mathrm{sd}(f^*)`).

``g`` must be a piecewise-power function (ReLU, step, ReLU powers, abs, sign, leaky ReLU,
``linear``, ``poly:...``): its homogeneous pieces :math:`g_q(u) = a_q u_+^q + b_q
(-u)_+^q` satisfy :math:`g_q(\langle v, x\rangle) = |v|^q g_q(\langle \hat v, x\rangle)`,
so the network is a sum of ridge functions in unit directions :math:`\hat v_j` with
weights :math:`a_j |v_j|^q`, one coefficient sequence per piece, and all energies, cross
terms and parity masses have closed forms (:mod:`.atoms`). Functions without closed-form
coefficients (tanh, erf, ...) are refused.

On the sphere the degree-k energy is (Funk-Hecke across directions; ``THEORY.md`` 2)

.. math:: B_k = c_k(g)^2 N(d,k) \sum_{j,j'} \alpha_j\alpha_{j'} P_k(\langle\hat v_j,
          \hat v_{j'}\rangle), \qquad \alpha_j = a_j |v_j|^q,

which is not the square of a signed amplitude along one direction: the bound target
computes it per block (:class:`.atoms.AtomModel`).

>>> t = Network("relu", width=3, seed=0)
>>> str(t), parse_network_roundtrip(t)
('network:relu,width=3,seed=0', True)
>>> V, a = t.raw(4)
>>> V.shape, a.shape
((3, 4), (3,))
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..activations import Activation, get_activation
from ..errors import InvalidArgument
from .base import Component
from .atoms import Ridge, homogeneous_pieces

__all__ = ["Network", "parse_network_roundtrip"]

_FILE_SUFFIXES = (".npz", ".npy", ".json")


def _activation(g) -> Activation:
    try:
        act = get_activation(g)
    except InvalidArgument as exc:
        raise InvalidArgument("target", exc.message) from None
    if act.family is None:
        raise InvalidArgument(
            "target", f"network targets need a piecewise-power g (relu, step, relu^p, abs, "
            f"sign, leaky_relu, linear, poly:...) with closed-form coefficients, got "
            f"{act.name!r}")
    return act


def _is_file(text: str) -> bool:
    return text.lower().endswith(_FILE_SUFFIXES)


@dataclass(frozen=True)
class Network(Component):
    """``network:...``: a two-layer network (see the module docstring).

    Give ``width`` (and ``seed``, default 0) for seeded random directions, or ``file``.
    """

    form: ClassVar[str] = "network"
    aliases: ClassVar[tuple] = ("net", "two-layer")
    #: directions differ: energies per block, not amplitudes along one direction
    multi_direction: ClassVar[bool] = True

    g: object = None
    width: int | None = None
    seed: int | None = None
    file: str | None = None
    standardize: bool = False

    def __post_init__(self):
        super().__post_init__()
        if self.file is None and self.width is None:
            raise InvalidArgument("target", "network: give width=W (seeded random "
                                  "directions) or a file of directions")
        if self.file is not None and (self.width is not None or self.seed is not None):
            raise InvalidArgument("target", "network: give either a file or width and "
                                  "seed, not both")
        if self.width is not None:
            w = self.width
            if isinstance(w, str):
                try:
                    w = int(w.strip())
                except ValueError:
                    raise InvalidArgument("target", f"network width must be a positive "
                                          f"integer, got {self.width!r}") from None
            if isinstance(w, bool) or not isinstance(w, (int, np.integer)) or w < 1:
                raise InvalidArgument("target", f"network width must be a positive "
                                      f"integer, got {self.width!r}")
            self._set("width", int(w))
            seed = 0 if self.seed is None else self.seed
            try:
                ok = not isinstance(seed, bool) and int(seed) == seed and int(seed) >= 0
            except (TypeError, ValueError):
                ok = False
            if not ok:
                raise InvalidArgument("target", f"network seed must be an integer >= 0, "
                                      f"got {self.seed!r}")
            self._set("seed", int(seed))
        if not isinstance(self.standardize, bool):
            raise InvalidArgument("target", f"network standardize must be true or false, "
                                  f"got {self.standardize!r}")
        if isinstance(self.g, str):
            self._set("g", self.g.strip().lower())
        if self.file is not None:
            self._set("file", str(self.file))
            self._load()                       # errors now, at parse time
        if self.g is not None:
            _activation(self.g)
        else:
            self._set("g", None)
        self.activation()                      # checks the file's activation too

    # -- the string form ---------------------------------------------------------------
    @classmethod
    def parse(cls, argument):
        items = [s.strip() for s in argument.split(",")]
        opts, head = {}, []
        for item in items:
            key, eq, val = item.partition("=")
            key = key.strip().lower()
            if eq and key in ("width", "seed", "g", "activation", "file", "standardize"):
                opts[key] = val.strip()
            elif not eq and key == "standardize":
                opts["standardize"] = "true"
            elif eq:
                raise InvalidArgument("target", f"network: unknown option {key!r} "
                                      "(known: width, seed, standardize, g, file)")
            else:
                head.append(item)
        head_text = ",".join(head)
        g = opts.pop("g", None) or opts.pop("activation", None)
        file = opts.pop("file", None)
        if head_text:
            if _is_file(head_text) and file is None:
                file = head_text
            elif g is None:
                g = head_text
            else:
                raise InvalidArgument("target", f"network: cannot read {head_text!r}")
        std = opts.pop("standardize", "false").lower()
        if std not in ("true", "false"):
            raise InvalidArgument("target", f"network standardize must be true or false, "
                                  f"got {std!r}")
        kw = {"standardize": std == "true"}
        for key in ("width", "seed"):
            if key in opts:
                try:
                    kw[key] = int(opts[key])
                except ValueError:
                    raise InvalidArgument("target", f"network {key} must be an integer, "
                                          f"got {opts[key]!r}") from None
        if file is None and g is None:
            g = "relu"
        return cls(g=g, file=file, **kw)

    def argument(self):
        g = None if self.g is None else (self.g if isinstance(self.g, str)
                                         else _activation(self.g).name)
        if self.file is not None:
            out = self.file + ("" if g is None else f",g={g}")
        else:
            out = f"{g},width={self.width},seed={self.seed}"
        return out + (",standardize" if self.standardize else "")

    # -- the network -------------------------------------------------------------------
    def activation(self) -> Activation:
        """``g``: given, else the file's ``activation``, else ReLU."""
        if self.g is not None:
            return _activation(self.g)
        if self.file is not None:
            name = self._load()[2]
            if name is not None:
                return _activation(name)
        return _activation("relu")

    def _load(self):
        """``(V, a, activation name or None)`` from the file (cached)."""
        cache = self.__dict__.setdefault("_file_cache", {})
        if "data" in cache:
            return cache["data"]
        path = os.path.expanduser(self.file)
        name = None
        try:
            if path.lower().endswith(".npz"):
                with np.load(path, allow_pickle=False) as z:
                    missing = [k for k in ("V", "a") if k not in z.files]
                    if missing:
                        raise InvalidArgument("target", f"network file {self.file}: no "
                                              f"array {missing[0]!r} (needs V and a)")
                    V, a = np.asarray(z["V"]), np.asarray(z["a"])
                    if "activation" in z.files:
                        name = str(z["activation"])
            elif path.lower().endswith(".npy"):
                arr = np.asarray(np.load(path, allow_pickle=False))
                if arr.ndim != 2 or arr.shape[1] < 2:
                    raise InvalidArgument("target", f"network file {self.file}: expected "
                                          f"a W x (d + 1) array of rows (v_j, a_j), got "
                                          f"shape {arr.shape}")
                V, a = arr[:, :-1], arr[:, -1]
            elif path.lower().endswith(".json"):
                with open(path, encoding="utf-8") as fh:
                    data = json.load(fh)
                if not isinstance(data, dict) or "V" not in data or "a" not in data:
                    raise InvalidArgument("target", f"network file {self.file}: expected "
                                          'an object with "V" and "a"')
                V, a = np.asarray(data["V"]), np.asarray(data["a"])
                name = data.get("activation")
            else:
                raise InvalidArgument("target", f"network file {self.file}: expected a "
                                      ".npz, .npy or .json file")
        except InvalidArgument:
            raise
        except (OSError, ValueError, TypeError, json.JSONDecodeError) as exc:
            msg = getattr(exc, "strerror", None) or str(exc).splitlines()[0] if str(exc) \
                else type(exc).__name__
            raise InvalidArgument("target", f"network file {self.file}: cannot read it "
                                  f"({msg})") from None
        V, a = _check_arrays(V, a, self.file)
        cache["data"] = (V, a, name)
        return cache["data"]

    def raw(self, d: int):
        """``(V, a)``: the directions (``W x d``, float64) and output weights at
        dimension ``d`` (seeded: drawn for this ``d``; file: checked against it)."""
        if self.file is not None:
            V, a, _ = self._load()
            if V.shape[1] != d:
                raise InvalidArgument("target", f"network file {self.file}: directions "
                                      f"have {V.shape[1]} coordinates but the inputs have "
                                      f"d = {d}")
            return V, a
        cache = self.__dict__.setdefault("_draws", {})
        if d not in cache:
            rng = np.random.default_rng(self.seed)
            V = rng.standard_normal((self.width, d))
            a = rng.standard_normal(self.width)
            cache[d] = (V, a)
        return cache[d]

    # -- Component ---------------------------------------------------------------------
    @property
    def max_block(self):
        return None

    def amplitudes(self, spectrum, K, precision):
        raise InvalidArgument("target", "network targets have energies per block, not "
                              "amplitudes along one direction")          # pragma: no cover

    def validate(self, spectrum):
        from .atoms import check_atom_spectrum

        check_atom_spectrum(spectrum, self.form)

    def sphere_parts(self):
        raise InvalidArgument("target", "network targets are not zonal: the simulator "
                              "takes their atoms")                        # pragma: no cover

    def atoms(self, d, law, precision):
        """Ridges (one per homogeneous piece of ``g``, unit directions, weights
        :math:`a_j |v_j|^q`), standardized under ``law`` if asked (a constant ridge
        carries the mean). Unweighted by the component's weight."""
        V, a = self.raw(d)
        p = precision
        g = self.activation()
        pieces = homogeneous_pieces(g)
        with p.context():
            if p.is_float:
                norms = np.sqrt(np.einsum("ij,ij->i", V, V))
                U = V / norms[:, None]
                A = a.astype(float)
            else:
                Vm = p.array(V)
                norms = np.array([p.sqrt(p.sum(row * row)) for row in Vm], dtype=object)
                U = Vm / norms[:, None]
                A = p.array(a)
            out = [Ridge(piece, q, U, A * norms ** q if q else A.copy())
                   for q, piece in pieces]
            if self.standardize:
                out = law.standardize(out, d, p, what=str(self))
        return out


def _check_arrays(V, a, where):
    try:
        V = np.asarray(V, dtype=float)
        a = np.asarray(a, dtype=float)
    except (TypeError, ValueError):
        raise InvalidArgument("target", f"network file {where}: V and a must be numbers") \
            from None
    if V.ndim != 2 or V.shape[0] < 1 or V.shape[1] < 1:
        raise InvalidArgument("target", f"network file {where}: V must be a W x d array, "
                              f"got shape {V.shape}")
    if a.ndim != 1 or a.shape[0] != V.shape[0]:
        raise InvalidArgument("target", f"network file {where}: a must have one weight per "
                              f"direction ({V.shape[0]}), got shape {a.shape}")
    bad = ~np.isfinite(V).all(axis=1)
    if bad.any():
        raise InvalidArgument("target", f"network file {where}: directions must be finite "
                              f"(row {int(np.nonzero(bad)[0][0])} is not)")
    if not np.isfinite(a).all():
        raise InvalidArgument("target", f"network file {where}: output weights must be "
                              "finite")
    zero = ~(V != 0).any(axis=1)
    if zero.any():
        raise InvalidArgument("target", f"network file {where}: direction "
                              f"{int(np.nonzero(zero)[0][0])} is zero")
    return V, a


def parse_network_roundtrip(t: Network) -> bool:
    """Whether ``str(t)`` parses back to ``t`` (doctest helper)."""
    from .parse import parse_target

    return parse_target(str(t)).components == (t,)

