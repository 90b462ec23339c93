"""`manage.py import_catalog FILE.csv`: all rows or none."""

import io

import pytest
from django.core.management import CommandError, call_command

from catalog.models import Attribute, Offer, Product

pytestmark = pytest.mark.django_db

HEADER = "product_slug,category_slug,name_ko,name_en,a.weight,seller_slug,price,stock,active\n"


@pytest.fixture
def world(world):
    """The world, whose soap category has the weight that the a.weight column names."""
    add_weight(world)
    return world


def add_weight(world) -> Attribute:
    weight = Attribute.objects.create(code="weight", kind=Attribute.Kind.NUMBER, unit="g", name_ko="무게",
                                      name_en="Weight")
    weight.categories.add(world.category)
    return weight


def weight_of(product):
    return product.attribute_values.get(attribute__code="weight").number


def run(tmp_path, text):
    path = tmp_path / "catalog.csv"
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_catalog", str(path), stdout=out, stderr=err)
    except CommandError as error:
        return False, out.getvalue(), err.getvalue() + str(error)
    return True, out.getvalue(), err.getvalue()


def test_it_creates_products_and_offers(tmp_path, world):
    ok, out, _ = run(tmp_path, HEADER + (
        f"kimchi,soap,배추김치,Kimchi,1000,{world.store.slug},3000,20,1\n"
        f"kimchi,soap,배추김치,Kimchi,1000,{world.factory.slug},2800,0,\n"
    ))
    assert ok, out
    kimchi = Product.objects.get(slug="kimchi")
    assert (kimchi.name_ko, weight_of(kimchi), kimchi.category) == ("배추김치", 1000, world.category)
    assert kimchi.offers.count() == 2
    assert (kimchi.best_price, kimchi.seller_count, kimchi.in_stock) == (3000, 2, True)


def test_it_updates_what_exists(tmp_path, world):
    ok, _, _ = run(tmp_path, HEADER + f"ginseng-soap,soap,인삼비누,Ginseng soap,120,{world.store.slug},1200,7,yes\n")
    assert ok
    offer = Offer.objects.get(product=world.soap, seller=world.store)
    assert (offer.price, offer.stock) == (1200, 7)
    world.soap.refresh_from_db()
    assert (weight_of(world.soap), world.soap.best_price) == (120, 1200)
    assert Product.objects.count() == 1


def test_a_bad_row_writes_nothing_and_every_bad_line_is_reported(tmp_path, world):
    ok, _, err = run(tmp_path, HEADER + (
        f"kimchi,soap,배추김치,Kimchi,1000,{world.store.slug},3000,20,1\n"
        f"soju,soap,소주,Soju,,{world.store.slug},-5,3,1\n"
        f"ginseng-soap,soap,인삼비누,Ginseng soap,,{world.store.slug},1300,4,1\n"
        f"beer,no-such-category,맥주,Beer,,nobody,1000,3,maybe\n"
        f"kimchi,soap,배추김치,Kimchi,1000,{world.store.slug},3100,20,1\n"
    ))
    assert not ok
    assert "line 3: price" in err
    assert "line 5: active" in err
    assert "line 6: the same product and seller as line 2" in err
    assert "line 2" not in err.replace("as line 2", "") and "line 4" not in err
    assert not Product.objects.filter(slug="kimchi").exists()
    assert Offer.objects.get(product=world.soap, seller=world.store).price == 1500
    assert "nothing was imported" in err


def test_unknown_category_and_seller_are_reported(tmp_path, world):
    ok, _, err = run(tmp_path, HEADER + "beer,nowhere,맥주,Beer,,nobody,1000,3,1\n")
    assert not ok
    assert "line 2: no category nowhere; no seller nobody" in err


def test_a_missing_column_is_reported_on_line_1(tmp_path, world):
    ok, _, err = run(tmp_path, "product_slug,name_ko,colour\nx,엑스,red\n")
    assert not ok
    assert "line 1: missing column category_slug" in err and "unknown column colour" in err


def test_a_missing_file_is_a_clear_error(tmp_path, db):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_catalog", str(tmp_path / "none.csv"))


def test_an_empty_attribute_cell_takes_the_value_away(tmp_path, world):
    assert run(tmp_path, HEADER + f"ginseng-soap,soap,인삼비누,Ginseng soap,120,{world.store.slug},1200,7,1\n")[0]
    assert run(tmp_path, HEADER + f"ginseng-soap,soap,인삼비누,Ginseng soap,,{world.store.slug},1200,7,1\n")[0]
    assert not world.soap.attribute_values.exists()


def test_a_bad_attribute_value_or_column_is_reported(tmp_path, world):
    ok, _, err = run(tmp_path, HEADER + f"ginseng-soap,soap,인삼비누,Ginseng soap,heavy,{world.store.slug},1200,7,1\n")
    assert not ok and "line 2: a.weight: " in err
    shoes = Attribute.objects.create(code="shoe-size", kind=Attribute.Kind.NUMBER, name_ko="치수")
    ok, _, err = run(tmp_path, HEADER.replace("a.weight", "a.shoe-size")
                     + f"ginseng-soap,soap,인삼비누,Ginseng soap,250,{world.store.slug},1200,7,1\n")
    assert not ok and "line 2: a.shoe-size: not an attribute of this category" in err
    ok, _, err = run(tmp_path, HEADER.replace("a.weight", "a.colour") + "x,soap,엑스,X,red,nobody,1,1,1\n")
    assert not ok and "line 1: unknown column a.colour" in err
    assert shoes.values.count() == 0 and not world.soap.attribute_values.exists()
