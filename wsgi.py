"""The deployment: the platform with the extensions it runs (``flask --app wsgi``, ``gunicorn wsgi:app``)."""

from plugins.core import create_app

#: Loaded after the platform's plugins, each ``module:object`` called with the app.
EXTENSIONS = ["metaads:MetaAds"]

app = create_app({"PLATFORM_EXTENSIONS": EXTENSIONS})
