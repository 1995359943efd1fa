"""Exponents along scaling paths (issue 12 item 4): ``exponent_path`` and ``w2s exponent``.

* The derivative along the path against an independent computation: partial derivatives
  by a hard-coded 7-point stencil of :func:`risk_curve` results (float64, step 1; its
  truncation error at d = 100 is far below the tolerance), combined along the path.
* The secant between two close dimensions against the derivative.
* The limit from the asymptotics module (degree-1 target, kappa = 3/2, d = 10^3..10^5):
  the asymptotics tests (``tests/test_symbolic.py``) measured the module's relative
  errors falling like d^(-1/2) at kappa = 3/2. The exponent's distance to its limit 2
  is itself O(d^(1 - kappa)) = O(d^(-1/2)) (L_S = L_T^2 (1 + delta_b), delta_b ~
  d^(1-kappa)), so the module's prediction of the exponent is off by O(d^(-1/2)) of
  O(d^(-1/2)): O(1/d), ten times smaller per decade (slack 1.3), and the distance to 2
  falls by 10^(-1/2) per decade over the last decade (slack 1.3).
* The contract command, the power-law family, the network note, bad input.
"""

from __future__ import annotations

import json
import math
import warnings

import pytest

import w2s_theory as w2s
from w2s_theory import InvalidArgument, exponent_path, risk_curve
from w2s_theory._src.cli import main as cli
from w2s_theory._src.targets import IrreducibleFloorWarning
from w2s_theory._src.theory.exponent import ScalingPath, parse_path

#: 7-point central stencil for f'(0), step 1 (truncation O(h^6))
STENCIL = {-3: -1 / 60, -2: 9 / 60, -1: -45 / 60, 1: 45 / 60, 2: -9 / 60, 3: 1 / 60}


def _logs(d, M, MS=None, target="degree:1"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IrreducibleFloorWarning)
        c = risk_curve(activation="relu", dim=d, target=target, teacher_width=M,
                       student_width=MS)
    return math.log(float(c.teacher_risk)), math.log(float(c.optimal_student_risk))


def _direct_exponent(d, M, kappa, MS=None, gamma=None, h_M=1, h_S=1):
    """d log L_S/d log L_T along M_T = d^kappa (M_S = d^gamma) from partials."""
    def partial(at, x, h):
        out = [0.0, 0.0]
        for j, w in STENCIL.items():
            v = _logs(*at(j * h))
            out[0] += w * v[0]
            out[1] += w * v[1]
        return [o / h * x for o in out]

    pd = partial(lambda s: (d + s, M, MS), d, 1)
    pM = partial(lambda s: (d, M + s, MS), M, h_M)
    A, B = pd[1] + kappa * pM[1], pd[0] + kappa * pM[0]
    if MS is not None:
        pS = partial(lambda s: (d, M, MS + s), MS, h_S)
        A, B = A + gamma * pS[1], B + gamma * pS[0]
    return A / B


@pytest.mark.parametrize("path, MS, gamma, h_S", [
    ("M_T=d^1.5", None, None, 1),
    ("M_T=d^1.5,M_S=d^2.5", 100000, 2.5, 100),
], ids=["infinite-student", "finite-student"])
def test_local_exponent_against_direct_differences(path, MS, gamma, h_S):
    r = exponent_path(activation="relu", target="degree:1", path=path, dims=[100],
                      asymptotics=False)
    assert r.teacher_widths == (1000,) and r.student_widths == (MS,)
    want = _direct_exponent(100, 1000, 1.5, MS, gamma, h_S=h_S)
    got, err = float(r.local_exponent[0]), float(r.local_exponent_error[0])
    assert abs(got - want) < 1e-6, (got, want)
    assert err < 1e-5 and abs(got - want) < err + 1e-7, (got, want, err)
    # the point itself is the engine's
    lt, ls = _logs(100, 1000, MS)
    assert math.log(r.teacher_risk[0]) == lt and math.log(r.optimal_student_risk[0]) == ls


def test_secant_between_close_dimensions_matches_the_derivative():
    """Over d = 990..1010 the secant is the derivative at about 1000 up to the curvature
    (O((10/1000)^2) relative) and the rounding of the widths (1/(2 M_T) of a step of
    3% in M_T): both below 1e-3 of the exponent."""
    near = exponent_path(activation="relu", target="degree:1", path="M_T=d^1.5",
                         dims=[990, 1010], derivative=False, asymptotics=False)
    at = exponent_path(activation="relu", target="degree:1", path="M_T=d^1.5",
                       dims=[1000], asymptotics=False)
    assert near.local_exponent == (None, None)
    assert abs(near.secant_exponent[0] - at.local_exponent[0]) < 1e-3
    lt = [_logs(d, round(d ** 1.5)) for d in (990, 1010)]
    assert math.isclose(near.secant_exponent[0], (lt[1][1] - lt[0][1]) / (lt[1][0] - lt[0][0]),
                        rel_tol=1e-12)


def test_limit_from_the_asymptotics_module():
    dims = [1000, 10000, 100000]
    r = exponent_path(activation="relu", target="degree:1", path="M_T=d^1.5", dims=dims)
    a = r.asymptotic
    assert a["limit"] == 2.0 and a["regime"] == [1, 2]
    e = [float(x) for x in r.local_exponent]
    pred = a["local_exponent"]
    # the derivative is far more accurate than the comparisons below
    assert all(float(x) < 1e-5 for x in r.local_exponent_error)
    # the module's prediction: error O(d^-1/2) relative to e - 2 = O(d^-1/2): O(1/d)
    errs = [abs(x - p) for x, p in zip(e, pred)]
    for r0, r1 in zip(errs, errs[1:]):
        assert 0.1 / 1.3 <= r1 / r0 <= 0.1 * 1.3, errs
    # the distance to the limit: e - 2 ~ d^(1 - kappa) = d^-1/2 (from above)
    gaps = [x - 2 for x in e]
    assert all(g > 0 for g in gaps) and gaps[0] > gaps[1] > gaps[2], gaps
    assert 10 ** -0.5 / 1.3 <= gaps[2] / gaps[1] <= 10 ** -0.5 * 1.3, gaps
    assert gaps[2] < 1.3 * dims[2] ** -0.5, gaps
    # the optimum approaches the section-4 bound
    ratios = [float(x) for x in r.optimum_over_bound]
    assert ratios[0] > ratios[1] > ratios[2] > 1 and ratios[2] < 1.01, ratios


def test_single_index_relu_exponent_tends_to_one():
    """The single-index ReLU target: L_S(t*)/L_T -> 1, exponent -> 1 (the module's
    limit); its distance to 1 at kappa = 3/2 is below d^-1/2 (measured 0.27 d^-1/2)."""
    dims = [1000, 10000]
    r = exponent_path(activation="relu", target="single-index:relu", path="M_T=d^1.5",
                      dims=dims)
    assert r.asymptotic["limit"] == 1.0
    e = [float(x) for x in r.local_exponent]
    assert all(abs(x - 1) < d ** -0.5 for x, d in zip(e, dims)), e
    assert abs(e[1] - 1) < abs(e[0] - 1)
    ratio = [float(s / t) for s, t in zip(r.optimal_student_risk, r.teacher_risk)]
    assert ratio[0] < ratio[1] < 1


def test_gaussian_inputs_degree_one_equal_the_sphere():
    kw = dict(activation="relu", target="degree:1", path="M_T=d^2.5", dims=[30, 60],
              derivative=False)
    s = exponent_path(**kw)
    g = exponent_path(inputs="gaussian", **kw)
    for a, b in zip(s.optimal_student_risk + s.teacher_risk,
                    g.optimal_student_risk + g.teacher_risk):
        assert math.isclose(a, b, rel_tol=1e-12)
    assert g.asymptotic["limit"] == 2.0


def test_power_law_coordinates_and_network_note():
    r = exponent_path(power_law="1.5", target="power-law:3", path="M_T=d^0.5",
                      dims=[400, 1600])
    assert r.teacher_widths == (20, 40) and r.features["family"] == "power_law"
    assert r.asymptotic["limit"] is None and r.local_exponent[0] is not None
    direct = []
    for n, M in ((400, 20), (1600, 40)):
        c = risk_curve(variances=[i ** -1.5 for i in range(1, n + 1)],
                       target="power-law:3", teacher_width=M)
        direct.append((float(c.teacher_risk), float(c.optimal_student_risk)))
    assert math.isclose(r.teacher_risk[1], direct[1][0], rel_tol=1e-12)
    sec = math.log(direct[1][1] / direct[0][1]) / math.log(direct[1][0] / direct[0][0])
    assert math.isclose(r.secant_exponent[0], sec, rel_tol=1e-10)
    assert 1 < r.secant_exponent[0] < 2
    net = exponent_path(activation="relu", target="network:relu,width=8,seed=0,"
                        "standardize", path="M_T=d^1.5", dims=[16, 32])
    assert net.local_exponent == (None, None) and "drawn afresh" in net.notes[0]


def test_path_syntax():
    p = parse_path("M_T=2*d^1.5,M_S=d^3")
    assert (p.kappa, p.teacher_coefficient, p.gamma) == (1.5, 2, 3)
    assert str(p) == "M_T=2*d^1.5,M_S=d^3" and parse_path(str(p)) == p
    assert parse_path("M_T = 0.5 d ** 3/2 , M_S = inf") == ScalingPath(kappa="3/2",
                                                                       teacher_coefficient="0.5")
    assert parse_path("M_T=d").kappa == 1
    assert p.teacher_width(100) == 2000 and p.student_width(100) == 1000000
    assert parse_path("M_T=d^1.5").student_width(100) is None


def test_contract_command(capsys):
    argv = ["exponent", "--activation", "relu", "--target", "degree:1", "--path",
            "M_T=d^1.5", "--dim", "20,40,80", "--json"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    obj = json.loads(out)
    assert obj["path"] == "M_T=d^1.5" and obj["dims"] == [20, 40, 80]
    assert obj["teacher_width"] == [89, 253, 716]
    for key in ("teacher_risk", "optimal_student_risk", "local_exponent",
                "optimum_over_bound", "lower_bound"):
        assert len(obj[key]) == 3 and all(isinstance(x, float) for x in obj[key]), key
    assert len(obj["secant_exponent"]) == 2
    lt, ls = _logs(20, 89)
    assert math.isclose(obj["teacher_risk"][0], math.exp(lt), rel_tol=1e-14)
    assert math.isclose(obj["optimal_student_risk"][0], math.exp(ls), rel_tol=1e-14)
    assert obj["asymptotic"]["limit"] == 2.0
    assert all(2 < x < 3 for x in obj["local_exponent"])
    # the table (no derivative, no asymptotics: quick)
    assert cli.main(argv[:-1] + ["--no-derivative", "--no-asymptotics"]) == 0
    text = capsys.readouterr().out
    assert "L_S(t*)" in text and "M_T=d^1.5" in text


@pytest.mark.parametrize("args, option, words", [
    ([], "--path", "required"),
    (["--path", "M_T=d^2"], "--dim", "required"),
    (["--path", "M_T=d^x", "--dim", "20"], "--path", "numbers > 0"),
    (["--path", "nonsense", "--dim", "20"], "--path", "expected M_T=C*d^K"),
    (["--path", "M_T=d^1.5,M_T=d", "--dim", "20"], "--path", "twice"),
    (["--path", "M_S=d^2", "--dim", "20"], "--path", "no teacher width"),
    (["--path", "M_T=d^1.5", "--dim", "1"], "--dim", ">= 2"),
    (["--path", "M_T=d^1.5", "--dim", "20,2.5"], "--dim", "integer"),
    (["--path", "M_T=0.001*d", "--dim", "20"], "--path", "rounds to 0"),
    (["--power-law", "1.5", "--target", "power-law:3", "--path", "M_T=d^1.5", "--dim",
      "100"], "--path", "outside the range"),
    (["--power-law", "1.5", "--target", "power-law:3", "--path", "M_T=d^0.5,M_S=d^2",
      "--dim", "100"], "--path", "outside the range"),
    (["--activation", "poly:0,0,1", "--path", "M_T=d^2.5", "--dim", "10"], "--path",
     "outside the range"),
    (["--activation", "tanh", "--inputs", "gaussian", "--path", "M_T=d^1.5", "--dim",
      "10"], "--inputs", "homogeneous"),
    (["--target", "nope", "--path", "M_T=d^1.5", "--dim", "10"], "--target", "nope"),
    (["--path", "M_T=d^1.5", "--dim", "10", "--digits", "5"], "--digits", "15"),
    (["--path", "M_T=d^1.5", "--dim", "10,20", "--max-seconds", "0.001"],
     "--max-seconds", "estimated"),
])
def test_bad_input_names_the_option(args, option, words, capsys):
    assert cli.main(["exponent", *args]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"w2s exponent: error: {option}: "), err
    assert words in err[0], err


def test_api_errors():
    with pytest.raises(InvalidArgument) as e:
        exponent_path(path="M_T=d^1.5", dims=[10], teacher_width=5)
    assert e.value.argument == "teacher_width"
    with pytest.raises(InvalidArgument) as e:
        exponent_path(variances=[1, 0.5], path="M_T=d^0.5", dims=[10])
    assert e.value.argument == "variances"
    with pytest.raises(InvalidArgument) as e:
        exponent_path(path="M_T=d^1.5", dims=[])
    assert e.value.argument == "dims"
    with pytest.raises(InvalidArgument) as e:
        exponent_path(path="M_T=d^1.5", dims=[10], lr=1, steps=[3])
    assert e.value.argument in ("lr", "steps")
    assert w2s.ExponentPath is type(exponent_path(path="M_T=d^2", dims=[8],
                                                  derivative=False, asymptotics=False))
    json.dumps(exponent_path(path="M_T=d^2", dims=[8], asymptotics=False).to_dict(),
               allow_nan=False)
