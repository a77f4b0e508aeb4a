"""An ad set and an ad in words, as Ads Manager's summaries read: where and whom an ad set
reaches, where it shows, what it optimises for, its schedule and budget; what an ad's creative
says and which lead form its button opens. Read from the stored rows only (no Graph call); the
raw targeting stays in the JSON answer.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing as t
import urllib.parse
import zoneinfo
from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from babel import Locale
from babel.dates import format_datetime

from metaads.formatting import money
from metaads.models import Ad, AdAccount, AdSet, LeadForm
from plugins.core.extensions import db
from plugins.socials.models import SocialPage

ENGLISH = Locale("en")

#: Meta's placement names (``publisher_platforms`` and each platform's ``*_positions``) as Ads
#: Manager labels them.
PLATFORMS = {
    "facebook": "Facebook",
    "instagram": "Instagram",
    "messenger": "Messenger",
    "audience_network": "Audience Network",
    "threads": "Threads",
}
POSITIONS: dict[str, dict[str, str]] = {
    "facebook": {
        "feed": "Feed",
        "profile_feed": "Profile feed",
        "right_hand_column": "Right column",
        "marketplace": "Marketplace",
        "video_feeds": "Video feeds",
        "story": "Stories",
        "search": "Search results",
        "instream_video": "In-stream videos",
        "facebook_reels": "Reels",
        "facebook_reels_overlay": "Ads on Reels",
        "notification": "Notifications",
    },
    "instagram": {
        "stream": "Feed",
        "profile_feed": "Profile feed",
        "story": "Stories",
        "explore": "Explore",
        "explore_home": "Explore home",
        "reels": "Reels",
        "profile_reels": "Profile reels",
        "ig_search": "Search results",
    },
    "messenger": {"messenger_home": "Inbox", "sponsored_messages": "Sponsored messages", "story": "Stories"},
    "audience_network": {
        "classic": "Native, banner and interstitial",
        "rewarded_video": "Rewarded videos",
        "instream_video": "In-stream videos",
    },
    "threads": {"threads_stream": "Feed"},
}
GOALS = {
    "LEAD_GENERATION": "Leads",
    "QUALITY_LEAD": "Conversion leads",
    "LINK_CLICKS": "Link clicks",
    "LANDING_PAGE_VIEWS": "Landing page views",
    "OFFSITE_CONVERSIONS": "Conversions",
    "REACH": "Reach",
    "IMPRESSIONS": "Impressions",
    "THRUPLAY": "ThruPlay",
    "POST_ENGAGEMENT": "Post engagement",
    "CONVERSATIONS": "Conversations",
    "VALUE": "Value",
}
BILLING = {
    "IMPRESSIONS": "Impressions (CPM)",
    "LINK_CLICKS": "Link clicks (CPC)",
    "CLICKS": "Clicks",
    "THRUPLAY": "ThruPlay",
    "POST_ENGAGEMENT": "Post engagement",
}
DESTINATIONS = {
    "ON_AD": "Instant form",
    "WEBSITE": "Website",
    "MESSENGER": "Messenger",
    "WHATSAPP": "WhatsApp",
    "INSTAGRAM_DIRECT": "Instagram Direct",
    "ON_PAGE": "Facebook Page",
    "APP": "App",
}
BID_STRATEGIES = {
    "LOWEST_COST_WITHOUT_CAP": "Highest volume",
    "LOWEST_COST_WITH_BID_CAP": "Bid cap",
    "COST_CAP": "Cost per result goal",
    "LOWEST_COST_WITH_MIN_ROAS": "ROAS goal",
}
CALLS_TO_ACTION = {
    "APPLY_NOW": "Apply now",
    "DOWNLOAD": "Download",
    "GET_QUOTE": "Get quote",
    "LEARN_MORE": "Learn more",
    "SIGN_UP": "Sign up",
    "SUBSCRIBE": "Subscribe",
    "CONTACT_US": "Contact us",
    "BOOK_TRAVEL": "Book now",
}
GENDERS = {1: "Men", 2: "Women"}
#: Ads Manager's upper age: 65 means "65 and over".
AGE_TOP = 65


def words(value: str | None, table: Mapping[str, str]) -> str | None:
    """Meta's ``SOME_ENUM`` as words: from ``table``, else "Some enum"."""
    if not value:
        return None
    return table.get(value) or value.replace("_", " ").lower().capitalize()


def country_name(code: str) -> str:
    return str(ENGLISH.territories.get(str(code).upper()) or code)


@dataclasses.dataclass(frozen=True)
class Fact:
    """One line of a summary: a label and what it says (``detail``: a smaller second line)."""

    label: str
    value: str
    detail: str | None = None


# -- an ad set ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AdSetSummary:
    """Whom the ad set reaches, and how it delivers (where, for what, when, for how much)."""

    audience: list[Fact]
    delivery: list[Fact]


def summarise(ad_set: AdSet) -> AdSetSummary:
    targeting = ad_set.targeting if isinstance(ad_set.targeting, Mapping) else {}
    meta = ad_set.metadata_ or {}
    account = ad_set.campaign.ad_account if ad_set.campaign else None
    audience = [
        *locations(targeting),
        Fact("Ages", ages(targeting)),
        Fact("Genders", genders(targeting)),
        *detailed_targeting(targeting),
        Fact("Advantage+ audience", advantage_audience(targeting)),
    ]
    delivery = [
        Fact("Placements", *placements(targeting)),
        Fact("Optimisation goal", words(ad_set.optimization_goal, GOALS) or "—"),
        Fact("Billing event", words(ad_set.billing_event, BILLING) or "—"),
    ]
    if destination := words(meta.get("destination_type"), DESTINATIONS):
        delivery.append(Fact("Conversion location", destination))
    if page := promoted_page(meta.get("promoted_object")):
        delivery.append(page)
    delivery.append(Fact("Schedule", *schedule(ad_set.start_time, ad_set.end_time, account)))
    delivery.append(Fact("Budget", *budget(ad_set, account)))
    if ad_set.bid_amount is not None or meta.get("bid_strategy"):
        delivery.append(Fact("Bid strategy", *bid(ad_set, meta.get("bid_strategy"), account)))
    return AdSetSummary(audience, delivery)


def locations(targeting: Mapping[str, t.Any]) -> list[Fact]:
    included = places(targeting.get("geo_locations"))
    facts = [Fact("Locations", included[0] if included else "Not set", "; ".join(included[1:]) or None)]
    excluded = places(targeting.get("excluded_geo_locations"))
    if excluded:
        facts.append(Fact("Excluded locations", "; ".join(excluded)))
    return facts


def places(geo: t.Any) -> list[str]:
    """``geo_locations`` as lines: countries, regions, cities (with their radius), postcodes,
    pins, and who counts as there."""
    if not isinstance(geo, Mapping):
        return []
    lines: list[str] = []
    if countries := _strings(geo.get("countries")):
        lines.append(", ".join(country_name(code) for code in countries))
    if groups := _strings(geo.get("country_groups")):
        lines.append(", ".join(group.replace("_", " ").title() for group in groups))
    if regions := _named(geo.get("regions")):
        lines.append("Regions: " + ", ".join(regions))
    cities = [_city(city) for city in geo.get("cities") or [] if isinstance(city, Mapping)]
    if cities:
        lines.append("Cities: " + ", ".join(cities))
    if zips := _named(geo.get("zips")):
        lines.append("Postcodes: " + ", ".join(zips))
    pins = [pin for pin in geo.get("custom_locations") or [] if isinstance(pin, Mapping)]
    if pins:
        lines.append(f"{len(pins)} pinned {'location' if len(pins) == 1 else 'locations'}")
    kinds = _strings(geo.get("location_types"))
    if kinds and set(kinds) != {"home", "recent"}:
        lines.append({"home": "People who live there", "recent": "People recently there"}.get(kinds[0], kinds[0]))
    return lines


def _city(city: Mapping[str, t.Any]) -> str:
    name = str(city.get("name") or city.get("key") or "?")
    if city.get("radius"):
        unit = "mi" if city.get("distance_unit") == "mile" else "km"
        return f"{name} (+{city['radius']} {unit})"
    return name


def ages(targeting: Mapping[str, t.Any]) -> str:
    low = _int(targeting.get("age_min")) or 18
    high = _int(targeting.get("age_max")) or AGE_TOP
    text = f"{low}–{high}{'+' if high >= AGE_TOP else ''}"
    if _advantage(targeting) == 1:
        text += " (a suggestion: Advantage+ audience may reach beyond it)"
    return text


def genders(targeting: Mapping[str, t.Any]) -> str:
    chosen = sorted({g for g in targeting.get("genders") or [] if g in GENDERS})
    return GENDERS[chosen[0]] if len(chosen) == 1 else "All genders"


def detailed_targeting(targeting: Mapping[str, t.Any]) -> list[Fact]:
    """Interests, behaviours and custom audiences by the names Meta stores with them."""
    facts: list[Fact] = []
    included = [name for spec in _objects(targeting.get("flexible_spec")) for name in _spec_names(spec)]
    for key in ("interests", "behaviors"):
        included += _named(targeting.get(key))
    if included:
        facts.append(Fact("Detailed targeting", ", ".join(included)))
    if excluded := _spec_names(targeting.get("exclusions")):
        facts.append(Fact("Excluded interests", ", ".join(excluded)))
    if audiences := _named(targeting.get("custom_audiences")):
        facts.append(Fact("Custom audiences", ", ".join(audiences)))
    if excluded_audiences := _named(targeting.get("excluded_custom_audiences")):
        facts.append(Fact("Excluded audiences", ", ".join(excluded_audiences)))
    if locales := targeting.get("locales"):
        count = len(locales) if isinstance(locales, list) else 1
        facts.append(Fact("Languages", f"{count} {'language' if count == 1 else 'languages'}"))
    return facts


def _spec_names(spec: t.Any) -> list[str]:
    if not isinstance(spec, Mapping):
        return []
    return [name for value in spec.values() for name in _named(value)]


def advantage_audience(targeting: Mapping[str, t.Any]) -> str:
    flag = _advantage(targeting)
    if flag is None:
        return "Not set"
    return "On: Meta may reach people beyond these settings" if flag == 1 else "Off: only the audience above"


def _advantage(targeting: Mapping[str, t.Any]) -> int | None:
    automation = targeting.get("targeting_automation")
    flag = automation.get("advantage_audience") if isinstance(automation, Mapping) else None
    return _int(flag)


def placements(targeting: Mapping[str, t.Any]) -> tuple[str, str | None]:
    """Manual placements platform by platform, or Advantage+ placements (no
    ``publisher_platforms``: Meta chooses among every placement)."""
    chosen = _strings(targeting.get("publisher_platforms"))
    devices = _strings(targeting.get("device_platforms"))
    device_note = None
    if devices and set(devices) != {"mobile", "desktop"}:
        device_note = f"{devices[0].capitalize()} only"
    if not chosen:
        return "Advantage+ placements", device_note or "Meta places the ads where they are likely to perform best."
    parts = []
    for platform in chosen:
        label = PLATFORMS.get(platform, platform.replace("_", " ").title())
        positions = targeting.get(f"{platform}_positions")
        if isinstance(positions, list) and positions:
            names = POSITIONS.get(platform, {})
            parts.append(f"{label}: {', '.join(names.get(p, p.replace('_', ' ')) for p in positions)}")
        else:
            parts.append(f"{label}: all positions")
    return "; ".join(parts), device_note


def promoted_page(promoted: t.Any) -> Fact | None:
    page_id = str(promoted.get("page_id") or "") if isinstance(promoted, Mapping) else ""
    if not page_id:
        return None
    name = page_name(page_id)
    return Fact("Promoted Page", name or f"Page {page_id}", page_id if name else None)


def page_name(page_id: str) -> str | None:
    return t.cast("str | None", db.session.scalar(sa.select(SocialPage.name).where(SocialPage.page_id == page_id).limit(1)))


def schedule(start: dt.datetime | None, end: dt.datetime | None, account: AdAccount | None) -> tuple[str, str | None]:
    """Start and end in the account's time zone (Meta's day boundaries), named."""
    zone_name = account.timezone if account and account.timezone else "UTC"
    try:
        zone = zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone, zone_name = zoneinfo.ZoneInfo("UTC"), "UTC"

    def when(value: dt.datetime) -> str:
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return str(format_datetime(aware, "d MMM y, HH:mm", tzinfo=zone, locale=ENGLISH))

    if start is None and end is None:
        return "Runs until paused", None
    first = f"From {when(start)}" if start else "From when it is turned on"
    last = f"until {when(end)}" if end else "until paused"
    return f"{first} {last}", f"Times in the ad account's time zone ({zone_name})"


def budget(ad_set: AdSet, account: AdAccount | None) -> tuple[str, str | None]:
    currency = account.currency if account else None
    if ad_set.daily_budget is not None:
        return f"{money(ad_set.daily_budget, currency)} a day", _remaining(ad_set, currency, " today")
    if ad_set.lifetime_budget is not None:
        return f"{money(ad_set.lifetime_budget, currency)} in total", _remaining(ad_set, currency, "")
    campaign = ad_set.campaign
    if campaign and campaign.daily_budget is not None:
        return "Campaign budget", f"{money(campaign.daily_budget, currency)} a day, shared by the campaign's ad sets"
    if campaign and campaign.lifetime_budget is not None:
        return "Campaign budget", f"{money(campaign.lifetime_budget, currency)} in total, shared by the campaign's ad sets"
    return "Not set", None


def _remaining(ad_set: AdSet, currency: str | None, when: str) -> str | None:
    left = (ad_set.metadata_ or {}).get("budget_remaining")
    return f"{money(int(left), currency)} left{when}" if isinstance(left, int) else None


def bid(ad_set: AdSet, strategy: str | None, account: AdAccount | None) -> tuple[str, str | None]:
    label = words(strategy, BID_STRATEGIES) or "Highest volume"
    cap = f"Bid {money(ad_set.bid_amount, account.currency if account else None)}" if ad_set.bid_amount is not None else None
    return label, cap


# -- an ad -------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Creative:
    """What an ad shows, as its creative was last synced or written."""

    page_id: str | None
    page_name: str | None
    headline: str | None
    message: str | None
    description: str | None
    image_url: str | None
    call_to_action: str | None
    link: str | None

    @property
    def empty(self) -> bool:
        return not (self.headline or self.message or self.image_url)

    @property
    def image_origin(self) -> str | None:
        """Where the image is served from (``https://<host>``): the one image source the ad's
        page allows beyond its own."""
        return f"https://{urllib.parse.urlsplit(self.image_url).hostname}" if self.image_url else None


def creative_of(ad: Ad) -> Creative:
    meta = ad.metadata_ or {}
    stored = meta.get("creative")
    content: Mapping[str, t.Any] = stored if isinstance(stored, Mapping) else {}
    page_id = str(meta.get("page_id") or "") or None
    image = content.get("image_url") or ad.thumbnail_url
    return Creative(
        page_id=page_id,
        page_name=page_name(page_id) if page_id else None,
        headline=content.get("headline"),
        message=content.get("message"),
        description=content.get("description"),
        image_url=image if on_metas_cdn(image) else None,
        call_to_action=words(content.get("call_to_action"), CALLS_TO_ACTION),
        link=content.get("link"),
    )


def on_metas_cdn(url: t.Any) -> bool:
    """An https address on Meta's CDN (``*.fbcdn.net``): the only images an ad's page loads, so
    its policy opens to Meta's image host and no one else's."""
    if not isinstance(url, str):
        return False
    parts = urllib.parse.urlsplit(url)
    return parts.scheme == "https" and (parts.hostname or "").endswith(".fbcdn.net")


def lead_form_of(ad: Ad) -> LeadForm | None:
    """Our row of the form the ad's button opens (by Meta's id; it may not be synced yet)."""
    if not ad.lead_gen_form_id:
        return None
    query = sa.select(LeadForm).where(LeadForm.meta_form_id == ad.lead_gen_form_id).limit(1)
    return db.session.execute(query).scalar_one_or_none()


# -- helpers -----------------------------------------------------------------------------------


def _strings(value: t.Any) -> list[str]:
    return [str(item) for item in value if isinstance(item, str | int)] if isinstance(value, list) else []


def _objects(value: t.Any) -> Sequence[Mapping[str, t.Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _named(value: t.Any) -> list[str]:
    """Names of ``[{"id", "name"}]`` (regions, interests, audiences); the id when unnamed."""
    return [str(item.get("name") or item.get("key") or item.get("id")) for item in _objects(value)]


def _int(value: t.Any) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None
