"""Voice and video uploaded through the admin: checked by reading them,
transcoded by the job into renditions that PyAV reads back, refused with a
message and nothing stored, captions and transcripts on the product page."""

import time

import av
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from procrastinate.contrib.django.models import ProcrastinateJob

from catalog import recordings
from catalog.models import ProductMedia
from catalog.tasks import transcode_media
from catalog.templatetags.catalog_media import clock
from okryu.demo_clips import video_clip, voice_clip
from tests import factories
from tests.catalog.images import image_upload
from tests.catalog.test_images import product_form
from tests.live_server import job_workers

pytestmark = pytest.mark.django_db

CAPTIONS_KO = "WEBVTT\n\n00:00.000 --> 00:01.500\n비누를 손에 묻힙니다.\n"
CAPTIONS_EN = "WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.500 align:center\nWet the soap.\n"


def post_recording(client, product, kind, upload, **fields):
    row = {"kind": kind, "file": upload, "position": 0, "caption_ko": "", "caption_en": "", "transcript_ko": "",
           "transcript_en": "", "captions_ko": "", "captions_en": "", **fields}
    return client.post(
        reverse("admin:catalog_product_change", args=[product.pk]),
        product_form(product, **{"media-TOTAL_FORMS": 1, **{f"media-0-{name}": value for name, value in row.items()}}),
        HTTP_ACCEPT_LANGUAGE="en",
    )


@pytest.fixture
def run_transcodes(django_capture_on_commit_callbacks):
    """Run the queued transcoding jobs as the worker would (its commits
    bump the catalogue version); returns their results."""
    def run() -> list:
        jobs = ProcrastinateJob.objects.filter(task_name=transcode_media.name, status="todo").order_by("id")
        with django_capture_on_commit_callbacks(execute=True):
            return [transcode_media(**job.args) for job in jobs]
    return run


def streams(name: str) -> list[tuple]:
    with av.open(default_storage.path(name)) as container:
        return [(stream.type, stream.codec_context.name, getattr(stream.codec_context, "width", None),
                 getattr(stream.codec_context, "height", None)) for stream in container.streams]


def stored_files(media_root) -> list:
    return [path for path in media_root.rglob("*") if path.is_file()] if media_root.exists() else []


@pytest.fixture(autouse=True)
def no_earlier_transcodes(db):
    """Jobs are not Django's tables, so a transactional test elsewhere can
    leave some behind; this test's transaction forgets them."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs WHERE task_name = %s", [transcode_media.name])


@pytest.fixture
def upload(staff_client, world, media_root, django_capture_on_commit_callbacks):
    """Post a recording through the admin and queue its job on commit, as a request does."""
    def post(kind, file, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            response = post_recording(staff_client, world.soap, kind, file, **fields)
        assert response.status_code == 302, response.content.decode()[-3000:]
        return ProductMedia.objects.get(product=world.soap)
    return post


class TestTranscoding:
    @pytest.mark.parametrize("name, clip", [
        ("clip.mp4", {"format": "mp4"}),
        ("clip.webm", {"format": "webm", "codec": "libvpx"}),
        ("clip.mov", {"format": "mov"}),
    ])
    def test_a_video_becomes_two_h264_renditions_and_a_poster(self, run_transcodes, upload, staff_client, world,
                                                               name, clip):
        media = upload("video", SimpleUploadedFile(name, video_clip(size=(854, 480), **clip)))
        assert media.status == "processing" and media.renditions == {}
        assert run_transcodes() == ["ready"]
        media.refresh_from_db()
        assert media.status == "ready" and media.duration == pytest.approx(2, abs=0.1)
        small, large = media.renditions["files"]
        assert streams(small["name"]) == [("video", "h264", 640, 360), ("audio", "aac", None, None)]
        assert streams(large["name"]) == [("video", "h264", 854, 480), ("audio", "aac", None, None)]
        assert small["bytes"] == default_storage.size(small["name"]) and small["bytes"] < large["bytes"]
        with av.open(default_storage.path(small["name"])) as container:
            assert container.streams.video[0].codec_context.profile == "Main"
        assert media.renditions["poster"]["widths"] == [160, 320, 640]
        assert [event.to_status for event in media.events.all()] == ["processing", "ready"]

        admin_page = staff_client.get(reverse("admin:catalog_product_change", args=[world.soap.pk]),
                                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Ready to play" in admin_page and "640×360 h264" in admin_page and "0:02" in admin_page

    def test_a_portrait_video_is_scaled_by_its_short_side(self, media_root):
        original = default_storage.save("products/portrait.mp4", ContentFile(video_clip(size=(480, 854), sound=False)))
        small, large = recordings.transcode(name=original, video=True)["files"]
        assert (small["width"], small["height"], small["lines"]) == (360, 640, 360)
        assert streams(large["name"]) == [("video", "h264", 480, 854)]

    def test_a_wav_becomes_aac_at_a_speech_bitrate(self, run_transcodes, upload):
        media = upload("audio", SimpleUploadedFile("voice.wav", voice_clip(seconds=3)))
        assert run_transcodes() == ["ready"]
        media.refresh_from_db()
        (voice,) = media.renditions["files"]
        assert voice["name"].endswith(".m4a")
        with av.open(default_storage.path(voice["name"])) as container:
            (stream,) = container.streams
            codec = stream.codec_context
            assert (stream.type, codec.name, codec.layout.name) == ("audio", "aac", "mono")
            assert 28_000 <= codec.bit_rate <= 48_000
        assert media.duration == pytest.approx(3, abs=0.1)

    def test_the_job_is_safe_to_run_twice_and_skips_a_replaced_original(self, upload):
        media = upload("audio", SimpleUploadedFile("voice.wav", voice_clip()))
        job = ProcrastinateJob.objects.get(task_name=transcode_media.name)
        assert transcode_media(**job.args) == "ready"
        media.refresh_from_db()
        first = media.renditions
        assert transcode_media(**job.args) is None
        media.refresh_from_db()
        assert media.renditions == first and media.events.count() == 2
        assert transcode_media(media_id=media.pk, original="products/another.wav") is None

    def test_a_failed_transcode_is_shown_in_the_admin_and_leaves_the_page_whole(self, run_transcodes, upload,
                                                                                 staff_client, client, world):
        media = upload("video", SimpleUploadedFile("clip.mp4", video_clip()))
        with default_storage.open(media.file.name, "wb") as original:
            original.write(b"\x00\x00\x00\x18ftypmp42 damaged after the upload")
        assert run_transcodes() == ["failed"]
        media.refresh_from_db()
        assert media.status == "failed" and media.failure
        assert media.renditions == {}
        admin_page = staff_client.get(reverse("admin:catalog_product_change", args=[world.soap.pk]),
                                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert f"Transcoding failed: {media.failure}" in admin_page
        page = client.get(world.soap.get_absolute_url())
        assert page.status_code == 200 and "<video" not in page.content.decode()

    def test_a_new_original_replaces_the_old_renditions(self, run_transcodes, upload, staff_client, world,
                                                        django_capture_on_commit_callbacks):
        media = upload("audio", SimpleUploadedFile("voice.wav", voice_clip()))
        run_transcodes()
        media.refresh_from_db()
        old = media.renditions["files"][0]["name"]
        fields = {"media-INITIAL_FORMS": 1, "media-0-id": media.pk, "media-0-product": world.soap.pk}
        with django_capture_on_commit_callbacks(execute=True):
            response = staff_client.post(
                reverse("admin:catalog_product_change", args=[world.soap.pk]),
                product_form(world.soap, **fields, **{
                    "media-TOTAL_FORMS": 1, "media-0-kind": "audio", "media-0-position": 0,
                    "media-0-file": SimpleUploadedFile("voice2.wav", voice_clip(seconds=1)),
                }),
            )
        assert response.status_code == 302
        media.refresh_from_db()
        assert media.status == "processing" and not default_storage.exists(old)
        assert run_transcodes()[-1] == "ready"


class TestRefused:
    def assert_refused(self, staff_client, world, media_root, kind, upload, message):
        response = post_recording(staff_client, world.soap, kind, upload)
        assert response.status_code == 200
        assert message in response.content.decode()
        assert not ProductMedia.objects.exists()
        assert stored_files(media_root) == []
        assert not ProcrastinateJob.objects.exists()

    def test_a_text_file_named_mp4(self, staff_client, world, media_root):
        self.assert_refused(staff_client, world, media_root, "video",
                            SimpleUploadedFile("clip.mp4", b"<html>not a video</html>" * 40),
                            "Upload an MP4, MOV or WebM video.")

    def test_a_truncated_mp4(self, staff_client, world, media_root):
        whole = video_clip()
        self.assert_refused(staff_client, world, media_root, "video",
                            SimpleUploadedFile("clip.mp4", whole[: len(whole) // 2]),
                            "The file is damaged or cut short: upload the whole recording.")

    def test_a_truncated_webm(self, staff_client, world, media_root):
        whole = video_clip(format="webm", codec="libvpx", seconds=3)
        self.assert_refused(staff_client, world, media_root, "video",
                            SimpleUploadedFile("clip.webm", whole[: len(whole) * 2 // 3]),
                            "The file is damaged or cut short: upload the whole recording.")

    def test_a_six_minute_video(self, staff_client, world, media_root):
        long = video_clip(seconds=6 * 60, fps=1, size=(64, 36), sound=False)
        self.assert_refused(staff_client, world, media_root, "video", SimpleUploadedFile("long.mp4", long),
                            "The recording is longer than 5 minutes.")

    def test_a_video_with_no_video_stream(self, staff_client, world, media_root):
        self.assert_refused(staff_client, world, media_root, "video",
                            SimpleUploadedFile("sound.mp4", voice_clip(format="mp4")),
                            "This file has no picture: upload it as a voice recording.")

    def test_a_200_mb_file(self, staff_client, world, media_root):
        huge = video_clip() + bytes(200 * 1024 * 1024)
        self.assert_refused(staff_client, world, media_root, "video", SimpleUploadedFile("huge.mp4", huge),
                            "The file is larger than 100 MB.")

    def test_a_text_file_named_wav(self, staff_client, world, media_root):
        self.assert_refused(staff_client, world, media_root, "audio",
                            SimpleUploadedFile("voice.wav", b"RIFF but not really a wave" * 20),
                            "Upload an MP3, Ogg, Opus, WAV, M4A or WebM recording.")

    def test_an_image_given_as_video(self, staff_client, world, media_root):
        self.assert_refused(staff_client, world, media_root, "video", image_upload("clip.mp4"),
                            "Upload an MP4, MOV or WebM video.")

    @pytest.mark.parametrize("captions, message", [
        ("00:00.000 --> 00:01.000\nno header\n", "Captions must start with the line WEBVTT."),
        ("WEBVTT\n\n00:02.000 --> 00:01.000\nbackwards\n", "Line 3 is not a cue timing"),
        ("WEBVTT\n\n0:1 --> 0:2\nloose\n", "Line 3 is not a cue timing"),
        ("WEBVTT\n\njust text\n", "The captions have no cue."),
    ])
    def test_captions_that_are_not_webvtt(self, staff_client, world, media_root, captions, message):
        clip = SimpleUploadedFile("clip.mp4", video_clip(seconds=1))
        response = post_recording(staff_client, world.soap, "video", clip, captions_en=captions)
        assert response.status_code == 200 and message in response.content.decode()
        assert not ProductMedia.objects.exists() and stored_files(media_root) == []

    def test_a_captions_file_that_is_not_utf8(self, staff_client, world, media_root):
        clip = SimpleUploadedFile("clip.mp4", video_clip(seconds=1))
        response = post_recording(staff_client, world.soap, "video", clip,
                                  captions_ko_file=SimpleUploadedFile("ko.vtt", CAPTIONS_KO.encode("euc-kr")))
        assert response.status_code == 200
        assert "Captions must be a WebVTT file in UTF-8." in response.content.decode()
        assert not ProductMedia.objects.exists()


class TestOnThePage:
    def test_a_video_plays_small_first_with_captions_and_transcript(self, run_transcodes, upload, client, world):
        media = upload("video", SimpleUploadedFile("clip.mp4", video_clip(size=(854, 480))),
                       captions_ko_file=SimpleUploadedFile("ko.vtt", ("\ufeff" + CAPTIONS_KO).encode()),
                       captions_en=CAPTIONS_EN.replace("\n", "\r\n"),
                       transcript_ko="비누를 손에 묻힙니다.", transcript_en="Wet the soap.\nRub your hands.")
        assert media.captions_ko == CAPTIONS_KO and media.captions_en == CAPTIONS_EN
        assert "<video" not in client.get(world.soap.get_absolute_url()).content.decode(), "not before it is ready"
        run_transcodes()
        media.refresh_from_db()
        small, large = media.renditions["files"]

        page = client.get(world.soap.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        poster = f'/media/{media.renditions["poster"]["stem"]}-640.jpg'
        assert (f'<video controls preload="none" playsinline poster="{poster}" width="640" height="360"'
                f' src="/media/{small["name"]}">') in page
        ko_track = reverse("catalog:captions", args=[media.pk, "ko"])
        en_track = reverse("catalog:captions", args=[media.pk, "en"])
        assert f'<track kind="captions" srclang="ko" label="조선말" src="{ko_track}">' in page
        assert f'<track kind="captions" srclang="en" label="English" src="{en_track}" default>' in page
        assert f'<a href="/media/{large["name"]}">Larger video (480p,' in page
        assert "0:02 · " in page
        assert "Wet the soap.<br>Rub your hands." in page

        korean = client.get(world.soap.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
        assert "비누를 손에 묻힙니다." in korean and f'src="{ko_track}" default>' in korean

        captions = client.get(en_track)
        assert captions.status_code == 200 and captions["Content-Type"] == "text/vtt; charset=utf-8"
        assert captions.content.decode() == CAPTIONS_EN
        assert client.get(reverse("catalog:captions", args=[media.pk, "fr"])).status_code == 404
        assert client.get(reverse("catalog:captions", args=[media.pk + 1, "en"])).status_code == 404

    def test_a_voice_clip_with_its_transcript(self, run_transcodes, upload, client, world):
        upload("audio", SimpleUploadedFile("voice.wav", voice_clip()), caption_en="How it is made",
               transcript_ko="공장에서 만듭니다.", transcript_en="Made in the factory.")
        run_transcodes()
        page = client.get(world.soap.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert '<audio controls preload="none" src="/media/products/recordings/' in page
        assert "How it is made" in page and "Made in the factory." in page

    def test_a_recording_still_processing_is_left_out(self, upload, client, world):
        upload("audio", SimpleUploadedFile("voice.wav", voice_clip()))
        page = client.get(world.soap.get_absolute_url())
        assert page.status_code == 200 and "<audio" not in page.content.decode()


def test_the_clock_filter():
    assert [clock(s) for s in (0, 4.6, 59.5, 260, 3723)] == ["0:00", "0:05", "1:00", "4:20", "1:02:03"]


def test_webvtt_is_normalised():
    assert recordings.check_webvtt("\ufeffWEBVTT - Okryu\r\n\r\n00:01.000 --> 00:02.000\r\nhi") == (
        "WEBVTT - Okryu\n\n00:01.000 --> 00:02.000\nhi\n")



@pytest.mark.slow
def test_seed_demo_adds_playable_clips_once(db, media_root, client):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    ready = ProductMedia.objects.filter(status="ready").select_related("product")
    assert sorted((media.product.slug, media.kind) for media in ready) == [
        ("insam-tea", "audio"), ("pyongyang-raengmyon", "video"), ("taedonggang-beer", "video")]
    assert all(media.transcript_ko and media.transcript_en for media in ready)
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    assert ProductMedia.objects.count() == 3
    assert not ProcrastinateJob.objects.filter(task_name=transcode_media.name).exists(), "transcoded, not queued"
    page = client.get("/p/pyongyang-raengmyon/").content.decode()
    assert '<video controls preload="none"' in page and 'srclang="en"' in page


@pytest.mark.slow
def test_a_real_worker_transcodes_an_upload_committed_through_the_admin(transactional_db, world, client,
                                                                       media_root, tmp_path):
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE procrastinate_jobs, procrastinate_events, procrastinate_periodic_defers, "
                       "procrastinate_workers CASCADE")
    client.force_login(factories.user("editor", is_staff=True, is_superuser=True))
    response = post_recording(client, world.soap, "video", SimpleUploadedFile("clip.mov", video_clip(format="mov")))
    assert response.status_code == 302
    media = ProductMedia.objects.get()
    job = ProcrastinateJob.objects.get(task_name=transcode_media.name)
    assert job.args == {"media_id": media.pk, "original": media.file.name}
    with job_workers(count=1, log_dir=tmp_path, settings_module="tests.browser.server_settings",
                     OKRYU_BROWSER_STATIC_ROOT=str(tmp_path / "static"),
                     OKRYU_BROWSER_MEDIA_ROOT=str(media_root)) as workers:
        deadline = time.monotonic() + 90
        while ProductMedia.objects.get().status == "processing" and time.monotonic() < deadline:
            assert workers[0].poll() is None, (tmp_path / "worker-0.log").read_text()
            time.sleep(0.2)
    media.refresh_from_db()
    assert media.status == "ready", (tmp_path / "worker-0.log").read_text()[-3000:]
    assert streams(media.renditions["files"][0]["name"])[0][:2] == ("video", "h264")
    assert ProcrastinateJob.objects.get(task_name=transcode_media.name).status == "succeeded"
    assert '<video controls preload="none"' in client.get(world.soap.get_absolute_url()).content.decode()
