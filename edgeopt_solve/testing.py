"""Helpers for testing formulations (yours too): bad-input cases from a good instance.

>>> data = {"devices": [{"gain": 1.0}]}
>>> with_value(data, ("devices", 0, "gain"), -1.0)
{'devices': [{'gain': -1.0}]}
>>> with_value(data, ("devices", 0, "gain"), DELETE)
{'devices': [{}]}
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

#: pass as the value to remove the key instead of setting it
DELETE: Any = object()


def with_value(data: Any, path: Sequence[Any], value: Any) -> Any:
    """A deep copy of ``data`` with the item at ``path`` (keys and list indices) replaced
    by ``value``, or removed when ``value`` is :data:`DELETE`; ``data`` is not changed."""
    out = copy.deepcopy(data)
    node = out
    for key in path[:-1]:
        node = node[key]
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out
