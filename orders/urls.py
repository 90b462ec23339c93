from django.urls import path

from orders import address_book, views

app_name = "orders"
urlpatterns = [
    path("cart/", views.cart, name="cart"),
    path("cart/add/", views.add_to_cart, name="add"),
    path("cart/lines/<int:line_id>/", views.update_line, name="update_line"),
    path("cart/lines/<int:line_id>/seller/", views.switch_line, name="switch_line"),
    path("checkout/", views.checkout, name="checkout"),
    path("checkout/pay/", views.checkout_pay, name="checkout_pay"),
    path("orders/", views.order_list, name="list"),
    path("orders/<str:number>/", views.order_detail, name="detail"),
    path("orders/<str:number>/receipt/", views.receipt, name="receipt"),
    path("orders/<str:number>/cancel/", views.cancel, name="cancel"),
    path("orders/<str:number>/lines/<int:line_id>/review/", views.review_line, name="review"),
    path("orders/<str:number>/lines/<int:line_id>/cancel/", views.cancel_line, name="cancel_line"),
    path("orders/<str:number>/deliveries/<int:delivery_id>/redeliver/", views.redeliver, name="redeliver"),
    path("orders/<str:number>/deliveries/<int:delivery_id>/refund/", views.refund_instead, name="refund_instead"),
    path("accounts/addresses/", address_book.address_list, name="addresses"),
    path("accounts/addresses/new/", address_book.address_add, name="address_add"),
    path("accounts/addresses/<int:pk>/", address_book.address_edit, name="address_edit"),
    path("accounts/addresses/<int:pk>/delete/", address_book.address_delete, name="address_delete"),
    path("accounts/addresses/<int:pk>/default/", address_book.address_make_default, name="address_default"),
]
