"""Split over-full grids and merge surplus ones, so each parent has ``round(load / size)`` grids.

A split cuts a grid across its principal axis where the running load
reaches half, then hands stray pieces of each side to the other side
(first A's strays to B, then B's to A: inside a connected grid both sides
end connected). A merge joins the lightest grid of a parent to its lightest
neighbouring grid of the same parent. Either is followed by the ordinary
re-balance, which evens the loads out.

>>> import numpy as np
>>> nb = [[1], [0, 2], [1, 3], [2]]
>>> halves(nb, np.arange(4), np.ones(4), np.arange(4.0), np.zeros(4))
array([False, False,  True,  True])
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["grids_needed", "halves", "merge_into", "resize"]


def _pieces(nb: list[list[int]], members: np.ndarray, mask: np.ndarray) -> list[np.ndarray]:
    """Connected pieces (as positions into ``members``) of the members where ``mask`` holds."""
    where = {int(u): i for i, u in enumerate(members.tolist()) if mask[i]}
    out, seen = [], set()
    for u, i in where.items():
        if u in seen:
            continue
        seen.add(u)
        stack, piece = [u], [i]
        while stack:
            v = stack.pop()
            for x in nb[v]:
                if x in where and x not in seen:
                    seen.add(x)
                    piece.append(where[x])
                    stack.append(x)
        out.append(np.array(sorted(piece)))
    return out


def halves(
    nb: list[list[int]], members: np.ndarray, w: np.ndarray, x: np.ndarray, y: np.ndarray
) -> np.ndarray:
    """Boolean per member: True for the second half (both halves connected)."""
    w = w if w.sum() > 0 else np.ones(len(w))
    xy = np.stack([x - x.mean(), y - y.mean()])
    _, vecs = np.linalg.eigh(np.cov(xy) if len(x) > 1 else np.eye(2))
    axis = vecs[:, -1] * (1 if vecs[0, -1] >= 0 else -1)
    order = np.argsort(xy.T @ axis, kind="stable")
    cum, half = np.cumsum(w[order]), w.sum() / 2
    cut = int(np.searchsorted(cum, half)) + 1  # units on side A: the first to reach half
    if cut > 1 and half - cum[cut - 2] < cum[cut - 1] - half:
        cut -= 1
    cut = min(max(cut, 1), len(members) - 1)
    side = np.zeros(len(members), dtype=bool)
    side[order[cut:]] = True
    for flag in (False, True):  # strays of A go to B, then strays of B go to A
        parts = _pieces(nb, members, side == flag)
        parts.sort(key=lambda p: (-float(w[p].sum()), -len(p), int(p[0])))
        for p in parts[1:]:
            side[p] = not flag
    return side


def grids_needed(load: np.ndarray, size: float) -> np.ndarray:
    """Grids per parent: ``round(load / size)``, at least one."""
    return np.maximum(1, np.floor(load / size + 0.5)).astype(np.int64)


def merge_into(labels: np.ndarray, g: int, into: int) -> None:
    """Give grid ``g``'s units to ``into`` and close the gap in the labels."""
    labels[labels == g] = into
    labels[labels > g] -= 1


def resize(
    labels: np.ndarray,
    group: np.ndarray,
    codes: list[str],
    nb: list[list[int]],
    weight: np.ndarray,
    xy: tuple[np.ndarray, np.ndarray],
    size: float,
    next_code: Callable[[int], str],
    locked: np.ndarray,
) -> tuple[list[str], list[str], dict[int, str]]:
    """Split and merge grids in place; returns new codes, merged codes and unit -> reason.

    Grids holding a locked unit are neither split nor merged away; when no
    other grid can be, the parent keeps the grids it has.
    """
    new: list[str] = []
    merged: list[str] = []
    reason: dict[int, str] = {}
    fixed = {int(g) for g in labels[locked]}
    need = grids_needed(np.bincount(group, weights=weight), size)
    for gi in range(len(need)):
        while True:
            mine = sorted({int(g) for g in labels[group == gi]})
            load = {g: float(weight[labels == g].sum()) for g in mine}
            free = [g for g in mine if g not in fixed]
            if len(mine) < need[gi] and any((labels == g).sum() > 1 for g in free):
                big = max((g for g in free if (labels == g).sum() > 1), key=lambda g: (load[g], -g))
                members = np.flatnonzero(labels == big)
                side = halves(nb, members, weight[members], xy[0][members], xy[1][members])
                codes.append(next_code(gi))
                new.append(codes[-1])
                labels[members[side]] = len(codes) - 1
                reason.update({int(u): "split" for u in members[side]})
            elif len(mine) > need[gi] and free:
                small = min(free, key=lambda g: (load[g], g))
                touching = {int(labels[v]) for u in np.flatnonzero(labels == small) for v in nb[u]}
                into = min(touching - {small}, key=lambda g: (load[g], g))
                reason.update({int(u): "merged" for u in np.flatnonzero(labels == small)})
                merged.append(codes.pop(small))
                merge_into(labels, small, into)
                fixed = {g - (g > small) for g in fixed}
            else:
                break
    return new, merged, reason
