"""The refusals of tracked items; the message says why, in the user's language."""
from __future__ import annotations


class TrackingError(Exception):
    """A step that is not allowed now (wrong state, missing reason, date out of range)."""


class StaleVersion(TrackingError):
    """Someone else changed the item (or decided the request) since the user loaded it."""
