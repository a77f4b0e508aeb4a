"""Lead management: the list's filters and keyset paging, the status workflow, CSV exports with
signed download links, and erasure of personal data (on request, or after a retention period).

The routes are in ``metaads.views.leads``; this package holds what they do, so jobs and the CLI
can do the same without a request.
"""
