"""The OAuth 2.0 refresh-token grant (RFC 6749 §6), shared by the platforms that use it.

Google: ``POST https://oauth2.googleapis.com/token`` with ``client_id``, ``client_secret``,
``refresh_token``, ``grant_type=refresh_token`` → ``{"access_token", "expires_in",
"token_type", "scope"}`` (https://developers.google.com/identity/protocols/oauth2/native-app
#offline).  Twitch: the same form at ``https://id.twitch.tv/oauth2/token``, which also
rotates the refresh token (https://dev.twitch.tv/docs/authentication/refresh-tokens/).
A 400/401 answer (``invalid_grant``: revoked or expired refresh token) means the account must
be connected again; anything else is the token service being unavailable.
"""
from __future__ import annotations

import aiohttp

from studio.connectors.credentials import Credentials
from studio.connectors.errors import AuthError, PlatformUnavailable
from studio.core.i18n import _


async def refresh_access_token(http: aiohttp.ClientSession, token_url: str, credentials: Credentials,
                               platform_name: str) -> None:
    """Trade the refresh token for a new access token and keep it (secrets store included)."""
    if not credentials.can_refresh:
        raise AuthError(_("{platform} refused the access token and none can be refreshed: connect the account again.")
                        .format(platform=platform_name))
    form = {"grant_type": "refresh_token", "refresh_token": credentials.refresh_token or "",
            "client_id": credentials.client_id or ""}
    if credentials.client_secret:
        form["client_secret"] = credentials.client_secret
    try:
        async with http.post(token_url, data=form) as response:
            body = await response.json(content_type=None) if response.content_length != 0 else None
            status = response.status
    except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as err:
        raise PlatformUnavailable(_("{platform}'s sign-in service does not answer.").format(platform=platform_name)) from err
    if status in (400, 401, 403):
        raise AuthError(_("{platform} no longer accepts this account's sign-in (the refresh token was revoked or "
                          "expired): connect the account again.").format(platform=platform_name))
    token = body.get("access_token") if isinstance(body, dict) else None
    if status != 200 or not isinstance(token, str) or not token:
        raise PlatformUnavailable(_("{platform}'s sign-in service answered {status} without a new token.").format(
            platform=platform_name, status=status))
    rotated = body.get("refresh_token")
    credentials.update_token(token, rotated if isinstance(rotated, str) and rotated else None)
