"""Paths written inside instance files, resolved against the file that names them.

An instance may name another file (a measured device profile, say) by a relative path.
:func:`edgeopt_solve.io.load` validates the instance inside :func:`instance_directory`,
so :func:`resolve` can look next to the instance file first, whatever the working
directory. The directory is held in a context variable: threads and asyncio tasks that
load instances at the same time do not see each other's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

_INSTANCE_DIR: ContextVar[Path | None] = ContextVar("edgeopt_instance_dir", default=None)


@contextmanager
def instance_directory(directory: str | Path) -> Iterator[None]:
    """Resolve relative paths against ``directory`` while the block runs."""
    token = _INSTANCE_DIR.set(Path(directory))
    try:
        yield
    finally:
        _INSTANCE_DIR.reset(token)


def resolve(path: str | Path, *fallbacks: Path) -> Path:
    """Where a path named inside an instance file lives.

    In order: ``path`` itself if absolute; relative to the instance file being loaded;
    relative to the working directory; relative to each of ``fallbacks`` (a formulation's
    bundled folder). The first that exists wins; if none does, ``path`` is returned as
    written so that reading it reports the name the user wrote.
    """
    p = Path(path)
    try:
        if p.is_absolute():
            return p
        base = _INSTANCE_DIR.get()
        for candidate in ([base / p] if base is not None else []) + [p] + [f / p for f in fallbacks]:
            if candidate.exists():
                return candidate
    except (OSError, ValueError):  # too long or unrepresentable: reading it reports that
        return p
    return p
