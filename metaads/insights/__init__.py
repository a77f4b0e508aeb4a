"""Insights: Meta's daily delivery per ad, stored (``store``), synced through the synchronous edge
or async report runs (``sync``, ``reports``), and summed for accounts, campaigns, ad sets and
ads (``query``) in the account's own days (``dates``)."""
