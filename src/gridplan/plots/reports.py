"""Tables a planner can paste into a document: :func:`plan_report`, :func:`allocation_report`.

Plain pandas DataFrames with readable column names and rounded figures, so
``to_csv``, ``to_excel``, ``to_markdown`` or a copy from a notebook all work.
Percentages are given in percent (12.5 means 12.5 %), areas in hectares.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from gridplan._display import allocation_grids, allocation_part, names_by_id
from gridplan._types import SupportsGrids
from gridplan.errors import ConfigError, InputError
from gridplan.i18n import N_, column_label, gettext, translate

__all__ = ["allocation_report", "plan_report"]

# column → (heading, how): how is "int", "pct", "ha", "round3", "list" or "text".
_PLAN: list[tuple[str, str, str]] = [
    ("parent", N_("Community"), "text"),
    ("n_units", N_("Units"), "int"),
    ("households", N_("Households"), "int"),
    ("population", N_("Population"), "int"),
]
_PLAN_TAIL: list[tuple[str, str, str]] = [
    ("target", N_("Target"), "target"),
    ("deviation", N_("Deviation (%)"), "pct"),
    ("area_m2", N_("Area (ha)"), "ha"),
    ("polsby_popper", N_("Compactness (Polsby–Popper)"), "round3"),
    ("neighbours", N_("Neighbouring grids"), "list"),
    ("worker", N_("Grid worker"), "text"),
]
_SUMMABLE = {"int", "ha", "round1"}


def _convert(values: pd.Series, how: str) -> pd.Series:
    if how == "pct":
        return (values.astype(float) * 100).round(1)
    if how == "ha":
        return (values.astype(float) / 10_000).round(2)
    if how == "round3":
        return values.astype(float).round(3)
    if how in ("round1", "target"):
        return values.astype(float).round(1)
    if how == "int":
        v = values.astype(float)
        if np.allclose(v.dropna(), v.dropna().round()):
            return v.round().astype("Int64")
        return v.round(1)
    if how == "list":
        return values.map(
            lambda v: (
                ", ".join(map(str, v))
                if isinstance(v, (list, tuple, set, np.ndarray))
                else ("" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
            )
        )
    return values.map(
        lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
    )


def _join(v: Any) -> str:
    """Lists and comma-joined strings as "a, b, c"."""
    if isinstance(v, (list, tuple, set, np.ndarray)):
        return ", ".join(map(str, v))
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    return ", ".join(p.strip() for p in str(v).split(",")) if "," in str(v) else str(v)


def _heading(column: str) -> str:
    return str(column).replace("_", " ").strip().capitalize()


def _table(
    df: pd.DataFrame, spec: list[tuple[str, str, str]], lang: str = "en"
) -> tuple[pd.DataFrame, list[str]]:
    _ = gettext(lang)
    out = pd.DataFrame(index=df.index)
    summable = []
    for col, heading, how in spec:
        if col in df.columns:
            out[_(heading)] = _convert(df[col], how)
            if how in _SUMMABLE:
                summable.append(_(heading))
    return out, summable


def _add_total(table: pd.DataFrame, summable: list[str], lang: str = "en") -> pd.DataFrame:
    total: dict[str, Any] = {c: "" for c in table.columns}
    total.update({c: table[c].sum() for c in summable})
    name = translate(lang, "Total")
    row = pd.DataFrame([total], index=pd.Index([name], name=table.index.name))
    out = pd.concat([table.astype(object), row])
    return out.reindex(columns=table.columns)


def plan_report(
    grids: pd.DataFrame,
    totals: bool = False,
    parent_label: str | None = None,
    lang: str = "en",
) -> pd.DataFrame:
    """One row per grid: community, units, demand, target, deviation (%), area (ha), …

    Other numeric columns (further demand totals such as elderly people living
    alone) are included with readable headings. ``totals=True`` appends a
    "Total" row for the additive columns. ``parent_label`` heads the
    ``parent`` column (``GridPlan.report`` passes its nesting column;
    default "Community"). ``lang="zh"`` gives Chinese headings; the values
    are the same.

    >>> import pandas as pd
    >>> g = pd.DataFrame({"households": [300, 320], "deviation": [-0.0323, 0.0323],
    ...                   "area_m2": [41000.0, 39000.0]}, index=pd.Index(["G1", "G2"], name="grid"))
    >>> plan_report(g).loc["G1"].tolist()
    [300.0, -3.2, 4.1]
    """
    if not isinstance(grids, pd.DataFrame):
        raise InputError(f"grids must be a DataFrame, got {type(grids).__name__}")
    _ = gettext(lang)
    parent_label = _("Community") if parent_label is None else parent_label
    known = {c for c, _, _ in _PLAN + _PLAN_TAIL}
    geometry = getattr(grids, "_geometry_column_name", None)
    extra = [
        (c, column_label(c, lang), "int")
        for c in grids.columns
        if c not in known
        and c != geometry
        and pd.api.types.is_numeric_dtype(grids[c])
        and not pd.api.types.is_bool_dtype(grids[c])
    ]
    head = [(c, parent_label if c == "parent" else h, how) for c, h, how in _PLAN]
    table, summable = _table(grids, head + extra + _PLAN_TAIL, lang)
    table.index = table.index.rename(_("Grid"))
    if totals:
        table = _add_total(table, summable, lang)
    return table


Kind = Literal["grids", "sites", "workers", "volunteers", "summary"]


def allocation_report(
    allocation: SupportsGrids, kind: Kind = "grids", lang: str = "en"
) -> pd.DataFrame:
    """A table of an allocation (any object with ``Allocation``'s attributes).

    ``kind``: ``"grids"`` (coverage, service point, lead worker, volunteer
    hours per grid), ``"sites"``, ``"workers"``, ``"volunteers"`` or
    ``"summary"`` (one figure per row: status, cost, budget, coverage…).
    ``lang="zh"`` gives Chinese headings and labels.

    >>> from types import SimpleNamespace
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"households": [300], "households_served": [240],
    ...     "coverage": [0.8]}, geometry=[box(0, 0, 1, 1)], index=pd.Index(["G1"], name="grid"))
    >>> allocation_report(SimpleNamespace(grids=g))["Coverage (%)"].tolist()
    [80.0]
    """
    builders = {
        "grids": _grids_report,
        "sites": _sites_report,
        "workers": _workers_report,
        "volunteers": _volunteers_report,
        "summary": _summary_report,
    }
    if kind not in builders:
        raise ConfigError(f"kind must be one of {', '.join(builders)}, got {kind!r}")
    return builders[kind](allocation, lang)


def _named(ids: pd.Series, names: Mapping[Any, str]) -> pd.Series:
    def one(v: Any) -> str:
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            return ""
        n = names.get(v)
        return f"{n} ({v})" if n and n != str(v) else str(v)

    return ids.map(one)


def _grids_report(allocation: SupportsGrids, lang: str) -> pd.DataFrame:
    grids = allocation_grids(allocation)
    df = pd.DataFrame(grids.drop(columns=grids.geometry.name))
    if "site_id" in df.columns:
        df["site_id"] = _named(df["site_id"], names_by_id(allocation_part(allocation, "sites")))
    if "lead_worker" in df.columns:
        df["lead_worker"] = _named(
            df["lead_worker"], names_by_id(allocation_part(allocation, "workers"))
        )
    va = allocation_part(allocation, "volunteer_assignment")
    if va is not None and "grid" in va.columns:
        id_col = "volunteer_id" if "volunteer_id" in va.columns else None
        counts = va.groupby("grid")[id_col].nunique() if id_col else va.groupby("grid").size()
        df["n_volunteers"] = counts.reindex(df.index).fillna(0)
    spec = [
        ("parent", N_("Community"), "text"),
        ("households", N_("Households"), "int"),
        ("households_served", N_("Households served"), "int"),
        ("coverage", N_("Coverage (%)"), "pct"),
        ("site_id", N_("Service point"), "text"),
        ("lead_worker", N_("Lead worker"), "text"),
        ("n_volunteers", N_("Volunteers"), "int"),
        ("need_hours", N_("Volunteer need (h/month)"), "round1"),
        ("hours_delivered", N_("Hours delivered (h/month)"), "round1"),
        ("unmet_hours", N_("Unmet (h/month)"), "round1"),
    ]
    table, _sums = _table(df, spec, lang)
    table.index = table.index.rename(translate(lang, "Grid"))
    return table


def _sites_report(allocation: SupportsGrids, lang: str) -> pd.DataFrame:
    _ = gettext(lang)
    sites = allocation_part(allocation, "sites")
    if sites is None:
        raise InputError("the allocation has no sites to report")
    df = pd.DataFrame(sites.drop(columns=sites.geometry.name, errors="ignore"))
    opened = df["open"].fillna(False).astype(bool) if "open" in df.columns else True
    existing = df["existing"].fillna(False).astype(bool) if "existing" in df.columns else False
    df["status"] = np.where(
        opened, np.where(existing, _("open (existing)"), _("open (new)")), _("not opened")
    )
    if {"households_served", "capacity"} <= set(df.columns):
        cap = df["capacity"].astype(float).replace(0, np.nan)
        df["utilisation"] = df["households_served"].astype(float) / cap
    spec = [
        ("name", N_("Name"), "text"),
        ("status", N_("Status"), "text"),
        ("capacity", N_("Capacity (households)"), "int"),
        ("households_served", N_("Households served"), "int"),
        ("utilisation", N_("Utilisation (%)"), "pct"),
        ("radius_m", N_("Service radius (m)"), "int"),
        ("cost", N_("Cost"), "round1"),
    ]
    table, _sums = _table(df, spec, lang)
    table.index = table.index.rename(_("Site"))
    return table


def _people_report(
    allocation: SupportsGrids, part: str, flag: str, flag_heading: str, lang: str, index_name: str
) -> pd.DataFrame:
    _ = gettext(lang)
    people = allocation_part(allocation, part)
    if people is None:
        raise InputError(f"the allocation has no {part} to report")
    df = pd.DataFrame(people.drop(columns=people.geometry.name, errors="ignore"))
    id_col = part.rstrip("s") + "_id"
    assignment = allocation_part(allocation, part.rstrip("s") + "_assignment")
    if assignment is not None and id_col in assignment.columns and "grid" in assignment.columns:
        groups = assignment.groupby(id_col)
        df["assigned"] = groups["grid"].apply(lambda s: ", ".join(map(str, s))).reindex(df.index)
        df["n_assigned"] = groups.size().reindex(df.index).fillna(0)
        if "distance_m" in assignment.columns:
            df["mean_distance"] = groups["distance_m"].mean().reindex(df.index)
    elif "grids" in df.columns:
        df["assigned"] = df["grids"]
    spec = [
        ("name", N_("Name"), "text"),
        (flag, flag_heading, "text"),
        ("assigned", N_("Grids"), "list"),
        ("n_assigned", N_("Number of grids"), "int"),
        ("hours_assigned", N_("Hours assigned (per month)"), "round1"),
        ("mean_distance", N_("Mean distance to grid (m)"), "int"),
        ("cost", N_("Cost (per year)"), "round1"),
    ]
    if flag in df.columns:
        df[flag] = df[flag].map(lambda v: _("yes") if bool(v) else _("no"))
    table, _sums = _table(df, spec, lang)
    table.index = table.index.rename(_(index_name))
    return table


def _workers_report(allocation: SupportsGrids, lang: str) -> pd.DataFrame:
    return _people_report(allocation, "workers", "hired", N_("Hired"), lang, N_("Worker"))


def _volunteers_report(allocation: SupportsGrids, lang: str) -> pd.DataFrame:
    return _people_report(
        allocation, "volunteers", "selected", N_("Selected"), lang, N_("Volunteer")
    )


# The parts of ``Allocation.cost``, readable (translated where shown).
COST_ITEMS: dict[str, str] = {
    "sites_open_cost": N_("Opening new service points (spread over years)"),
    "sites_annual_cost": N_("Running service points"),
    "workers": N_("Grid workers"),
    "volunteers": N_("Volunteers"),
    "total": N_("Total"),
}


def _summary_report(allocation: SupportsGrids, lang: str) -> pd.DataFrame:
    _ = gettext(lang)
    rows: list[tuple[str, Any]] = []
    status = getattr(allocation, "status", None)
    if status is not None:
        rows.append((_("Solver status"), _(str(status))))
    cost = getattr(allocation, "cost", None)
    if isinstance(cost, Mapping):
        if "total" in cost:
            rows.append((_("Total cost"), round(float(cost["total"]), 2)))
        for key, value in cost.items():
            if key != "total" and isinstance(value, (int, float, np.number)):
                item = _(COST_ITEMS[key]) if key in COST_ITEMS else _heading(key).lower()
                rows.append((_("Cost: {item}").format(item=item), round(float(value), 2)))
    elif cost is not None:
        rows.append((_("Total cost"), round(float(cost), 2)))
    budget = getattr(allocation, "budget", None)
    if budget is not None:
        rows.append((_("Budget"), round(float(budget), 2)))
    gap = getattr(allocation, "gap", None)
    if gap is not None:
        rows.append((_("Optimality gap (%)"), round(float(gap) * 100, 3)))
    grids = allocation_grids(allocation)
    if {"households", "households_served"} <= set(grids.columns):
        hh = float(grids["households"].sum())
        served = float(grids["households_served"].sum())
        rows += [(_("Households"), round(hh)), (_("Households served"), round(served))]
        if hh:
            rows.append((_("Households served (%)"), round(served / hh * 100, 1)))
    if "unmet_hours" in grids.columns:
        rows.append(
            (_("Unmet volunteer hours per month"), round(float(grids["unmet_hours"].sum()), 1))
        )
    for part, flag, label in (
        ("sites", "open", N_("Service points open")),
        ("workers", "hired", N_("Grid workers hired")),
        ("volunteers", "selected", N_("Volunteers selected")),
    ):
        df = allocation_part(allocation, part)
        if df is not None and flag in df.columns:
            n = int(df[flag].fillna(False).astype(bool).sum())
            rows.append((_(label), _("{part} of {whole}").format(part=n, whole=len(df))))
    from gridplan.plots.explain import explain_allocation

    why = ("" if lang == "zh" else " ").join(explain_allocation(allocation, lang))
    rows.append((_("What limits coverage"), why))
    return pd.DataFrame(rows, columns=[_("Item"), _("Value")]).set_index(_("Item"))
