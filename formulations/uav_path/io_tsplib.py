"""A small TSPLIB reader (TYPE TSP, EDGE_WEIGHT_TYPE EUC_2D, NODE_COORD_SECTION).

Reinelt, "TSPLIB — A Traveling Salesman Problem Library", ORSA J. Comput. 3(4), 1991:
EUC_2D distances are ``nint(sqrt(dx² + dy²))`` per edge. Node 1 becomes the base and
nodes 2..n the hovering points; the instance's objective is the tour length with
``distance = "euc_2d"``, so its optimum equals the TSPLIB optimum. Not ``tsplib95``
(which pins networkx < 3).
"""

from __future__ import annotations

import math
from pathlib import Path

from edgeopt_solve.exceptions import InvalidInstanceError
from formulations.uav_path.model import Instance


def _number(text: str, line_no: int) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InvalidInstanceError(f"line {line_no}: not a number: {text!r}",
                                   field="NODE_COORD_SECTION") from None
    if not math.isfinite(value):
        raise InvalidInstanceError(f"line {line_no}: coordinate must be finite, got {text!r}",
                                   field="NODE_COORD_SECTION")
    return value


def parse_tsplib(text: str) -> Instance:
    """Parse the text of a TSPLIB EUC_2D file into an :class:`Instance`."""
    header: dict[str, str] = {}
    coords: dict[int, tuple[float, float]] = {}
    in_coords = False
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line == "EOF":
            break
        if in_coords:
            parts = line.split()
            if len(parts) != 3:
                if ":" in line or parts[0].isalpha():
                    in_coords = False
                else:
                    raise InvalidInstanceError(
                        f"line {line_no}: expected 'index x y', got {line!r}",
                        field="NODE_COORD_SECTION")
            if in_coords:
                try:
                    idx = int(parts[0])
                except ValueError:
                    raise InvalidInstanceError(f"line {line_no}: bad node index {parts[0]!r}",
                                               field="NODE_COORD_SECTION") from None
                if idx in coords:
                    raise InvalidInstanceError(f"line {line_no}: node {idx} given twice",
                                               field="NODE_COORD_SECTION")
                coords[idx] = (_number(parts[1], line_no), _number(parts[2], line_no))
                continue
        if line.startswith("NODE_COORD_SECTION"):
            in_coords = True
            continue
        if ":" in line:
            key, _, value = line.partition(":")
            header[key.strip().upper()] = value.strip()
        elif line.endswith("_SECTION"):
            raise InvalidInstanceError(f"section {line} is not supported", field=line)
    kind = header.get("TYPE", "TSP").split()[0].upper() if header.get("TYPE") else "TSP"
    if kind != "TSP":
        raise InvalidInstanceError(f"only TYPE TSP is supported, got {kind}", field="TYPE")
    ewt = header.get("EDGE_WEIGHT_TYPE", "").upper()
    if ewt != "EUC_2D":
        raise InvalidInstanceError(f"only EDGE_WEIGHT_TYPE EUC_2D is supported, got {ewt!r}",
                                   field="EDGE_WEIGHT_TYPE")
    if not coords:
        raise InvalidInstanceError("no NODE_COORD_SECTION", field="NODE_COORD_SECTION")
    if "DIMENSION" in header:
        try:
            dim = int(header["DIMENSION"])
        except ValueError:
            raise InvalidInstanceError(f"not an integer: {header['DIMENSION']!r}",
                                       field="DIMENSION") from None
        if dim != len(coords):
            raise InvalidInstanceError(f"DIMENSION {dim} but {len(coords)} coordinates",
                                       field="DIMENSION")
    if len(coords) < 2:
        raise InvalidInstanceError("need at least 2 nodes", field="DIMENSION")
    nodes = [list(coords[k]) for k in sorted(coords)]
    data = {"base": nodes[0], "points": nodes[1:], "objective": "length",
            "distance": "euc_2d"}
    return Instance.from_dict(data)


def read_tsplib(path: Path) -> Instance:
    """Read a TSPLIB ``.tsp`` file (EUC_2D)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInstanceError(f"cannot read: {exc.strerror or exc}",
                                   source=str(path)) from None
    except UnicodeDecodeError:
        raise InvalidInstanceError("not a UTF-8 text file", source=str(path)) from None
    return parse_tsplib(text)
