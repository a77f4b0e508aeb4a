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

#: A handler gets the entry's object id (the page id), the change's ``value`` (ids as exact
#: strings) and the entry's ``time``. It must store what it needs before returning: the endpoint
#: answers 200 once every handler has returned.
WebhookHandler = t.Callable[[str | None, t.Any, t.Any], None]


@dataclasses.dataclass
class SocialsState:
    scopes: list[str] = dataclasses.field(default_factory=lambda: list(BASE_SCOPES))
    webhook_handlers: dict[str, WebhookHandler] = dataclasses.field(default_factory=dict)

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


def socials_state(app: Flask | None = None) -> SocialsState:
    state: SocialsState = (app or current_app).extensions["socials"]
    return state
