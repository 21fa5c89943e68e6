"""The shared system-model layer: nodes, links, channels, DNN graphs, UAVs, cost models.

Plain, immutable, validated types in SI units, shared by the formulations.
"""

from edgeopt_solve.system.costmodel import (
    AnalyticCostModel,
    CostModel,
    layer_energies,
    layer_latencies,
)
from edgeopt_solve.system.devices import Cloud, ComputeNode, Device, EdgeServer, Tier
from edgeopt_solve.system.dnn import DnnGraph, Layer
from edgeopt_solve.system.network import (
    Channel,
    Link,
    db_to_linear,
    dbm_to_watt,
    path_loss_db,
    shannon_rate,
    square_cell_losses,
    watt_to_dbm,
)
from edgeopt_solve.system.uav import UavEnergyModel

__all__ = [
    "AnalyticCostModel",
    "Channel",
    "Cloud",
    "ComputeNode",
    "CostModel",
    "Device",
    "DnnGraph",
    "EdgeServer",
    "Layer",
    "Link",
    "Tier",
    "UavEnergyModel",
    "db_to_linear",
    "dbm_to_watt",
    "layer_energies",
    "layer_latencies",
    "path_loss_db",
    "shannon_rate",
    "square_cell_losses",
    "watt_to_dbm",
]
