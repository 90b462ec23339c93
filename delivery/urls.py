from django.urls import path

from delivery import views

app_name = "delivery"
urlpatterns = [
    path("courier/", views.courier_page, name="courier"),
    path("courier/sw.js", views.courier_worker, name="worker"),
    path("courier/<int:delivery_id>/picked-up/", views.picked_up, name="picked_up"),
    path("courier/<int:delivery_id>/delivered/", views.delivered, name="delivered"),
    path("courier/<int:delivery_id>/failed/", views.failed, name="failed"),
    path("courier/<int:delivery_id>/returned/", views.returned, name="returned"),
    path("dispatch/", views.dispatch_board, name="dispatch"),
    path("dispatch/assign/", views.dispatch_assign, name="dispatch_assign"),
    path("dispatch/reassign/", views.dispatch_reassign, name="dispatch_reassign"),
    path("dispatch/unassign/", views.dispatch_unassign, name="dispatch_unassign"),
    path("dispatch/<int:delivery_id>/failed/", views.dispatch_failed, name="dispatch_failed"),
    path("dispatch/returned/", views.dispatch_returned, name="dispatch_returned"),
    path("dispatch/refund/", views.dispatch_refund, name="dispatch_refund"),
    path("dispatch/reslot/", views.dispatch_reslot, name="dispatch_reslot"),
    path("dispatch/automatically/", views.dispatch_automatically, name="dispatch_automatically"),
]
