"""Result snippets: a window of the text around the first match, HTML-escaped, matches in <mark>.

Engine-neutral, so every adapter highlights exactly what the shared analysis matched, and the
escaping lives in one place: the text is OCR output and user input, and the snippet is HTML.
"""

from __future__ import annotations

import functools
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
    name key matches one in names (typos included), escaped, such words wrapped in ``<mark>``.

    Words are analysed only up to the first match and inside the window, so a page of long
    scans costs little more than a page of one-line letters.
    """
    source = text[:SNIPPET_SOURCE_CHARS]
    first = next((m.start() for m in _WORD.finditer(source)
                  if _matches(m.group(), stems, names)), None)
    start = _window_start(source, first) if first is not None else 0
    end = min(len(source), start + SNIPPET_CHARS)
    parts = ["…"] if start else []
    cursor = start
    for match in _WORD.finditer(source, start) if first is not None else ():
        left, right = match.span()
        if right > end:
            break
        if _matches(match.group(), stems, names):
            parts += [html.escape(source[cursor:left]), "<mark>", html.escape(source[left:right]),
                      "</mark>"]
            cursor = right
    parts.append(html.escape(source[cursor:end]))
    if end < len(text):
        parts.append("…")
    return "".join(parts).strip()


def _matches(word: str, stems: set[str], names: set[str]) -> bool:
    """Whether a word of the text is one the query matched."""
    stemmed, key = _analysed(word)
    if stemmed and stemmed in stems:
        return True
    return any(fuzzy_match(wanted, key) for wanted in names)


@functools.lru_cache(maxsize=100_000)
def _analysed(word: str) -> tuple[str, str]:
    """(stem, or "" for a stopword; name key) of a word as it stands in a text."""
    folded = fold(word)
    return ("" if is_stopword(folded) else stem(folded)), name_key(word)


def _window_start(text: str, first: int) -> int:
    """Start the window a little before the first match, at a word boundary."""
    if first <= _LEAD_CHARS:
        return 0
    space = text.find(" ", first - _LEAD_CHARS, first)
    return space + 1 if space != -1 else first - _LEAD_CHARS
