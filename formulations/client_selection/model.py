"""Instance and solution of FedCS client selection (Nishio & Yonetani, ICC 2019).

The model
---------
One federated-learning round of length ``deadline`` (T_round, seconds) has these phases
(Nishio & Yonetani, "Client Selection for Federated Learning with Heterogeneous Resources
in Mobile Edge", ICC 2019, Sec. III-B and eq. (1)-(2)):

1. *client selection*: ``selection_time`` seconds (T_cs), from t = 0;
2. *distribution*: the server sends the global model to the selected set ``S``.
   ``download="broadcast"`` (the paper's choice, our default): one multicast transmission
   whose rate is that of the slowest selected client, so the phase lasts
   ``T_d(S) = max_{k in S} download_time_k`` (0 for an empty set) and every selected client
   holds the model at ``selection_time + T_d(S)``. ``download="parallel"`` (a variant the
   paper does not use): each client downloads independently from ``selection_time``, and
   its update starts at ``selection_time + download_time_k``.
3. *update*: client ``k`` trains for ``update_time_k`` seconds (t_k^UD) right after it has
   the model; all selected clients train in parallel;
4. *upload*: the updates share one channel, one client at a time, without pre-emption,
   in the order given by the solution; client ``k`` occupies it for ``upload_time_k``
   seconds (t_k^UL) and cannot start before its update has finished;
5. *aggregation*: ``aggregation_time`` seconds (T_agg) after the last upload.

The round is feasible when ``last upload end + aggregation_time <= deadline``; with
``budget = deadline - selection_time - aggregation_time`` this is the paper's constraint
``T_d(S) + Theta_|S| <= budget`` with ``Theta_0 = 0``,
``Theta_i = max(Theta_{i-1}, t^UD_{k_i}) + t^UL_{k_i}`` (broadcast).

Decision: the ordered list of selected client ids (the upload order).
Objective (maximise): the sum of the selected clients' ``weight`` (default 1 each, so the
paper's objective, the number of selected clients).

Optional side constraints (not in the paper; only ``milp``, ``brute_force`` and ``exact``
— which hands such instances to the MILP — handle the coverage one):

* ``energy`` / ``energy_budget`` per client (joules): a client whose round energy exceeds
  its budget may not be selected;
* ``classes`` per client and ``min_coverage`` (class -> count): at least ``count`` selected
  clients must hold each listed class.

Units: seconds, joules. All times must be >= 0, ``deadline`` > 0 and
``selection_time + aggregation_time <= deadline`` (an empty selection is always feasible).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from edgeopt_solve.exceptions import InvalidInstanceError
from edgeopt_solve.schema import StrictModel, validate

DownloadMode = Literal["broadcast", "parallel"]


class ClientSchema(StrictModel):
    """One client in the instance file."""

    id: str
    download_time: float
    update_time: float
    upload_time: float
    weight: float = 1.0
    energy: float = 0.0
    energy_budget: float | None = None
    classes: list[str] = Field(default_factory=list)


class InstanceSchema(StrictModel):
    """The ``data`` of a client-selection instance file."""

    clients: list[ClientSchema]
    deadline: float
    selection_time: float = 0.0
    aggregation_time: float = 0.0
    download: DownloadMode = "broadcast"
    min_coverage: dict[str, int] = Field(default_factory=dict)


class SolutionSchema(StrictModel):
    """A solution: selected client ids in upload order."""

    selected: list[str]


@dataclass(frozen=True)
class Client:
    """One FL client (times in seconds, energy in joules).

    Attributes
    ----------
    id
        Unique name.
    download_time
        Seconds to receive the global model (t_k^D; broadcast rate of this client).
    update_time
        Seconds of local training (t_k^UD).
    upload_time
        Seconds to upload the update over the shared channel (t_k^UL).
    weight
        Utility of selecting the client (>= 0); 1 for the paper's count objective.
    energy
        Energy the round costs the client (>= 0).
    energy_budget
        Energy the client may spend, or ``None`` for no limit.
    classes
        Data classes the client holds (for ``min_coverage``).
    """

    id: str
    download_time: float
    update_time: float
    upload_time: float
    weight: float = 1.0
    energy: float = 0.0
    energy_budget: float | None = None
    classes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        out: dict[str, Any] = {
            "id": self.id,
            "download_time": self.download_time,
            "update_time": self.update_time,
            "upload_time": self.upload_time,
            "weight": self.weight,
            "energy": self.energy,
            "energy_budget": self.energy_budget,
            "classes": list(self.classes),
        }
        return out


@dataclass(frozen=True)
class Instance:
    """A FedCS client-selection instance (see the module docstring for the model).

    Attributes
    ----------
    clients
        The candidate clients.
    deadline
        Round length T_round in seconds (> 0).
    selection_time
        T_cs, seconds before distribution starts.
    aggregation_time
        T_agg, seconds after the last upload.
    download
        ``"broadcast"`` (paper) or ``"parallel"``.
    min_coverage
        Class -> minimum number of selected clients holding it, as sorted pairs.
    """

    clients: tuple[Client, ...]
    deadline: float
    selection_time: float = 0.0
    aggregation_time: float = 0.0
    download: DownloadMode = "broadcast"
    min_coverage: tuple[tuple[str, int], ...] = ()

    @property
    def budget(self) -> float:
        """Seconds available for distribution, update and upload."""
        return self.deadline - self.selection_time - self.aggregation_time

    @property
    def weighted(self) -> bool:
        """Whether the weights are not all equal (the NP-hard case)."""
        return len({c.weight for c in self.clients}) > 1

    @classmethod
    def from_dict(cls, data: Any) -> Instance:
        """Validate ``data`` (parsed JSON) and build the instance.

        Raises
        ------
        InvalidInstanceError
            Naming the field: wrong type, negative time, deadline <= 0, duplicate id ...
        """
        raw = validate(InstanceSchema, data)
        if raw.deadline <= 0:
            raise InvalidInstanceError(f"deadline must be > 0 seconds, got {raw.deadline}",
                                       field="deadline")
        for name in ("selection_time", "aggregation_time"):
            value = getattr(raw, name)
            if value < 0:
                raise InvalidInstanceError(f"{name} must be >= 0 seconds, got {value}",
                                           field=name)
        if raw.selection_time + raw.aggregation_time > raw.deadline:
            raise InvalidInstanceError(
                f"selection_time + aggregation_time = {raw.selection_time + raw.aggregation_time}"
                f" exceeds the deadline {raw.deadline}", field="deadline")
        seen: dict[str, int] = {}
        clients = []
        for i, c in enumerate(raw.clients):
            where = f"clients[{i}]"
            if c.id in seen:
                raise InvalidInstanceError(
                    f"duplicate client id {c.id!r} (also clients[{seen[c.id]}])",
                    field=f"{where}.id")
            seen[c.id] = i
            for name in ("download_time", "update_time", "upload_time", "weight", "energy"):
                value = getattr(c, name)
                if value < 0:
                    raise InvalidInstanceError(f"{name} must be >= 0, got {value}",
                                               field=f"{where}.{name}")
            if c.energy_budget is not None and c.energy_budget < 0:
                raise InvalidInstanceError(f"energy_budget must be >= 0, got {c.energy_budget}",
                                           field=f"{where}.energy_budget")
            if len(set(c.classes)) != len(c.classes):
                raise InvalidInstanceError("duplicate class in classes", field=f"{where}.classes")
            clients.append(Client(
                id=c.id, download_time=c.download_time, update_time=c.update_time,
                upload_time=c.upload_time, weight=c.weight, energy=c.energy,
                energy_budget=c.energy_budget, classes=tuple(c.classes)))
        for cls_name, count in raw.min_coverage.items():
            if count < 0:
                raise InvalidInstanceError(f"coverage count must be >= 0, got {count}",
                                           field=f"min_coverage.{cls_name}")
        if not math.isfinite(sum(c.weight for c in clients)):
            raise InvalidInstanceError("total weight overflows", field="clients")
        total_time = raw.deadline + sum(c.download_time + c.update_time + c.upload_time
                                        for c in clients)
        if not math.isfinite(total_time):
            raise InvalidInstanceError("total of the times overflows a float", field="clients")
        return cls(clients=tuple(clients), deadline=raw.deadline,
                   selection_time=raw.selection_time, aggregation_time=raw.aggregation_time,
                   download=raw.download,
                   min_coverage=tuple(sorted(raw.min_coverage.items())))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict; ``Instance.from_dict(inst.to_dict()) == inst``."""
        return {
            "clients": [c.to_dict() for c in self.clients],
            "deadline": self.deadline,
            "selection_time": self.selection_time,
            "aggregation_time": self.aggregation_time,
            "download": self.download,
            "min_coverage": dict(self.min_coverage),
        }

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """JSON Schema of the instance ``data``."""
        return InstanceSchema.model_json_schema()


@dataclass(frozen=True)
class Solution:
    """Selected client ids in upload order (the paper's ordered set S)."""

    selected: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: Any) -> Solution:
        """Validate and build; ``InvalidInstanceError`` naming the field on bad input."""
        raw = validate(SolutionSchema, data)
        return cls(selected=tuple(raw.selected))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return {"selected": list(self.selected)}
