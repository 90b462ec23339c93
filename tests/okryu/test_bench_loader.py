"""The benchmark's loader writes its rows with COPY, past the ORM's field
defaults: every column the database requires must be in its column lists,
or `make bench` stops on a NOT NULL violation (twice already, when the
medicine rules and the seller score added columns)."""

import pytest

from bench.load_catalog import OFFER_COLUMNS, PRODUCT_COLUMNS, VALUE_COLUMNS
from catalog.models import Offer, Product, ProductAttributeValue


@pytest.mark.parametrize(("model", "columns"), [
    (Product, PRODUCT_COLUMNS), (Offer, OFFER_COLUMNS), (ProductAttributeValue, VALUE_COLUMNS)])
def test_the_loader_writes_every_column_the_database_requires(model, columns):
    required = {field.column for field in model._meta.concrete_fields
                if not field.null and not field.primary_key and not field.has_db_default()}
    assert required - set(columns) == set()
