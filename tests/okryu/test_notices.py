"""Notices through HTTP, with their jobs run by procrastinate's worker: what
happens to an order reaches its customer once, as one text message and one
inbox notice, in the customer's language; a change that rolls back tells
nobody; a text message the gateway refuses is retried, then shown failed."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog.models import Offer
from delivery import booking
from delivery import services as delivery_services
from delivery.models import Delivery
from okryu.notices.models import Event, Notice, SmsMessage, SmsOptOut
from okryu.notices.services import notify
from okryu.notices.sms import Gateway, SmsError
from okryu.notices.tasks import SMS_RETRIES
from orders.models import Order
from tests import factories
from tests.delivery.conftest import dispatcher  # noqa: F401  (the fixture)
from tests.orders.helpers import checkout_token, fill_cart, pay, start_checkout

WORDS = {
    "en": {Event.ORDER_PAID: "is paid", Event.OUT_FOR_DELIVERY: "is on the way with courier",
           Event.DELIVERED: "is delivered"},
    "ko": {Event.ORDER_PAID: "결제가 끝났습니다", Event.OUT_FOR_DELIVERY: "가져가고 있습니다",
           Event.DELIVERED: "배달되였습니다"},
}
OTHER = {"en": "ko", "ko": "en"}


class DownGateway(Gateway):
    """An SMS centre that cannot be reached."""

    def send(self, *, phone: str, text: str) -> None:
        raise SmsError("SMS centre unreachable")


class CountingGateway(Gateway):
    sent: list = []

    def send(self, *, phone: str, text: str) -> None:
        CountingGateway.sent.append(phone)


def customer_speaking(world, language: str):
    world.customer.phone, world.customer.language = "010-9999-0000", language
    world.customer.save()
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(world.customer)
    return client


def checkout(client, world, offer, quantity=1):
    fill_cart(world.customer, [(offer, quantity)])
    page = start_checkout(client, world)
    return pay(client, checkout_token(page), slot=world.slot, card=world.card)


def courier_client(world, language):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(world.courier.user)
    return client


def sent(event) -> list[SmsMessage]:
    return list(SmsMessage.objects.filter(event=event))


@pytest.mark.parametrize("language", ["ko", "en"])
def test_payment_pickup_and_delivery_each_tell_the_customer_once_in_their_language(world, jobs, language):
    customer = customer_speaking(world, language)
    offer = Offer.objects.get(seller=world.store)
    assert checkout(customer, world, offer).status_code == 302
    order = Order.objects.get()
    delivery = order.deliveries.get()
    delivery_services.assign_deliveries(delivery_ids=[delivery.pk], courier=world.courier, by=None)
    # The courier works in the other language: the customer still reads theirs.
    courier = courier_client(world, OTHER[language])
    assert courier.post(reverse("delivery:picked_up", args=[delivery.pk])).status_code == 302
    delivered = courier.post(reverse("delivery:delivered", args=[delivery.pk]), {"recipient_name": "리순희"})
    assert delivered.status_code == 302
    # Repeats change nothing: a second tap, the worker run again.
    assert courier.post(reverse("delivery:picked_up", args=[delivery.pk])).status_code == 409
    jobs.run()
    jobs.run()

    events = [Event.ORDER_PAID, Event.OUT_FOR_DELIVERY, Event.DELIVERED]
    for event in events:
        [message] = sent(event)
        [notice] = Notice.objects.filter(event=event)
        assert message.recipient == notice.recipient == world.customer
        assert message.status == SmsMessage.Status.SENT and message.attempts == 1
        assert message.phone == "010-9999-0000"
        assert WORDS[language][event] in message.text and WORDS[language][event] in notice.text
        assert order.number in message.text and notice.link == order.get_absolute_url()
        assert WORDS[OTHER[language]][event] not in message.text
    assert SmsMessage.objects.count() == Notice.objects.count() == 3
    assert set(jobs.statuses()) == {"succeeded"}
    out = SmsMessage.objects.get(event=Event.OUT_FOR_DELIVERY).text
    assert str(world.courier) in out
    assert timezone.localtime(world.slot.ends_at).strftime("%H:%M") in out


def test_a_rolled_back_checkout_tells_nobody(world, jobs, monkeypatch):
    customer = customer_speaking(world, "en")
    offer = Offer.objects.get(seller=world.store)

    def full(**kwargs):
        # The last step of placing the order, after the payment was taken.
        raise booking.SlotFull()

    monkeypatch.setattr(booking, "create_deliveries", full)
    assert checkout(customer, world, offer).status_code == 409
    # And a checkout that fails early, on a wrong PIN.
    page = start_checkout(customer, world)
    assert pay(customer, checkout_token(page), slot=world.slot, card=world.card, pin="0000").status_code == 409
    jobs.run()
    assert not Order.objects.exists()
    assert not Notice.objects.exists() and not SmsMessage.objects.exists()
    assert jobs.connector.jobs == {}


def test_a_refused_text_is_retried_with_back_off_then_shown_failed(world, jobs, settings):
    settings.SMS_GATEWAY = "tests.okryu.test_notices.DownGateway"
    customer = customer_speaking(world, "en")
    assert checkout(customer, world, Offer.objects.get(seller=world.store)).status_code == 302
    jobs.run()
    message = SmsMessage.objects.get()
    assert (message.status, message.attempts, message.last_error) == ("queued", 1, "SMS centre unreachable")
    [job] = jobs.connector.jobs.values()
    assert job["status"] == "todo" and job["scheduled_at"] > timezone.now(), "waits before the next try"
    for _ in range(SMS_RETRIES):
        jobs.make_due()
        jobs.run()
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", SMS_RETRIES + 1)
    assert jobs.statuses() == ["failed"]
    assert Notice.objects.count() == 1, "the inbox has it all the same"

    staff = Client()
    staff.force_login(factories.user("clerk", is_staff=True, is_superuser=True))
    outbox = staff.get(reverse("admin:notices_smsmessage_changelist"), {"status__exact": "failed"})
    assert outbox.status_code == 200 and "SMS centre unreachable" in outbox.content.decode()

    settings.SMS_GATEWAY = "okryu.notices.sms.LocalOutbox"
    staff.post(reverse("admin:notices_smsmessage_changelist"),
               {"action": "send_again", "_selected_action": [message.pk]})
    jobs.run()
    message.refresh_from_db()
    assert message.status == "sent"


def test_one_message_is_sent_once_however_often_its_job_runs(world, jobs, settings):
    from okryu.notices.tasks import send_sms

    settings.SMS_GATEWAY = "tests.okryu.test_notices.CountingGateway"
    CountingGateway.sent = []
    world.customer.phone = "010-1234-5678"
    world.customer.save()
    for _ in range(2):
        notify(recipient=world.customer, event=Event.CARD_LOCKED, obj_key="card-lock:1", context={"card": "1234"})
    message = SmsMessage.objects.get()
    send_sms.defer(message_id=message.pk)
    jobs.run()
    assert CountingGateway.sent == ["010-1234-5678"]
    assert Notice.objects.count() == 1 and len(jobs.connector.jobs) == 2


def test_a_kind_switched_off_sends_no_text_but_reaches_the_inbox(world, jobs):
    customer = customer_speaking(world, "en")
    page = customer.get(reverse("notices:settings"))
    assert page.status_code == 200 and "Order paid" in page.content.decode()
    kept = [event.value for event in Event if event not in (Event.ORDER_PAID, Event.PASSWORD_RESET)]
    assert customer.post(reverse("notices:settings"), {"texts": kept}).status_code == 302
    assert list(SmsOptOut.objects.values_list("event", flat=True)) == [Event.ORDER_PAID]
    assert checkout(customer, world, Offer.objects.get(seller=world.store)).status_code == 302
    jobs.run()
    assert not SmsMessage.objects.exists()
    assert Notice.objects.get().event == Event.ORDER_PAID


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "expected"), [
    ("en", "That is not a kind of message: choose from the list."), ("ko", "그런 통보 종류는 없습니다"),
])
def test_an_unknown_kind_is_refused_and_nothing_is_saved(world, language, expected):
    customer = customer_speaking(world, language)
    response = customer.post(reverse("notices:settings"), {"texts": ["order_paid", "password_reset"]})
    assert response.status_code == 400 and expected in response.content.decode()
    assert not SmsOptOut.objects.exists()


@pytest.mark.django_db
def test_the_inbox_shows_own_notices_newest_first_and_counts_the_unread(world):
    customer = customer_speaking(world, "en")
    stranger = factories.user("stranger")
    for number in ("A1", "B2"):
        notify(recipient=world.customer, event=Event.ORDER_PAID, obj_key=f"order:{number}",
               context={"number": number, "total": 1000}, link=f"/orders/{number}/")
    notify(recipient=stranger, event=Event.ORDER_PAID, obj_key="order:C3", context={"number": "C3", "total": 1})
    page = customer.get(reverse("notices:inbox")).content.decode()
    # "Order C3", not "C3": the page's random CSRF token may hold those two letters.
    assert page.index("Order B2") < page.index("Order A1") and "Order C3" not in page
    assert re.search(r'"2 unread notices">2<', page)

    newest = Notice.objects.get(obj_key="order:B2")
    opened = customer.get(reverse("notices:open", args=[newest.pk]))
    assert opened.status_code == 302 and opened.url == "/orders/B2/"
    assert re.search(r'"1 unread notice">1<', customer.get(reverse("notices:inbox")).content.decode())

    theirs = Notice.objects.get(recipient=stranger)
    assert customer.get(reverse("notices:open", args=[theirs.pk])).status_code == 404
    assert Notice.objects.get(pk=theirs.pk).read_at is None

    assert customer.get(reverse("notices:mark_all_read")).status_code == 405
    assert customer.post(reverse("notices:mark_all_read")).status_code == 302
    assert not Notice.objects.filter(recipient=world.customer, read_at=None).exists()
    assert "unread notice" not in customer.get(reverse("notices:inbox")).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["notices:inbox", "notices:settings"])
def test_the_pages_need_a_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and reverse("okryu:login") in response.url


@pytest.mark.django_db
def test_the_account_keeps_the_language_used_last(client, world):
    client.post(reverse("okryu:login"), {"username": "customer", "password": factories.PASSWORD},
                HTTP_ACCEPT_LANGUAGE="en")
    world.customer.refresh_from_db()
    assert world.customer.language == "en"
    client.post(reverse("set_language"), {"language": "ko", "next": "/"})
    client.get(reverse("orders:list"))
    world.customer.refresh_from_db()
    assert world.customer.language == "ko"


def test_cancel_refund_and_a_failed_delivery_tell_the_customer(world, jobs):
    customer = customer_speaking(world, "en")
    offer = Offer.objects.get(seller=world.store)
    checkout(customer, world, offer)
    first = Order.objects.get()
    assert customer.post(reverse("orders:cancel", args=[first.number])).status_code == 302

    checkout(customer, world, offer)
    second = Order.objects.exclude(pk=first.pk).get()
    delivery = second.deliveries.get()
    delivery_services.assign_deliveries(delivery_ids=[delivery.pk], courier=world.courier, by=None)
    courier = courier_client(world, "ko")
    courier.post(reverse("delivery:picked_up", args=[delivery.pk]))
    assert courier.post(reverse("delivery:failed", args=[delivery.pk]), {"reason": "nobody_home"}).status_code == 302

    staff = Client()
    staff.force_login(factories.user("clerk", is_staff=True, is_superuser=True))
    refund = reverse("admin:orders_order_refund", args=[second.pk])
    token = re.search(r'name="token" value="([0-9a-f-]+)"', staff.get(refund).content.decode()).group(1)
    line = second.lines.get()
    for _ in range(2):  # a double submit refunds, and tells, once
        staff.post(refund, {"token": token, f"line-{line.pk}": 1, "reason": "late"})
    jobs.run()

    assert Notice.objects.get(event=Event.ORDER_CANCELLED).obj_key == f"order:{first.number}"
    failed = SmsMessage.objects.get(event=Event.DELIVERY_FAILED).text
    assert "could not be delivered: Nobody home. Pick a new delivery time on your order page" in failed
    [refunded] = sent(Event.REFUND_POSTED)
    # The only line, refunded whole: nothing was delivered, so the fee goes back too.
    assert f"₩{line.unit_price + second.delivery_fee:,}" in refunded.text and second.number in refunded.text
    assert set(SmsMessage.objects.values_list("status", flat=True)) == {"sent"}


@pytest.mark.django_db
def test_a_failure_notice_names_the_next_step_and_a_redelivery_failing_is_told_again(world):
    customer_speaking(world, "en")
    offer = Offer.objects.get(seller=world.store)

    def failed_delivery(reason, *, quantity=1):
        order = factories.paid_order(customer=world.customer, card_=world.card, address_=world.address,
                                     offer=offer, slot_=world.slot, quantity=quantity)
        delivery = order.deliveries.get().assign(world.courier, by=None)
        delivery = delivery_services.pick_up(delivery=delivery, by=world.courier.user)
        return order, delivery_services.fail(delivery=delivery, by=world.courier.user, reason=reason, note="?")

    def told(delivery, attempt=""):
        return Notice.objects.get(event=Event.DELIVERY_FAILED, obj_key=f"delivery:{delivery.pk}{attempt}").text

    _order, refused = failed_delivery("refused", quantity=2)
    assert told(refused).endswith(f"Refused by the customer. ₩{2 * offer.price + 1000:,} is given back to your "
                                  "e-card, and the goods go back to the seller.")
    _order, other = failed_delivery("other")
    assert told(other).endswith("It goes back to the seller; what you paid for it is given back once it is there.")
    _order, away = failed_delivery("nobody_home")
    assert told(away).endswith("Pick a new delivery time on your order page: the redelivery is free.")
    later = factories.slot(service_=world.service, starts_in=timedelta(days=1))
    again = delivery_services.reslot(delivery=away, slot_id=later.pk, by=world.customer).assign(world.courier, by=None)
    again = delivery_services.pick_up(delivery=again, by=world.courier.user)
    delivery_services.fail(delivery=again, by=world.courier.user, reason="nobody_home")
    assert told(away, "/1").endswith(f"Nobody home. ₩{offer.price + 1000:,} is given back to your e-card, "
                                     "and the goods go back to the seller.")
    assert SmsMessage.objects.filter(event=Event.DELIVERY_FAILED).count() == 4
    world.customer.language = "ko"
    world.customer.save(update_fields=["language"])
    _order, kept = failed_delivery("wrong_address")
    assert told(kept).endswith("주문 페지에서 새 배달시간을 고르십시오: 다시 배달하는것은 무료입니다.")


@pytest.mark.django_db
def test_hot_food_tells_of_the_kitchen_and_plain_goods_do_not(world):
    customer = customer_speaking(world, "en")
    kitchen = factories.seller(kind="restaurant", name_ko="옥류관", name_en="Okryukwan")
    noodles = factories.product(category_=world.category, fresh_minutes=45, offers=[(kitchen, 3000, 20)])
    checkout(customer, world, noodles.offers.get())
    hot = Order.objects.get()
    checkout(customer, world, Offer.objects.get(seller=world.store))
    plain = Order.objects.exclude(pk=hot.pk).get()
    staff = Client()
    staff.force_login(factories.user("clerk", is_staff=True, is_superuser=True))
    for action in ("mark_preparing", "mark_ready"):
        staff.post(reverse("admin:orders_order_changelist"), {"action": action, "_selected_action": [hot.pk, plain.pk]})
    assert set(Order.objects.values_list("status", flat=True)) == {Order.Status.READY}
    assert list(Notice.objects.filter(event__in=[Event.ORDER_PREPARING, Event.ORDER_READY])
                .values_list("obj_key", flat=True).order_by("pk")) == [f"order:{hot.number}"] * 2
    assert "kitchen has started preparing" in SmsMessage.objects.get(event=Event.ORDER_PREPARING).text


@pytest.mark.django_db
def test_wrong_pins_that_lock_the_card_tell_its_holder(world):
    customer = customer_speaking(world, "en")
    fill_cart(world.customer, [(Offer.objects.get(seller=world.store), 1)])
    page = start_checkout(customer, world)
    for _ in range(5):
        pay(customer, checkout_token(page), slot=world.slot, card=world.card, pin="0000")
    [message] = sent(Event.CARD_LOCKED)
    assert world.card.number[-4:] in message.text and "locked" in message.text
    assert Notice.objects.get(event=Event.CARD_LOCKED).link == world.card.get_absolute_url()


@pytest.mark.django_db
def test_hot_food_not_picked_up_in_time_tells_the_dispatchers_once(world, dispatcher):  # noqa: F811
    kitchen = factories.seller(kind="restaurant", name_ko="옥류관", name_en="Okryukwan")
    started = factories.slot(service_=world.service, starts_in=-timedelta(minutes=15))
    order = factories.order(owner=world.customer, district_=world.district, offers=[], status=Order.Status.PAID)
    late = Delivery.objects.create(order=order, seller=kitchen, slot=started, district=world.district,
                                   is_hot_food=True, promised_by=started.ends_at)
    Delivery.objects.create(order=order, seller=world.store, slot=started, district=world.district)
    for _ in range(2):
        assert delivery_services.warn_about_waiting_hot_food() == 1
    [notice] = Notice.objects.all()
    assert notice.recipient == dispatcher and notice.obj_key == f"delivery:{late.pk}"
    assert notice.link == reverse("delivery:dispatch")
    late.status = Delivery.Status.PICKED_UP
    late.save()
    assert delivery_services.warn_about_waiting_hot_food() == 0


@pytest.mark.django_db
def test_a_cached_product_page_shows_a_new_notice_in_its_header(world):
    customer = customer_speaking(world, "en")
    url = reverse("catalog:product", args=[world.soap.slug])
    customer.get(url)  # a first visit: the CSRF cookie (part of the ETag)
    first = customer.get(url)
    assert customer.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    notify(recipient=world.customer, event=Event.ORDER_PAID, obj_key="order:A1", context={"number": "A1", "total": 1})
    fresh = customer.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert fresh.status_code == 200 and re.search(r'"1 unread notice">1<', fresh.content.decode())
