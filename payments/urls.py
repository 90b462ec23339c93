from django.urls import path

from payments import views

app_name = "payments"
urlpatterns = [
    path("cards/", views.card_list, name="cards"),
    path("cards/<int:card_id>/", views.card_detail, name="card"),
]
