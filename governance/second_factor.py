"""Staff sign-in: failed attempts throttled and recorded (django-axes), and a second factor
(django-otp: a TOTP authenticator app, and one-time recovery codes as its static device).

Who needs the second factor:
- the operator (a superuser) for the admin at all (governance.admin_site);
- anyone who approves support access to customer content or a data-subject request's erasure or
  export: `require_second_factor(request=...)`, the one check every approval path calls first.
A session is verified when its sign-in (or enrolment) used a code from one of the user's devices.
"""

import secrets

from django.db import transaction
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from governance import audit
from governance.crypto import blind_index
from governance.errors import SightguardError

RECOVERY_CODES = 10
RECOVERY_DEVICE = "recovery codes"
TOTP_DEVICE = "authenticator app"


class SecondFactorRequired(SightguardError):
    code, status = "second_factor_required", 403
    detail = (
        "This needs a sign-in confirmed by your second factor: sign in again with a code from your "
        "authenticator app (or a recovery code); set one up under Two-factor sign-in."
    )


class InvalidCode(SightguardError):
    code, status, detail = "invalid_code", 400, "The code is not valid (or was already used)."


def is_verified(request) -> bool:
    """The session's sign-in used a second factor (django-otp's middleware sets is_verified)."""
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and getattr(user, "is_verified", lambda: False)())


def require_second_factor(*, request) -> None:
    """Refuse (SecondFactorRequired, code `second_factor_required`) unless the session is verified."""
    if not is_verified(request):
        raise SecondFactorRequired()


def has_second_factor(user) -> bool:
    return user_has_device(user, confirmed=True)


def start_totp(*, user) -> TOTPDevice:
    """A new, unconfirmed authenticator for the user (an earlier unconfirmed one is replaced)."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name=TOTP_DEVICE, confirmed=False)


def confirm_totp(*, request, token: str) -> list[str]:
    """Confirm the user's pending authenticator with a code it shows; the session becomes verified.
    Returns fresh recovery codes (shown once)."""
    user = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None or not device.verify_token(token.strip()):
        raise InvalidCode()
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()  # one authenticator per person
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _replace_recovery_codes(user)
        audit.record(action="second_factor.enrolled", actor=user, tenant=None, target=user, metadata={"device": "totp"})
    otp_login(request, device)
    return codes


def new_recovery_codes(*, request) -> list[str]:
    """Replace the user's recovery codes (the old ones stop working); needs a verified session."""
    require_second_factor(request=request)
    with transaction.atomic():
        codes = _replace_recovery_codes(request.user)
        audit.record(action="second_factor.recovery_codes_replaced", actor=request.user, tenant=None, target=request.user)
    return codes


def _replace_recovery_codes(user) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_DEVICE, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def verify_sign_in_code(*, user, token: str):
    """The device of the user's that accepts this code (TOTP or an unused recovery code), or None."""
    token = token.strip()
    for model in (TOTPDevice, StaticDevice):
        for device in model.objects.filter(user=user, confirmed=True):
            with transaction.atomic():
                if device.verify_token(token):
                    return device
    return None


def axes_username(request, credentials) -> str:
    """What django-axes records and locks by instead of the typed e-mail: its blind index."""
    typed = (credentials or {}).get("username") or getattr(request, "POST", {}).get("username") or ""
    return blind_index(typed) if typed else ""
