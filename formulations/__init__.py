"""One package per optimisation problem; each follows ``edgeopt_solve.protocol``."""
