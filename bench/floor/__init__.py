"""The floor: the smallest Django page comparable to a category page, served
by the same gunicorn, settings, middleware and database (see settings.py)."""
