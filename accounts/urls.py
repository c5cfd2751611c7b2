from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.decorators.http import require_safe

from coursesite.formpages import page_with_form

from . import views

app_name = "accounts"

# Django's form views also take PUT (as a POST) and answer OPTIONS; like every page of
# the site, these answer only what they serve: 405 otherwise, before the login check.

urlpatterns = [
    path("login/", page_with_form(views.LoginView.as_view()), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("profile/", views.profile, name="profile"),
    path("profile/data/", views.personal_data_download, name="personal_data"),
    path("profile/tokens/", views.token_create, name="token_create"),
    path("profile/tokens/<id:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("password/", page_with_form(views.PasswordChangeView.as_view()), name="password_change"),
    path(
        "password/reset/", page_with_form(views.PasswordResetView.as_view()), name="password_reset"
    ),
    path(
        "password/reset/sent/",
        require_safe(auth_views.PasswordResetDoneView.as_view()),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        page_with_form(views.PasswordResetConfirmView.as_view()),
        name="password_reset_confirm",
    ),
    path("confirm/", views.confirmation_resend, name="confirmation_resend"),
    path("confirm/cancel/", views.pending_email_cancel, name="pending_email_cancel"),
    path("confirm/<uidb64>/<token>/", views.confirm_email, name="confirm_email"),
    path(
        "welcome/<uidb64>/<token>/",
        page_with_form(views.InvitationView.as_view()),
        name="invitation",
    ),
]
