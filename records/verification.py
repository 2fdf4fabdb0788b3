"""Verification codes printed under the QR: random, short enough to type, hard to guess.

16 Crockford base32 characters carry 80 random bits (no I, L, O, U; a typed I or L reads as 1, O as 0),
shown in groups of four. Codes are compared after normalising what a visitor typed.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16
_CONFUSABLE = str.maketrans({"I": "1", "L": "1", "O": "0"})


def new_code() -> str:
    """A fresh verification code such as 7K2Q-M9XD-4TRA-HB3E."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise(text: str) -> str | None:
    """The canonical form of a typed code, or None when it cannot be one."""
    cleaned = re.sub(r"[\s\-]", "", text or "").upper().translate(_CONFUSABLE)
    if len(cleaned) != CODE_LENGTH or any(c not in ALPHABET for c in cleaned):
        return None
    return "-".join(cleaned[i:i + 4] for i in range(0, CODE_LENGTH, 4))


def mask_name(name: str) -> str:
    """Show only the first letter of each word: 'Budi Santoso' → 'B*** S******'."""
    return " ".join(word[0] + "*" * (len(word) - 1) for word in (name or "").split())
