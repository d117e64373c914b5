"""Request id -> row, for the million ids of a run: the join of ledger rows and sent
records to the requests.

A dict of a million str keys costs a second to fill on a loaded 2-core machine (each
insert a cache miss, the table copied as it grows) and some 40 MB. Here the ids' hashes
go into a hash table in numpy, built when the index is first asked after it grew (once,
when the ledger is read after the records) and probed a batch at a time. Every hit is
checked against the id itself, so ids whose hashes collide are never joined: the index
answers exactly as a dict of id -> last row with that id would.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import chain

import numpy as np
from numpy.typing import NDArray

from chaos.slo.data import NONE, Ints


class RequestIndex:
    def __init__(self, hash_of: Callable[[object], int] = hash) -> None:
        self._hash_of = hash_of  # a test passes one that collides
        self._batches: list[Sequence[str]] = []  # ids added since the table was built
        self._hashes: list[Ints] = []  # by row
        self._count = 0
        self._ids: NDArray[np.object_] = np.empty(0, dtype=object)  # by row, once built
        self._mask = 0
        self._slot_hash: Ints = np.empty(0, dtype=np.int64)
        self._slot_row: NDArray[np.int32] = np.empty(0, dtype=np.int32)  # NONE: an empty slot

    def __len__(self) -> int:
        return self._count

    def add(self, ids: Sequence[str]) -> None:
        """The ids of the next rows, in order (of rows with the same id, the last counts)."""
        self._batches.append(ids)
        self._hashes.append(self._hashes_of(ids))
        self._count += len(ids)

    def rows(self, ids: Sequence[str | None]) -> Ints:
        """Each id's row (the last with that id); NONE for None or an id not added."""
        count = len(ids)
        if not count or not self._count:
            return np.full(count, NONE, dtype=np.int64)
        if self._batches:
            self._build()
        probes = np.fromiter(ids, dtype=object, count=count)
        hashes = self._hashes_of(ids)
        rows = self._latest(hashes)
        rows[probes == None] = NONE  # noqa: E711 (elementwise)
        hit = np.flatnonzero(rows != NONE)
        same = self._ids[rows[hit]] == probes[hit]
        for index in hit[~same].tolist():  # another id with the same hash
            rows[index] = self._colliding(probes[index], int(hashes[index]))
        return rows

    def _build(self) -> None:
        """Linear probing, laid out at once: rows in order of their home slot (the latest
        first within one), each in the first free slot from its home on. A run of taken
        slots then reaches from every row's home to the row, as a probe walks it."""
        self._ids = np.fromiter(chain(self._ids, *self._batches), dtype=object, count=self._count)
        hashes = np.concatenate(self._hashes)
        self._batches, self._hashes = [], [hashes]
        count = len(hashes)
        self._mask = (1 << (count + count // 2).bit_length()) - 1  # at least 1.5 slots a row
        home = hashes & self._mask
        # Rows by home slot, the latest first: one sort of (home, count - 1 - row) packed
        # into an int64, faster than a stable argsort.
        row_bits = count.bit_length()
        keys = np.sort((home << row_bits) | (count - 1 - np.arange(count)))
        order = count - 1 - (keys & ((1 << row_bits) - 1))
        home = keys >> row_bits
        steps = np.arange(count)
        slots = np.maximum.accumulate(home - steps) + steps
        size = max(self._mask + 1, int(slots[-1]) + 1) + 1  # an empty slot past the last row
        self._slot_hash = np.zeros(size, dtype=np.int64)
        self._slot_row = np.full(size, NONE, dtype=np.int32)
        self._slot_hash[slots] = hashes[order]
        self._slot_row[slots] = order

    def _latest(self, hashes: Ints) -> Ints:
        """The latest row with each hash, or NONE: probes walk on together, a slot at a time."""
        rows = np.full(len(hashes), NONE, dtype=np.int64)
        walking = np.arange(len(hashes))
        slots = hashes & self._mask
        while len(walking):
            found = self._slot_row[slots]
            taken = found != NONE
            match = taken & (self._slot_hash[slots] == hashes[walking])
            rows[walking[match]] = found[match]
            on = taken & ~match
            walking, slots = walking[on], slots[on] + 1
        return rows

    def _colliding(self, request_id: str, hashed: int) -> int:
        """The last row with ``request_id`` among all with its hash (hardly ever asked)."""
        for row in np.flatnonzero(self._hashes[0] == hashed)[::-1].tolist():
            if self._ids[row] == request_id:
                return int(row)
        return NONE

    def _hashes_of(self, ids: Sequence[str | None]) -> Ints:
        return np.fromiter(map(self._hash_of, ids), dtype=np.int64, count=len(ids))
