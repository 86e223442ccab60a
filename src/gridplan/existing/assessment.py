"""``assess()``: how good is an existing grid map? (评价考核)

Topology (gaps, overlaps, grids in pieces or across parents, codes),
balance (households and residents per grid and per worker, workload),
shape and access, side by side with a re-balance and a fresh ``divide()``.

>>> import geopandas as gpd, pandas as pd, shapely
>>> from gridplan import Territory
>>> cells = [shapely.box(x, 0, x + 100, 100) for x in range(0, 600, 100)]
>>> t = Territory(gpd.GeoDataFrame({"pop": [10] * 6, "hh": [4] * 6}, geometry=cells,
...                                crs="EPSG:32650"), population="pop", households="hh")
>>> a = assess(t, pd.Series(["G01"] * 4 + ["G02"] * 2, index=t.units.index), tolerance=0.1,
...            compare=False)
>>> a.balance["households"]["max"], a.balance["share_within_tolerance"]
(16.0, 0.0)
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridplan.allocation.rules import Rules
from gridplan.division._graph import Adjacency
from gridplan.division.codes import parent_code
from gridplan.division.plan import GridPlan
from gridplan.errors import ConfigError, GridplanError
from gridplan.existing.compare import moved_between
from gridplan.existing.importing import ImportedGrids, grids_from_column, grids_from_layer
from gridplan.existing.rebalancing import Rebalance, _join, _prepare, rebalance

if TYPE_CHECKING:
    import folium

    from gridplan.territory import Territory

__all__ = ["Assessment", "assess"]


#: What :func:`assess` takes as the existing grids.
GridsInput: TypeAlias = ImportedGrids | GridPlan | gpd.GeoDataFrame | str | pd.Series


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def grid_column(plan: GridPlan) -> str:
    """The column of ``plan.grids`` that holds the balance column's sums."""
    t, bcol = plan.territory, plan.params["balance_column"]
    return {t.population_col: "population", t.households_col: "households"}.get(bcol, bcol)


def _stats(values: np.ndarray) -> dict[str, float]:
    mean = float(values.mean()) if len(values) else 0.0
    return {
        "min": float(values.min()) if len(values) else 0.0,
        "max": float(values.max()) if len(values) else 0.0,
        "mean": mean,
        "cv": float(values.std() / mean) if mean > 0 else 0.0,
    }


def code_problems(codes: list[str], parents: Mapping[str, Any] | None) -> tuple[dict, dict]:
    """Codes off the hierarchical scheme (code -> why) and codes that read the same.

    The scheme (as :mod:`gridplan.division.codes` writes it, CJ/T 349-2010
    style) is ``<parent code>-<sequence>`` when grids nest in a parent, else
    ``G<sequence>``; codes without a known parent are checked for the form
    only. Codes repeat when they differ only in case, spaces or zero padding
    of the sequence (``A-1`` and ``a-01``).

    >>> bad, repeated = code_problems(["A-01", "A-1", "B-2", "X"],
    ...                               {"A-01": "A", "A-1": "A", "B-2": "C", "X": "C"})
    >>> bad
    {'B-2': "does not start with its parent's code 'C-'", 'X': 'has no -<sequence> part'}
    >>> repeated
    {'A-1': ['A-01', 'A-1']}
    """
    bad: dict[str, str] = {}
    for c in codes:
        if parents is None:
            if not re.fullmatch(r"G\d{2,}", c) and not re.fullmatch(r".+-\d+", c):
                bad[c] = "is neither G<sequence> nor <parent>-<sequence>"
            continue
        if not re.fullmatch(r".+-\d+", c):
            bad[c] = "has no -<sequence> part"
        elif c in parents and not c.startswith(parent_code(parents[c]) + "-"):
            bad[c] = f"does not start with its parent's code {parent_code(parents[c]) + '-'!r}"
    keys: dict[str, list[str]] = {}
    for c in codes:
        m = re.fullmatch(r"(.*?)(\d+)", re.sub(r"\s+", "", c).upper())
        key = f"{m.group(1)}{int(m.group(2))}" if m else re.sub(r"\s+", "", c).upper()
        keys.setdefault(key, []).append(c)
    return bad, {k: sorted(v) for k, v in keys.items() if len(v) > 1}


@dataclass
class Assessment:
    """The evaluation of an existing grid map; see :func:`assess`.

    ``plan`` is the existing map as a :class:`~gridplan.GridPlan` (units in no
    grid counted in the neighbouring grid they share most boundary with),
    ``grids`` one row per grid, ``problems`` one row per finding (``kind``,
    ``grid``, ``unit``, ``detail``), ``comparison`` one row per plan
    (existing, rebalanced, redrawn).
    """

    plan: GridPlan
    tolerance: float
    topology: dict[str, Any]
    balance: dict[str, Any]
    shape: dict[str, Any]
    grids: pd.DataFrame
    problems: pd.DataFrame
    comparison: pd.DataFrame
    workers: pd.DataFrame | None = None
    rebalanced: Rebalance | None = None
    redrawn: GridPlan | None = None
    imported: ImportedGrids | None = field(default=None, repr=False)

    def summary(self) -> str:
        """A few lines for a street office."""
        t, b, s = self.topology, self.balance, self.shape
        col = grid_column(self.plan)
        lines = [
            f"Assessment of {len(self.grids)} grids over {len(self.plan.assignment):,} units "
            f"(balance on {col!r}, ±{self.tolerance:.1%})",
            f"  topology: {t['gap_units']} unit(s) in no grid, {t['split_units']} split between "
            f"grids, {len(t['grids_in_pieces'])} grid(s) in pieces, "
            f"{len(t['grids_crossing_parents'])} across parents, {len(t['bad_codes'])} code(s) "
            f"off the scheme, {len(t['repeated_codes'])} repeated",
            f"  balance: {col} per grid {b[col]['min']:,.0f}–{b[col]['max']:,.0f} "
            f"(CV {b[col]['cv']:.3f}), {b['share_within_tolerance']:.0%} of grids within "
            f"tolerance, largest deviation {b['max_abs_deviation']:.2%}",
            f"  shape: Polsby-Popper mean {s['mean_polsby_popper']:.3f}, {s['cut_edges']:,} cut "
            f"edges; access: mean {s['mean_distance_m']:,.0f} m to the grid centre",
        ]
        for _, row in self.comparison.iterrows():
            lines.append(
                f"  {row['plan']}: largest deviation {row['max_abs_deviation']:.2%}, "
                f"{row['units_moved']:,} unit(s) / {row['households_moved']:,.0f} moved"
            )
        return "\n".join(lines)

    def report(self) -> dict[str, pd.DataFrame]:
        """Tables: ``summary`` (figure, value), ``grids``, ``problems``, ``comparison``.

        ``workers`` too when worker names were given.
        """
        rows: list[tuple[str, Any]] = [("tolerance", self.tolerance)]
        for part, d in (("topology", self.topology), ("shape", self.shape)):
            rows += [(f"{part}.{k}", v if np.isscalar(v) else len(v)) for k, v in d.items()]
        for k, v in self.balance.items():
            if isinstance(v, dict):
                rows += [(f"balance.{k}.{s}", x) for s, x in v.items()]
            else:
                rows.append((f"balance.{k}", v))
        out = {
            "summary": pd.DataFrame(rows, columns=["figure", "value"]),
            "grids": self.grids.copy(),
            "problems": self.problems.copy(),
            "comparison": self.comparison.copy(),
        }
        if self.workers is not None:
            out["workers"] = self.workers.copy()
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: every figure, the per-grid table, problems and comparison."""

        def records(df: pd.DataFrame) -> list[dict[str, Any]]:
            return [{k: _plain(v) for k, v in r.items()} for r in df.to_dict("records")]

        def clean(v: Any) -> Any:
            if isinstance(v, dict):
                return {str(k): clean(x) for k, x in v.items()}
            if isinstance(v, list | tuple):
                return [clean(x) for x in v]
            return _plain(v)

        return {
            "schema_version": 1,
            "tolerance": self.tolerance,
            "balance_column": self.plan.params["balance_column"],
            "within": self.plan.params.get("within"),
            "topology": clean(self.topology),
            "balance": clean(self.balance),
            "shape": clean(self.shape),
            "grids": records(self.grids.reset_index()),
            "problems": records(self.problems),
            "comparison": records(self.comparison),
            "workers": None if self.workers is None else records(self.workers),
            "changes": None if self.rebalanced is None else records(self.rebalanced.changes),
        }

    def explore(self, **kwargs: Any) -> folium.Map:
        """Folium map of the grids (by deviation) with every problem flagged in its own layer."""
        from gridplan.existing._map import assessment_map

        return assessment_map(self, **kwargs)


def _as_imported(
    territory: Territory, grids: GridsInput, code: str, worker: str | None
) -> ImportedGrids:
    if isinstance(grids, ImportedGrids):
        return grids
    if isinstance(grids, GridPlan):
        return ImportedGrids(assignment=grids.assignment.copy())
    if isinstance(grids, gpd.GeoDataFrame):
        return grids_from_layer(territory, grids, code=code, worker=worker)
    if isinstance(grids, str):
        return grids_from_column(territory, grids)
    if isinstance(grids, pd.Series):
        a = grids.reindex(territory.units.index)
        a = a.map(lambda v: None if pd.isna(v) else parent_code(v))
        return ImportedGrids(assignment=a.astype(object), gaps=list(a.index[a.isna().to_numpy()]))
    raise ConfigError(
        "grids must be a grids layer (GeoDataFrame), a column name of the units, a Series "
        f"unit id -> code, an ImportedGrids or a GridPlan, not {type(grids).__name__}."
    )


def _existing_plan(territory: Territory, imported: ImportedGrids, balance: str, within: str | None):
    """The map as a GridPlan: units in no grid join their neighbouring grid."""
    work = _prepare(territory, imported.assignment, within)
    _join(work)
    assignment = pd.Series(
        np.asarray(work.codes, dtype=object)[work.labels], index=territory.units.index
    )
    params = {
        "n_grids": len(work.codes),
        "households_per_grid": None,
        "tolerance": 0.0,
        "balance": balance,
        "balance_column": territory.column(balance),
        "within": within,
        "seed": 0,
        "method": "existing",
    }
    return assignment, params


def _pieces(territory: Territory, labels: np.ndarray, k: int) -> np.ndarray:
    adj = Adjacency.from_networkx(territory.graph, list(territory.units.index))
    _, comp = adj.components(labels)
    pairs = np.unique(np.stack([labels, comp]), axis=1)
    return np.bincount(pairs[0], minlength=k)


def _topology(
    territory: Territory, imported: ImportedGrids, plan: GridPlan, parent: str | None
) -> tuple[dict[str, Any], pd.DataFrame]:
    units = territory.units
    codes = [str(c) for c in plan._codes]
    labels = plan._labels
    area = territory.areas.to_numpy()
    pieces = _pieces(territory, labels, len(codes))
    in_pieces = {codes[g]: int(pieces[g]) for g in np.flatnonzero(pieces > 1)}
    crossing: dict[str, list[Any]] = {}
    majority: dict[str, Any] | None = None
    if parent is not None:
        table = pd.DataFrame({"grid": plan.assignment.to_numpy(), "parent": units[parent]})
        per = table.groupby("grid")["parent"]
        majority = per.agg(lambda s: s.value_counts().index[0]).to_dict()
        crossing = {g: sorted(v, key=str) for g, v in per.unique().items() if len(v) > 1}
    drawn = [] if imported.layer is None else [str(c) for c in imported.layer.index]
    bad, repeated = code_problems(sorted({*codes, *drawn}), majority)
    gap_pos = units.index.get_indexer(imported.gaps)
    gap_area = float(area[gap_pos].sum())
    unc = imported.uncovered.drop(imported.gaps, errors="ignore")
    gap_area += float((unc * territory.areas.reindex(unc.index)).sum())
    rows: list[tuple[str, Any, Any, str]] = []
    rows += [("gap", plan.assignment[u], u, "in no grid") for u in imported.gaps]
    for u, s in unc.items():
        rows.append(("partly uncovered", plan.assignment[u], u, f"{s:.0%} of it in no grid"))
    for u, part in imported.split.groupby("unit", sort=False):
        shares = ", ".join(f"{g} {s:.0%}" for g, s in zip(part["grid"], part["share"], strict=True))
        rows.append(("split", plan.assignment[u], u, shares))
    for _, r in imported.overlaps.iterrows():
        rows.append(
            ("overlap", r["grid_a"], None, f"overlaps {r['grid_b']} ({r['area_m2']:,.0f} m²)")
        )
    rows += [("in pieces", g, None, f"{n} pieces") for g, n in in_pieces.items()]
    for g, ps in crossing.items():
        rows.append(("across parents", g, None, ", ".join(map(str, ps))))
    rows += [("code", g, None, why) for g, why in bad.items()]
    for same in repeated.values():
        rows += [("repeated code", g, None, f"reads like {', '.join(same)}") for g in same]
    rows += [("empty grid", g, None, "won no unit") for g in imported.empty_grids]
    problems = pd.DataFrame(rows, columns=["kind", "grid", "unit", "detail"], dtype=object)
    topo = {
        "gap_units": len(imported.gaps),
        "gap_area_m2": gap_area,
        "split_units": int(imported.split["unit"].nunique()) if len(imported.split) else 0,
        "overlap_area_m2": float(imported.overlaps["area_m2"].sum()),
        "overlapping_pairs": len(imported.overlaps),
        "grids_in_pieces": in_pieces,
        "grids_crossing_parents": crossing,
        "bad_codes": bad,
        "repeated_codes": repeated,
        "empty_grids": list(imported.empty_grids),
    }
    return topo, problems


def _balance(
    territory: Territory, plan: GridPlan, tol: float, rules: Rules, workers: pd.Series | None
) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame | None]:
    g = pd.DataFrame(plan.grids.drop(columns="geometry"))
    bcol = grid_column(plan)
    table = g.copy()
    table["within_tolerance"] = table["deviation"].abs() <= tol + 1e-9
    if "households" in table:
        table["workload"] = rules.need_value(table)
    out: dict[str, Any] = {}
    for col in dict.fromkeys(["households", "population", bcol, "workload"]):
        if col in table:
            out[col] = _stats(table[col].to_numpy(dtype=float))
    out["share_within_tolerance"] = float(table["within_tolerance"].mean())
    out["max_abs_deviation"] = float(table["deviation"].abs().max())
    per_worker = None
    if workers is not None:
        names = workers.reindex(table.index)
        table["worker"] = names
        cols = [c for c in ("households", "population", "workload") if c in table]
        per_worker = (
            table.dropna(subset=["worker"])
            .groupby("worker")[cols]
            .sum()
            .assign(grids=table.dropna(subset=["worker"]).groupby("worker").size())
            .reset_index()
        )
        out["per_worker"] = {c: _stats(per_worker[c].to_numpy(dtype=float)) for c in cols}
    return out, table, per_worker


def _shape(territory: Territory, plan: GridPlan) -> dict[str, Any]:
    m = plan.metrics
    units = territory.units
    cent = shapely.centroid(np.asarray(units.geometry.array))
    x, y = shapely.get_x(cent), shapely.get_y(cent)
    w = units[territory.population_col].to_numpy(dtype=float)
    lab = plan._labels
    area = territory.areas.to_numpy()
    gx = np.bincount(lab, weights=x * area) / np.bincount(lab, weights=area)
    gy = np.bincount(lab, weights=y * area) / np.bincount(lab, weights=area)
    d = np.hypot(x - gx[lab], y - gy[lab])
    return {
        "mean_polsby_popper": m["mean_polsby_popper"],
        "min_polsby_popper": m["min_polsby_popper"],
        "cut_edges": m["cut_edges"],
        "boundary_length_m": m["boundary_length"],
        "mean_distance_m": float(np.average(d, weights=w)) if w.sum() > 0 else float(d.mean()),
        "max_distance_m": float(d.max()),
    }


def _row(name: str, plan: GridPlan, tol: float, moved: tuple[float, int], note: str = ""):
    dev = plan.grids["deviation"].abs()
    load = plan.grids[grid_column(plan)].to_numpy(dtype=float)
    return {
        "plan": name,
        "grids": int(plan.metrics["n_grids"]),
        "max_abs_deviation": float(dev.max()),
        "share_within_tolerance": float((dev <= tol + 1e-9).mean()),
        "cv": _stats(load)["cv"],
        "contiguous": bool(plan.metrics["contiguous"]),
        "cut_edges": int(plan.metrics["cut_edges"]),
        "mean_polsby_popper": float(plan.metrics["mean_polsby_popper"]),
        "households_moved": moved[0],
        "units_moved": moved[1],
        "note": note,
    }


def _compare(
    territory: Territory,
    plan: GridPlan,
    imported: ImportedGrids,
    tol: float,
    within: str | None,
    seed: int,
) -> tuple[pd.DataFrame, Rebalance | None, GridPlan | None]:
    from gridplan.division import divide

    hh = territory.units[territory.households_col or plan.params["balance_column"]].to_numpy()
    rows = [_row("existing", plan, tol, (0.0, 0))]
    kw = {"balance": plan.params["balance"], "within": within}
    re_plan = rebalance(imported, territory, tol, strict=False, **kw)
    note = "" if not re_plan.plan.metrics["violations"] else "best found, outside tolerance"
    moved = (re_plan.households_moved, re_plan.units_moved)
    rows.append(_row("rebalanced", re_plan.plan, tol, moved, note))
    try:
        fresh: GridPlan | None = divide(
            territory,
            n_grids=plan.metrics["n_grids"],
            tolerance=tol,
            seed=seed,
            strict=False,
            **kw,
        )
    except GridplanError as exc:
        fresh = None
        rows.append({"plan": "redrawn", "note": f"divide failed: {exc}"})
    if fresh is not None:
        moved = moved_between(plan.assignment.to_numpy(), fresh.assignment.to_numpy(), hh)
        rows.append(_row("redrawn", fresh, tol, moved, "divide(), grids matched by overlap"))
    return pd.DataFrame(rows), re_plan, fresh


def assess(
    territory: Territory,
    grids: GridsInput,
    tolerance: float = 0.05,
    *,
    balance: str | None = None,
    within: str | None = None,
    code: str = "code",
    worker: str | None = None,
    workers: Mapping[Hashable, str] | pd.Series | None = None,
    rules: Rules | None = None,
    compare: bool = True,
    seed: int = 0,
) -> Assessment:
    """Evaluate existing grids: topology, balance, shape, and what re-balancing would take.

    Parameters
    ----------
    territory
        The :class:`~gridplan.Territory` the grids cover.
    grids
        A grids layer (GeoDataFrame with a ``code`` column, optionally
        ``worker``), the name of a units column of codes, a Series unit id ->
        code, an :class:`ImportedGrids` or a :class:`~gridplan.GridPlan`.
    tolerance
        The deviation from target a grid may have (for the share within
        tolerance and the comparison plans).
    balance
        Column the targets are on (default households when the territory has
        them, else population).
    within
        Parent column (default the territory's ``parent``): grids are checked
        for crossing it, targets are per parent, codes must start with it.
    workers
        Grid code -> worker name (a worker leading several grids is summed).
    rules
        :class:`~gridplan.Rules` whose ``vulnerable_weights`` weigh the
        workload (households plus weighted vulnerable residents).
    compare
        Also re-balance (:func:`rebalance`) and re-draw (:func:`~gridplan.divide`,
        same grid count and tolerance) and count what each moves.
    """
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or not tolerance >= 0:
        raise ConfigError(f"tolerance={tolerance!r}: give a number 0 or more, e.g. 0.05.")
    tol = float(tolerance)
    imported = _as_imported(territory, grids, code, worker)
    if balance is None:
        balance = "households" if territory.households_col else "population"
    parent = within if within is not None else territory.parent_col
    assignment, params = _existing_plan(territory, imported, balance, within)
    params["tolerance"] = tol
    plan = GridPlan(territory, assignment, params)
    topo, problems = _topology(territory, imported, plan, parent)
    names = imported.workers if workers is None else pd.Series(workers, dtype=object)
    bal, table, per_worker = _balance(territory, plan, tol, rules or Rules(), names)
    table["pieces"] = [topo["grids_in_pieces"].get(str(c), 1) for c in table.index]
    comparison, re_plan, fresh = (
        _compare(territory, plan, imported, tol, within, seed)
        if compare
        else (pd.DataFrame([_row("existing", plan, tol, (0.0, 0))]), None, None)
    )
    return Assessment(
        plan=plan,
        tolerance=tol,
        topology=topo,
        balance=bal,
        shape=_shape(territory, plan),
        grids=table,
        problems=problems,
        comparison=comparison,
        workers=per_worker,
        rebalanced=re_plan,
        redrawn=fresh,
        imported=imported,
    )
