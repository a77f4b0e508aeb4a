"""socials' extension points: extra OAuth scopes, and handlers for Facebook webhook fields."""

from __future__ import annotations

import dataclasses
import typing as t

from flask import Flask, current_app

#: What the socials module itself asks Facebook for (pages and Instagram publishing).
BASE_SCOPES = (
    "pages_show_list",
    "pages_manage_posts",
    "pages_read_engagement",
    "instagram_basic",
    "instagram_content_publish",
    "instagram_manage_comments",
    "instagram_manage_insights",
    "instagram_manage_messages",
)


@dataclasses.dataclass(frozen=True)
class WebhookChange:
    """One ``entry[].changes[]`` item. Numbers in ``value`` arrive as exact strings."""

    object: str | None  # "page"
    entry_id: str | None  # the page id
    entry_time: t.Any  # Unix seconds when Meta sent it, as a string
    field: str  # "leadgen", "feed", ...
    value: t.Any


#: A handler gets every change of its field in one delivery, and must have stored (committed)
#: what it needs before it returns: the endpoint answers 200 once every handler has returned,
#: and 503 if one raises a database error, so that Meta sends the delivery again.
WebhookHandler = t.Callable[[list[WebhookChange]], None]
#: Gets the raw body of a signed delivery that is not a webhook payload, and why.
MalformedHandler = t.Callable[[bytes, str], None]


class FacebookGraph(t.Protocol):
    """The Graph calls connecting needs; the extension that owns the Graph client provides it
    (it registers a ``graph_provider``), so the platform has one Graph client, not two."""

    def debug_token(self, input_token: str) -> t.Any: ...
    def get_me(self, user_token: str) -> t.Any: ...
    def list_pages(self, user_token: str) -> list[t.Any]: ...
    def subscribe_page(self, page_id: str, page_token: str, fields: t.Sequence[str] = ...) -> bool: ...
    def get_subscribed_apps(self, page_id: str, page_token: str) -> list[t.Any]: ...
    def exchange_code(self, code: str, redirect_uri: str) -> t.Any: ...
    def exchange_long_lived(self, short_token: str) -> t.Any: ...


#: Called with a platform id after a connection is made or renewed (first syncs, resuming work).
ConnectedHook = t.Callable[[int], None]


@dataclasses.dataclass
class SocialsState:
    scopes: list[str] = dataclasses.field(default_factory=lambda: list(BASE_SCOPES))
    webhook_handlers: dict[str, WebhookHandler] = dataclasses.field(default_factory=dict)
    malformed_handlers: list[MalformedHandler] = dataclasses.field(default_factory=list)
    #: Webhook fields every connected page is subscribed to.
    page_fields: list[str] = dataclasses.field(default_factory=list)
    connected_hooks: list[ConnectedHook] = dataclasses.field(default_factory=list)
    #: Extra context for the Connections page from extensions (e.g. lead forms found per page).
    connection_context: list[t.Callable[[], dict[str, t.Any]]] = dataclasses.field(default_factory=list)
    graph_provider: t.Callable[[], FacebookGraph] | None = None
    #: page id → when this process last wrote the page's ``last_webhook_at`` (monotonic seconds).
    pages_touched: dict[str, float] = dataclasses.field(default_factory=dict)

    def graph(self) -> FacebookGraph:
        if self.graph_provider is None:
            raise RuntimeError("No Graph client is registered with socials (an extension sets its graph_provider).")
        return self.graph_provider()

    def register_page_fields(self, fields: t.Iterable[str]) -> None:
        for field in fields:
            if field not in self.page_fields:
                self.page_fields.append(field)

    def register_connected_hook(self, hook: ConnectedHook) -> None:
        self.connected_hooks.append(hook)

    def register_scopes(self, scopes: t.Iterable[str]) -> None:
        """Add OAuth scopes to the Facebook login; order is kept, duplicates are ignored."""
        for scope in scopes:
            if scope not in self.scopes:
                self.scopes.append(scope)

    def register_webhook_handler(self, field: str, handler: WebhookHandler) -> None:
        """Route every ``changes[]`` item whose ``field`` is ``field`` to ``handler``."""
        if field in self.webhook_handlers:
            raise RuntimeError(f"a handler for the webhook field {field!r} is already registered")
        self.webhook_handlers[field] = handler

    def register_malformed_handler(self, handler: MalformedHandler) -> None:
        """Called with signed deliveries that cannot be read, so they can be kept for inspection."""
        self.malformed_handlers.append(handler)

    def handle_malformed(self, body: bytes, reason: str) -> None:
        for handler in self.malformed_handlers:
            handler(body, reason)


def socials_state(app: Flask | None = None) -> SocialsState:
    state: SocialsState = (app or current_app).extensions["socials"]
    return state
