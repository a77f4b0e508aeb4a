"""metaads: Meta's Marketing API (lead ads, ads, insights) as a Flask extension.

Import layering: a package or top-level module imports from its own layer or a lower one, never
from a higher one, never in a cycle; and from ``plugins`` (the host platform, which never imports
metaads). So there is no import cycle to hide inside a function. ``tests/metaads/test_layering.py``
checks it; a new top-level package or module goes in one of these layers.

1. graph, models, config, queues, signals, schemas, formatting, charts: Meta's Graph API, our
   tables, settings, our job queues; money, times and daily figures (SVG charts) as pages show them
2. service: what metaads asks of Graph (one method per Meta call)
3. connections, answers, persons: the app's Graph service and each connection's tokens; a lead's
   answers; a lead's Person
4. sync, conversions, ads: sync runs and the one loop every sync from Meta runs; lead forms, ad
   accounts, their campaigns, ad sets and ads; the Conversions API for CRM (lead stages sent
   back to Meta); writes to Meta's campaigns, ad sets and ads (checked first, idempotent, audited)
5. capture, insights: webhook inbox, processing, reconciler, sweeper, follow-ups, outbound webhooks;
   daily insights stored, synced and summed
6. leads, dashboard, api: lead management (filters, paging, workflow, CSV exports, retention);
   the dashboard's figures (Meta's numbers beside the leads received and what sales made of
   them, pipeline health, why Meta's lead count and ours differ); the JSON API's answer schemas
   and its OpenAPI description
7. views, cli, periodic, connected, demo, extension, sandbox: routes, commands, schedules and
   hooks that wire the layers below into the app (the sandbox is a stand-alone fake Meta)
"""

from metaads.extension import MetaAds, get_state

__all__ = ["MetaAds", "get_state"]
