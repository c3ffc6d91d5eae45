"""Where a connector's credentials and API origin come from, without ever printing them.

Order: environment (``BRIDGECAST_<PLATFORM>_TOKEN``, ``_REFRESH_TOKEN``, ``_CLIENT_ID``,
``_CLIENT_SECRET``, ``_NICK``, ``_USER_ID``) then the secrets store (``connector.<platform>.token`` and so
on, kept by :mod:`studio.secrets_store` in the OS keyring or an owner-only file).
``BRIDGECAST_<PLATFORM>_API_BASE`` replaces the platform's API origin (tests point a
connector at a local stand-in server); ``BRIDGECAST_<PLATFORM>_OAUTH_BASE`` the token
endpoint's origin (default: the API base when that was overridden, else the platform's).
A refreshed access token is written back to the secrets store, so the next show starts
with it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Mapping

from studio import secrets_store

FIELDS = ("token", "refresh_token", "client_id", "client_secret", "nick", "user_id")


def secret_name(platform: str, field_name: str) -> str:
    return f"connector.{platform}.{field_name}"


def env_name(platform: str, suffix: str) -> str:
    return f"BRIDGECAST_{platform.upper().replace('-', '_').replace('.', '_')}_{suffix}"


@dataclass
class Credentials:
    """A platform's credentials; ``repr`` shows which are present, never their values."""

    platform: str
    token: str | None = None
    refresh_token: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    nick: str | None = None
    user_id: str | None = None  # Shopee: the streamer's user id (livestream calls are signed with it)
    api_base: str | None = None
    oauth_base: str | None = None
    persist: bool = field(default=True, repr=False)

    def __repr__(self) -> str:
        present = [name for name in FIELDS if getattr(self, name)]
        return f"Credentials({self.platform!r}, present={present}, api_base={self.api_base!r})"

    __str__ = __repr__

    @property
    def can_refresh(self) -> bool:
        return bool(self.refresh_token and self.client_id)

    def update_token(self, token: str, refresh_token: str | None = None) -> None:
        """Keep a refreshed token (and a rotated refresh token) here and in the secrets store."""
        self.token = token
        if refresh_token:
            self.refresh_token = refresh_token
        if self.persist:
            secrets_store.set_secret(secret_name(self.platform, "token"), token)
            if refresh_token:
                secrets_store.set_secret(secret_name(self.platform, "refresh_token"), refresh_token)

    def secrets(self) -> list[str]:
        """Every secret value held (to mask them in anything shown)."""
        return [value for value in (self.token, self.refresh_token, self.client_secret) if value]


def credentials_for(platform: str, env: Mapping[str, str] | None = None) -> Credentials:
    """The credentials for ``platform`` from the environment, else the secrets store."""
    env = os.environ if env is None else env
    values: dict[str, str | None] = {}
    for name in FIELDS:
        values[name] = env.get(env_name(platform, name.upper())) or secrets_store.get_secret(secret_name(platform, name))
    api_base = (env.get(env_name(platform, "API_BASE")) or "").rstrip("/") or None
    oauth_base = (env.get(env_name(platform, "OAUTH_BASE")) or "").rstrip("/") or api_base
    return Credentials(platform=platform, api_base=api_base, oauth_base=oauth_base, **values)


def mask(text: str, secrets: list[str]) -> str:
    """``text`` with every secret replaced by '***' (for messages and logs)."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text
