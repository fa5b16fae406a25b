"""Dependency order with a deterministic tie-break, shared by the built-in dumps."""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Mapping, Set
from typing import TypeVar

__all__ = ["dependency_order"]

K = TypeVar("K", bound=Hashable)


def dependency_order(nodes: Mapping[K, str], needs: Mapping[K, Set[K]]) -> list[K]:
    """``nodes`` (key -> sort name) so that each comes after what it ``needs``; among the
    ready ones the smallest sort name first. A cycle (which the databases forbid between
    views, but a text heuristic may see) is broken at its smallest name, never dropped.

    >>> dependency_order({"a": "a", "b": "b"}, {"a": {"b"}})
    ['b', 'a']
    """
    waiting = {k: {d for d in needs.get(k, ()) if d in nodes and d != k} for k in nodes}
    users: dict[K, list[K]] = {k: [] for k in nodes}
    for k, deps in waiting.items():
        for d in deps:
            users[d].append(k)
    ready = [(nodes[k], i, k) for i, k in enumerate(nodes) if not waiting[k]]
    heapq.heapify(ready)
    order: list[K] = []
    index = {k: i for i, k in enumerate(nodes)}
    while len(order) < len(nodes):
        if not ready:  # a cycle: release its smallest member
            k = min((k for k in nodes if waiting[k]), key=lambda k: (nodes[k], index[k]))
            waiting[k] = set()
            heapq.heappush(ready, (nodes[k], index[k], k))
        _, _, k = heapq.heappop(ready)
        if k in order:
            continue
        order.append(k)
        for u in users[k]:
            if waiting[u]:
                waiting[u].discard(k)
                if not waiting[u]:
                    heapq.heappush(ready, (nodes[u], index[u], u))
    return order
