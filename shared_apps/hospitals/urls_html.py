from django.urls import path

from shared_apps.hospitals import views

urlpatterns = [
    path("", views.register, name="hospital-register"),
    path("register/", views.register, name="hospital-register-form"),
]
