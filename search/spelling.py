""""Did you mean": engine-neutral correction of unknown query words.

Corrections come only from documents the caller may see: a word found only in another desa's
letters, a resident's name for instance, must never be offered. Each adapter supplies a
``Vocabulary`` bound to the caller's principals; the rules live here, once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Protocol

from search.analysis import fold
from search.plan import QueryPlan, WordClause

# A page with fewer hits than this gets a "did you mean", if a word is unknown.
SUGGEST_BELOW = 5

# Most unknown words one "did you mean" tries to correct, to bound its lookups.
MAX_CORRECTIONS = 5


class Vocabulary(Protocol):
    """An adapter's view of its index for one caller."""

    def has(self, field: str, terms: Sequence[str]) -> bool:
        """Whether one document the caller sees holds every term in field ("words" for
        readable words, "body" for stems, "names" for name keys)."""

    def near(self, word: str, distance: int) -> Iterable[str]:
        """Words of the whole vocabulary within distance edits of word and sharing its first
        letter, the most frequent first; ``did_you_mean`` checks visibility itself."""


def did_you_mean(text: str, plan: QueryPlan, vocabulary: Vocabulary) -> str | None:
    """text with each unknown word replaced by the nearest visible word, or None.

    A word is unknown only if it matches nothing visible as typed, as stems or as name keys,
    so "pindahan" and "Muhamad" are never "corrected". One-edit candidates come before two-edit
    ones.
    """
    fixes = {}
    for word in _correctable(plan):
        folded = fold(word.text)
        if _known(word, folded, vocabulary):
            continue
        candidates = (c for distance in (1, 2) for c in vocabulary.near(folded, distance))
        if fix := next((c for c in candidates if vocabulary.has("words", [c])), None):
            fixes[folded] = fix
    return replace_words(text, fixes) if fixes else None


def replace_words(text: str, corrections: dict[str, str]) -> str | None:
    """text with each corrected word replaced wherever it stands alone; None if unchanged."""
    fixed = text
    for wrong, right in corrections.items():
        fixed = re.sub(rf"(?<!\w){re.escape(wrong)}(?!\w)", right, fixed, flags=re.IGNORECASE)
    return fixed if fixed != text else None


def _correctable(plan: QueryPlan) -> list[WordClause]:
    """Words a corrector may replace: letters only, bounded in number."""
    return [w for w in plan.words if w.text.isalpha()][:MAX_CORRECTIONS]


def _known(word: WordClause, folded: str, vocabulary: Vocabulary) -> bool:
    """Whether the word matches something visible as typed, as stems or as name keys."""
    checks = (("words", (folded,)), ("body", word.stems), ("names", word.names))
    return any(terms and vocabulary.has(field, terms) for field, terms in checks)
