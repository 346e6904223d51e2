"""Deterministic identifiers under a seed (moto's MotoRandom idea), and secrets that are not.

Every fake draws its ids from its own ``IdGen``; re-seeding through ``/_sim/seed`` makes a run
repeat exactly. Secrets (webhook signing secrets, session tokens, client secrets) come from a
``SecretGen``: random per run (``secrets``) unless a seed was explicitly asked for, so two runs
with the default seed share object ids but never credentials.
"""
from __future__ import annotations

import itertools
import random
import secrets as _secrets
import string
import threading
from functools import lru_cache

_B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_SF_ALNUM = string.ascii_uppercase + string.ascii_lowercase + string.digits  # 18-char checksum alphabet
_SF_CHECK = string.ascii_uppercase + "012345"


class IdGen:
    def __init__(self, seed: int | str = 0):
        self._lock = threading.Lock()
        self.reseed(seed)

    def reseed(self, seed: int | str) -> None:
        with self._lock:
            self.seed = seed
            self._rng = random.Random(str(seed))
            self._counters: dict[str, itertools.count] = {}

    def token(self, n: int = 24, alphabet: str = _B62) -> str:
        # One draw of random bits, read as base-len(alphabet) digits: a few times faster than a
        # choice() per character, which showed in the Stripe fake's write profile. The extra bits
        # keep the modulo bias below 2**-8 of one digit's weight.
        base = len(alphabet)
        with self._lock:
            r = self._rng.getrandbits(n * base.bit_length() + 8)
        out = []
        for _ in range(n):
            r, d = divmod(r, base)
            out.append(alphabet[d])
        return "".join(out)

    def prefixed(self, prefix: str, n: int = 24) -> str:
        """Stripe-style ids: ``cus_`` + 14..24 base62 characters."""
        return f"{prefix}_{self.token(n)}"

    def counter(self, name: str, start: int = 1) -> int:
        with self._lock:
            c = self._counters.setdefault(name, itertools.count(start))
            return next(c)

    def uuid(self) -> str:
        with self._lock:
            return uuid4_of(self._rng.getrandbits(128))

    def salesforce(self, key_prefix: str, pod: str = "5g0") -> str:
        """An 18-character Salesforce id: 3-char key prefix + pod + counter, then the checksum."""
        n = self.counter(f"sf:{key_prefix}")
        body = f"{key_prefix}{pod}{self._b62(n, 9)}"
        return sf_id18(body)

    @staticmethod
    def _b62(n: int, width: int) -> str:
        out = ""
        while n:
            n, r = divmod(n, 62)
            out = _B62[r] + out
        return out.rjust(width, "0")


class SecretGen:
    """Secret tokens: from the OS's CSPRNG when ``seed`` is None, else repeatable under the seed
    (a test that asks for a seed gets the same secrets every run)."""

    def __init__(self, seed: str | None = None):
        self._lock = threading.Lock()
        self.reseed(seed)

    def reseed(self, seed: str | None) -> None:
        with self._lock:
            self.seed = seed
            self._rng = random.Random(f"secrets:{seed}") if seed is not None else None

    def restart(self) -> None:
        """After a reset: a seeded generator starts over; a random one stays random."""
        self.reseed(self.seed)

    def token(self, n: int = 24, alphabet: str = _B62) -> str:
        with self._lock:
            if self._rng is None:
                return "".join(_secrets.choice(alphabet) for _ in range(n))
            return "".join(self._rng.choice(alphabet) for _ in range(n))


@lru_cache(maxsize=1 << 16)   # a pure function of the id, asked for the same ids again and again
def sf_id18(id15: str) -> str:
    """Salesforce's case-safe 18-character form of a 15-character id."""
    if len(id15) == 18:
        return id15
    if len(id15) != 15:
        raise ValueError(f"not a Salesforce id: {id15!r}")
    suffix = ""
    for chunk in (id15[0:5], id15[5:10], id15[10:15]):
        bits = sum(1 << i for i, ch in enumerate(chunk) if ch.isupper())
        suffix += _SF_CHECK[bits]
    return id15 + suffix


def sf_id_key(value: str) -> str | None:
    """The 15-character key under which both the 15- and 18-character forms compare equal."""
    if len(value) == 18 and sf_id18(value[:15]) == value[:15] + value[15:].upper():
        return value[:15]
    if len(value) == 15 and value.isalnum():
        return value
    return None


def uuid4_of(n: int) -> str:
    """``str(uuid.UUID(int=n, version=4))`` without building the UUID: the version nibble and the
    RFC 4122 variant bits set on ``n``, as 8-4-4-4-12 hex digits."""
    n = (n & ~(0xF000 << 64) & ~(0xC000 << 48)) | (4 << 76) | (0x8000 << 48)
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
