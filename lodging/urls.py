from django.urls import path

from lodging import views

app_name = "lodging"
urlpatterns = [
    path("stays/", views.search, name="search"),
    path("stays/reservations/", views.reservation_list, name="reservations"),
    path("stays/reservations/<str:code>/", views.reservation_detail, name="reservation"),
    path("stays/reservations/<str:code>/pay/", views.pay, name="pay"),
    path("stays/reservations/<str:code>/confirmation/", views.confirmation, name="confirmation"),
    path("stays/reservations/<str:code>/cancel/", views.cancel, name="cancel"),
    path("stays/<slug:slug>/", views.detail, name="detail"),
    path("stays/<slug:slug>/rooms/<int:room_id>/reserve/", views.reserve, name="reserve"),
]
