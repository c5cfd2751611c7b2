from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.decorators.http import require_http_methods, require_safe

from . import views

app_name = "accounts"

# Django's form views also take PUT (as a POST) and answer OPTIONS; like every page of
# the site, these answer only what they serve: 405 otherwise, before the login check.
form_page = require_http_methods(["GET", "HEAD", "POST"])

urlpatterns = [
    path("login/", form_page(views.LoginView.as_view()), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/", views.token_create, name="token_create"),
    path("profile/tokens/<id:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("password/", form_page(views.PasswordChangeView.as_view()), name="password_change"),
    path("password/reset/", form_page(views.PasswordResetView.as_view()), name="password_reset"),
    path(
        "password/reset/sent/",
        require_safe(auth_views.PasswordResetDoneView.as_view()),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        form_page(views.PasswordResetConfirmView.as_view()),
        name="password_reset_confirm",
    ),
    path("welcome/<uidb64>/<token>/", form_page(views.InvitationView.as_view()), name="invitation"),
]
