"""API authentication with knox tokens: ``Authorization: Token <key>``."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication

from accounts.models import ApiToken


class ApiTokenAuthentication(TokenAuthentication):
    """Knox's token check (hashed keys, expiry, inactive users refused) in one query.

    Knox looks at every other token of the user on each request to delete the expired
    ones; that is one more query per API call. Here a request deletes only its own token
    when that has expired (and is refused); the others are deleted when the user next signs
    in (``api_token_create``) and are never listed or accepted meanwhile.
    """

    def _cleanup_token(self, auth_token: ApiToken) -> bool:
        """Delete this token and refuse it when it has expired."""
        if auth_token.expiry is not None and auth_token.expiry <= timezone.now():
            auth_token.delete()
            return True
        return False


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The schema's security scheme for :class:`ApiTokenAuthentication`."""

    target_class = "accounts.api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        """An ``Authorization`` header carrying ``Token <key>``."""
        definition: dict[str, Any] = build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=self.target.authenticate_header(None)
        )
        definition["description"] = (
            "A key from POST /api/v1/auth/token/, sent as `Token <key>`; "
            "it expires (see `expiry`) and can be revoked."
        )
        return definition
