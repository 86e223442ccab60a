"""Shared MILP layer: build a model as sparse arrays, solve it, report an honest status.

Every model in :mod:`gridplan.allocation` is assembled here as numpy blocks (variables
in blocks, constraints as COO triplets) rather than one Python object per
coefficient, which is where most of the time goes in object-per-term modellers.

Two solvers, both deterministic (one thread):

* ``"highs"``: the HiGHS library through ``highspy`` (the same library PuLP's
  ``HiGHS`` solver object drives). The whole matrix is handed over in one
  ``passModel`` call; status, objective, dual bound and gap come from HiGHS's
  own model status and ``getInfo()``.
* ``"cbc"``: the CBC executable bundled with PuLP, on the MPS file that HiGHS's own
  writer produces; CBC's log is read for how the search ended and for its best
  bound (PuLP does not report the bound, and without it no status can be proved).
* any PuLP solver object (``pulp.GUROBI_CMD()``, ``pulp.COPT()``,
  ``pulp.CPLEX_CMD()``, ...): the model goes through the same MPS file into
  ``pulp.LpProblem.fromMPS`` and PuLP runs that solver. PuLP does not pass on the
  solver's best bound, so such a plan is reported ``"feasible"`` with an unknown
  gap, never ``"optimal"`` on PuLP's word alone.

:func:`write_model` writes a model as MPS or LP with HiGHS's writer, for audit.

Status is never taken on trust: ``"optimal"`` means the solver finished its
search, was not stopped by the time limit, and proved the plan within the
default gap (:data:`DEFAULT_GAP`, 1e-4 relative). A run stopped by the time
limit or by a looser ``mip_gap`` is ``"feasible"`` with the gap computed from
the objective and the best bound; without an incumbent it is ``"no solution"``.
Every returned point is checked against the model (integer variables rounded,
rows within a tolerance relative to their terms) before it is used.

>>> import numpy as np
>>> m = Model()
>>> x = m.add_vars(2, ub=1, cost=[-1.0, -2.0], integer=True)
>>> m.add_rows(1, rows=[0, 0], cols=x, vals=[1.0, 1.0], hi=1.0)
array([0])
>>> r = solve(m)
>>> r.status, r.objective, r.x.round().tolist()
('optimal', -2.0, [0.0, 1.0])
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple, Union

import numpy as np
from scipy import sparse

from gridplan.allocation._inputs import check_number
from gridplan.errors import ConfigError, SolverError
from gridplan.io.atomic import atomic_path

if TYPE_CHECKING:
    from pulp.apis.core import LpSolver

__all__ = [
    "DEFAULT_GAP",
    "SOLVERS",
    "Model",
    "SolveResult",
    "Solver",
    "check_solver_args",
    "solve",
    "solver_name",
    "write_model",
]

SOLVERS = ("highs", "cbc")
#: Relative gap under which a finished search counts as optimal when the caller gives none.
DEFAULT_GAP = 1e-4
# Absolute gap: objectives in gridplan are costs or counts, so a sub-1e-6 difference is noise.
_ABS_GAP = 1e-6


#: What ``solver=`` accepts: a name of :data:`SOLVERS` or a PuLP solver object.
Solver = Union[str, "LpSolver"]


def _is_pulp_solver(solver: object) -> bool:
    try:
        from pulp.apis.core import LpSolver as PulpSolver
    except ImportError:  # pragma: no cover - pulp is a dependency
        return False
    return isinstance(solver, PulpSolver)


def solver_name(solver: Solver) -> str:
    """``"highs"``, ``"cbc"``, or ``"pulp:<class>"`` for a PuLP solver object."""
    return solver if isinstance(solver, str) else f"pulp:{type(solver).__name__}"


def check_solver_args(solver: Solver, time_limit: float | None, mip_gap: float | None) -> None:
    """Validate the solver options shared by every public function (at the boundary)."""
    if not (isinstance(solver, str) and solver in SOLVERS) and not _is_pulp_solver(solver):
        raise ConfigError(
            f"solver must be one of {SOLVERS} or a PuLP solver object such as "
            f"pulp.GUROBI_CMD(), got {solver!r}"
        )
    check_number("time_limit", time_limit, minimum=0, above_minimum=True, meaning="seconds")
    check_number(
        "mip_gap", mip_gap, minimum=0, maximum=1, below_maximum=True, meaning="a relative gap"
    )


class Model:
    """A minimisation MILP kept as numpy blocks.

    Variables are added in blocks (``add_vars`` returns their column indices);
    constraints are added in blocks of COO triplets with ``lo <= A x <= hi``.
    ``offset`` is a constant added to the objective.
    """

    def __init__(self) -> None:
        self._lb: list[np.ndarray] = []
        self._ub: list[np.ndarray] = []
        self._cost: list[np.ndarray] = []
        self._int: list[np.ndarray] = []
        self._r: list[np.ndarray] = []
        self._c: list[np.ndarray] = []
        self._v: list[np.ndarray] = []
        self._lo: list[np.ndarray] = []
        self._hi: list[np.ndarray] = []
        self.n_cols = 0
        self.n_rows = 0
        self.offset = 0.0

    def add_vars(
        self,
        n: int,
        lb: Any = 0.0,
        ub: Any = np.inf,
        cost: Any = 0.0,
        integer: bool = False,
    ) -> np.ndarray:
        """Add ``n`` variables; returns their column indices."""
        idx = np.arange(self.n_cols, self.n_cols + n)
        self._lb.append(np.broadcast_to(np.asarray(lb, dtype=float), (n,)).copy())
        self._ub.append(np.broadcast_to(np.asarray(ub, dtype=float), (n,)).copy())
        self._cost.append(np.broadcast_to(np.asarray(cost, dtype=float), (n,)).copy())
        self._int.append(np.full(n, integer, dtype=bool))
        self.n_cols += n
        return idx

    def add_rows(
        self,
        n: int,
        rows: Any,
        cols: Any,
        vals: Any,
        lo: Any = -np.inf,
        hi: Any = np.inf,
    ) -> np.ndarray:
        """Add ``n`` constraints ``lo <= sum(vals * x[cols]) <= hi``.

        ``rows`` are local row numbers in ``range(n)``; returns global row indices.
        """
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        vals = np.broadcast_to(np.asarray(vals, dtype=float), rows.shape)
        self._r.append(rows + self.n_rows)
        self._c.append(cols)
        self._v.append(np.array(vals))
        self._lo.append(np.broadcast_to(np.asarray(lo, dtype=float), (n,)).copy())
        self._hi.append(np.broadcast_to(np.asarray(hi, dtype=float), (n,)).copy())
        idx = np.arange(self.n_rows, self.n_rows + n)
        self.n_rows += n
        return idx

    def snapshot(self) -> Model:
        """A copy that later changes to this model (a sweep's budget row) leave alone."""
        other = Model()
        for name, value in vars(self).items():
            setattr(other, name, list(value) if isinstance(value, list) else value)
        return other

    def set_cost(self, cols: Any, cost: Any) -> None:
        """Add ``cost`` to the objective coefficients of ``cols``."""
        c = self.cost
        np.add.at(c, np.asarray(cols, dtype=np.int64), np.asarray(cost, dtype=float))
        self._cost = [c]

    def fix(self, cols: Any, value: float) -> None:
        """Fix variables ``cols`` to ``value`` (both bounds)."""
        lb, ub = self.lb, self.ub
        lb[np.asarray(cols, dtype=np.int64)] = value
        ub[np.asarray(cols, dtype=np.int64)] = value
        self._lb, self._ub = [lb], [ub]

    def set_row_bounds(self, row: int, lo: float = -np.inf, hi: float = np.inf) -> None:
        """Change the bounds of one constraint (e.g. the budget row of a sweep)."""
        los = np.concatenate(self._lo)
        his = np.concatenate(self._hi)
        los[row], his[row] = lo, hi
        self._lo, self._hi = [los], [his]

    @property
    def cost(self) -> np.ndarray:
        return np.concatenate(self._cost) if self._cost else np.zeros(0)

    @property
    def lb(self) -> np.ndarray:
        return np.concatenate(self._lb) if self._lb else np.zeros(0)

    @property
    def ub(self) -> np.ndarray:
        return np.concatenate(self._ub) if self._ub else np.zeros(0)

    @property
    def integer(self) -> np.ndarray:
        return np.concatenate(self._int) if self._int else np.zeros(0, dtype=bool)

    def matrix(self) -> tuple[sparse.csc_matrix, np.ndarray, np.ndarray]:
        """The constraint matrix (CSC, duplicates summed) and its row bounds."""
        if self._r:
            r, c, v = (np.concatenate(a) for a in (self._r, self._c, self._v))
        else:
            r = c = np.zeros(0, dtype=np.int64)
            v = np.zeros(0)
        a = sparse.csc_matrix((v, (r, c)), shape=(self.n_rows, self.n_cols))
        a.sum_duplicates()
        lo = np.concatenate(self._lo) if self._lo else np.zeros(0)
        hi = np.concatenate(self._hi) if self._hi else np.zeros(0)
        return a, lo, hi


@dataclass
class SolveResult:
    """What a solve produced, with an honest status.

    ``status`` is one of ``"optimal"``, ``"feasible"``, ``"no solution"`` and
    ``"infeasible"``. ``objective``/``best_bound`` are in the model's
    (minimisation) sense and include ``Model.offset``; ``gap`` is
    ``|objective - best_bound| / max(|objective|, 1e-9)``.
    """

    status: str
    objective: float | None
    best_bound: float | None
    gap: float | None
    x: np.ndarray | None
    seconds: float
    solver: str
    detail: str = ""
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def has_solution(self) -> bool:
        return self.x is not None


def relative_gap(objective: float, bound: float) -> float:
    """Relative gap between an incumbent and a bound, in the solvers' usual sense."""
    diff = abs(objective - bound)
    if diff <= _ABS_GAP:
        return 0.0
    return diff / max(abs(objective), 1e-9)


def solve(
    model: Model,
    solver: Solver = "highs",
    time_limit: float | None = None,
    mip_gap: float | None = None,
) -> SolveResult:
    """Solve ``model`` (minimisation) and return a :class:`SolveResult`."""
    check_solver_args(solver, time_limit, mip_gap)
    gap = DEFAULT_GAP if mip_gap is None else float(mip_gap)
    if model.n_cols == 0:
        name = solver_name(solver)
        return SolveResult("optimal", model.offset, model.offset, 0.0, np.zeros(0), 0.0, name)
    if solver == "highs":
        result = _solve_highs(model, time_limit, gap)
    elif solver == "cbc":
        result = _solve_cbc(model, time_limit, gap)
    else:
        result = _solve_pulp(model, solver, time_limit)
    # "optimal" only when proven within the default gap: a search stopped by a looser
    # mip_gap (or one whose bound shows more) is "feasible" with its true gap
    if result.status == "optimal" and (result.gap is None or result.gap > DEFAULT_GAP * (1 + 1e-6)):
        result.status = "feasible"
    return result


def _checked_point(model: Model, x: np.ndarray, tol: float = 1e-6) -> tuple[np.ndarray | None, str]:
    """A solver's point checked by us: (the point with integers rounded, "") or (None, why).

    Integer variables must be within 1e-5 of a whole number and are rounded. Each
    row may miss its bounds by ``tol * (1 + sum_j |a_ij x_j|)``: solution files
    carry limited digits, so the error of a row grows with the size of its terms.
    """
    x = np.array(x, dtype=float)
    integer = model.integer
    if integer.any():
        off = float(np.abs(x[integer] - np.round(x[integer])).max())
        if off > 1e-5:
            return None, f"integer variables are {off:.2g} from a whole number"
        x[integer] = np.round(x[integer])
    a, lo, hi = model.matrix()
    ax = a @ x
    scale = 1.0 + abs(a) @ np.abs(x)
    excess = np.maximum(lo - ax, ax - hi) / scale
    worst = float(excess.max()) if len(excess) else 0.0
    if worst > tol:
        return None, f"a constraint is missed by {worst:.2g} of its size"
    return x, ""


def _rejected(solver: str, detail: str, why: str, seconds: float) -> SolveResult:
    """The solver returned a plan that our check refuses: no solution, and says why."""
    return SolveResult(
        "no solution",
        None,
        None,
        None,
        None,
        seconds,
        solver,
        f"{detail}; its plan was refused: {why}",
        {"rejected": why},
    )


# --------------------------------------------------------------------------- HiGHS


_BANNER_SHOWN = False


def _new_highs(highspy: Any) -> Any:
    """A Highs object, without the copyright banner HiGHS prints on the first one.

    The banner is written by C code to file descriptor 1 before any option can be
    set; it would land in every notebook and CLI output, so the first construction
    runs with fd 1 pointed at /dev/null.
    """
    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        return highspy.Highs()
    _BANNER_SHOWN = True
    try:
        import sys

        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError, AttributeError):  # no real fd 1 (embedded interpreters)
        return highspy.Highs()
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            try:
                return highspy.Highs()
            finally:
                os.dup2(saved, 1)
    finally:
        os.close(saved)


def _highs(model: Model) -> Any:
    """A quiet, deterministic Highs object holding ``model`` (one ``passModel`` call)."""
    import highspy

    a, lo, hi = model.matrix()
    integer = model.integer
    lp = highspy.HighsLp()
    lp.num_col_ = model.n_cols
    lp.num_row_ = model.n_rows
    lp.col_cost_ = model.cost
    lp.col_lower_ = model.lb
    lp.col_upper_ = model.ub
    lp.row_lower_ = lo
    lp.row_upper_ = hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data
    is_mip = bool(integer.any())
    if is_mip:
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if f else highspy.HighsVarType.kContinuous
            for f in integer
        ]
    h = _new_highs(highspy)
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    h.passModel(lp)
    return h


def write_model(model: Model, path: str | os.PathLike[str], *, offset: bool = True) -> None:
    """Write ``model`` atomically with HiGHS's writer: MPS (``.mps``) or LP (``.lp``).

    >>> import tempfile, pathlib
    >>> m = Model()
    >>> x = m.add_vars(2, ub=1, cost=[-1.0, -2.0], integer=True)
    >>> _ = m.add_rows(1, rows=[0, 0], cols=x, vals=[1.0, 1.0], hi=1.0)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.lp"
    >>> write_model(m, path)
    >>> "r0: +1 c0 +1 c1 <= +1" in path.read_text()
    True
    """
    suffix = os.fspath(path).rsplit(".", 1)[-1].lower()
    if suffix not in ("mps", "lp"):
        raise ConfigError(f"write the model to a .mps or .lp file, not {os.fspath(path)!r}")
    import highspy

    h = _highs(model)
    if offset and model.offset:  # solvers here get it without; gridplan adds it back
        h.changeObjectiveOffset(float(model.offset))
    with atomic_path(path) as tmp:
        written = f"{tmp}.{suffix}"  # HiGHS picks the format by the file's extension
        try:
            status = h.writeModel(written)
            if status == highspy.HighsStatus.kError or not os.path.exists(written):
                raise SolverError(f"HiGHS could not write the model to {os.fspath(path)!r}")
            os.replace(written, tmp)
        finally:
            if os.path.exists(written):
                os.unlink(written)


def _solve_highs(model: Model, time_limit: float | None, gap: float) -> SolveResult:
    import highspy

    is_mip = bool(model.integer.any())
    h = _highs(model)
    h.setOptionValue("mip_rel_gap", gap)
    h.setOptionValue("mip_abs_gap", _ABS_GAP)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    t0 = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - t0
    ms = h.getModelStatus()
    info = h.getInfo()
    S = highspy.HighsModelStatus
    has_x = info.primal_solution_status == 2  # kSolutionStatusFeasible
    x = np.asarray(h.getSolution().col_value, dtype=float) if has_x else None
    detail = h.modelStatusToString(ms)
    if ms == S.kInfeasible or ms == S.kUnboundedOrInfeasible:
        return SolveResult("infeasible", None, None, None, None, seconds, "highs", detail)
    if ms == S.kUnbounded:
        raise SolverError("the model is unbounded; this is a bug in gridplan, please report it")
    if x is None:
        if ms in (S.kOptimal,):  # pragma: no cover - optimal always carries a solution
            raise SolverError("HiGHS reported optimal without a solution")
        return SolveResult("no solution", None, None, None, None, seconds, "highs", detail)
    x, why = _checked_point(model, x)
    if x is None:  # pragma: no cover - HiGHS checks its own incumbents
        return _rejected("highs", detail, why, seconds)
    objective = float(info.objective_function_value) + model.offset
    if is_mip:
        bound = float(info.mip_dual_bound) + model.offset
    else:
        bound = objective if ms == S.kOptimal else -math.inf
    g = relative_gap(objective, bound) if math.isfinite(bound) else math.inf
    # kOptimal is HiGHS's own word that the search finished within mip_rel_gap/mip_abs_gap;
    # anything else (time limit, interrupt, ...) stopped early, whatever the gap looks like.
    status = "optimal" if ms == S.kOptimal else "feasible"
    return SolveResult(
        status,
        objective,
        bound if math.isfinite(bound) else None,
        g if math.isfinite(g) else None,
        x,
        seconds,
        "highs",
        detail,
        {"nodes": int(info.mip_node_count)},
    )


# --------------------------------------------------------------------------- CBC


def _cbc_path() -> str:
    import shutil

    try:
        from pulp.apis import coin_api
    except ImportError as exc:  # pragma: no cover - pulp is a dependency
        raise SolverError("solver='cbc' needs PuLP (it bundles the CBC executable)") from exc
    # the bundled binary first (PULP_CBC_CMD().path would warn about PuLP 4), then PATH
    path = os.path.normpath(getattr(coin_api, "pulp_cbc_path", "") or "")
    if not os.path.exists(path):
        path = shutil.which("cbc") or path
    if not path or not os.path.exists(path):
        raise SolverError(f"the CBC executable bundled with PuLP was not found at {path!r}")
    return path


_NUM = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?inf(?:inity)?)"


class _CbcLog(NamedTuple):
    """What CBC's log says: its ``Result -`` line, objective and best bound (if given)."""

    result: str
    objective: float | None
    bound: float | None


def _parse_cbc_log(log: str) -> _CbcLog:
    m = re.search(r"^Result - (.+)$", log, re.M)
    found: list[float | None] = []
    for pat in (r"^Objective value:\s+" + _NUM, r"^(?:Lower|Upper) bound:\s+" + _NUM):
        n = re.search(pat, log, re.M)
        found.append(float(n.group(1)) if n else None)
    return _CbcLog(m.group(1).strip() if m else "", found[0], found[1])


class _CbcRun(NamedTuple):
    """What one CBC run left: its log, the solution file's head line and body, its time."""

    log: str
    head: str
    body: list[str]
    seconds: float


def _run_cbc(model: Model, time_limit: float | None, gap: float) -> _CbcRun:
    """Write the model as MPS, run CBC on it (one thread, fixed seed), read its solution."""
    path = _cbc_path()
    with tempfile.TemporaryDirectory(prefix="gridplan-cbc-") as tmp:
        mps = os.path.join(tmp, "model.mps")
        sol = os.path.join(tmp, "model.sol")
        write_model(model, mps, offset=False)
        args = [path, mps, "-threads", "1", "-randomSeed", "1", "-ratio", repr(gap)]
        args += ["-allow", repr(_ABS_GAP)]
        if time_limit is not None:
            args += ["-sec", repr(float(time_limit))]
        args += ["-solve" if model.integer.any() else "-initialSolve", "-solution", sol]
        t0 = time.perf_counter()
        proc = subprocess.run(
            args, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False
        )
        seconds = time.perf_counter() - t0
        log = proc.stdout + proc.stderr
        if proc.returncode != 0 or not os.path.exists(sol):
            raise SolverError(f"CBC failed (exit {proc.returncode}): {log[-2000:]}")
        with open(sol) as f:
            first = f.readline()
            body = f.read().splitlines()
    return _CbcRun(log, first, body, seconds)


def _cbc_bound(model: Model, parsed: _CbcLog, head: str, objective: float) -> tuple[bool, float]:
    """Whether CBC finished its search, and its best bound (``-inf`` when unknown)."""
    # CBC stops on the gap tolerance with "Optimal solution found"; a time stop says "Stopped".
    finished = head.startswith("optimal") and "stopped" not in parsed.result.lower()
    if finished:
        found = objective - model.offset if parsed.bound is None else parsed.bound
        bound = found + model.offset
        if not model.integer.any() or parsed.bound is None:
            bound = objective
    elif parsed.bound is not None:
        bound = parsed.bound + model.offset
    else:
        bound = -math.inf
    return finished, bound


def _solve_cbc(model: Model, time_limit: float | None, gap: float) -> SolveResult:
    run = _run_cbc(model, time_limit, gap)
    first, seconds = run.head, run.seconds
    parsed = _parse_cbc_log(run.log)
    result = parsed.result.lower()
    head = first.strip().lower()
    if head.startswith("infeasible") or "infeasible" in result:
        return SolveResult("infeasible", None, None, None, None, seconds, "cbc", first.strip())
    if head.startswith("unbounded"):
        raise SolverError("the model is unbounded; this is a bug in gridplan, please report it")
    # "Stopped on time (no integer solution - continuous used)": CBC writes the LP
    # relaxation then; it is not a plan, whatever PuLP makes of the first word.
    has_x = (head.startswith("optimal") or "objective value" in head) and (
        "no integer solution" not in head and "no feasible solution" not in run.log.lower()
    )
    if not has_x:
        return SolveResult("no solution", None, None, None, None, seconds, "cbc", first.strip())
    x = _values_by_name(model.n_cols, (p[1:3] for p in _solution_rows(run.body)))
    point, why = _checked_point(model, np.clip(x, model.lb, model.ub))
    if point is None:
        return _rejected("cbc", first.strip(), why, seconds)
    objective = float(model.cost @ point) + model.offset
    finished, bound = _cbc_bound(model, parsed, head, objective)
    g = relative_gap(objective, bound) if math.isfinite(bound) else math.inf
    return SolveResult(
        "optimal" if finished else "feasible",
        objective,
        bound if math.isfinite(bound) else None,
        g if math.isfinite(g) else None,
        point,
        seconds,
        "cbc",
        parsed.result or first.strip(),
    )


def _solution_rows(lines: list[str]) -> list[list[str]]:
    """CBC solution lines (``index name value reduced-cost``; ``**`` marks infeasibility)."""
    return [p for p in (line.replace("**", " ").split() for line in lines) if len(p) >= 3]


def _values_by_name(n_cols: int, pairs: Any) -> np.ndarray:
    """Column values from ``(name, value)`` pairs, columns named ``c<j>`` as HiGHS writes them;
    columns a solver leaves out of its solution are zero."""
    x = np.zeros(n_cols)
    for name, value in pairs:
        if name.startswith("c") and name[1:].isdigit():
            x[int(name[1:])] = float(value)
    return x


# --------------------------------------------------------------------------- PuLP solvers


def _solve_pulp(model: Model, solver: Any, time_limit: float | None) -> SolveResult:
    """Solve through PuLP with a solver object of the caller's (status never taken on trust)."""
    import pulp

    name = solver_name(solver)
    if time_limit is not None and getattr(solver, "timeLimit", None) is None:
        solver.timeLimit = float(time_limit)
    with tempfile.TemporaryDirectory(prefix="gridplan-pulp-") as tmp:
        mps = os.path.join(tmp, "model.mps")
        write_model(model, mps, offset=False)
        variables, problem = pulp.LpProblem.fromMPS(mps, sense=pulp.LpMinimize)
        t0 = time.perf_counter()
        try:
            problem.solve(solver)
        except pulp.PulpSolverError as exc:
            raise SolverError(f"{name} failed: {exc}") from exc
        seconds = time.perf_counter() - t0
    said = pulp.LpStatus.get(problem.status, str(problem.status))
    if problem.status == pulp.LpStatusInfeasible:
        return SolveResult("infeasible", None, None, None, None, seconds, name, said)
    values = [(v, var.varValue) for v, var in variables.items() if var.varValue is not None]
    if problem.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return SolveResult("no solution", None, None, None, None, seconds, name, said)
    point, why = _checked_point(model, np.clip(_values_by_name(model.n_cols, values),
                                               model.lb, model.ub))  # fmt: skip
    if point is None:
        return _rejected(name, said, why, seconds)
    objective = float(model.cost @ point) + model.offset
    detail = (
        f"PuLP reports {said}; the solver's bound does not come through PuLP, so the gap is "
        "unknown and the plan is not called optimal (solver='highs' proves its gap)"
    )
    return SolveResult("feasible", objective, None, None, point, seconds, name, detail)
