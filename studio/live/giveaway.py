"""Commit-reveal giveaway draw anyone can verify.

Before the draw the audience sees ``commitment = SHA-256(seed)`` of a 32-byte seed from
:mod:`secrets`.  After the draw the seed is revealed; ``draw_winners(seed, entries, …)`` over
the sorted entry list (minus earlier winners) reproduces the winners exactly.
"""
from __future__ import annotations

import hashlib
import secrets


def new_seed() -> bytes:
    return secrets.token_bytes(32)


def commitment(seed: bytes) -> str:
    return hashlib.sha256(seed).hexdigest()


def draw_winners(seed: bytes, entries: list[str], count: int, round_number: int = 1,
                 excluded: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Pick ``count`` distinct winners.  Deterministic in (seed, sorted entries, round, excluded).

    Pick i takes index ``SHA-256(seed ‖ "round:i") mod len(pool)`` from the sorted pool and
    removes it; a 256-bit number makes the modulo bias negligible.
    """
    pool = sorted(set(entries) - set(excluded))
    winners: list[str] = []
    for pick in range(min(count, len(pool))):
        digest = hashlib.sha256(seed + f"{round_number}:{pick}".encode()).digest()
        winners.append(pool.pop(int.from_bytes(digest, "big") % len(pool)))
    return winners


def verify(seed_hex: str, commitment_hex: str, entries: list[str], winners: list[str], round_number: int = 1,
           excluded: set[str] | frozenset[str] = frozenset()) -> bool:
    """True when the revealed seed matches the commitment and reproduces the winners."""
    seed = bytes.fromhex(seed_hex)
    return commitment(seed) == commitment_hex and draw_winners(seed, entries, len(winners), round_number, excluded) == winners
