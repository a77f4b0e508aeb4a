"""The JSON API described: the OpenAPI document built from the routes' declarations
(``plugins.core.apidoc``), the answers' shapes that have no model of their own, and the two routes
that serve the description (``openapi.json`` and the reference page ``api``)."""
