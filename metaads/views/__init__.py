"""The admin blueprint: every route under the seed's ``/admin/meta-ads`` prefix needs an admin."""

from __future__ import annotations

from flask import Blueprint, Flask

from plugins.accounts import require_admin
from plugins.core.registry import platform_state

bp = Blueprint("metaads", __name__, template_folder="../templates")
bp.before_request(require_admin)

from metaads.views import (  # noqa: E402,F401  (routes register on bp)
    ad_previews,
    ads,
    api,
    conversions,
    dashboard,
    exports,
    insights,
    lead_ads,
    leads,
    performance,
    pipeline,
    sync,
    test_leads,
)


def register_menu(app: Flask) -> None:
    state = platform_state(app)
    state.add_menu_item("Dashboard", "metaads.dashboard", order=5)
    state.add_menu_item("Leads", "metaads.leads_index", order=10)
    state.add_menu_item("Lead forms", "metaads.lead_forms_index", order=20)
    state.add_menu_item("Campaigns", "metaads.campaigns_index", order=30)
    state.add_menu_item("Ad accounts", "metaads.accounts_index", order=40)
    state.add_menu_item("Pipeline", "metaads.pipeline", order=45)
    state.add_menu_item("Conversions API", "metaads.conversions", order=47)
