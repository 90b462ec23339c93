"""The project's settings with one more URL, /floor/, for the benchmark only:
the production URLconf never has it. bench/load.py runs gunicorn with this
module, so every page it measures shares the floor's process and settings."""

from okryu.settings import *  # noqa: F403

ROOT_URLCONF = "bench.floor.urls"
