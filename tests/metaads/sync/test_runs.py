"""The one loop every sync from Meta runs (``sync_from_meta``): a rate limit pauses the run, which
resumes after the units it finished; a dead token marks its connection for re-auth."""

from __future__ import annotations

import typing as t

import pytest
from flask import Flask

from metaads.graph.errors import GraphRateLimitError, GraphTokenError
from metaads.models import SyncRun
from metaads.models.enums import SyncRunStatus
from metaads.sandbox import SandboxState
from metaads.service import MetaAdsService
from metaads.sync.accounts import sync_ad_accounts
from metaads.sync.forms import sync_lead_forms
from plugins.core import jobs
from plugins.core.extensions import db
from plugins.socials.models import PlatformStatus, SocialPlatform


def reloaded(run_id: int) -> SyncRun:
    db.session.expire_all()
    run = db.session.get(SyncRun, run_id)
    assert run is not None
    return run


def test_a_rate_limit_pauses_a_form_sync_that_resumes_after_the_pages_it_read(
    app: Flask, graph: SandboxState, connected: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = MetaAdsService.list_lead_forms
    pages_read: list[str] = []

    def list_lead_forms(service: MetaAdsService, page_id: str, token: str) -> t.Any:
        pages_read.append(page_id)
        if len(pages_read) == 2:
            raise GraphRateLimitError("Application request limit reached", code=4, retry_after=30.0)
        return real(service, page_id, token)

    monkeypatch.setattr(MetaAdsService, "list_lead_forms", list_lead_forms)
    jobs.runner().deferred.clear()

    paused = reloaded(sync_lead_forms(trigger="test"))
    assert paused.status == SyncRunStatus.RUNNING and paused.counts == {
        "pages": 1,
        "forms": paused.counts["forms"],
        "rate_limited": 1,
    }
    assert paused.progress["done"] == [pages_read[0]] and paused.progress["resume_after_seconds"] == 30.0
    assert len(jobs.runner().deferred) == 1, "the run continues after Meta's wait"

    assert jobs.runner().run_deferred() == 1
    done = reloaded(paused.id)
    assert done.status == SyncRunStatus.SUCCEEDED and done.counts["pages"] == 2
    assert pages_read[2:] == [pages_read[1]], "the resumed run reads only the page it had not read"


def test_a_dead_token_marks_the_connection_for_reauth_and_fails_the_account_sync(
    app: Flask, graph: SandboxState, connected: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    def list_ad_accounts(service: MetaAdsService, token: str) -> t.Any:
        raise GraphTokenError("Error validating access token", code=190)

    monkeypatch.setattr(MetaAdsService, "list_ad_accounts", list_ad_accounts)
    run = reloaded(sync_ad_accounts(trigger="test"))
    platform = db.session.get(SocialPlatform, connected)
    assert platform is not None and platform.status == PlatformStatus.NEEDS_REAUTH
    assert run.status == SyncRunStatus.FAILED and f"{platform.name}: Error validating access token" in (run.error or "")
