"""A demo product's video on a phone and a desktop: before play the page
adds only the poster to its weight, the player is no wider than the screen,
and the small rendition loads through range requests when asked."""

from django.urls import reverse

from catalog.models import ProductMedia


def test_the_small_rendition_loads_in_a_player_no_wider_than_the_screen(visitor, viewport):
    media = ProductMedia.objects.get(product__slug="pyongyang-raengmyon", kind="video")
    small = media.renditions["files"][0]
    v = visitor(language="en")
    v.page.goto(reverse("catalog:product", args=["pyongyang-raengmyon"]))
    v.check("product-video")

    before_play = [request for request in v.requests if request.resource_type not in ("document", "stylesheet",
                                                                                       "script")]
    poster = f'{media.renditions["poster"]["stem"]}-640.jpg'
    assert [(request.resource_type, request.url.endswith(poster)) for request in before_play
            if "/recordings/" in request.url] == [("image", True)], "only the poster before the user presses play"
    assert not [request for request in before_play if request.resource_type == "media"]
    player = v.page.locator("video")
    box = player.bounding_box()
    assert 0 < box["width"] <= v.page.viewport_size["width"]
    assert box["x"] >= 0 and box["x"] + box["width"] <= v.page.viewport_size["width"]
    assert player.get_attribute("preload") == "none"
    assert v.page.locator("video track").count() == 2

    # As pressing play would, without the autoplay rules of a headless browser.
    player.evaluate("""video => new Promise((loaded, failed) => {
        video.onloadedmetadata = loaded;
        video.onerror = () => failed(new Error(video.error && video.error.message));
        video.preload = "metadata";
        video.load();
    })""")
    assert abs(player.evaluate("video => video.duration") - 3) < 0.2
    assert player.evaluate("video => video.videoWidth") == small["width"]
    # Chromium may cancel a request once it has read the header it needed.
    answers = [request.response() for request in v.requests if request.url.endswith(small["name"])]
    answers = [answer for answer in answers if answer is not None]
    assert answers and all(answer.status == 206 for answer in answers)
    assert all(answer.headers["accept-ranges"] == "bytes" for answer in answers)


def test_the_voice_clip_and_its_transcript(visitor, viewport):
    v = visitor(language="ko")
    v.page.goto(reverse("catalog:product", args=["insam-tea"]))
    v.check("product-voice")
    assert v.page.locator("audio[preload=none]").count() == 1
    assert "더운 물 한컵에" in v.page.locator(".transcript").inner_text()
    audio = v.page.locator("audio").bounding_box()
    assert audio["x"] + audio["width"] <= v.page.viewport_size["width"]
