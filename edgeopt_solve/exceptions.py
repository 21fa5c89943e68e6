"""Exceptions raised by edgeopt.

Infeasible and unbounded instances are statuses, never exceptions. Exceptions are for
invalid input, solver crashes, bugs caught by verification and missing backends.
"""

from __future__ import annotations


class EdgeOptError(Exception):
    """Base class of every edgeopt exception."""


class InvalidInstanceError(EdgeOptError, ValueError):
    """An instance, solution or option is malformed.

    Parameters
    ----------
    message
        What is wrong, in one line.
    field
        Dotted path of the offending field (``"data.devices[3].bandwidth"``), if known.
    source
        The file the value came from, if any.
    """

    def __init__(self, message: str, *, field: str | None = None, source: str | None = None):
        self.message = message
        self.field = field
        self.source = source
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """The error as one line: ``file: field: message``."""
        parts = [p for p in (self.source, self.field) if p]
        return ": ".join([*parts, self.message])

    def located(self, *, source: str | None = None, prefix: str | None = None) -> InvalidInstanceError:
        """A copy of this error with a file name and/or a field-path prefix added."""
        field = self.field
        if prefix:
            field = f"{prefix}.{field}" if field else prefix
        return InvalidInstanceError(self.message, field=field, source=source or self.source)


class InvalidOptionError(InvalidInstanceError):
    """A method name, time limit or option is invalid (usage error, exit code 2)."""


class SolverError(EdgeOptError, RuntimeError):
    """A solver crashed, or a method returned an answer that failed verification (a bug)."""


class SolverUnavailable(EdgeOptError, ImportError):
    """A backend needed by the chosen method is not installed."""
