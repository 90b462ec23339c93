"""Every status model shares one helper, one exception and one event shape."""

import pytest
from django.utils import translation

import payments.gateway
from delivery.models import DeliveryEvent
from okryu.transitions import InvalidTransition, StatusEvent
from orders.models import OrderEvent
from payments.models import CardEvent, Payment, PaymentEvent


def test_the_gateway_names_the_one_invalid_transition():
    assert payments.gateway.InvalidTransition is InvalidTransition


@pytest.mark.parametrize("event", [OrderEvent, DeliveryEvent, PaymentEvent, CardEvent])
def test_every_event_table_extends_the_one_abstract_event(event):
    assert issubclass(event, StatusEvent)
    assert {"from_status", "to_status", "by", "note", "created_at"} <= {f.name for f in event._meta.fields}


@pytest.mark.parametrize(("language", "text"), [
    ("en", "This payment can no longer be changed that way."),
    ("ko", "이 결제 건은 더는 그렇게 바꿀수 없습니다."),
])
def test_the_refusal_speaks_the_reader_s_language(language, text):
    refused = InvalidTransition(Payment(pk=1, status=Payment.Status.VOIDED), Payment.Status.CAPTURED)
    with translation.override(language):
        assert refused.message == text
    assert (refused.current, refused.wanted) == (Payment.Status.VOIDED, Payment.Status.CAPTURED)
