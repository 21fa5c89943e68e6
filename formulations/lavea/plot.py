"""Gantt chart of a LAVEA schedule: two rows (link, CPU) per server, one for clients."""

from __future__ import annotations

from typing import Any

from formulations.lavea.evaluate import schedule_table
from formulations.lavea.model import LOCAL, Instance, Solution


def plot(inst: Instance, sol: Solution, ax: Any) -> None:
    """Draw the schedule of ``sol`` on the matplotlib axes ``ax``.

    Rows from the top: for each server its upload link and its CPU, then the clients
    (tasks run locally). Bars are labelled with the task index; time in seconds.
    """
    import matplotlib.pyplot as plt

    rows = schedule_table(inst, sol)
    cmap = plt.get_cmap("tab20")
    labels = []
    for _s, srv in enumerate(inst.servers):
        labels += [f"{srv.name} link", f"{srv.name} CPU"]
    labels.append("clients")
    y_of = {label: len(labels) - 1 - i for i, label in enumerate(labels)}
    for row in rows:
        j = row["task"]
        color = cmap(j % 20)
        if row["location"] == LOCAL:
            spans = [("clients", row["compute_start"], row["end"])]
        else:
            name = inst.servers[row["location"]].name
            spans = [(f"{name} link", row["upload_start"], row["upload_end"]),
                     (f"{name} CPU", row["compute_start"], row["end"])]
        for label, t0, t1 in spans:
            y = y_of[label]
            ax.barh(y, t1 - t0, left=t0, height=0.6, color=color, edgecolor="black")
            if t1 > t0:
                ax.text((t0 + t1) / 2, y, str(j), ha="center", va="center", fontsize=7)
    ax.set_yticks(list(y_of.values()), list(y_of.keys()))
    ax.set_xlabel("time (s)")
    ax.set_title(f"LAVEA schedule ({inst.objective})")
