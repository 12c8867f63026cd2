"""The admin site: sign-in with an optional second-factor code, the operator admitted only with
it, and each staff member's own Two-factor sign-in page (enrolment and recovery codes)."""

import base64

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.urls import path

from governance import second_factor


class SignInForm(AdminAuthenticationForm):
    otp_token = forms.CharField(
        label="Code (authenticator app or recovery code)",
        required=False,
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
        help_text="Needed by the operator, and by anyone approving support access or a data-subject request.",
    )

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        token = self.cleaned_data.get("otp_token") or ""
        if token:
            device = second_factor.verify_sign_in_code(user=user, token=token)
            if device is None:
                raise ValidationError(second_factor.InvalidCode.detail, code=second_factor.InvalidCode.code)
            user.otp_device = device  # django-otp marks the session verified at login


class AdminSite(admin.AdminSite):
    login_form = SignInForm
    login_template = "admin/second_factor_login.html"

    def has_permission(self, request):
        """Staff as Django has it; the operator only in a session verified by a second factor."""
        if not super().has_permission(request):
            return False
        return not request.user.is_superuser or second_factor.is_verified(request)

    def get_urls(self):
        return [path("second-factor/", self.admin_view(self.second_factor_view), name="second_factor"), *super().get_urls()]

    def second_factor_view(self, request):
        """Set up an authenticator app (confirmed by one of its codes), or replace recovery codes."""
        user, codes, pending = request.user, None, None
        enrolled = second_factor.has_second_factor(user)
        action = request.POST.get("action") if request.method == "POST" else None
        try:
            if action == "confirm":
                codes = second_factor.confirm_totp(request=request, token=request.POST.get("otp_token", ""))
                enrolled = True
                messages.success(request, "Two-factor sign-in is on. Keep these recovery codes somewhere safe.")
            elif action == "recovery_codes":
                codes = second_factor.new_recovery_codes(request=request)
            elif action == "replace":
                second_factor.require_second_factor(request=request)
                pending = second_factor.start_totp(user=user)
        except second_factor.SightguardError as exc:
            messages.error(request, f"{exc.detail} ({exc.code})")
        if not enrolled and pending is None:
            # Without a confirmed factor, the password alone may start one; with one, replacing
            # it needs a verified session (above), so a stolen password cannot swap the factor.
            pending = second_factor.start_totp(user=user)
        context = {
            **self.each_context(request),
            "title": "Two-factor sign-in",
            "enrolled": enrolled,
            "verified": second_factor.is_verified(request),
            "pending_key": base64.b32encode(pending.bin_key).decode() if pending else None,
            "pending_url": pending.config_url if pending else None,
            "codes": codes,
        }
        return TemplateResponse(request, "admin/second_factor.html", context)
