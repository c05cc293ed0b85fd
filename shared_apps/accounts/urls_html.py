from django.urls import path

from shared_apps.accounts import views

urlpatterns = [
    path("accounts/set-password/<str:uid>/<str:token>/", views.set_password, name="set-password"),
]
