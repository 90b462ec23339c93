"""delivery.booking (slots, fees, the deliveries checkout creates) imports
nothing of orders: orders depends on it, and only delivery.services, where
courier steps report back, depends on orders."""

import json
import os
import subprocess
import sys
from modulefinder import ModuleFinder
from pathlib import Path

from django.conf import settings

# Run in a fresh interpreter, where nothing imported earlier can hide an
# import. django.setup() imports every app's models (orders.models among
# them) and, through the admin's and procrastinate's autodiscovery, every
# admin.py and tasks.py with the services behind them, delivery.booking
# included: the probe turns both discoveries off, and measures what
# importing the module adds to what app loading left.
PROBE = """
import json
import sys

import django
from django.conf import settings

settings.INSTALLED_APPS = [
    "django.contrib.admin.apps.SimpleAdminConfig" if app == "django.contrib.admin" else app
    for app in settings.INSTALLED_APPS
]
settings.PROCRASTINATE_AUTODISCOVER_MODULE_NAME = ""
django.setup()


def orders_modules():
    return {name for name in sys.modules if name.split(".")[0] == "orders"}


loaded_with_the_apps = orders_modules()
preloaded = %(module)r in sys.modules
import %(module)s
print(json.dumps({"preloaded": preloaded, "added": sorted(orders_modules() - loaded_with_the_apps)}))
"""


def orders_modules_imported_by(module: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE % {"module": module}], cwd=settings.BASE_DIR, capture_output=True, text=True,
        timeout=120, env={**os.environ, "DJANGO_SETTINGS_MODULE": "okryu.test_settings"},
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.splitlines()[-1])
    assert not answer["preloaded"], f"app loading imported {module} already: the probe would see nothing"
    return answer["added"]


def test_importing_booking_imports_nothing_of_orders():
    assert orders_modules_imported_by("delivery.booking") == []


def test_the_probe_sees_the_courier_side_import_orders():
    assert "orders.services" in orders_modules_imported_by("delivery.services")


def test_no_import_in_booking_s_graph_names_orders():
    """Every import statement booking reaches through the project's modules,
    also inside functions and also of the orders models that app loading
    imports anyway (read, not run; outside packages are not followed)."""
    finder = ModuleFinder(path=[str(settings.BASE_DIR)])
    finder.run_script(str(Path(settings.BASE_DIR, "delivery", "booking.py")))
    assert "delivery.models" in finder.modules
    assert not [name for name in finder.modules if name.split(".")[0] == "orders"]
