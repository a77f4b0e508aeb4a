"""``SandboxState``: everything the emulator knows, and the Python API tests drive it with."""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
import typing as t

from metaads.sandbox import seed as seeding
from metaads.sandbox.config import DEFAULTS
from metaads.sandbox.faults import FaultBook
from metaads.sandbox.ids import IdFactory, make_token, parse_time
from metaads.sandbox.leadgen import answers, normalize_field_data, public_lead
from metaads.sandbox.store import Store
from metaads.sandbox.tokens import SIXTY_DAYS, Token, TokenBook
from metaads.sandbox.usage import UsageMeter

TimeLike = int | float | str | dt.datetime | None


class SandboxState:
    """State of one sandbox app, at ``app.extensions["sandbox"]``.

    Every Graph request runs under ``lock``; the Python API takes it too, so tests may call
    it while the server thread answers requests.
    """

    ids: IdFactory
    store: Store
    tokens: TokenBook
    faults: FaultBook
    usage: UsageMeter
    seed: seeding.SeedInfo

    def __init__(self, config: dict[str, t.Any]) -> None:
        self.config = config
        self.lock = threading.RLock()
        self.calls: list[dict[str, t.Any]] = []
        self.clock_offset = 0.0
        self.reset()

    # -- setup -------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget everything and lay the seed out again (same ids, same tokens)."""
        with self.lock:
            self.ids = IdFactory()
            self.store = Store()
            self.tokens = TokenBook(self.config["APP_ID"], self.config["APP_SECRET"])
            self.faults = FaultBook()
            self.usage = UsageMeter(self.config["USAGE_BUDGETS"])
            self.app_subscriptions: dict[str, dict[str, t.Any]] = {}
            self.page_apps: dict[str, dict[str, list[str]]] = {}
            self.oauth_codes: dict[str, dict[str, t.Any]] = {}
            self.blocked_lead_pages: set[str] = set()
            self.test_leads: dict[str, str] = {}  # form id → its one test lead (§2.4)
            #: (ad id, "YYYY-MM-DD") → numbers that replace the generated ones (restatement, §6.3)
            self.restated: dict[tuple[str, str], dict[str, int]] = {}
            #: dataset id → every event received by POST /{dataset_id}/events, in order
            self.dataset_events: dict[str, list[dict[str, t.Any]]] = {}
            self.calls.clear()
            now = int(self.config["SEED_NOW"] or time.time())
            self.seed = seeding.seed_identity(self, now)
            if self.config["SEED"]:
                seeding.seed_world(self, self.seed, now)

    def configure(self, **changes: t.Any) -> dict[str, t.Any]:
        """Change config keys on the running sandbox (LATENCY_MS, USAGE_BUDGETS,
        ASYNC_REPORT_STEPS, SYNC_INSIGHTS_MAX_AD_DAYS, ALLOW_DELETED_FILTER...)."""
        unknown = set(changes) - set(DEFAULTS)
        if unknown:
            raise ValueError(f"unknown config keys {sorted(unknown)}")
        with self.lock:
            for key, value in changes.items():
                if key == "USAGE_BUDGETS":
                    value = {**self.config["USAGE_BUDGETS"], **value}
                    self.usage.budgets = dict(value)
                self.config[key] = value
            return {key: self.config[key] for key in changes}

    def now(self) -> float:
        return time.time() + self.clock_offset

    def advance_clock(self, seconds: float) -> None:
        """Move the sandbox's clock (token expiry, code expiry, date presets)."""
        self.clock_offset += seconds

    # -- tokens ------------------------------------------------------------------------
    @property
    def user_token(self) -> str:
        return self.seed.user_token

    @property
    def system_user_token(self) -> str:
        return self.seed.system_user_token

    @property
    def page_tokens(self) -> dict[str, str]:
        return dict(self.seed.page_tokens)

    @property
    def app_token(self) -> str:
        return f"{self.config['APP_ID']}|{self.config['APP_SECRET']}"

    def revoke_token(self, token: str, subcode: int = 460) -> None:
        """From now on ``token`` fails with 190 and ``subcode`` (460 password changed,
        458 app removed, 467 logged out...)."""
        with self.lock:
            self.tokens.revoke(token, subcode)

    def expire_token(self, token: str) -> None:
        """Make ``token`` expired (190/463)."""
        with self.lock:
            self.tokens.expire(token, self.now())

    def issue_user_token(self, scopes: list[str], ttl: int = SIXTY_DAYS, label: str | None = None) -> Token:
        with self.lock:
            now = int(self.now())
            value = make_token(label or f"user-{now}-{len(self.tokens.tokens)}")
            return self.tokens.add(Token(value, "USER", list(scopes), now, expires_at=now + ttl, user_id=self.seed.user_id))

    # -- faults and calls --------------------------------------------------------------
    def add_fault(self, **rule: t.Any) -> str:
        """Inject a fault; see faults.FaultRule for the keys. Returns the rule id."""
        return self.faults.add(**rule).id

    def clear_faults(self) -> None:
        self.faults.clear()

    def record_call(self, entry: dict[str, t.Any]) -> None:
        with self.lock:
            self.calls.append(entry)

    def clear_calls(self) -> None:
        with self.lock:
            self.calls.clear()

    # -- leads -------------------------------------------------------------------------
    def new_lead(
        self,
        form: dict[str, t.Any],
        field_data: list[dict[str, t.Any]],
        created: int,
        ad: dict[str, t.Any] | None,
        platform: str,
        disclaimers: list[dict[str, t.Any]] | None = None,
        is_test: bool = False,
    ) -> dict[str, t.Any]:
        """A stored-lead dict (not yet indexed)."""
        return {
            "id": self.ids.next("lead"),
            "created": int(created),
            "form_id": form["id"],
            "page_id": form["page_id"],
            "ad_id": ad["id"] if ad else None,
            "field_data": field_data,
            "custom_disclaimer_responses": disclaimers,
            "platform": platform,
            "is_test": is_test,
            "deleted": False,
        }

    def ad_for_form(self, form_id: str) -> dict[str, t.Any] | None:
        """The first non-deleted ad whose creative opens ``form_id``."""
        for ad in self.store.all("ad"):
            if ad.get("form_id") == form_id and ad["status"] != "DELETED":
                return ad
        return None

    def _form(self, form_id: str) -> dict[str, t.Any]:
        form = self.store.get(form_id, "form")
        if form is None:
            raise KeyError(f"no lead form {form_id}")
        return form

    def create_lead(
        self,
        form_id: str,
        field_data: t.Any = None,
        *,
        created_time: TimeLike = None,
        ad: bool | str = True,
        platform: str = "fb",
        custom_disclaimer_responses: list[dict[str, t.Any]] | None = None,
        is_test: bool = False,
    ) -> dict[str, t.Any]:
        """Add one lead to ``form_id``. ``ad`` True picks an ad that uses the form, an ad id
        picks that ad, False makes an organic lead. Returns the lead as a dict."""
        with self.lock:
            form = self._form(form_id)
            ad_obj = self._lead_ad(form_id, ad)
            if field_data is None:
                rng = random.Random(f"{form_id}:{len(self.store.form_leads[form_id])}")
                data = answers(form["questions"], rng, len(self.store.form_leads[form_id]))
            else:
                data = normalize_field_data(field_data)
            created = self._timestamp(created_time)
            lead = self.new_lead(form, data, created, ad_obj, platform, custom_disclaimer_responses, is_test)
            self.store.add_lead(lead)
            return self.lead(lead["id"])

    def bulk_leads(self, form_id: str, n: int, *, days: float = 30, ad: bool | str = True, end: TimeLike = None) -> list[str]:
        """Add ``n`` generated leads spread evenly over ``days`` before ``end`` (default now)."""
        with self.lock:
            form = self._form(form_id)
            ad_obj = self._lead_ad(form_id, ad)
            stop = self._timestamp(end)
            span = int(days * 86400)
            rng = random.Random(f"bulk:{form_id}:{n}")
            leads = []
            for i in range(n):
                created = stop - span + (span * (i + 1)) // n
                leads.append(self.new_lead(form, answers(form["questions"], rng, i), created, ad_obj if i % 4 else None, "fb"))
            self.store.add_leads_bulk(leads)
            return [lead["id"] for lead in leads]

    def _lead_ad(self, form_id: str, ad: bool | str) -> dict[str, t.Any] | None:
        if isinstance(ad, str):
            found = self.store.get(ad, "ad")
            if found is None:
                raise KeyError(f"no ad {ad}")
            return found
        return self.ad_for_form(form_id) if ad else None

    def _timestamp(self, value: TimeLike) -> int:
        if value is None:
            return int(self.now())
        if isinstance(value, dt.datetime):
            return int(value.timestamp())
        if isinstance(value, str):
            return parse_time(value)
        return int(value)

    def lead(self, lead_id: str) -> dict[str, t.Any]:
        """The Python-API view of a lead (Graph's fields plus ``page_id``)."""
        stored = self.store.get(lead_id, "lead")
        if stored is None:
            raise KeyError(f"no lead {lead_id}")
        ads = {stored["ad_id"]: self.store.objects[stored["ad_id"]]} if stored["ad_id"] else {}
        return public_lead(stored, ads)

    def delete_lead(self, lead_id: str) -> None:
        with self.lock:
            lead = self.store.get(lead_id, "lead")
            if lead is not None and not lead["deleted"]:
                self.store.remove_lead(lead)

    def set_leads_access(self, page_id: str, allowed: bool) -> None:
        """Simulate Leads Access Manager taking this app's access away (§2.2) or giving it back."""
        with self.lock:
            (self.blocked_lead_pages.discard if allowed else self.blocked_lead_pages.add)(page_id)

    # -- ads helpers -------------------------------------------------------------------
    def add_creative(
        self,
        account_digits: str,
        name: str,
        page_id: str,
        form_id: str | None,
        *,
        created: int,
        spec: dict[str, t.Any] | None = None,
    ) -> dict[str, t.Any]:
        if spec is None:
            cta: dict[str, t.Any] = {"type": "SIGN_UP" if form_id else "LEARN_MORE"}
            if form_id:
                cta["value"] = {"lead_gen_form_id": form_id}
            spec = {"page_id": page_id, "link_data": {"message": name, "link": "https://acme.example/", "call_to_action": cta}}
        creative = {
            "id": self.ids.next("creative"),
            "account_id": account_digits,
            "name": name,
            "object_story_spec": spec,
            "status": "ACTIVE",
            "created": created,
        }
        return self.store.add("creative", creative, ["act_" + account_digits])

    def change_object(self, object_id: str, **changes: t.Any) -> dict[str, t.Any]:
        """Change a campaign, ad set or ad "at Meta", as an Ads Manager user would: no
        validation; ``updated_time`` moves unless ``updated`` is given. ``status="DELETED"``
        deletes it (it stays readable by id but leaves the edges)."""
        with self.lock:
            obj = self.store.get(object_id)
            if obj is None or self.store.kind(object_id) not in ("campaign", "adset", "ad"):
                raise KeyError(f"no campaign, ad set or ad {object_id}")
            changes.setdefault("updated", int(self.now()))
            obj.update(changes)
            return dict(obj)

    def bulk_ads(
        self,
        account_id: str,
        campaigns: int,
        adsets: int = 1,
        ads: int = 1,
        *,
        status: str = "ACTIVE",
        form_id: str | None = None,
        days: float = 90,
    ) -> dict[str, t.Any]:
        """Lay out ``campaigns`` × ``adsets`` × ``ads`` lead-ad objects under ``account_id``
        ("act_<digits>") in one go, created ``days`` ago; returns counts and the new ids."""
        with self.lock:
            return seeding.bulk_ad_tree(self, account_id, campaigns, adsets, ads, status=status, form_id=form_id, days=days)

    def restate(self, ad_id: str, day: str, **numbers: int) -> None:
        """Meta revises a past day (§6.3): ``impressions``, ``clicks``, ``reach``, ``spend``
        (minor units) and/or ``leads`` of ``ad_id`` on ``day`` ("YYYY-MM-DD", account time)."""
        unknown = set(numbers) - {"impressions", "clicks", "reach", "spend", "leads"}
        if unknown:
            raise ValueError(f"unknown insights numbers {sorted(unknown)}")
        with self.lock:
            if self.store.get(ad_id, "ad") is None:
                raise KeyError(f"no ad {ad_id}")
            dt.date.fromisoformat(day)
            self.restated.setdefault((ad_id, day), {}).update({k: int(v) for k, v in numbers.items()})

    def add_dataset(self, name: str = "Sandbox CRM dataset") -> str:
        """A Conversions API dataset (pixel) of the seeded business; returns its id."""
        with self.lock:
            dataset = {"id": self.ids.next("dataset"), "name": name, "business_id": self.seed.business_id}
            self.store.add("dataset", dataset, [self.seed.business_id])
            self.dataset_events[dataset["id"]] = []
            return str(dataset["id"])

    def received_events(self, dataset_id: str) -> list[dict[str, t.Any]]:
        """What POST /{dataset_id}/events accepted: ``{"event", "test_event_code", "received_at"}``."""
        with self.lock:
            return list(self.dataset_events.get(dataset_id, []))

    # -- webhooks ----------------------------------------------------------------------
    def deliver_webhook(
        self,
        url: str,
        leads: t.Iterable[t.Any],
        *,
        batch: int = 1,
        duplicates: int = 0,
        big_number_ids: bool = False,
        app_secret: str | None = None,
    ) -> list[int]:
        """POST signed leadgen notifications for ``leads`` (dicts or ids) to ``url``.

        Returns one HTTP status per POST (0 when the connection failed)."""
        from metaads.sandbox.webhooks import deliver

        with self.lock:
            items = [self.lead(lead if isinstance(lead, str) else lead["id"]) for lead in leads]
        return deliver(
            url,
            items,
            batch=batch,
            duplicates=duplicates,
            big_number_ids=big_number_ids,
            app_secret=app_secret or self.config["APP_SECRET"],
            now=int(self.now()),
            timeout=float(self.config["WEBHOOK_TIMEOUT"]),
        )

    def subscribed_callback(self, page_id: str) -> str | None:
        """Where Meta would send this page's leadgen webhooks, if both subscriptions exist (§1.6-1.7)."""
        sub = self.app_subscriptions.get("page")
        fields = self.page_apps.get(page_id, {}).get(self.config["APP_ID"], [])
        if sub and sub.get("active") and "leadgen" in sub["fields"] and "leadgen" in fields:
            return str(sub["callback_url"])
        return None

    def notify_in_background(self, lead_ids: list[str]) -> threading.Thread | None:
        """Deliver leadgen webhooks for new leads to the app's subscription, off-thread."""
        if not self.config["AUTO_WEBHOOKS"]:
            return None
        targets: dict[str, list[str]] = {}
        for lead_id in lead_ids:
            url = self.subscribed_callback(self.store.objects[lead_id]["page_id"])
            if url:
                targets.setdefault(url, []).append(lead_id)
        if not targets:
            return None

        def run() -> None:
            for url, ids in targets.items():
                self.deliver_webhook(url, ids)

        thread = threading.Thread(target=run, name="sandbox-webhooks", daemon=True)
        thread.start()
        return thread
