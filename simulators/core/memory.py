"""Giving memory back to the system after ``/_sim/reset`` in a long-lived server process.

Clearing the stores, journal, violations and outbox frees their objects, but CPython keeps the
freed memory in its own pools and glibc keeps freed heap pages, so the process's RSS would stay at
its high-water mark. A full collection, then glibc's ``malloc_trim``, returns what is free.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import gc

_libc = None


def give_back() -> None:
    global _libc
    gc.collect()
    if _libc is None:
        name = ctypes.util.find_library("c")
        _libc = ctypes.CDLL(name) if name else False
    trim = getattr(_libc, "malloc_trim", None) if _libc else None
    if trim is not None:   # glibc only; elsewhere the collection alone
        trim(0)
