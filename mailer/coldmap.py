"""Maps too big for memory at a million messages: recent entries in a dict, the rest "cold"
in an index the store keeps on disk (edges/store/index.py), read on demand.

`State` holds its large maps (messages, fingerprints, thread_of, outbox, threads,
archive_done) in these when the store gives it a `Cold`; with none they are plain dicts, as
in the pure tests. A `ColdMap` looks like a dict: an entry read through `[]`, `get` or `in`
from the cold side is kept in `hot` (it may be changed in place, an outbox item's state, a
thread's posts), and a snapshot writes every hot entry back and `settle()`s the map. Walking
the map (`values()`, `items()`) does not keep what it reads: it is how a listing reads the
whole history without holding it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping, MutableSet
from typing import Any, Protocol, TypeVar

V = TypeVar("V")


class Cold(Protocol):
    """The cold side: one table per map, keys are strings, values as the map holds them."""

    def get(self, table: str, key: str) -> Any | None: ...
    def has(self, table: str, key: str) -> bool: ...
    def count(self, table: str) -> int: ...
    def keys(self, table: str) -> Iterator[str]: ...
    def items(self, table: str) -> Iterator[tuple[str, Any]]: ...


class ColdMap(MutableMapping[str, V]):
    """A dict over hot entries, falling back to the cold table; nothing is ever deleted."""

    def __init__(self, cold: Cold, table: str) -> None:
        self.cold = cold
        self.table = table
        self.hot: dict[str, V] = {}
        self._size: int | None = None  # entries in all, counted when asked for

    def __getitem__(self, key: str) -> V:
        if key in self.hot:
            return self.hot[key]
        value: V | None = self.cold.get(self.table, key)
        if value is None:
            raise KeyError(key)
        self.hot[key] = value  # read to be changed, maybe: written back at the next snapshot
        return value

    def __contains__(self, key: object) -> bool:
        return key in self.hot or (isinstance(key, str) and self.cold.has(self.table, key))

    def __setitem__(self, key: str, value: V) -> None:
        if key not in self.hot:
            self._size = None  # new, or read from the cold side: len() looks
        self.hot[key] = value

    def __delitem__(self, key: str) -> None:
        raise TypeError(f"{self.table}: entries are kept for good")

    def __iter__(self) -> Iterator[str]:
        yield from list(self.hot)
        for key in self.cold.keys(self.table):
            if key not in self.hot:
                yield key

    def __len__(self) -> int:
        if self._size is None:
            self._size = self.cold.count(self.table) + sum(
                1 for key in self.hot if not self.cold.has(self.table, key))
        return self._size

    def walk(self) -> Iterator[tuple[str, V]]:
        """Every entry, hot ones first, without keeping the cold ones in memory."""
        yield from list(self.hot.items())
        for key, value in self.cold.items(self.table):
            if key not in self.hot:
                yield key, value

    def values(self) -> Any:  # an iterable: a listing walks it once
        return _View(lambda: (v for _, v in self.walk()), self.__len__)

    def items(self) -> Any:
        return _View(self.walk, self.__len__)

    def settle(self, keep: Callable[[str], bool] = lambda key: False) -> None:
        """After a snapshot wrote the hot entries: forget them, but those `keep` names."""
        self.hot = {k: v for k, v in self.hot.items() if keep(k)}


class _View:
    """What `values()` and `items()` return: iterable again and again, with a length."""

    def __init__(self, walk: Callable[[], Iterator[Any]], size: Callable[[], int]) -> None:
        self._walk = walk
        self._size = size

    def __iter__(self) -> Iterator[Any]:
        return self._walk()

    def __len__(self) -> int:
        return self._size()

    def __contains__(self, item: object) -> bool:
        return any(v == item for v in self._walk())


class ColdSet(MutableSet[str]):
    """A set kept the same way (archive keys whose outcome is recorded)."""

    def __init__(self, cold: Cold, table: str) -> None:
        self.map: ColdMap[int] = ColdMap(cold, table)

    def __contains__(self, key: object) -> bool:
        return key in self.map

    def __iter__(self) -> Iterator[str]:
        return iter(self.map)

    def __len__(self) -> int:
        return len(self.map)

    def add(self, value: str) -> None:
        if value not in self.map.hot:
            self.map[value] = 1

    def discard(self, value: str) -> None:
        raise TypeError(f"{self.map.table}: entries are kept for good")
