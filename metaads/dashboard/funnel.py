"""One object's funnel over a range: what Meta reports (spend, impressions, clicks, leads), what
reached us (leads received), what sales made of them (contacted, qualified, converted: stages
are cumulative), and which of those stages Meta accepted through the Conversions API — with the
cost of each stage. Exact integers throughout: money in the currency's minor units."""

from __future__ import annotations

import dataclasses
import typing as t

from metaads.insights.query import divide_half_up

#: Meta's figures, summed from ad-day rows.
DELIVERY = ("spend", "impressions", "clicks", "leads")
#: Ours: leads stored here and how far they got.
STAGES = ("leads_received", "contacted", "qualified", "converted")
#: Stages Meta accepted through the Conversions API (for leads received in the range).
SIGNALS = ("qualified_signals", "converted_signals")
COUNTS = DELIVERY + STAGES + SIGNALS
#: ``cost_per_<stage>``: spend divided by how many got that far.
COSTED = {
    "cost_per_lead": "leads",
    "cost_per_received": "leads_received",
    "cost_per_contacted": "contacted",
    "cost_per_qualified": "qualified",
    "cost_per_converted": "converted",
}


@dataclasses.dataclass
class Funnel:
    spend: int = 0
    impressions: int = 0
    clicks: int = 0
    leads: int = 0
    leads_received: int = 0
    contacted: int = 0
    qualified: int = 0
    converted: int = 0
    qualified_signals: int = 0
    converted_signals: int = 0

    # Written out, not looped over names: the dashboard adds a few thousand of these per request.
    def add(self, other: Funnel) -> None:
        self.add_delivery(other.spend, other.impressions, other.clicks, other.leads)
        self.add_stages(
            other.leads_received,
            other.contacted,
            other.qualified,
            other.converted,
            other.qualified_signals,
            other.converted_signals,
        )

    def add_delivery(self, spend: int, impressions: int, clicks: int, leads: int) -> None:
        self.spend += spend
        self.impressions += impressions
        self.clicks += clicks
        self.leads += leads

    def add_stages(
        self, received: int, contacted: int, qualified: int, converted: int, qualified_signals: int, converted_signals: int
    ) -> None:
        self.leads_received += received
        self.contacted += contacted
        self.qualified += qualified
        self.converted += converted
        self.qualified_signals += qualified_signals
        self.converted_signals += converted_signals

    @property
    def ctr(self) -> float | None:
        """Clicks per 100 impressions (a display ratio; the counts stay the truth)."""
        return round(self.clicks * 100 / self.impressions, 4) if self.impressions else None

    def cost(self, stage: str) -> int | None:
        """Spend per lead that got as far as ``stage`` (minor units, half up); None for none."""
        return divide_half_up(self.spend, getattr(self, stage))

    @property
    def missing(self) -> int:
        """Meta's leads not (yet) received here; negative when we received more."""
        return self.leads - self.leads_received

    def fields(self) -> dict[str, t.Any]:
        """Every count, the CTR and the cost of each stage."""
        counts = {name: getattr(self, name) for name in COUNTS}
        return {**counts, "ctr": self.ctr, **{key: self.cost(stage) for key, stage in COSTED.items()}}
