from plugins.core import create_app

app = create_app()
