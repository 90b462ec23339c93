"""A dispatcher's header leads to the board (tests/okryu/test_headers.py has the other roles)."""

from django.urls import reverse

from tests.okryu.test_headers import header_links


def test_a_dispatcher_sees_the_board_and_the_admin(client, dispatcher):
    client.force_login(dispatcher)
    assert header_links(client) == {"catalog:search", "delivery:dispatch", "admin:index", "notices:inbox",
                                    "okryu:profile", "okryu:logout"}
    assert client.get(reverse("delivery:dispatch")).status_code == 200
