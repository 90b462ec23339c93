"""The browser tests' world: the storefront served by gunicorn on loopback
against pytest-django's test database, one Chromium for the package, a
fresh context per test (phone or desktop) that refuses every request
outside the server, and the checks every customer page goes through.

Each test runs on pytest-django's ``transactional_db``: the demo catalogue
is seeded and committed, so that gunicorn's own connections see it, the
test adds its own customers, cards and orders through the ORM, and the
database is emptied after it."""

import io
import json
import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote, urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command

from tests import factories
from tests.live_server import gunicorn

BASE_DIR = Path(settings.BASE_DIR)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-component-update", "--disable-sync",
]
AXE_VERSION = "4.14.1"
AXE_PREFIX = BASE_DIR / "var" / "node"
AXE_SCRIPT = AXE_PREFIX / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = BASE_DIR / "var" / "screenshots"
PAGE_WEIGHT_REPORT = BASE_DIR / "var" / "page-weight.txt"
AXE_REPORT = BASE_DIR / "var" / "axe.txt"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 768}}
LOCALES = {"ko": "ko-KR", "en": "en-US"}
# HTML, CSS and JS of one page, compressed, on a first visit (images excluded).
PAGE_WEIGHT_BUDGET = 30 * 1024
# Below this many bytes compression gains nothing (Django's GZipMiddleware skips under 200).
MIN_COMPRESSED = 1000
WEIGHED_TYPES = {"document": "html", "stylesheet": "css", "script": "js"}
BLOCKING_IMPACTS = {"serious", "critical"}
NANUM_FONTS = Path("/usr/share/fonts/truetype/nanum")
INSTALL_HINT = "sudo apt-get install --no-install-recommends chromium fonts-nanum npm (make test does it as root)"


def _missing_system_packages() -> list[str]:
    """What tests/browser/install_deps.sh installs, where it is still missing."""
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append("chromium")
    if not any(NANUM_FONTS.glob("NanumGothic*.ttf")):
        missing.append("fonts-nanum")
    if shutil.which("npm") is None:
        missing.append("npm")
    return missing


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Every test here is marked ``browser`` (so ``-m "not browser"`` leaves
    them out), and skipped with the install command when the machine lacks
    what they drive: a user who cannot install packages still gets the rest
    of the suite."""
    here = Path(__file__).parent
    missing = _missing_system_packages()
    skip = pytest.mark.skip(reason=f"{', '.join(missing)} missing; install with: {INSTALL_HINT}")
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)
            if missing:
                item.add_marker(skip)


# The server and its data


@pytest.fixture(scope="package")
def media_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture
def shop(transactional_db, settings, media_root):
    """The demo catalogue, committed so that gunicorn sees it (pytest-django
    empties the database after the test), plus slots that start soon on both
    services so that hot dishes can be ordered at any hour of the day. The
    restaurants' opening hours are lifted for the same reason: the slot tests
    cover them, and a journey run at 10 p.m. must not find the kitchens shut."""
    from catalog.models import OpeningHours
    from delivery.models import TransportService

    settings.MEDIA_ROOT = media_root
    call_command("seed_demo", stdout=io.StringIO())
    OpeningHours.objects.all().delete()
    express, van = TransportService.objects.order_by("pk")
    for service in (express, van):
        factories.slot(service_=service, starts_in=timedelta(minutes=50), capacity=100)
    return SimpleNamespace(express=express, van=van)


@pytest.fixture(scope="package")
def server(django_db_setup, media_root, tmp_path_factory):
    """gunicorn serving the test database on a free loopback port, with
    static files collected and compressed as in production."""
    with gunicorn(
        media_root=media_root, static_root=tmp_path_factory.mktemp("static"),
        log=BASE_DIR / "var" / "browser-gunicorn.log",
    ) as running:
        yield running


# The browser


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe-core from the npm registry, pinned, installed once under var/node."""
    installed = AXE_SCRIPT.parent / "package.json"
    if not installed.exists() or json.loads(installed.read_text())["version"] != AXE_VERSION:
        subprocess.run(
            ["npm", "install", "--prefix", str(AXE_PREFIX), "--no-audit", "--no-fund", "--silent",
             f"axe-core@{AXE_VERSION}"],
            check=True,
        )
    return AXE_SCRIPT


@pytest.fixture(scope="package")
def browser(server):
    """One headless Chromium (Debian's) for all the browser tests."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread, which Django
    # takes for async code and then refuses ORM calls; the tests are plain
    # synchronous code, so the check is lifted while the browser lives.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request) -> str:
    return request.param


class Findings:
    """What the checked pages measured over the package: their weights,
    written to var/page-weight.txt, and every axe-core violation, blocking
    or not, written to var/axe.txt."""

    def __init__(self):
        self.weights: dict[tuple[str, str], dict[str, int]] = {}
        self.violations: dict[tuple[str, str], list[dict]] = {}

    def weight_table(self) -> str:
        lines = [f"{'page':<22}{'viewport':<10}{'html':>8}{'css':>8}{'js':>8}{'total':>8}  (bytes over the wire)"]
        for (name, viewport), sizes in sorted(self.weights.items()):
            lines.append(f"{name:<22}{viewport:<10}{sizes['html']:>8}{sizes['css']:>8}{sizes['js']:>8}"
                         f"{sizes['total']:>8}")
        return "\n".join(lines) + "\n"

    def axe_report(self) -> str:
        return "".join(
            f"{name} ({viewport}):\n{_describe(found)}\n" for (name, viewport), found in sorted(self.violations.items())
            if found
        ) or "no violations\n"


@pytest.fixture(scope="package")
def findings():
    found = Findings()
    yield found
    if found.weights:
        PAGE_WEIGHT_REPORT.parent.mkdir(parents=True, exist_ok=True)
        PAGE_WEIGHT_REPORT.write_text(found.weight_table())
        AXE_REPORT.write_text(found.axe_report())
        print("\n" + found.weight_table())


class Visitor:
    """One browser context: a customer, a courier or a staff member, on one
    viewport and in one language."""

    def __init__(self, *, browser, server, viewport: str, language: str, axe_script: Path, findings,
                 bypass_csp: bool = False, javascript: bool = True):
        self.server, self.viewport, self.language = server, viewport, language
        self.axe_script, self.findings = axe_script, findings
        self.outside: list[str] = []
        self.requests = []
        self.context = browser.new_context(
            base_url=server.url, viewport=VIEWPORTS[viewport], locale=LOCALES[language],
            is_mobile=viewport == "phone", has_touch=viewport == "phone", bypass_csp=bypass_csp,
            java_script_enabled=javascript,
        )
        # Routing every request also turns the HTTP cache off: each page is weighed as a first visit.
        self.context.route("**/*", self._only_the_server)
        self.page = self.context.new_page()
        # In the order they start: a stylesheet can finish before the HTML that asked for it.
        self.page.on("request", lambda request: self.requests.append(request))

    def _only_the_server(self, route) -> None:
        address = urlsplit(route.request.url)
        if address.scheme in ("http", "https") and address.netloc == self.server.host:
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def form_with(self, selector: str):
        """The form holding the field that ``selector`` matches: pages are
        driven by their forms' field names, not by layout or wording."""
        return self.page.locator("form", has=self.page.locator(selector))

    def submit(self, selector: str) -> None:
        """Press the form's first button, as Enter in a field would, and
        wait for the page it leads to."""
        self.follow(self.form_with(selector).get_by_role("button").first)

    def follow(self, locator) -> None:
        """Click a link or button and wait for the next page to load."""
        with self.page.expect_navigation():
            locator.click()

    def switch_language(self, language: str) -> None:
        """With the language chooser in the footer."""
        self.page.locator('select[name="language"]').select_option(language)
        self.submit('select[name="language"]')
        assert self.page.locator("html").get_attribute("lang") == language
        self.language = language

    def log_in(self, username: str, password: str = factories.PASSWORD, *, next_url: str = "/") -> None:
        self.page.goto(f"/accounts/login/?next={quote(next_url)}")
        self.page.locator('input[name="username"]').fill(username)
        self.page.locator('input[name="password"]').fill(password)
        self.submit('input[name="password"]')
        assert urlsplit(self.page.url).path == next_url

    def check(self, name: str) -> dict[str, int]:
        """The checks of a customer page: nothing overflows the viewport, no
        serious or critical axe-core violation, HTML+CSS+JS under the budget;
        then a screenshot into var/screenshots/."""
        page = self.page
        page.wait_for_load_state("load")
        sizes, uncompressed = self._weigh()
        key = (f"{name}-{self.language}", self.viewport)
        self.findings.weights[key] = sizes
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        # Evaluated through the DevTools protocol, which the page's
        # Content-Security-Policy (no inline script) rightly does not allow.
        page.evaluate(self.axe_script.read_text())
        violations = page.evaluate("axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)")
        self.findings.violations[key] = violations
        # Lazy images below the fold would stay blank in a full-page screenshot.
        page.evaluate("""() => Promise.all([...document.images].map(image => {
            image.loading = "eager";
            return image.complete ? null : new Promise(done => { image.onload = image.onerror = done; });
        }))""")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        prefix = "" if self.language == "ko" else f"{self.language}-"
        page.screenshot(path=SCREENSHOTS / f"{prefix}{name}-{self.viewport}.png", full_page=True)
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        assert not blocking, f"axe-core on {page.url}:\n" + _describe(blocking)
        assert overflow <= 0, f"{page.url} is {overflow}px wider than the {self.viewport} viewport"
        assert sizes["total"] < PAGE_WEIGHT_BUDGET, f"{page.url} weighs {sizes} bytes, over {PAGE_WEIGHT_BUDGET}"
        assert not uncompressed, f"sent without compression: {uncompressed}"
        return sizes

    def _weigh(self) -> tuple[dict[str, int], list[str]]:
        """Bytes over the wire (headers and body) of the current document, its
        redirects, and the CSS and JS loaded since; and the URLs of those
        that came uncompressed although big enough to gain from it."""
        documents = [
            i for i, r in enumerate(self.requests) if r.resource_type == "document" and r.frame == self.page.main_frame
        ]
        start = documents[-1] if documents else 0
        current = self.requests[start]
        chain = []
        while current.redirected_from is not None:
            current = current.redirected_from
            chain.append(current)
        totals, uncompressed = {"html": 0, "css": 0, "js": 0}, []
        for request in chain + self.requests[start:]:
            kind = WEIGHED_TYPES.get(request.resource_type)
            if kind:
                sizes = request.sizes()
                totals[kind] += sizes["responseBodySize"] + sizes["responseHeadersSize"]
                if sizes["responseBodySize"] > MIN_COMPRESSED and "content-encoding" not in request.response().headers:
                    uncompressed.append(request.url)
        return {**totals, "total": sum(totals.values())}, uncompressed


def _describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"][:5]:
            lines.append(f"    {' '.join(node['target'])}: {node['failureSummary'].splitlines()[-1].strip()}")
    return "\n".join(lines)


@pytest.fixture
def visitor(shop, browser, server, viewport, axe_script, findings):
    """Make browser contexts for this test: ``visitor(language="ko")``. At
    the end, each is closed and must not have asked for anything outside the
    server under test."""
    made: list[Visitor] = []

    def make(*, language: str, bypass_csp: bool = False, javascript: bool = True) -> Visitor:
        made.append(Visitor(browser=browser, server=server, viewport=viewport, language=language,
                            axe_script=axe_script, findings=findings, bypass_csp=bypass_csp, javascript=javascript))
        return made[-1]

    yield make
    outside = [url for v in made for url in v.outside]
    for v in made:
        v.context.close()
    assert not outside, f"requests outside the server under test: {outside}"
