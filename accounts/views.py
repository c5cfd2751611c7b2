from __future__ import annotations

from copy import copy
from urllib.parse import unquote, urlsplit

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.messages.views import SuccessMessageMixin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import method_decorator
from django.utils.http import (
    content_disposition_header,
    url_has_allowed_host_and_scheme,
    urlsafe_base64_decode,
)
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_safe

from access import policy
from coursesite.formpages import form_view, page, page_with_form

from .confirmation import (
    Move,
    address_to_confirm,
    confirmation_send,
    confirmation_tokens,
    email_confirm,
    link_days,
    pending_email_confirm,
    reset_tokens,
)
from .forms import (
    InvitationForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetForm,
    ProfileForm,
    SetPasswordForm,
)
from .invitations import TokenStatus, invitation_tokens
from .models import User
from .personal_data import personal_data_json
from .signals import forget_user
from .tasks import password_changed_notify
from .throttle import (
    address_mail_spent,
    forget_login_failures,
    human_duration,
    personal_data_throttle,
    subject_of_user,
)


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        # From a confirmation link, logged out: people typed the new address, which
        # logs nothing in until it is confirmed.
        context["confirming"] = str(context.get("next", "")).startswith(
            reverse("accounts:confirmation_resend")
        )
        return context

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        messages.success(self.request, f"Welcome back, {user}.")
        return response

    def get_redirect_url(self) -> str:
        url = super().get_redirect_url()
        parts = urlsplit(url)
        if not url or parts.scheme or parts.netloc or url.startswith("/"):
            return url
        # A relative "next" resolved under /accounts/ to a 404: one encoded twice by a
        # link ("%2Fcourses%2F") is its path once decoded; anything else, the dashboard.
        decoded = unquote(url)
        safe = url_has_allowed_host_and_scheme(
            decoded,
            allowed_hosts=self.get_success_url_allowed_hosts(),
            require_https=self.request.is_secure(),
        )
        return decoded if safe and decoded.startswith("/") and not decoded.startswith("//") else ""


def locked_out(request: HttpRequest, response=None, credentials=None) -> HttpResponse:
    """Explain a login lockout (AXES_LOCKOUT_CALLABLE): what is paused, and how long."""
    handler = AxesProxyHandler.get_implementation()
    address_is_locked = getattr(handler, "address_is_locked", None)
    cool_off = get_cool_off(request)
    context = {
        "by_address": bool(address_is_locked and address_is_locked(request)),
        "wait": human_duration(cool_off) if cool_off else None,
    }
    return render(
        request,
        "registration/locked_out.html",
        context,
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


@form_view(login=False, keep=False)
def logout_view(request: HttpRequest) -> HttpResponse:
    """Log out on POST; on GET (the address typed), show the button that does.

    Never on GET: any page of another site could log its visitors out with an image.
    """
    if request.method != "POST":
        return render(request, "accounts/logout.html")
    response = auth_views.LogoutView.as_view()(request)
    messages.info(request, "You have been logged out.")
    return response


class PasswordChangeView(SuccessMessageMixin, auth_views.PasswordChangeView):
    form_class = PasswordChangeForm
    success_url = reverse_lazy("accounts:profile")
    success_message = "Your password was changed."

    def form_valid(self, form):
        # A new password revokes the account's API tokens (api/receivers.py): say so.
        self.had_tokens = self.request.user.api_tokens.exists()
        try:
            response = super().form_valid(form)
        except ValidationError as exc:  # the password changed meanwhile (the form's save)
            form.add_error(None, exc)
            return self.form_invalid(form)
        # Whoever found a session left open and knew the password: the owner hears of it.
        password_changed_notify(
            user=form.user, how="changed", was_confirmed=form.user.email_confirmed
        )
        return response

    def get_success_message(self, cleaned_data) -> str:
        if self.had_tokens:
            return (
                "Your password was changed, and your API tokens were revoked: create new "
                "ones below if you still need them."
            )
        return self.success_message


class PasswordResetView(auth_views.PasswordResetView):
    # The form queues the emails (their templates are its own) and throttles requests.
    form_class = PasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")


class _LinkForAnotherAccount:
    """A page of an emailed link (reset, invitation) opened where another account is
    logged in (a shared computer): the page says whose link it is."""

    def _other_account(self) -> User | None:
        """The account logged in here, if not the link's."""
        current = self.request.user
        if current.is_authenticated and self.user is not None and current.pk != self.user.pk:
            return current
        return None


class PasswordResetConfirmView(
    _LinkForAnotherAccount, SuccessMessageMixin, auth_views.PasswordResetConfirmView
):
    form_class = SetPasswordForm
    token_generator = reset_tokens
    success_url = reverse_lazy("accounts:login")

    def get_success_message(self, cleaned_data) -> str:
        # Named (probe 55: opened where another account was logged in, "Your password
        # was reset" was said to that account, of another's).
        name = self.user.get_username()
        other = self._other_account()
        still = f" You are still logged in as {other.get_username()}." if other else ""
        return f"The password of {name} was reset. You can now log in with it.{still}"

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        context["other_account"] = self._other_account() if self.validlink else None
        return context

    def form_valid(self, form):
        was_confirmed = form.user.email_confirmed
        try:
            response = super().form_valid(form)  # the form confirms the address
        except ValidationError as exc:  # the account changed meanwhile (the form's save)
            form.add_error(None, exc)
            return self.form_invalid(form)
        password_changed_notify(user=form.user, how="reset", was_confirmed=was_confirmed)
        # The lockout page sends people here: whoever reads the account's email may
        # log in again at once.
        forget_login_failures(form.user)
        return response


@method_decorator([sensitive_post_parameters(), never_cache], name="dispatch")
class InvitationView(_LinkForAnotherAccount, auth_views.PasswordResetConfirmView):
    """Choose the first password from an invitation's link, then go to the dashboard."""

    token_generator = invitation_tokens
    form_class = InvitationForm
    template_name = "registration/invitation.html"
    post_reset_login = True
    post_reset_login_backend = "accounts.backends.UsernameOrEmailBackend"
    success_url = reverse_lazy("lessons:dashboard")

    def form_valid(self, form):
        left = self._other_account()
        try:
            response = super().form_valid(form)  # the form confirms the address
        except ValidationError as exc:  # the account changed meanwhile (the form's save)
            form.add_error(None, exc)
            return self.form_invalid(form)
        logged_out = f" You were logged out of {left.get_username()}." if left else ""
        messages.success(
            self.request,
            f"Welcome, {form.user}! Your password is set; log in next time with "
            f"“{form.user.get_username()}” or your email address.{logged_out}",
        )
        return response

    def get_context_data(self, **kwargs) -> dict:
        # The login that follows the password replaces the account logged in here.
        context = super().get_context_data(**kwargs)
        context["expired"] = False
        if not self.validlink:
            token = self.kwargs["token"]
            if token == self.reset_url_token:
                token = self.request.session.get(auth_views.INTERNAL_RESET_SESSION_TOKEN)
            status = invitation_tokens.status(self.user, token)
            context["expired"] = status is TokenStatus.EXPIRED
        context["timeout_days"] = settings.INVITATION_TIMEOUT_DAYS
        context["other_account"] = self._other_account() if self.validlink else None
        return context


@page_with_form
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    # On a copy: the form sets what was typed on its instance, and a refused address
    # then showed on the page (its navbar, its alerts) as the account's.
    form = ProfileForm(request.POST or None, instance=copy(request.user))
    if request.method == "POST":
        if form.is_valid():
            try:
                user = form.save()
            except ValidationError as exc:  # the account changed meanwhile (the form's save)
                form.add_error(None, exc)
                messages.error(request, "Your profile was not saved.")
                return _profile_page(request, form)
            if not form.email_changed:
                messages.success(request, "Your profile was saved.")
                return redirect("accounts:profile")
            # A new session key: one copied before the change does not follow it
            # (and a password hash upgraded by the check stays valid for this one).
            update_session_auth_hash(request, user)
            if form.pending:
                _say_pending(request, user, sent=form.link_sent)
                return redirect("accounts:profile")
            # Each part only when it happened (mail to an address is limited per hour).
            told = f" {form.old_email} was told of the change." if form.old_told else ""
            link = (
                " Confirm the new address with the link just sent to it."
                if form.link_sent
                else " No confirmation link was sent: this address had several in the last "
                "hour; ask for one again from this page later."
            )
            messages.success(
                request,
                f"Your profile was saved. Your email address is now {user.email}.{told}{link}",
            )
            return redirect("accounts:profile")
        messages.error(request, "Your profile was not saved: please correct the errors below.")
    return _profile_page(request, form)


@require_safe
@login_required
def personal_data_download(request: HttpRequest) -> HttpResponse:
    """Everything the platform holds on the user, as one JSON file (GDPR art. 15, 20)."""
    if not personal_data_throttle.allows(subject_of_user(request.user)):
        messages.error(
            request,
            f"You downloaded your data {personal_data_throttle.limit} times today: the "
            f"next download is possible within {personal_data_throttle.wait}.",
        )
        return _profile_page(request, ProfileForm(instance=copy(request.user)), status=429)
    return personal_data_file(request.user)


def personal_data_file(user: User) -> HttpResponse:
    """USER's data as a file to save (their profile; a superuser's back-office action)."""
    day = timezone.localdate().isoformat()
    response = HttpResponse(
        personal_data_json(user),
        content_type="application/json; charset=utf-8",
        headers={
            "Content-Disposition": content_disposition_header(
                True, f"coursesite-data-{user.username}-{day}.json"
            )
        },
    )
    add_never_cache_headers(response)  # personal data: no shared cache keeps a copy
    return response


def _say_pending(request: HttpRequest, user, *, sent: bool) -> None:
    if sent:
        messages.success(
            request,
            f"Your profile was saved. To make {user.pending_email} your address, open the "
            "link just sent to it while logged in here. Until then your address stays "
            f"{user.email}, for logins and password resets.",
        )
    else:
        messages.warning(
            request,
            f"Your profile was saved, but no link was sent to {user.pending_email}: it had "
            "several in the last hour. Ask for one again from this page later; your "
            f"address stays {user.email} until you open it.",
        )


@form_view(login=True, keep=False)
def confirm_email(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """Confirm the address of the account logged in, from the link sent to it.

    Only for the account the link names, logged in: a link that reached a mailbox
    proves nothing of an account someone else made with that address (the owner of the
    mailbox takes such an account over with "Forgot your password?" instead). GET shows
    the button, so that a mail scanner opening links confirms nothing.
    """
    user = request.user
    own = _uid_is(uidb64, user)
    if not (own and confirmation_tokens.check_token(user, token)):
        if own and not address_to_confirm(user):  # used, or its new address given up
            messages.info(
                request,
                f"Nothing is waiting for this link: your email address is {user.email}, and "
                "it is confirmed.",
            )
            return redirect("accounts:profile")
        context = {
            "valid": False,
            "address": address_to_confirm(user),
            "days": link_days(),
        }
        return render(request, "accounts/confirm_email.html", context, status=400)
    if request.method != "POST":
        context = {
            "valid": True,
            "new": user.pending_email,
            # Not promised when the old address had its notices of the hour.
            "old_told": user.pending_email and not address_mail_spent("moved", user.email),
        }
        return render(request, "accounts/confirm_email.html", context)
    if not user.pending_email:
        email_confirm(user)
        messages.success(request, f"Thank you: your email address, {user.email}, is confirmed.")
        return redirect("accounts:profile")
    new = user.pending_email
    move, old, told = pending_email_confirm(user)
    if move is Move.TAKEN:
        messages.error(
            request,
            f"{new} is now the address of another account, so it cannot be yours here: "
            f"your address stays {user.email}.",
        )
    elif move is Move.STALE:  # another tab confirmed or changed it meanwhile
        messages.warning(request, "Your address changed meanwhile: see it below.")
    else:
        messages.success(
            request,
            f"Thank you: your email address is now {new}, for logins and password resets."
            + (f" {old} is told of the change." if told else ""),
        )
    return redirect("accounts:profile")


def _uid_is(uidb64: str, user) -> bool:
    try:
        return urlsafe_base64_decode(uidb64).decode() == str(user.pk)
    except (ValueError, UnicodeDecodeError):
        return False


@form_view(page("accounts:profile"), keep=False)
def confirmation_resend(request: HttpRequest) -> HttpResponse:
    user = request.user
    address = address_to_confirm(user)
    if not address:
        messages.info(request, f"Your email address, {user.email}, is already confirmed.")
    elif confirmation_send(user=user):
        messages.success(
            request,
            f"A confirmation link is on its way to {address}. Open it while logged in "
            "to this account.",
        )
    else:
        # A reset's link confirms the account's own address too, not a new one waiting.
        reset = (
            ""
            if user.pending_email
            else " Choosing a new password with “Forgot your password?” also confirms it."
        )
        messages.warning(
            request,
            f"Nothing was sent: {address} had several links in the last hour (for this "
            f"account, or for another that gave the same address). Ask again in an hour.{reset}",
        )
    return redirect("accounts:profile")


@form_view(page("accounts:profile"), keep=False)
def pending_email_cancel(request: HttpRequest) -> HttpResponse:
    """Give up the new address waiting for its link: the account keeps its own."""
    user = request.user
    # Only the address the page showed: another tab may have confirmed it, or typed a
    # newer one, since it was drawn (a stale click undid either).
    given_up = request.POST.get("pending_email", user.pending_email)
    if given_up and User.objects.filter(
        pk=user.pk, email=user.email, pending_email=given_up
    ).update(pending_email=""):
        forget_user(user.pk)  # an update sends no signal: the cached copy kept the banner
        messages.success(
            request,
            f"{given_up} is no longer waiting: its link no longer works, and your address "
            f"stays {user.email}.",
        )
    elif given_up and not user.pending_email and user.email != given_up:
        # Given up already (a second click, another tab): what the person asked holds.
        messages.info(request, f"{given_up} is no longer waiting: your address stays {user.email}.")
    elif given_up:
        messages.warning(request, "Your address changed meanwhile: see it below.")
    else:
        messages.info(request, "No new address was waiting for confirmation.")
    return redirect("accounts:profile")


# What a token's name might say, for what each role does with the API: a student read
# "roster sync" and "marks export", instructors' tasks.
TOKEN_NAME_EXAMPLES = {
    "instructor": "“roster sync” or “marks export”",
    "grader": "“review downloads” or “grading script”",
    "student": "“submit from CI” or “progress script”",
}


# The secret of the token just made, kept in the (server-side) session for the one page
# that shows it: never in a URL, nor in a message, which may be logged.
SHOWN_ONCE_KEY = "_new_token_secret"


def _profile_page(request, form, token_form=None, status: int = 200):
    from api.forms import TokenForm

    token_form = token_form or TokenForm()
    user = request.user
    role = (
        "instructor"
        if policy.uses_back_office(user)
        else "grader"
        if policy.grades_anywhere(user)
        else "student"
    )
    token_form.fields["name"].help_text = f"Where you use it, e.g. {TOKEN_NAME_EXAMPLES[role]}."
    new_token = request.session.pop(SHOWN_ONCE_KEY, "")  # shown once, then forgotten
    context = {
        "form": form,
        "tokens": list(user.api_tokens.all()),
        "token_form": token_form,
        "new_token": new_token,
        "support_email": settings.SUPPORT_EMAIL,
    }
    response = render(request, "accounts/profile.html", context, status=status)
    if new_token:
        # The secret is in this page alone: no browser or proxy may keep a copy.
        add_never_cache_headers(response)
    return response


@form_view(page("accounts:profile"), keep=False)
def token_create(request: HttpRequest) -> HttpResponse:
    from api.forms import TokenForm
    from api.tokens import token_create

    token_form = TokenForm(request.POST)
    if token_form.is_valid():
        try:
            token, secret = token_create(user=request.user, **token_form.cleaned_data)
        except ValidationError as exc:
            token_form.add_error(None, exc)
        else:
            messages.success(request, f"Token “{token.name}” created. Copy it now.")
            # Post/Redirect/Get: reloading the page that showed the secret sent the form
            # again and made another token (probe 46).
            request.session[SHOWN_ONCE_KEY] = secret
            return redirect(f"{reverse('accounts:profile')}#new-token")
    return _profile_page(request, ProfileForm(instance=request.user), token_form, status=400)


REVOKED_TOKENS_KEY = "_revoked_tokens"
MAX_REMEMBERED_REVOKED = 20


@form_view(page("accounts:profile"), keep=False)
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    from api.tokens import token_revoke

    # One's own tokens only: anyone else's is a page that does not exist.
    token = request.user.api_tokens.filter(pk=pk).first()
    revoked = request.session.get(REVOKED_TOKENS_KEY, [])
    if token is None:
        if pk not in revoked:
            raise Http404("No such token.")
        # A second click on Revoke (or Back, then Revoke): the first one did it.
        messages.info(request, "This token was already revoked.")
        return _profile_page(request, ProfileForm(instance=request.user))
    token_revoke(token=token)
    # Remembered in this session alone: a token id that was never one's own stays a
    # page that does not exist.
    request.session[REVOKED_TOKENS_KEY] = [*revoked, pk][-MAX_REMEMBERED_REVOKED:]
    messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
    return redirect("accounts:profile")
