"""Syncs from Meta: lead forms, leads (reconciler and backfill), and the ads hierarchy."""
