"""A read-only sequence whose items are made when asked for.

The analysis of a long log holds some results this way (incidents waiting in a spill file,
the timeline as packed ints) so that memory does not grow with them.  Such a sequence equals
any sequence of the same items and pickles as a tuple (the terminal UI passes analyses
between processes).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar, overload

T = TypeVar("T")


class LazySequence(Sequence[T]):
    """Subclasses give `__len__` and `_item(i)` for 0 <= i < len."""

    def __len__(self) -> int:
        raise NotImplementedError

    def _item(self, index: int) -> T:
        raise NotImplementedError

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[T, ...]: ...

    def __getitem__(self, index: int | slice) -> T | tuple[T, ...]:
        if isinstance(index, slice):
            return tuple(self._item(i) for i in range(*index.indices(len(self))))
        n = len(self)
        if not -n <= index < n:
            raise IndexError(index)
        return self._item(index % n)

    def __iter__(self) -> Iterator[T]:
        for i in range(len(self)):
            yield self._item(i)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (tuple, (tuple(self),))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} items)"


class Reordered(LazySequence[T]):
    """The items of `base` in another order (`order`: indexes into `base`), each read from
    `base` when asked for."""

    def __init__(self, base: Sequence[T], order: Sequence[int]) -> None:
        self._base = base
        self._order = order

    def __len__(self) -> int:
        return len(self._order)

    def _item(self, index: int) -> T:
        return self._base[self._order[index]]
