"""Optional TOTP second factor (RFC 6238): enrol, confirm, check, disable.

The seed is stored encrypted with the kernel's secret box. A code is
accepted one step early or late (clock drift) and only once: the last used
time step is kept, so a code seen over someone's shoulder cannot be replayed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyotp
from pyotp.utils import strings_equal

from rjchronos.db.types import utcnow
from rjchronos.http.problems import Problem

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel
    from rjchronos.security.models import User

ISSUER = "RJChronos"
DRIFT_STEPS = 1


def enroll(kernel: Kernel, user: User) -> tuple[str, str]:
    """Give ``user`` a new, unconfirmed seed.

    :return: the base32 seed and its ``otpauth://`` URI (for a QR code).
    """
    if user.totp_enabled:
        raise Problem(409, "Conflict", "TOTP is already enabled: disable it before enrolling again")
    seed = pyotp.random_base32()
    user.totp_secret = kernel.secrets.encrypt(seed)
    user.totp_last_step = None
    return seed, pyotp.TOTP(seed).provisioning_uri(name=user.username, issuer_name=ISSUER)


def confirm(kernel: Kernel, user: User, code: str) -> None:
    """Turn the second factor on once the user proves their app shows the right codes."""
    if user.totp_enabled:
        raise Problem(409, "Conflict", "TOTP is already enabled")
    if not user.totp_secret:
        raise Problem(409, "Conflict", "enrol first: POST /users/me/totp")
    if not accept_code(kernel, user, code):
        raise Problem(
            422,
            "Invalid body",
            "body.code: wrong or expired code",
            invalid_params=[{"name": "body.code", "reason": "wrong or expired code"}],
        )
    user.totp_enabled = True


def disable(user: User) -> None:
    """Turn the second factor off and forget the seed."""
    user.totp_enabled = False
    user.totp_secret = None
    user.totp_last_step = None


def accept_code(kernel: Kernel, user: User, code: str) -> bool:
    """Whether ``code`` is valid now and unused; marks its time step used."""
    if not user.totp_secret:
        return False
    generator = pyotp.TOTP(kernel.secrets.decrypt(user.totp_secret))
    now = generator.timecode(utcnow())
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if user.totp_last_step is not None and step <= user.totp_last_step:
            continue
        if strings_equal(generator.generate_otp(step), code.strip()):
            user.totp_last_step = step
            return True
    return False
