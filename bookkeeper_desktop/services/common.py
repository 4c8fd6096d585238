"""Helpers shared by the services."""

from __future__ import annotations

import getpass
import os

ACTOR_ENV = "BOOKKEEPER_ACTOR"


def default_actor() -> str:
    """Who the audit log names: `BOOKKEEPER_ACTOR`, else the login name."""
    override = os.environ.get(ACTOR_ENV)
    if override:
        return override
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "user"
