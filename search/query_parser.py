"""The one-box query language, parsed into our own ``ParsedQuery`` (never engine syntax).

Syntax: plain words (all must match), "quoted phrases", and fields ``nik:``, ``kk:``, ``nomor:``,
``desa:``, ``tahun:``, ``jenis:``, ``status:``, ``klasifikasi:`` (a value may be quoted:
``nomor:"474 / 12"``). Whatever a clerk types, the parser returns a query or raises
``QueryError`` with an Indonesian message; it never raises anything else. Limits keep every
query's work bounded:

- text past ``MAX_QUERY_CHARS`` characters, and clauses past ``MAX_TERMS``, are dropped;
- control, format, private-use and undecodable characters are removed;
- AND/OR/NOT and leading +/- are ignored (every word must match anyway);
- ``*`` and ``?`` are removed, and a query of nothing but them is refused, because a wildcard
  scan would touch every term in the index;
- an unknown field name is dropped and its value searched as plain text.

Each fallback adds a note the UI shows above the results.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from search.analysis import digits_key, exact_key
from search.base import FILTER_KEYS, QueryError

MAX_QUERY_CHARS = 500
MAX_TERMS = 20

# Raw input beyond this is dropped before cleaning, so a hostile megabyte costs no more to
# clean than an honest query.
_RAW_LIMIT = 4 * MAX_QUERY_CHARS

_TOKEN = re.compile(
    r"""(?P<field>[^\W\d]\w*):(?:"(?P<fquoted>[^"]*)"?|(?P<fvalue>[^\s"]*))
      | "(?P<phrase>[^"]*)(?P<closed>"?)
      | (?P<word>[^\s"]+)""",
    re.VERBOSE,
)
_OPERATORS = frozenset({"and", "or", "not", "&&", "||"})
_SIGNS = "+-!"
_WILDCARDS = re.compile(r"[*?]")

NOTE_TRUNCATED = (
    f"Pencarian terlalu panjang; hanya {MAX_QUERY_CHARS} karakter pertama yang dipakai."
)
NOTE_TOO_MANY = f"Hanya {MAX_TERMS} kata pertama yang dipakai."
NOTE_STRIPPED = "Karakter yang tidak terbaca dibuang dari pencarian."
NOTE_OPERATORS = "AND, OR, NOT dan tanda + - diabaikan; semua kata dicari bersama."
NOTE_WILDCARDS = "Tanda * dan ? tidak didukung dan diabaikan; kata dicari utuh."
NOTE_UNBALANCED = "Tanda kutip tidak berpasangan; kata-kata setelahnya dicari satu per satu."
WILDCARD_ONLY = (
    "Pencarian tidak boleh hanya berisi tanda * atau ?. "
    "Ketik sedikitnya satu kata, nama, NIK, atau nomor surat."
)


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """What the clerk asked for: words and phrases to match, exact field constraints, and notes
    about anything the parser had to drop or reinterpret."""

    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    fields: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()


def parse_query(raw: str | bytes) -> ParsedQuery:
    """Parse one-box text; raises only ``QueryError``."""
    parts = _Parts()
    text = _clean(raw, parts.notes)
    for match in _TOKEN.finditer(text):
        if parts.budget() <= 0:
            parts.note(NOTE_TOO_MANY)
            break
        parts.take(match)
    return parts.result()


def check_field(name: str, value: str) -> str:
    """The value of a field constraint, checked; raises ``QueryError`` for values that can never
    match (a NIK without digits, a year that is not four digits)."""
    if name in ("nik", "kk"):
        if not digits_key(value):
            label = "NIK" if name == "nik" else "Nomor KK"
            raise QueryError(f"{label} harus berupa angka, misalnya {name}:6402081234560001.")
    elif name == "tahun" and not re.fullmatch(r"\d{4}", value.strip()):
        raise QueryError("Tahun harus empat angka, misalnya tahun:2024.")
    elif not exact_key(value):
        raise QueryError(f"Nilai untuk {name}: kosong.")
    return value.strip()


def _clean(raw: str | bytes, notes: list[str]) -> str:
    """Decode, drop unreadable and invisible characters, turn any whitespace into a space, and
    cut to ``MAX_QUERY_CHARS``."""
    if isinstance(raw, bytes):
        raw = raw[: 4 * _RAW_LIMIT].decode("utf-8", errors="replace")
    raw = raw[:_RAW_LIMIT]
    kept = [" " if ch.isspace() else ch for ch in raw if ch.isspace() or _readable(ch)]
    if len(kept) < len(raw):
        notes.append(NOTE_STRIPPED)
    text = unicodedata.normalize("NFKC", "".join(kept)).strip()
    if len(text) > MAX_QUERY_CHARS:
        notes.append(NOTE_TRUNCATED)
        text = text[:MAX_QUERY_CHARS]
    return text


def _readable(ch: str) -> bool:
    """Not a control, format, surrogate, private-use or unassigned character, nor U+FFFD (what
    undecodable bytes become)."""
    return ch != "\ufffd" and unicodedata.category(ch)[0] != "C"


class _Parts:
    """The clauses collected so far, with the notes explaining what was changed."""

    def __init__(self) -> None:
        self.words: list[str] = []
        self.phrases: list[str] = []
        self.fields: list[tuple[str, str]] = []
        self.notes: list[str] = []

    def budget(self) -> int:
        """How many more words or fields the query may hold."""
        used = len(self.words) + len(self.fields) + sum(len(p.split()) for p in self.phrases)
        return MAX_TERMS - used

    def note(self, note: str) -> None:
        """Add a note once."""
        if note not in self.notes:
            self.notes.append(note)

    def result(self) -> ParsedQuery:
        """The parsed query; refuses one that held nothing but wildcards."""
        if NOTE_WILDCARDS in self.notes and not (self.words or self.phrases or self.fields):
            raise QueryError(WILDCARD_ONLY)
        return ParsedQuery(tuple(self.words), tuple(self.phrases), tuple(self.fields),
                           tuple(self.notes))

    def take(self, match: re.Match) -> None:
        """Add one token of the query to the clause it belongs to."""
        if match["field"] is not None:
            quoted = match["fquoted"] is not None
            if quoted and not match.group(0).endswith('"'):
                self.note(NOTE_UNBALANCED)
            self.take_field(match["field"].casefold(), match["fquoted" if quoted else "fvalue"])
        elif match["closed"]:
            self.take_phrase(match["phrase"])
        elif match["phrase"] is not None:
            self.note(NOTE_UNBALANCED)
            for word in match["phrase"].split():
                self.take_word(word)
        else:
            self.take_word(match["word"])

    def take_field(self, name: str, value: str) -> None:
        """A known field becomes a constraint; an unknown one is searched as plain text."""
        value = self.unwild(value).strip()
        if name not in FILTER_KEYS:
            self.note(f"Kolom '{name}' tidak dikenal; '{value}' dicari sebagai teks biasa.")
            self.take_phrase(value)
        elif not value:
            self.note(f"Kolom {name}: kosong dan diabaikan.")
        else:
            self.fields.append((name, check_field(name, value)))

    def take_phrase(self, phrase: str) -> None:
        """Keep a phrase (a single word is just a word), cut to the remaining budget."""
        kept = [w for w in self.unwild(phrase).split() if any(ch.isalnum() for ch in w)]
        if len(kept) > self.budget():
            self.note(NOTE_TOO_MANY)
            kept = kept[: self.budget()]
        if len(kept) == 1:
            self.words.append(kept[0])
        elif kept:
            self.phrases.append(" ".join(kept))

    def take_word(self, word: str) -> None:
        """Keep a plain word unless it is an operator; strip signs and wildcards from it."""
        if word.casefold() in _OPERATORS or not word.strip(_SIGNS):
            self.note(NOTE_OPERATORS)
            return
        if word[0] in _SIGNS:
            self.note(NOTE_OPERATORS)
            word = word.lstrip(_SIGNS)
        word = self.unwild(word)
        if any(ch.isalnum() for ch in word):
            self.words.append(word)

    def unwild(self, text: str) -> str:
        """text without ``*`` and ``?``, noting that they were dropped."""
        if _WILDCARDS.search(text):
            self.note(NOTE_WILDCARDS)
            return _WILDCARDS.sub("", text)
        return text
