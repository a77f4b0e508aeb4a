"""Pause, resume or archive many campaigns, ad sets or ads at once through Meta's Batch API
(meta-graph.md §8: one ``POST /`` of up to 50 updates), with a result per object.

Each object gets its own audit row (:class:`AdWrite`, as a single write), committed before Meta
is called. Then, per batch call:

* Meta's answer per update: done, or refused in Meta's words (a 422's message), the others of
  the batch unaffected. Done objects are read back (a batch of reads) and stored as Meta now has
  them, as a single write does.
* An update Meta answered ``null`` (it did not finish in time), or a whole batch whose answer
  was lost on the way, is settled by reading the objects back — never by posting again: what
  shows the new status is done, what does not is ``unknown`` (the admin may retry it).
* A dead token stops the bulk: the connection is marked for re-auth, the batch's updates are
  refused and those not sent yet say so; the answer is a 409 ``needs_reauth`` with every result.
"""

from __future__ import annotations

import dataclasses
import typing as t
from collections.abc import Sequence

from metaads.ads import store, writes
from metaads.connections import graph_service, mark_needs_reauth
from metaads.graph.batch import MAX_BATCH_SIZE
from metaads.graph.errors import GraphError, GraphRateLimitError, GraphTokenError, GraphTransientError
from metaads.models import AdAccount, AdWrite, WriteStatus
from metaads.models.enums import DeliveryStatus
from metaads.service import AdsEdge, MetaAdsService
from metaads.sync.ads import Store
from plugins.core.extensions import db
from plugins.core.http import APIError

#: Bulk action → the status Meta is asked to set.
ACTIONS: dict[str, str] = {"pause": "PAUSED", "resume": "ACTIVE", "archive": "ARCHIVED"}
DONE_WORDS = {"pause": "Paused", "resume": "Resumed", "archive": "Archived"}
#: How many objects one bulk request may name (ten batch calls).
MAX_BULK = 500

Outcome = t.Literal["done", "failed", "unknown", "not_sent"]


@dataclasses.dataclass
class Result:
    """What happened to one object: ``done``; ``failed`` (Meta refused, or we could not ask);
    ``unknown`` (the answer was lost and Meta does not show the change yet); ``not_sent``."""

    id: int
    name: str
    outcome: Outcome
    message: str
    code: str | None = None
    write_id: int | None = None
    meta: dict[str, t.Any] | None = None


@dataclasses.dataclass
class BulkOutcome:
    results: list[Result]
    needs_reauth: bool = False

    def count(self, outcome: Outcome) -> int:
        return sum(1 for result in self.results if result.outcome == outcome)

    @property
    def retry_ids(self) -> list[int]:
        """The objects worth sending again: every one not done."""
        return [result.id for result in self.results if result.outcome != "done"]


def run(rows: Sequence[store.AdObject], action: str) -> BulkOutcome:
    """Apply ``action`` (``pause``, ``resume``, ``archive``) to ``rows``, ad account by ad
    account, 50 updates per batch call; results in the order of ``rows``."""
    status = ACTIONS[action]
    by_account: dict[int, list[store.AdObject]] = {}
    accounts: dict[int, AdAccount] = {}
    for row in rows:
        account = writes.account_of(row)
        accounts[account.id] = account
        by_account.setdefault(account.id, []).append(row)
    results: dict[int, Result] = {}
    outcome = BulkOutcome([])
    for account_id, group in by_account.items():
        _Account(accounts[account_id], action, status, results, outcome).run(group)
    outcome.results = [results[row.id] for row in rows]
    return outcome


@dataclasses.dataclass
class _Account:
    """One ad account's share of a bulk: its token, its audit rows, its batch calls."""

    account: AdAccount
    action: str
    status: str
    results: dict[int, Result]
    outcome: BulkOutcome

    def run(self, rows: list[store.AdObject]) -> None:
        try:
            token, platform_id = writes.connection(self.account)
        except APIError as exc:  # no call to Meta, no write recorded: as for a single write
            self.outcome.needs_reauth |= exc.error_code == "needs_reauth"
            for row in rows:
                self.results[row.id] = Result(row.id, row.name, "failed", exc.description or "", exc.error_code)
            return
        self.token, self.platform_id = token, platform_id
        self.service = graph_service()
        kind = writes.kind_of(rows[0])
        self.edge = writes.KINDS[kind].edge
        audit = {row.id: writes.pending(kind, self.action, self.account, {"status": self.status}, row=row) for row in rows}
        db.session.commit()
        confirmed: list[store.AdObject] = []
        lost: list[store.AdObject] = []
        for start in range(0, len(rows), MAX_BATCH_SIZE):
            chunk = rows[start : start + MAX_BATCH_SIZE]
            if self.outcome.needs_reauth:
                self._not_sent(chunk, audit)
                continue
            self._send(chunk, audit, confirmed, lost)
        self._settle(confirmed, lost, audit)
        db.session.commit()

    # -- one batch call ------------------------------------------------------------------------

    def _send(
        self,
        chunk: list[store.AdObject],
        audit: dict[int, AdWrite],
        confirmed: list[store.AdObject],
        lost: list[store.AdObject],
    ) -> None:
        try:
            answers = self.service.set_statuses_batch([writes.meta_id_of(row) for row in chunk], self.status, self.token)
        except GraphError as exc:
            if writes.answer_lost(exc):
                lost.extend(chunk)  # Meta may have done any of them: read them back, never post again
            else:
                for row in chunk:
                    self._refused(row, audit[row.id], exc)
            return
        for row in chunk:
            error = answers[writes.meta_id_of(row)]
            if error is None:
                confirmed.append(row)
            elif writes.answer_lost(error):
                lost.append(row)
            else:
                self._refused(row, audit[row.id], error)

    def _refused(self, row: store.AdObject, write: AdWrite, exc: GraphError) -> None:
        if isinstance(exc, GraphTokenError) and not self.outcome.needs_reauth:
            mark_needs_reauth(self.platform_id, exc)
            self.outcome.needs_reauth = True
        error = writes.needs_reauth() if isinstance(exc, GraphTokenError) else writes.refusal(exc, self.platform_id)
        failed = isinstance(exc, GraphRateLimitError | GraphTransientError)
        meta = error.details.get("meta") or {"code": exc.code, "message": exc.message}
        writes.finish(write, WriteStatus.FAILED if failed else WriteStatus.REFUSED, meta=meta, message=error.description)
        self.results[row.id] = Result(
            row.id, row.name, "failed", error.description or "", error.error_code, write.id, error.details.get("meta")
        )

    def _not_sent(self, chunk: list[store.AdObject], audit: dict[int, AdWrite]) -> None:
        message = "Not sent: Facebook refused this connection's token. Reconnect Facebook, then retry."
        for row in chunk:
            writes.finish(audit[row.id], WriteStatus.FAILED, message=message)
            self.results[row.id] = Result(row.id, row.name, "not_sent", message, "needs_reauth", audit[row.id].id)

    # -- reading back --------------------------------------------------------------------------

    def _settle(self, confirmed: list[store.AdObject], lost: list[store.AdObject], audit: dict[int, AdWrite]) -> None:
        """Store what Meta now has of every object Meta changed, and settle the lost ones by
        what Meta shows."""
        wanted = [writes.meta_id_of(row) for row in [*confirmed, *lost]]
        found = _read_back(self.service, wanted, self.edge, self.token)
        Store(self.account, self.service, self.token).put(self.edge, list(found.values()))
        for row in confirmed:
            data = found.get(writes.meta_id_of(row))
            if data is None:  # Meta said done but could not be read back: keep what it said
                row.status = DeliveryStatus(self.status)
            self._done(row, audit[row.id], {"success": True})
        for row in lost:
            data = found.get(writes.meta_id_of(row))
            if data is not None and data.status == self.status:
                self._done(row, audit[row.id], {"read_back": True})
                continue
            message = (
                "Meta's answer was lost and Meta does not show the change yet; reload in a minute, or retry."
                if data is not None
                else "Meta's answer was lost and Meta could not be read back; reload in a minute to see whether it was done."
            )
            writes.finish(audit[row.id], WriteStatus.UNKNOWN, row=row, message=message)
            self.results[row.id] = Result(row.id, row.name, "unknown", message, "answer_lost", audit[row.id].id)

    def _done(self, row: store.AdObject, write: AdWrite, meta: dict[str, t.Any]) -> None:
        writes.finish(write, WriteStatus.DONE, row=row, meta=meta)
        self.results[row.id] = Result(row.id, row.name, "done", DONE_WORDS[self.action], None, write.id)


def _read_back(service: MetaAdsService, meta_ids: list[str], edge: AdsEdge, token: str) -> dict[str, t.Any]:
    """Meta's objects by id (batches of reads); an id Meta could not give is left out."""
    found: dict[str, t.Any] = {}
    for start in range(0, len(meta_ids), MAX_BATCH_SIZE):
        try:
            answers = service.get_ad_objects_batch(meta_ids[start : start + MAX_BATCH_SIZE], edge, token)
        except GraphError:
            continue
        found.update({meta_id: data for meta_id, data in answers.items() if not isinstance(data, GraphError)})
    return found
