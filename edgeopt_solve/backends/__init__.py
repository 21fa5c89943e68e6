"""Thin helpers around the solver libraries, each mapping native statuses to ours.

Every helper takes the :class:`~edgeopt_solve.context.SolveContext` so it can apply the
time limit, the seed and the stop request (Ctrl-C), and returns a :class:`SolverRun`.
Solver libraries are imported inside the helpers' modules only, never by
``edgeopt_solve`` itself, so listing formulations stays fast.
"""

from edgeopt_solve.backends.common import SolverRun, outcome_status

__all__ = ["SolverRun", "outcome_status"]
