"""Rings flown as a ground station flies them: whole loops, chained from the outside in.

A ring is entered at its point nearest to where the drone is and flown all the way
round; the next ring of its chain (the one a swath inside it) is entered nearest to
where the last was left, a hop of about a swath. Chains round holes and zones go
where the route passes closest to them.
"""

import itertools
import math
from collections.abc import Sequence

import numpy as np
import shapely
from shapely import LineString

from mission_planner.coverage.stages import Headland
from mission_planner.plan import Point

__all__ = ["chains_of", "fly_chain", "loop_from", "with_chains"]


def loop_from(ring: LineString, point: Point, clear_m: float = 0.0) -> tuple[Point, ...]:
    """A closed ring flown from its point nearest to ``point`` all the way round.

    The start stays ``clear_m`` from the ring's corners where the edge allows: a flat
    end at a corner would leave the corner's round join unsprayed.
    """
    xy = shapely.get_coordinates(ring)
    a, b = xy[:-1], xy[1:]
    d = b - a
    length = np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-9)
    t = ((np.asarray(point) - a) * d).sum(axis=1) / length**2
    margin = np.minimum(clear_m / length, 0.5)
    t = np.clip(t, margin, 1.0 - margin)
    foot = a + t[:, None] * d
    i = int(np.argmin(np.hypot(*(foot - np.asarray(point)).T)))
    at = (float(foot[i, 0]), float(foot[i, 1]))
    body: list[Point] = list(map(tuple, np.vstack([xy[i + 1 : -1], xy[: i + 1]]).tolist()))
    path = [at, *body, at]
    # A foot on a vertex would repeat it.
    return tuple(p for k, p in enumerate(path) if k == 0 or p != path[k - 1])


def chains_of(head: Headland) -> list[list[LineString]]:
    """The rings as chains, each ring followed by the one a swath inside it.

    A ring with a single ring inside it (a field's outline and the rings within, or the
    rings round a hole) continues its chain; where the band splits in two (a waist),
    each lobe's rings start chains of their own.
    """
    rings = list(head.passes)
    depths = list(head.depths) or [0] * len(rings)
    parent: dict[int, int] = {}
    for i, depth in enumerate(depths):
        outer = [j for j, d in enumerate(depths) if d == depth - 1]
        if outer:  # the ring nearest to one of its points (a line-to-line distance is slow)
            on = shapely.Point(rings[i].coords[0])
            parent[i] = outer[int(np.argmin(shapely.distance([rings[j] for j in outer], on)))]
    children: dict[int, list[int]] = {}
    for i, j in parent.items():
        children.setdefault(j, []).append(i)
    chains: list[list[LineString]] = []
    for i in range(len(rings)):
        if i in parent and len(children[parent[i]]) == 1:
            continue  # flown after its parent, in the parent's chain
        chain, at = [rings[i]], i
        while len(children.get(at, [])) == 1:
            at = children[at][0]
            chain.append(rings[at])
        chains.append(chain)
    return chains


def fly_chain(chain: Sequence[LineString], at: Point, width_m: float) -> list[tuple[Point, ...]]:
    """Each ring of a chain flown whole, entered where the last one was left."""
    loops: list[tuple[Point, ...]] = []
    for ring in chain:
        loops.append(loop_from(ring, at, width_m / 2.0))
        at = loops[-1][-1]
    return loops


def with_chains(
    paths: list[tuple[Point, ...]], chains: Sequence[Sequence[LineString]], width_m: float
) -> list[tuple[Point, ...]]:
    """Each chain of rings (round a hole or a zone) flown where the route passes closest.

    A chain goes between the two sprayed paths where the detour to it and on costs
    least, flown inwards or outwards, whichever is shorter there: flown before every
    swath, as all rings once were, a hole in the middle of a field cost two hops of
    half its width.
    """
    paths = list(paths)
    for chain in chains:
        if not paths:
            paths.extend(fly_chain(chain, chain[0].coords[0], width_m))
            continue
        ends = shapely.points(np.array([p[-1] for p in paths]))
        nexts = shapely.points(np.array([p[0] for p in paths[1:]] + [paths[-1][-1]]))
        skip = np.append([math.dist(p[-1], q[0]) for p, q in itertools.pairwise(paths)], 0.0)
        last = np.arange(len(paths)) == len(paths) - 1
        best: tuple[float, int, Sequence[LineString]] | None = None
        for oriented in (chain, chain[::-1]):
            cost = shapely.distance(oriented[0], ends) + np.where(
                last, 0.0, shapely.distance(oriented[-1], nexts) - skip
            )
            i = int(np.argmin(cost))
            if best is None or cost[i] < best[0]:
                best = (float(cost[i]), i, oriented)
        assert best is not None
        _, i, oriented = best
        paths[i + 1 : i + 1] = fly_chain(oriented, paths[i][-1], width_m)
    return paths
