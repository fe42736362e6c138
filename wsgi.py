"""The WSGI entry point for gunicorn: ``gunicorn wsgi:app``. The only import-time app."""

from hotline import create_app

app = create_app()
