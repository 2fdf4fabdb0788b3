"""Result snippets: a window of the text around the first match, HTML-escaped, matches in <mark>.

Engine-neutral, so every adapter highlights exactly what the shared analysis matched, and the
escaping lives in one place: the text is OCR output and user input, and the snippet is HTML.
"""

from __future__ import annotations

import html
import re

from search.analysis import fold, fuzzy_match, is_stopword, name_key, stem

# Characters of a document's text that snippets are drawn from; adapters store only this much,
# so highlighting a page of hits costs the same for a one-line letter and a 300-page scan.
SNIPPET_SOURCE_CHARS = 20_000

SNIPPET_CHARS = 240
_LEAD_CHARS = 60
_WORD = re.compile(r"[^\W_]+")


def snippet(text: str, stems: set[str], names: set[str]) -> str:
    """About ``SNIPPET_CHARS`` of text around the first word whose stem is in stems or whose
    name key matches one in names (typos included), escaped, such words wrapped in ``<mark>``."""
    source = text[:SNIPPET_SOURCE_CHARS]
    spans = [m.span() for m in _WORD.finditer(source) if _matches(m.group(), stems, names)]
    start = _window_start(source, spans[0][0]) if spans else 0
    end = min(len(source), start + SNIPPET_CHARS)
    parts = ["…"] if start else []
    cursor = start
    for left, right in spans:
        if left < start or right > end:
            continue
        parts += [html.escape(source[cursor:left]), "<mark>", html.escape(source[left:right]),
                  "</mark>"]
        cursor = right
    parts.append(html.escape(source[cursor:end]))
    if end < len(text):
        parts.append("…")
    return "".join(parts).strip()


def _matches(word: str, stems: set[str], names: set[str]) -> bool:
    """Whether a word of the text is one the query matched."""
    folded = fold(word)
    if not is_stopword(folded) and stem(folded) in stems:
        return True
    key = name_key(word)
    return any(fuzzy_match(wanted, key) for wanted in names)


def _window_start(text: str, first: int) -> int:
    """Start the window a little before the first match, at a word boundary."""
    if first <= _LEAD_CHARS:
        return 0
    space = text.find(" ", first - _LEAD_CHARS, first)
    return space + 1 if space != -1 else first - _LEAD_CHARS
