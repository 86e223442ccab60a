"""Static figures (matplotlib) and report tables for grid plans and allocations.

- :func:`plot_plan` – grids coloured by a column, codes written in.
- :func:`plot_allocation` – coverage, service points, radii, people and links.
- :func:`budget_curve` – objective against budget from a budget sweep.
- :func:`plan_report` / :func:`allocation_report` – pandas tables to paste
  into a document (``to_csv``/``to_excel`` work as usual).
- :func:`explain_allocation` – what limits an allocation's coverage, in words.

Every function takes ``lang="zh"`` for Chinese titles, legends and headings.

matplotlib is imported only when a figure is drawn (extras ``plot``/``test``).

>>> import pandas as pd
>>> plan_report(pd.DataFrame({"households": [300]}, index=["G1"])).columns.tolist()
['Households']
"""

from gridplan.plots.allocation import plot_allocation
from gridplan.plots.budget import budget_curve
from gridplan.plots.explain import explain_allocation
from gridplan.plots.plan import plot_plan
from gridplan.plots.reports import allocation_report, plan_report

__all__ = [
    "allocation_report",
    "budget_curve",
    "explain_allocation",
    "plan_report",
    "plot_allocation",
    "plot_plan",
]
