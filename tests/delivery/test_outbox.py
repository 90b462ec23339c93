"""Steps sent later by the courier page's outbox: an action id and the time
pressed ride along with the form; each id is taken once and answers JSON,
the pressed time stamps the step, and stale or impossible presses are
refused with a message and change nothing."""

import uuid
from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from delivery.models import CourierAction, Delivery, DeliveryEvent
from tests import factories
from tests.races import race

pytestmark = pytest.mark.django_db

S = Delivery.Status


def press(client, delivery, action="picked_up", *, action_id=None, pressed_at=None, **fields):
    data = {"action_id": str(action_id or uuid.uuid4()),
            "pressed_at": (pressed_at or timezone.now() - timedelta(minutes=20)).isoformat(), **fields}
    return client.post(reverse(f"delivery:{action}", args=[delivery.pk]), data, HTTP_ACCEPT_LANGUAGE="en")


def test_a_step_pressed_earlier_is_stamped_with_the_time_pressed(courier_client, world, make_delivery):
    delivery = make_delivery(status=S.ASSIGNED, courier=world.courier,
                             assigned_at=timezone.now() - timedelta(hours=1))
    pressed = timezone.now() - timedelta(minutes=25)

    response = press(courier_client, delivery, pressed_at=pressed)

    assert response.status_code == 200
    assert response.json() == {"message": f"{delivery.order.number}: {S.PICKED_UP.label}."}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.picked_up_at) == (S.PICKED_UP, pressed)
    event = delivery.events.get()
    assert event.pressed_at == pressed
    assert event.created_at > pressed + timedelta(minutes=24), "received now, not when pressed"


def test_every_step_form_takes_the_outbox_fields(courier_client, world, make_delivery):
    delivered = make_delivery(status=S.PICKED_UP, courier=world.courier)
    failed = make_delivery(status=S.PICKED_UP, courier=world.courier)
    returned = make_delivery(status=S.FAILED, courier=world.courier)

    assert press(courier_client, delivered, "delivered", recipient_name="리순희").status_code == 200
    assert press(courier_client, failed, "failed", reason="refused").status_code == 200
    assert press(courier_client, returned, "returned").status_code == 200

    statuses = Delivery.objects.filter(pk__in=[delivered.pk, failed.pk, returned.pk]).order_by("pk")
    assert [d.status for d in statuses] == [S.DELIVERED, S.FAILED, S.RETURNED]
    assert DeliveryEvent.objects.filter(pressed_at__isnull=False).count() == 3


def test_a_replay_answers_the_first_result_and_changes_nothing(courier_client, world, make_delivery):
    delivery = make_delivery(status=S.ASSIGNED, courier=world.courier)
    action_id = uuid.uuid4()
    first = press(courier_client, delivery, action_id=action_id)

    again = press(courier_client, delivery, action_id=action_id)

    assert (again.status_code, again.json()) == (first.status_code, first.json()) == (200, first.json())
    assert delivery.events.count() == 1
    assert CourierAction.objects.get().answer_status == 200


def test_a_refused_step_is_replayed_as_refused(courier_client, world, make_delivery):
    delivery = make_delivery(status=S.PICKED_UP, courier=world.courier)
    action_id = uuid.uuid4()
    first = press(courier_client, delivery, action_id=action_id)  # already picked up
    Delivery.objects.filter(pk=delivery.pk).update(status=S.ASSIGNED)

    again = press(courier_client, delivery, action_id=action_id)

    assert first.status_code == again.status_code == 409
    assert again.json() == first.json()
    assert "Nothing was changed" in first.json()["message"]
    assert delivery.events.count() == 0


@pytest.mark.django_db(transaction=True)
def test_ten_replays_at_once_make_one_change(world, make_delivery):
    delivery = make_delivery(status=S.ASSIGNED, courier=world.courier)
    logged_in = Client()
    logged_in.force_login(world.courier.user)
    action_id, pressed = uuid.uuid4(), timezone.now() - timedelta(minutes=5)

    def replay():
        client = Client()
        client.cookies = logged_in.cookies
        response = press(client, delivery, action_id=action_id, pressed_at=pressed)
        return response.status_code, response.json()

    answers = race(*[replay] * 10)

    assert len(set(map(str, answers))) == 1 and answers[0][0] == 200
    assert DeliveryEvent.objects.filter(delivery=delivery).count() == 1
    assert CourierAction.objects.count() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.picked_up_at) == (S.PICKED_UP, pressed)


def test_a_delivery_reassigned_meanwhile_is_refused_and_unchanged(courier_client, world, make_delivery,
                                                                  other_courier, dispatcher):
    delivery = make_delivery(status=S.ASSIGNED, courier=world.courier)
    delivery.reassign(other_courier, by=dispatcher)

    response = press(courier_client, delivery)

    # Someone else's delivery answers 404; the page's script says why.
    assert response.status_code == 404
    delivery.refresh_from_db()
    assert (delivery.status, delivery.courier) == (S.ASSIGNED, other_courier)
    assert not CourierAction.objects.exists()


def test_a_press_older_than_the_assignment_is_refused(courier_client, world, make_delivery, other_courier,
                                                      dispatcher):
    # Given away and back meanwhile: the press was for the earlier assignment.
    delivery = make_delivery(status=S.ASSIGNED, courier=other_courier)
    delivery = delivery.reassign(world.courier, by=dispatcher)

    response = press(courier_client, delivery, pressed_at=timezone.now() - timedelta(minutes=3))

    assert response.status_code == 409
    assert "before the delivery was given to you" in response.json()["message"]
    delivery.refresh_from_db()
    assert delivery.status == S.ASSIGNED
    assert delivery.events.count() == 1, "only the reassignment"


@pytest.mark.parametrize(("fields", "expected"), [
    ({"pressed_at": "later"}, "valid date"),
    ({"action_id": "not-an-id"}, "valid UUID"),
    ({"pressed_at": ""}, "both its id and the time"),
    ({"pressed_at": timedelta(minutes=10)}, "in the future"),
])
def test_a_bad_id_or_time_is_refused_with_a_message(courier_client, world, make_delivery, fields, expected):
    delivery = make_delivery(status=S.ASSIGNED, courier=world.courier)
    # A time ahead is taken from when the test runs, not from when it was
    # collected: a whole suite takes longer than the 10 minutes.
    fields = {name: (timezone.now() + value).isoformat() if isinstance(value, timedelta) else value
              for name, value in fields.items()}
    data = {"action_id": str(uuid.uuid4()), "pressed_at": timezone.now().isoformat(), **fields}

    response = courier_client.post(reverse("delivery:picked_up", args=[delivery.pk]), data,
                                   HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert expected in response.json()["message"]
    delivery.refresh_from_db()
    assert delivery.status == S.ASSIGNED and not CourierAction.objects.exists()


def test_a_step_form_without_an_action_id_keeps_redirect_and_message(courier_client, world, make_delivery):
    delivery = make_delivery(status=S.ASSIGNED, courier=world.courier)

    response = courier_client.post(reverse("delivery:picked_up", args=[delivery.pk]), follow=True)

    assert response.redirect_chain == [(reverse("delivery:courier"), 302)]
    assert delivery.order.number in response.content.decode()
    assert delivery.events.get().pressed_at is None


def test_an_action_id_reused_for_another_delivery_is_refused(courier_client, world, make_delivery):
    first, second = (make_delivery(status=S.ASSIGNED, courier=world.courier) for _ in range(2))
    action_id = uuid.uuid4()
    press(courier_client, first, action_id=action_id)

    response = press(courier_client, second, action_id=action_id)

    assert response.status_code == 409
    second.refresh_from_db()
    assert second.status == S.ASSIGNED


def test_the_dispatcher_sees_the_time_pressed_and_the_time_received(dispatcher_client, world, make_delivery):
    delivery = make_delivery(status=S.ASSIGNED, courier=world.courier)
    courier = Client()
    courier.force_login(world.courier.user)
    pressed = timezone.now() - timedelta(minutes=40)
    press(courier, delivery, pressed_at=pressed)
    event = delivery.events.get()

    page = dispatcher_client.get(reverse("delivery:dispatch")).content.decode()

    assert delivery.order.number in page
    assert f">{timezone.localtime(pressed):%H:%M:%S}</time></td>" in page
    assert f">{timezone.localtime(event.created_at):%H:%M:%S}</time></td></tr>" in page


def test_the_customer_s_order_shows_the_time_pressed(client, world, make_delivery):
    delivery = make_delivery(status=S.PICKED_UP, courier=world.courier)
    courier = Client()
    courier.force_login(world.courier.user)
    pressed = timezone.now() - timedelta(minutes=40)
    press(courier, delivery, "delivered", pressed_at=pressed, recipient_name="리순희")
    client.force_login(world.customer)

    page = client.get(delivery.order.get_absolute_url()).content.decode()

    assert f"{timezone.localtime(pressed):%H:%M}" in page


def test_the_order_s_timeline_says_when_the_courier_pressed_not_when_it_was_sent(client, world, make_delivery):
    delivery = make_delivery(status=S.ASSIGNED, courier=world.courier)
    courier = Client()
    courier.force_login(world.courier.user)
    picked, handed = timezone.now() - timedelta(minutes=50), timezone.now() - timedelta(minutes=20)
    press(courier, delivery, "picked_up", pressed_at=picked)
    press(courier, delivery, "delivered", pressed_at=handed, recipient_name="리순희")
    client.force_login(world.customer)

    page = client.get(delivery.order.get_absolute_url()).content.decode()

    timeline = page[page.index('<ol class="timeline">'):]
    timeline = timeline[:timeline.index("</ol>")]
    for pressed in (picked, handed):
        assert f'<time datetime="{timezone.localtime(pressed).isoformat()}">' in timeline
    received = delivery.order.events.get(to_status="delivered").created_at
    assert f'<time datetime="{timezone.localtime(received).isoformat()}">' not in timeline


def test_the_worker_is_served_under_the_courier_page_with_its_assets(client):
    response = client.get(reverse("delivery:worker"))

    assert reverse("delivery:worker").startswith(reverse("delivery:courier")), "its scope is the courier page"
    assert response["Content-Type"].startswith("text/javascript")
    body = response.content.decode()
    for asset in ("css/okryu.css", "js/outbox.js", "js/outbox-store.js"):
        assert f"/static/{asset}" in body
    assert f'PAGE = "{reverse("delivery:courier")}"' in body


def test_a_new_deployment_changes_the_worker(client):
    before = client.get(reverse("delivery:worker")).content
    # What a new build's manifest does: other hashed names for the assets.
    with mock.patch("delivery.views.static", lambda name: f"/static/{name}.0123abcd"):
        after = client.get(reverse("delivery:worker")).content

    assert before != after
    version = [line for line in after.decode().splitlines() if line.startswith("var VERSION")]
    assert version and version[0] not in before.decode()


def test_logging_out_clears_what_the_site_kept_in_the_browser(courier_client):
    response = courier_client.post(reverse("okryu:logout"))

    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "storage"'


def test_only_an_outbox_of_the_courier_s_own_delivery_is_taken(client, world, make_delivery, other_courier):
    delivery = make_delivery(status=S.ASSIGNED, courier=other_courier)
    client.force_login(world.courier.user)

    assert press(client, delivery).status_code == 404
    client.force_login(factories.user("someone"))
    assert press(client, delivery).status_code == 404
    delivery.refresh_from_db()
    assert delivery.status == S.ASSIGNED
