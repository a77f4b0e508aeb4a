"""The dashboard: per ad account and per currency, Meta's delivery beside the leads received here
and what sales made of them (``figures``, ``funnel``), in each account's own days (``days``);
what needs an admin now (``health``); and why Meta's lead count and ours differ (``gap``)."""
