"""A local Graph API emulator ("sandbox") that answers like Meta does, per meta-graph.md.

Start it in-process with ``serve_in_thread(create_sandbox_app())`` and drive it through
``app.extensions["sandbox"]`` (a ``SandboxState``) or the ``/_sandbox/...`` control API.
"""

from metaads.sandbox.app import create_sandbox_app, serve_in_thread
from metaads.sandbox.seed import SeedInfo
from metaads.sandbox.state import SandboxState
from metaads.sandbox.tokens import appsecret_proof
from metaads.sandbox.webhooks import signature_headers

__all__ = ["SandboxState", "SeedInfo", "appsecret_proof", "create_sandbox_app", "serve_in_thread", "signature_headers"]
