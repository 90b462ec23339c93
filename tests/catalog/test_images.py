"""Uploaded images are checked, re-encoded and turned into thumbnails once;
pages serve the thumbnails (voice and video: test_recordings.py)."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from catalog import media
from catalog.media import renditions
from catalog.models import Product, ProductMedia
from tests.catalog.images import bomb_upload, image_upload

pytestmark = pytest.mark.django_db


def product_form(product, **fields):
    """What the admin's change form posts for ``product``, with no inline rows."""
    data = {
        "category": product.category_id, "slug": product.slug, "name_ko": product.name_ko,
        "name_en": product.name_en, "description_ko": "", "description_en": "",
        "is_active": "on",
        "offers-TOTAL_FORMS": 0, "offers-INITIAL_FORMS": 0, "media-TOTAL_FORMS": 0, "media-INITIAL_FORMS": 0,
        "attribute_values-TOTAL_FORMS": 0, "attribute_values-INITIAL_FORMS": 0,
    }
    return {**data, **fields}


def upload_image(client, product, upload):
    return client.post(
        reverse("admin:catalog_product_change", args=[product.pk]), product_form(product, image=upload),
        HTTP_ACCEPT_LANGUAGE="en",
    )


class TestRefused:
    def test_it_refuses_a_file_that_is_not_an_image(self, staff_client, world, media_root):
        response = upload_image(staff_client, world.soap, SimpleUploadedFile("soap.jpg", b"plain text, no pixels"))
        assert response.status_code == 200
        assert "errorlist" in response.content.decode()
        world.soap.refresh_from_db()
        assert not world.soap.image and world.soap.thumbnails == {}

    def test_it_refuses_a_format_outside_the_list(self, staff_client, world, media_root):
        response = upload_image(staff_client, world.soap, image_upload("soap.gif", format="GIF", mode="L"))
        assert response.status_code == 200
        assert "This is not a JPEG, PNG or WebP image." in response.content.decode()
        world.soap.refresh_from_db()
        assert not world.soap.image

    def test_it_refuses_too_many_pixels(self, staff_client, world, media_root):
        response = upload_image(staff_client, world.soap, image_upload("huge.png", size=(6000, 4100), mode="1"))
        assert response.status_code == 200
        assert "more than 24 million pixels" in response.content.decode()
        world.soap.refresh_from_db()
        assert not world.soap.image

    def test_it_refuses_a_decompression_bomb_before_reading_pixels(self):
        with pytest.raises(ValidationError) as refused:
            media.check_image(bomb_upload())
        assert refused.value.code == "too_many_pixels"

    def test_it_refuses_a_file_too_large(self, monkeypatch):
        monkeypatch.setattr(media, "MAX_IMAGE_BYTES", 100)
        with pytest.raises(ValidationError) as refused:
            media.check_image(image_upload())
        assert refused.value.code == "too_large"

    def test_a_truncated_image_is_not_an_image(self):
        whole = image_upload("photo.jpg", format="JPEG", mode="RGB").read()
        with pytest.raises(ValidationError) as refused:
            media.check_image(SimpleUploadedFile("photo.jpg", whole[: len(whole) // 3]))
        assert refused.value.code == "not_an_image"


class TestStored:
    def test_thumbnails_exist_in_each_width_as_webp_and_jpeg(self, staff_client, world, media_root):
        response = upload_image(staff_client, world.soap, image_upload(size=(800, 600)))
        assert response.status_code == 302
        world.soap.refresh_from_db()
        sizes = renditions(world.soap.thumbnails)
        assert [size["width"] for size in sizes] == [160, 320, 640]
        for size in sizes:
            assert size["height"] == size["width"] * 3 // 4
            for kind, format in (("webp", "WEBP"), ("jpeg", "JPEG")):
                with default_storage.open(size[kind]) as stored, Image.open(stored) as image:
                    assert (image.format, image.size) == (format, (size["width"], size["height"]))
        with default_storage.open(world.soap.image.name) as stored, Image.open(stored) as original:
            assert original.format == "JPEG" and original.size == (800, 600)
        assert not default_storage.exists("products/photo.png"), "the raw upload is never stored"

    def test_a_small_image_is_not_enlarged(self, world, media_root):
        from catalog.services import store_product_image

        store_product_image(product=world.soap, file=image_upload(size=(200, 200)))
        assert [size["width"] for size in renditions(world.soap.thumbnails)] == [160]

    def test_a_new_image_replaces_the_old_files(self, staff_client, world, media_root,
                                                django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            upload_image(staff_client, world.soap, image_upload())
        world.soap.refresh_from_db()
        first = renditions(world.soap.thumbnails)[0]["webp"]
        with django_capture_on_commit_callbacks(execute=True):
            upload_image(staff_client, world.soap, image_upload("other.jpg", format="JPEG", mode="RGB"))
        world.soap.refresh_from_db()
        assert renditions(world.soap.thumbnails)[0]["webp"] != first
        assert not default_storage.exists(first)

    def test_clearing_the_image_clears_the_thumbnails(self, staff_client, world, media_root,
                                                       django_capture_on_commit_callbacks):
        upload_image(staff_client, world.soap, image_upload())
        world.soap.refresh_from_db()
        small = renditions(world.soap.thumbnails)[0]["webp"]
        with django_capture_on_commit_callbacks(execute=True):
            response = staff_client.post(
                reverse("admin:catalog_product_change", args=[world.soap.pk]),
                product_form(world.soap, **{"image-clear": "on"}),
            )
        assert response.status_code == 302
        world.soap.refresh_from_db()
        assert (world.soap.image.name, world.soap.thumbnails) == ("", {})
        assert not default_storage.exists(small)

    def test_the_listing_card_uses_a_small_thumbnail(self, client, staff_client, world, media_root):
        upload_image(staff_client, world.soap, image_upload())
        world.soap.refresh_from_db()
        page = client.get(reverse("catalog:category", args=["soap"])).content.decode()
        small = renditions(world.soap.thumbnails)[0]
        assert default_storage.url(small["webp"]) in page and 'type="image/webp"' in page
        assert world.soap.image.url not in page, "never the original"
        assert default_storage.url(renditions(world.soap.thumbnails)[2]["jpeg"]) not in page, "not the largest"
        assert 'loading="lazy"' in page and 'sizes="' in page
        assert 'width="320" height="240"' in page

    def test_the_product_page_gallery_uses_the_large_one(self, client, staff_client, world, media_root):
        upload_image(staff_client, world.soap, image_upload())
        world.soap.refresh_from_db()
        page = client.get(world.soap.get_absolute_url()).content.decode()
        assert default_storage.url(renditions(world.soap.thumbnails)[2]["jpeg"]) + " 640w" in page
        assert 'width="640" height="480"' in page


class TestGalleryMedia:
    def post_media(self, client, product, kind, upload):
        return client.post(
            reverse("admin:catalog_product_change", args=[product.pk]),
            product_form(product, **{
                "media-TOTAL_FORMS": 1, "media-0-kind": kind, "media-0-file": upload, "media-0-position": 0,
                "media-0-caption_ko": "", "media-0-caption_en": "",
            }),
            HTTP_ACCEPT_LANGUAGE="en",
        )

    def test_a_gallery_image_gets_thumbnails(self, staff_client, world, media_root):
        side = image_upload("side.webp", format="WEBP", mode="RGB")
        response = self.post_media(staff_client, world.soap, "image", side)
        assert response.status_code == 302
        item = ProductMedia.objects.get(product=world.soap)
        assert item.file.name.endswith(".jpg")
        assert [size["width"] for size in renditions(item.thumbnails)] == [160, 320, 640]


@pytest.mark.slow
def test_seed_demo_makes_thumbnails_once(db, media_root):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    first = dict(Product.objects.values_list("slug", "thumbnails"))
    assert first and all(len(renditions(thumbnails)) == 3 for thumbnails in first.values())
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    assert dict(Product.objects.values_list("slug", "thumbnails")) == first
    some = renditions(next(iter(first.values())))[0]
    assert default_storage.exists(some["webp"]) and default_storage.exists(some["jpeg"])
