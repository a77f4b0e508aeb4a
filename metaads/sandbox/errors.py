"""Graph's error envelope (§9) and the errors the sandbox raises most often."""

from __future__ import annotations

import secrets
import typing as t


def trace_id() -> str:
    """A fresh id in the style of ``fbtrace_id`` / ``x-fb-trace-id``."""
    return "A" + secrets.token_urlsafe(16)[:22]


class GraphError(Exception):
    """An error Graph answers with ``{"error": {...}}``; raise it anywhere inside a handler."""

    def __init__(
        self,
        message: str,
        code: int,
        *,
        subcode: int | None = None,
        type: str = "OAuthException",
        status: int = 400,
        is_transient: bool | None = None,
        user_title: str | None = None,
        user_msg: str | None = None,
        error_data: dict[str, t.Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.subcode = subcode
        self.type = type
        self.status = status
        self.is_transient = is_transient
        self.user_title = user_title
        self.user_msg = user_msg
        self.error_data = error_data
        self.headers = dict(headers or {})
        #: Usage overrides a rate-limit fault wants on this response (see usage.py).
        self.usage: dict[str, t.Any] = {}
        #: False for a refusal that must not count against the usage budgets.
        self.counted = True

    def body(self) -> dict[str, t.Any]:
        error: dict[str, t.Any] = {"message": self.message, "type": self.type, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.is_transient is not None:
            error["is_transient"] = self.is_transient
        if self.user_title:
            error["error_user_title"] = self.user_title
        if self.user_msg:
            error["error_user_msg"] = self.user_msg
        if self.error_data is not None:
            error["error_data"] = self.error_data
        error["fbtrace_id"] = trace_id()
        return {"error": error}


def param_error(
    message: str,
    *,
    subcode: int | None = None,
    blame: str | None = None,
    user_title: str | None = None,
    user_msg: str | None = None,
) -> GraphError:
    """Code 100 "Invalid parameter", optionally blaming one field (Marketing API style)."""
    data = {"blame_field_specs": [[blame]]} if blame else None
    return GraphError(
        f"(#100) {message}",
        100,
        subcode=subcode,
        error_data=data,
        is_transient=False if subcode else None,
        user_title=user_title,
        user_msg=user_msg,
    )


def missing_param(name: str) -> GraphError:
    return param_error(f"The parameter {name} is required", blame=name)


def unsupported(method: str, object_id: str) -> GraphError:
    """100/33: unknown id, no permission, or an operation the node does not support."""
    return GraphError(
        f"Unsupported {method.lower()} request. Object with ID '{object_id}' does not exist, "
        "cannot be loaded due to missing permissions, or does not support this operation. "
        "Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api",
        100,
        subcode=33,
        type="GraphMethodException",
    )


def unknown_path(component: str) -> GraphError:
    return GraphError(f"Unknown path components: /{component}", 2500)


def nonexisting_field(field: str, node_type: str) -> GraphError:
    return GraphError(f"(#100) Tried accessing nonexisting field ({field}) on node type ({node_type})", 100)


def permission_error(message: str = "(#200) Permissions error", code: int = 200) -> GraphError:
    return GraphError(message, code)


def invalid_token(message: str, subcode: int | None = None) -> GraphError:
    """Code 190; Meta adds a ``WWW-Authenticate`` header to these (§9.1)."""
    header = f'OAuth "Facebook Platform" "invalid_token" "{message}"'
    return GraphError(message, 190, subcode=subcode, headers={"WWW-Authenticate": header})


#: Messages for the code-190 subcodes of §9.3.
TOKEN_SUBCODE_MESSAGES: dict[int, str] = {
    458: "Error validating access token: The user has not authorized application.",
    459: "Error validating access token: You cannot access the app till you log in to "
    "www.facebook.com and follow the instructions given.",
    460: "Error validating access token: The session has been invalidated because the user "
    "changed their password or Facebook has changed the session for security reasons.",
    463: "Error validating access token: Session has expired.",
    464: "Error validating access token: Sessions for the user are not allowed because the user is not a confirmed user.",
    467: "Error validating access token: The user is enrolled in a blocking, logged-in checkpoint or has logged out.",
    492: "Error validating access token: The session is invalid because the user lost a role on the Page.",
}


def token_error(subcode: int | None) -> GraphError:
    if subcode is None:
        return invalid_token("Invalid OAuth access token - Cannot parse access token")
    message = TOKEN_SUBCODE_MESSAGES.get(subcode, "Error validating access token.")
    return invalid_token(message, subcode)
