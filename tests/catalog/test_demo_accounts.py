"""Every demo account that `make run` prints and the README lists logs in
with the demo password."""

import re
from pathlib import Path

from django.conf import settings
from django.urls import reverse

from okryu.serve import DEMO_ACCOUNTS
from orders.management.commands.seed_demo import DEMO_PASSWORD


def banner_accounts():
    return re.findall(r"^  (\S+) ", DEMO_ACCOUNTS, re.M)


def test_the_banner_and_the_readme_list_the_same_accounts():
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    section = readme.split("### Demo accounts", 1)[1].split("\n## ", 1)[0]
    assert set(re.findall(r"^\| `([^`]+)` \|", section, re.M)) == set(banner_accounts())


def test_each_printed_account_logs_in_with_the_demo_password(demo, client):
    accounts = banner_accounts()
    assert len(accounts) >= 7
    for username in accounts:
        response = client.post(reverse("okryu:login"), {"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, username
        client.logout()
