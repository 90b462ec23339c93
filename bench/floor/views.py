"""One SQL query for 24 products, one template, an HTML page as large as the
category page (FLOOR_PAGE_BYTES, measured by bench/load.py before it starts
gunicorn): what Django does at the least for such a page on this machine,
through the project's whole middleware stack."""

import os

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.template import engines

PAGE_SIZE = 24
PAGE_BYTES = int(os.environ.get("FLOOR_PAGE_BYTES", "0"))
TEMPLATE = engines["django"].from_string(
    "<!doctype html><html lang=\"ko\"><head><meta charset=\"utf-8\"><title>floor</title></head><body>"
    "<ul>{% for slug, name, price, image in products %}<li><a href=\"/p/{{ slug }}/\">"
    "<img src=\"/media/{{ image }}\" alt=\"{{ name }}\" width=\"320\" height=\"320\" loading=\"lazy\">"
    "{{ name }}</a> ₩{{ price }}</li>{% endfor %}</ul></body></html>"
)
# The cheapest listed products: the same partial index as a category page's
# default sort.
QUERY = (
    "SELECT slug, name_ko, best_price, image FROM catalog_product "
    "WHERE is_active AND best_price IS NOT NULL ORDER BY best_price, id LIMIT %s"
)


def floor(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute(QUERY, [PAGE_SIZE])
        products = cursor.fetchall()
    html = TEMPLATE.render({"products": products}).encode()
    # Up to the category page's size with copies of the page itself, so that
    # it compresses about as well as a real page does.
    missing = max(0, PAGE_BYTES - len(html))
    padding = (b"<!--" + html * (missing // len(html) + 1))[: max(0, missing - 3)] + b"-->" if missing > 7 else b""
    return HttpResponse(html + padding)
