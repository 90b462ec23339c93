from django.urls import path

from delivery import views

app_name = "delivery"
urlpatterns = [
    path("courier/", views.courier_page, name="courier"),
    path("courier/<int:delivery_id>/picked-up/", views.picked_up, name="picked_up"),
    path("courier/<int:delivery_id>/delivered/", views.delivered, name="delivered"),
    path("courier/<int:delivery_id>/failed/", views.failed, name="failed"),
]
