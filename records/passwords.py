"""The office's password policy, as one pure function every password form calls.

Long passphrases beat symbol rules (NIST SP 800-63B §5.1.1.2): we ask for length, refuse the
passwords an attacker tries first (the published demo password, common words, the account's
own name) and need letters and digits both, which clerks can follow without writing the
password on the monitor.
"""

from __future__ import annotations

MIN_LENGTH = 10
MAX_LENGTH = 128

# Published in the README: never acceptable as a real password.
DEMO_PASSWORD = "Demo#KotaBangun2026"

# What a guesser tries first at an Indonesian office (lower-cased, compared without digits).
COMMON = frozenset({
    "password", "passw0rd", "katasandi", "rahasia", "admin", "administrator", "qwerty",
    "qwertyuiop", "asdfghjkl", "bismillah", "indonesia", "merdeka", "kecamatan", "kotabangun",
    "kutaikartanegara", "lemari", "welcome", "selamat", "abcdef", "abcdefgh",
})


class PasswordPolicyError(ValueError):
    """The password does not meet the policy; the message says what to change."""


def check_password(password: str, *, username: str = "") -> None:
    """Raise PasswordPolicyError with an Indonesian reason when the password is too weak."""
    if len(password) < MIN_LENGTH:
        raise PasswordPolicyError(f"Kata sandi minimal {MIN_LENGTH} karakter.")
    if len(password) > MAX_LENGTH:
        raise PasswordPolicyError(f"Kata sandi maksimal {MAX_LENGTH} karakter.")
    if not any(ch.isalpha() for ch in password) or not any(ch.isdigit() for ch in password):
        raise PasswordPolicyError("Kata sandi harus memuat huruf dan angka.")
    if password == DEMO_PASSWORD:
        raise PasswordPolicyError("Kata sandi demo tidak boleh dipakai; buat kata sandi sendiri.")
    letters = "".join(ch for ch in password.lower() if ch.isalpha())
    if letters in COMMON or len(set(password)) < 4:
        raise PasswordPolicyError("Kata sandi terlalu mudah ditebak.")
    if username and username.lower() in password.lower():
        raise PasswordPolicyError("Kata sandi tidak boleh memuat nama pengguna.")
