"""Tour construction and improvement: nearest neighbour, 2-opt, Or-opt, and an ILS.

* Nearest neighbour (Rosenkrantz, Stearns, Lewis 1977), numpy-vectorised.
* 2-opt (Croes 1958) and Or-opt (Or 1976: move a segment of 1-3 nodes elsewhere, either
  orientation) with K-nearest neighbour lists, the gain criterion (an added edge must be
  shorter than the removed one it replaces) and don't-look bits (Bentley 1992).
* Iterated local search (Lourenço, Martin, Stützle, "Iterated Local Search", 2003;
  Johnson & McGeoch 1997 for the "segment" double-bridge kick): perturb the current
  local optimum by a double bridge whose three cut points lie within a short window,
  re-optimise only around the changed edges, accept when not worse.

Our own code (MIT-licensable); ``edgeopt``'s best tour improver is :func:`ils`.
Distances are read from a Python list of lists (faster than numpy scalar indexing).
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable

import numpy as np


def nearest_neighbour(d: np.ndarray, start: int = 0) -> list[int]:
    """Nearest-neighbour cycle from ``start``."""
    n = d.shape[0]
    visited = np.zeros(n, dtype=bool)
    tour = [start]
    visited[start] = True
    cur = start
    for _ in range(n - 1):
        row = np.where(visited, np.inf, d[cur])
        cur = int(np.argmin(row))
        visited[cur] = True
        tour.append(cur)
    return tour


def neighbour_lists(d: np.ndarray, k: int) -> list[list[int]]:
    """The ``k`` nearest other nodes of each node, closest first."""
    n = d.shape[0]
    k = max(1, min(k, n - 1))
    dd = d + np.diag(np.full(n, np.inf))
    idx = np.argsort(dd, axis=1, kind="stable")[:, :k]
    return idx.tolist()


class TourState:
    """A cycle as an array with positions, and the local-search moves on it."""

    def __init__(self, dist: list[list[float]], neigh: list[list[int]], tour: list[int]):
        self.d = dist
        self.neigh = neigh
        self.t = list(tour)
        self.n = len(tour)
        self.pos = [0] * self.n
        for i, c in enumerate(self.t):
            self.pos[c] = i

    def length(self) -> float:
        """Cycle length."""
        t, d = self.t, self.d
        return sum(d[t[i - 1]][t[i]] for i in range(self.n))

    def succ(self, c: int) -> int:
        p = self.pos[c] + 1
        return self.t[0 if p == self.n else p]

    def pred(self, c: int) -> int:
        return self.t[self.pos[c] - 1]

    def reverse(self, i: int, j: int) -> None:
        """Reverse positions ``i..j`` going forward (wrapping), the shorter way."""
        n, t, pos = self.n, self.t, self.pos
        inner = (j - i) % n + 1
        if 2 * inner > n:
            i, j = (j + 1) % n, (i - 1) % n
            inner = n - inner
        if i <= j:
            t[i:j + 1] = t[i:j + 1][::-1]
            for k in range(i, j + 1):
                pos[t[k]] = k
            return
        for _ in range(inner // 2):
            a, b = t[i], t[j]
            t[i], t[j] = b, a
            pos[b], pos[a] = i, j
            i = i + 1 if i + 1 < n else 0
            j = j - 1 if j > 0 else n - 1

    def rebuild(self, tour: list[int]) -> None:
        self.t = tour
        pos = self.pos
        for i, c in enumerate(tour):
            pos[c] = i

    # -- moves ---------------------------------------------------------------------
    def try_two_opt(self, a: int) -> tuple[float, list[int]] | None:
        d, pos = self.d, self.pos
        da = d[a]
        for forward in (True, False):
            b = self.succ(a) if forward else self.pred(a)
            dab = da[b]
            for c in self.neigh[a]:
                dac = da[c]
                if dac >= dab:
                    break
                e = self.succ(c) if forward else self.pred(c)
                if c == b or e == a:
                    continue
                delta = dac + d[b][e] - dab - d[c][e]
                if delta < -1e-10:
                    if forward:
                        self.reverse(pos[b], pos[c])
                    else:
                        self.reverse(pos[c], pos[b])
                    return delta, [a, b, c, e]
        return None

    def try_or_opt(self, a: int) -> tuple[float, list[int]] | None:
        d, n = self.d, self.n
        if n < 5:
            return None
        for seg_len in (1, 2, 3):
            if seg_len >= n - 2:
                break
            for at_start in (True, False):
                s1 = a
                s2 = a
                for _ in range(seg_len - 1):
                    if at_start:
                        s2 = self.succ(s2)
                    else:
                        s1 = self.pred(s1)
                p, q = self.pred(s1), self.succ(s2)
                gain = d[p][s1] + d[s2][q] - d[p][q]
                if gain <= 1e-10:
                    continue
                seg = self._segment(s1, seg_len)
                for end, other in ((s1, s2), (s2, s1)):
                    dend = d[end]
                    for c in self.neigh[end]:
                        dce = dend[c]
                        if dce >= gain:
                            break
                        if c in seg:
                            continue
                        for e in (self.succ(c), self.pred(c)):
                            if e in seg:
                                continue
                            # insert between c and e with ``end`` next to c
                            delta = dce + d[other][e] - d[c][e] - gain
                            if delta < -1e-10:
                                self._move_segment(seg, c, e, end)
                                return delta, [p, q, c, e, s1, s2]
        return None

    def _segment(self, s1: int, length: int) -> list[int]:
        i, t, n = self.pos[s1], self.t, self.n
        return [t[(i + k) % n] for k in range(length)]

    def _move_segment(self, seg: list[int], c: int, e: int, end: int) -> None:
        """Remove ``seg`` and reinsert it between adjacent ``c`` and ``e``, ``end`` next to c."""
        t = self.t
        i = self.pos[seg[0]]
        rot = t[i:] + t[:i]
        rest = rot[len(seg):]
        k = rest.index(c)
        piece = seg if end == seg[0] else seg[::-1]
        if rest[(k + 1) % len(rest)] == e:  # c then e: c, piece, e
            new = rest[:k + 1] + piece + rest[k + 1:]
        else:  # e then c: e, reversed piece, c
            new = rest[:k] + piece[::-1] + rest[k:]
        self.rebuild(new)

    def local_search(self, queue: deque[int] | None = None,
                     stop: Callable[[], bool] | None = None) -> float:
        """2-opt + Or-opt to a local optimum; returns the total change in length."""
        if queue is None:
            queue = deque(self.t)
        active = [False] * self.n
        for c in queue:
            active[c] = True
        total = 0.0
        steps = 0
        while queue:
            a = queue.popleft()
            active[a] = False
            steps += 1
            if stop is not None and steps % 256 == 0 and stop():
                break
            found = self.try_two_opt(a) or self.try_or_opt(a)
            if found is not None:
                delta, touched = found
                total += delta
                for c in touched:
                    if not active[c]:
                        active[c] = True
                        queue.append(c)
                if not active[a]:
                    active[a] = True
                    queue.append(a)
        return total

    def double_bridge(self, rng: random.Random, window: int) -> tuple[float, list[int]]:
        """Local double bridge; returns the length change and the 8 touched nodes."""
        t, d, n = self.t, self.d, self.n
        i = rng.randrange(n)
        rot = t[i:] + t[:i]
        w = min(window, n - 1)
        x, y, z = sorted(rng.sample(range(1, w + 1), 3))
        a1, a2 = rot[x - 1], rot[x]
        b1, b2 = rot[y - 1], rot[y]
        c1, c2 = rot[z - 1], rot[z % n]
        delta = (d[a1][b2] + d[c1][a2] + d[b1][c2]) - (d[a1][a2] + d[b1][b2] + d[c1][c2])
        self.rebuild(rot[:x] + rot[y:z] + rot[x:y] + rot[z:])
        return delta, [a1, a2, b1, b2, c1, c2]


def improve(d: np.ndarray, tour: list[int], *, k: int = 10,
            stop: Callable[[], bool] | None = None) -> list[int]:
    """2-opt + Or-opt local optimum from ``tour``."""
    if len(tour) < 4:
        return list(tour)
    state = TourState(d.tolist(), neighbour_lists(d, k), tour)
    state.local_search(stop=stop)
    return state.t


def ils(d: np.ndarray, tour: list[int], *, seed: int, iterations: int,
        stop: Callable[[], bool], k: int = 10, window: int = 50,
        slack: float = 0.0) -> tuple[list[int], int]:
    """Iterated 2-opt + Or-opt with local double-bridge kicks.

    Returns the best cycle found and the number of kicks made. Stops after
    ``iterations`` kicks or when ``stop()`` is true. A kicked-and-repaired tour replaces
    the current one when it is at most ``slack`` x the mean edge length longer (0: only
    when not worse).
    """
    n = len(tour)
    if n < 8:
        return improve(d, tour, k=k, stop=stop), 0
    rng = random.Random(seed)
    state = TourState(d.tolist(), neighbour_lists(d, k), tour)
    state.local_search(stop=stop)
    cur_len = state.length()
    best_t, best_len = list(state.t), cur_len
    cur_t = list(state.t)
    allow = slack * cur_len / n
    done = 0
    for done in range(1, iterations + 1):
        if done % 16 == 0 and stop():
            break
        delta, touched = state.double_bridge(rng, window)
        delta += state.local_search(deque(touched))
        if delta <= allow + 1e-9:
            cur_len += delta
            cur_t = list(state.t)
            if cur_len < best_len - 1e-9:
                best_len = cur_len
                best_t = list(state.t)
        else:
            state.rebuild(list(cur_t))
    return best_t, done
