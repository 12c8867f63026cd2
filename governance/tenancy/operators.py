"""The platform operator: a superuser account, made from the command line (never from a web form)."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from governance import audit
from governance.crypto import blind_index
from governance.errors import SightguardError
from governance.models import SupportStaff, User


def add_operator(*, email: str, password: str, actor=None) -> tuple[User, bool]:
    """Make (or keep) an account the operator; returns (user, created). Audited when anything changes."""
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise SightguardError("Give a valid e-mail address.", code="invalid_email") from None
    if not password:
        raise SightguardError("Give a password to sign in to the admin with.", code="password_required")
    with transaction.atomic():
        user = User.objects.filter(email_index=blind_index(email)).first()
        if user is not None and SupportStaff.objects.filter(user=user, active=True).exists():
            raise SightguardError("Support staff cannot be the operator.", code="support_cannot_be_operator")
        created = user is None
        if created:
            user = User.objects.create_superuser(email=email, password=password)
        else:
            user.is_staff = user.is_superuser = True
            user.set_password(password)
            user.save()
        audit.record(action="operator.added" if created else "operator.password_set", actor=actor, target=user)
    return user, created
