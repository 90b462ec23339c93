from django.urls import path

from payments import views

app_name = "payments"
urlpatterns = [
    path("cards/", views.card_list, name="cards"),
    path("cards/<int:card_id>/", views.card_detail, name="card"),
    path("cards/<int:card_id>/pin/", views.change_pin, name="change_pin"),
    path("cards/<int:card_id>/lost/", views.report_lost, name="report_lost"),
    path("cards/<int:card_id>/unlink/", views.unlink, name="unlink"),
]
