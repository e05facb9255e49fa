"""Loyalty's errors: meaningful names, no HTTP codes (the shell maps them)."""

from __future__ import annotations


class LoyaltyError(Exception):
    """Base of every expected loyalty failure."""


class InsufficientPoints(LoyaltyError):
    def __init__(self, balance: int, requested: int) -> None:
        super().__init__(f"balance {balance} is less than {requested}")
        self.balance = balance
        self.requested = requested


class IdempotencyKeyReused(LoyaltyError):
    def __init__(self, key: str) -> None:
        super().__init__(f"the key {key!r} was already used for a different adjustment")
        self.key = key
