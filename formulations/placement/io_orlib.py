"""Reader for OR-Library generalized assignment files (min-cost form).

Format (whitespace-separated integers; Beasley's OR-Library ``gap1``…``gap12`` and the
Chu & Beasley (1997) type A–D files, one instance per file)::

    m n
    c[0][0] … c[0][n-1]     (m rows: cost of job j on agent i)
    w[0][0] … w[0][n-1]     (m rows: resource of job j on agent i)
    b[0] … b[m-1]           (capacities)

Agents become servers (``capacity = b_i``), jobs become blocks with ``cost`` and ``weight``
columns, so the placement objective equals the GAP cost.
"""

from __future__ import annotations

from pathlib import Path

from edgeopt_solve.exceptions import InvalidInstanceError

from .model import Instance

MAX_ENTRIES = 50_000_000


def read_orlib_gap(path: Path) -> Instance:
    """Read one OR-Library GAP instance; errors name the position of the bad token."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInstanceError(f"cannot read: {exc}", source=str(path)) from None
    return parse_orlib_gap(text)


def parse_orlib_gap(text: str) -> Instance:
    """Parse the text of one OR-Library GAP instance."""
    tokens = text.split()
    values: list[int] = []
    for pos, tok in enumerate(tokens):
        try:
            values.append(int(tok))
        except ValueError:
            raise InvalidInstanceError(f"token {pos + 1} is not an integer: {tok[:20]!r}",
                                       field=f"token[{pos}]") from None
    if len(values) < 2:
        raise InvalidInstanceError("expected 'm n' at the start", field="header")
    m, n = values[0], values[1]
    if m < 1 or n < 0 or m * n > MAX_ENTRIES:
        raise InvalidInstanceError(f"bad dimensions m={m}, n={n}", field="header")
    need = 2 + 2 * m * n + m
    if len(values) < need:
        raise InvalidInstanceError(f"truncated: {len(values)} numbers, {need} needed for "
                                   f"{m} agents and {n} jobs", field="body")
    if len(values) > need:
        raise InvalidInstanceError(f"{len(values) - need} numbers after the capacities",
                                   field="body")
    c = values[2: 2 + m * n]
    w = values[2 + m * n: 2 + 2 * m * n]
    b = values[2 + 2 * m * n:]
    for i, cap in enumerate(b):
        if cap < 0:
            raise InvalidInstanceError(f"negative capacity {cap}", field=f"capacity[{i}]")
    for k, wk in enumerate(w):
        if wk < 0:
            raise InvalidInstanceError(f"negative weight {wk}",
                                       field=f"weight[{k // n}][{k % n}]")
    cost = [c[i * n:(i + 1) * n] for i in range(m)]
    weight = [w[i * n:(i + 1) * n] for i in range(m)]
    return Instance.from_matrices(cost, weight, b)
