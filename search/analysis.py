"""Engine-neutral Indonesian text analysis, shared by every search adapter.

Each adapter indexes and queries with these functions, so "pindahan" finds "pindah" and "Muhamad
Nor" finds "MUHAMMAD NUR" the same way in memory, in Whoosh and in any later engine. Whoosh has
no Indonesian stemmer (engineering-facts §2.3), hence Sastrawi here. This is the only module that
imports Sastrawi.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

# Shortest name key that may match with one typo: a one-edit neighbour of a three-letter name
# ("Nur", "Ani") is usually another real name, not a misspelling.
FUZZY_MIN_LENGTH = 4

# Fuzzy matches must share this many leading letters: typos rarely hit the first letter, and
# engines can then scan one slice of the vocabulary instead of all of it.
FUZZY_PREFIX = 1

# Function words dropped from body text. Deliberately absent, although common lists have them:
# "tidak" and "belum" ("surat keterangan tidak mampu", status "belum kawin"), and words that
# are also given names ("dini", "sela").
STOPWORDS = (
    "ada", "adalah", "adanya", "adapun", "agak", "agaknya", "agar", "akan", "akankah",
    "akhirnya", "aku", "akulah", "amat", "amatlah", "anda", "andalah", "antar", "antara",
    "antaranya", "apa", "apaan", "apabila", "apakah", "apalagi", "apatah", "atau", "ataukah",
    "ataupun", "bagai", "bagaikan", "bagaimana", "bagaimanakah", "bagaimanapun", "bagi",
    "bahkan", "bahwa", "bahwasanya", "banyak", "beberapa", "begini", "beginian", "beginikah",
    "beginilah", "begitu", "begitukah", "begitulah", "begitupun", "berapa", "berapakah",
    "berapalah", "berapapun", "bermacam", "bersama", "betulkah", "biasanya", "bila", "bilakah",
    "bisa", "bisakah", "boleh", "bolehkah", "bolehlah", "buat", "bukan", "bukankah",
    "bukanlah", "bukannya", "cuma", "dahulu", "dalam", "dan", "dapat", "dari", "daripada",
    "demi", "demikian", "demikianlah", "dengan", "di", "dia", "dialah", "diantara",
    "diantaranya", "dikarenakan", "diri", "dirinya", "disini", "disinilah", "dong", "dulu",
    "enggak", "enggaknya", "entah", "entahlah", "hal", "hampir", "hanya", "hanyalah", "harus",
    "haruslah", "harusnya", "hendak", "hendaklah", "hendaknya", "hingga", "ia", "ialah",
    "ibarat", "ingin", "inginkah", "inginkan", "ini", "inikah", "inilah", "itu", "itukah",
    "itulah", "jadi", "jangan", "jangankan", "janganlah", "jika", "jikalau", "juga", "justru",
    "kala", "kalau", "kalaulah", "kalaupun", "kalian", "kami", "kamilah", "kamu", "kamulah",
    "kan", "kapan", "kapankah", "kapanpun", "karena", "karenanya", "ke", "kemudian", "kenapa",
    "kepada", "kepadanya", "ketika", "khususnya", "kini", "kinilah", "kiranya", "kita",
    "kitalah", "lagi", "lagian", "lah", "lain", "lainnya", "lalu", "lebih", "maka", "makanya",
    "makin", "malah", "malahan", "mana", "manakala", "manalagi", "masih", "masihkah", "masing",
    "mau", "maupun", "melainkan", "melalui", "memang", "mengapa", "mereka", "merekalah",
    "meski", "meskipun", "mungkin", "mungkinkah", "nah", "namun", "nanti", "nantinya",
    "nyaris", "oleh", "olehnya", "pada", "padahal", "padanya", "paling", "para", "pasti",
    "pastilah", "per", "pernah", "pula", "pun", "rasanya", "saat", "saatnya", "saja",
    "sajalah", "saling", "sama", "sambil", "sampai", "sana", "sangat", "sangatlah", "saya",
    "sayalah", "se", "sebab", "sebabnya", "sebagai", "sebagaimana", "sebagainya",
    "sebaliknya", "sebanyak", "sebegini", "sebegitu", "sebelum", "sebelumnya", "sebenarnya",
    "seberapa", "sebetulnya", "sebisanya", "sebuah", "sedang", "sedangkan", "sedemikian",
    "sedikit", "sedikitnya", "segala", "segalanya", "segera", "seharusnya", "sehingga",
    "sejak", "sejenak", "sekali", "sekalian", "sekaligus", "sekalipun", "sekarang",
    "seketika", "sekiranya", "sekitar", "sekitarnya", "selagi", "selain", "selaku", "selalu",
    "selama", "selamanya", "seluruh", "seluruhnya", "semakin", "semua", "semuanya", "semula",
    "sendiri", "sendirinya", "seolah", "seorang", "sepanjang", "seperti", "sepertinya",
    "sering", "seringnya", "serta", "serupa", "sesaat", "sesama", "sesuatu", "sesuatunya",
    "sesudah", "sesudahnya", "setelah", "seterusnya", "setiap", "setidaknya", "sewaktu",
    "siapa", "siapakah", "siapapun", "sini", "sinilah", "suatu", "sudah", "sudahkah",
    "sudahlah", "supaya", "tadi", "tadinya", "tak", "tanpa", "tapi", "telah", "tentang",
    "tentu", "tentulah", "tentunya", "terhadap", "terlalu", "termasuk", "tersebut",
    "tersebutlah", "tertentu", "tetapi", "tiap", "toh", "turut", "untuk", "walau",
    "walaupun", "yaitu", "yakni", "yang",
)
_STOPSET = frozenset(STOPWORDS)

# Letters and digits; "_" and punctuation separate words ("470/12/DS" → 470, 12, ds).
_WORD = re.compile(r"[^\W_]+")
_NAME_WORD = re.compile(r"[^\W\d_]+")
_APOSTROPHES = re.compile(r"['`\u2018\u2019]")

# Name spelling rules, applied in this order to a folded word (each documented where it bites):
_NAME_RULES = (
    ("dj", "j"),   # pre-1972 spelling: Djoko → Joko
    ("tj", "c"),   # pre-1972: Tjahjo → Cahjo
    ("sj", "sy"),  # pre-1972: Sjamsul → Syamsul (then "sy" below)
    ("nj", "ny"),  # pre-1972: Njoman → Nyoman
    ("oe", "u"),   # pre-1972: Soeharto → Suharto, Abdoel → Abdul
    ("ch", "kh"),  # Dutch-era: Chairul → Khairul (then "kh" below); Chandra ≠ Candra, sadly
    ("kh", "h"),   # Kalimantan usage: Khairul/Hairul, Akhmad/Ahmad, Mukhtar/Muhtar
    ("sy", "s"),   # Syamsudin/Samsudin, Syarifah/Sarifah
    ("dh", "d"),   # Ramadhan/Ramadan, Dhani/Dani
    ("th", "t"),   # Thamrin/Tamrin
    ("ph", "f"),   # Stephanus/Stefanus
    ("dz", "z"),   # Dzulkifli/Zulkifli
    ("q", "k"),    # Taufiq/Taufik, Qori/Kori
)
_DOUBLED = re.compile(r"(.)\1+")  # Muhammad/Muhamad, Sitti/Siti, Noor/Nor, Ellya/Elya

# Whole-word variants no letter rule unifies, keyed by the form the rules above produce.
_NAME_ALIASES = {
    **dict.fromkeys(
        ("muhamad", "mohamad", "mohamed", "muhamed", "mohd", "moh", "muh", "mhd", "m"), "muhamad"
    ),  # Muhammad, Mohammad, Mochamad, Moh., Muh., Mhd., M.
    **dict.fromkeys(("nur", "nor", "nour"), "nur"),  # Nur, Noor, Nor, Nour
    "abd": "abdul",  # Abd. Rahman
}


def fold(text: str) -> str:
    """Lower-case and strip accents, so "Désa" and "DESA" meet "desa"."""
    if text.isascii():  # nearly every letter: no accents to strip, and casefold == lower
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def words(text: str) -> list[str]:
    """The folded words of text, in order."""
    return _WORD.findall(fold(text))


def is_stopword(word: str) -> bool:
    """Whether the folded word carries no meaning for search."""
    return word in _STOPSET


@functools.cache
def _stemmer():
    """Sastrawi's stemmer, built once: it loads a dictionary of about 30,000 root words."""
    return StemmerFactory().create_stemmer()


@functools.lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The Sastrawi root of a folded word ("kepindahan" → "pindah"); numbers stay as they are.

    Cached per word because Sastrawi's affix search costs tens of microseconds and a corpus
    reuses a small vocabulary.
    """
    if not word.isalpha():
        return word
    return _stemmer().stem(word) or word


def body_terms(text: str) -> list[str]:
    """Index and query terms for body text: folded words, stopwords dropped, stemmed."""
    return [stem(word) for word in words(text) if word not in _STOPSET]


def vocabulary(text: str) -> list[str]:
    """Readable words for "did you mean" and completion: folded, unstemmed, no stopwords or
    numbers, at least three letters (shorter ones make poor suggestions)."""
    return [w for w in words(text) if len(w) >= 3 and w.isalpha() and w not in _STOPSET]


def name_key(word: str, *, collapse: bool = True) -> str:
    """One key for all usual spellings of a name word (see ``_NAME_RULES`` and aliases);
    anything but letters is dropped ("Moh." → "muhamad"). ``collapse=False`` keeps doubled
    letters (see ``loose_keys``)."""
    key = "".join(ch for ch in fold(word) if ch.isalpha())
    for old, new in _NAME_RULES:
        key = key.replace(old, new)
    if collapse:
        key = _DOUBLED.sub(r"\1", key)
    if len(key) > 2 and key.endswith("y"):
        key = key[:-1] + "i"  # Rudy/Rudi, Rizky/Rizki, Sity/Siti
    return _NAME_ALIASES.get(key, key)


def name_keys(text: str) -> list[str]:
    """Name keys of every word in a person's name, in order ("Moh. Nor" → muhamad, nur)."""
    return [name_key(w) for w in _NAME_WORD.findall(_APOSTROPHES.sub("", fold(text)))]


def loose_keys(text: str) -> list[str]:
    """``name_keys`` of a typed name with doubled letters kept, one per word: a typo that
    doubles a letter ("Raadan" for Ramadhan, "Haanah" for Hasanah) is folded by the key into
    a second edit ("radan"), but is one edit from the key before folding. Used only to find
    typo neighbours of what the user typed, never as a key."""
    return [name_key(w, collapse=False)
            for w in _NAME_WORD.findall(_APOSTROPHES.sub("", fold(text)))]


def exact_key(value: str) -> str:
    """Key for identifiers matched whole (nomor surat, desa code, status): case and spaces
    ignored, so "474/12/ds" finds "474 / 12 / DS"."""
    return "".join(unicodedata.normalize("NFKC", value).casefold().split())


def digits_key(value: str) -> str:
    """Key for NIK and No. KK: digits only, kept as a string so leading zeros survive."""
    return "".join(ch for ch in value if ch.isdigit())


def within_edits(a: str, b: str, limit: int) -> bool:
    """Whether a and b differ by at most limit insertions, deletions or substitutions.

    Plain Levenshtein (no transpositions), the distance Whoosh's FuzzyTerm uses, so every
    adapter accepts the same typos. Bounded: rows stop once every cell exceeds limit.
    """
    if abs(len(a) - len(b)) > limit:
        return False
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return False
        previous = current
    return previous[-1] <= limit


def fuzzy_match(query_key: str, doc_key: str, loose: str = "") -> bool:
    """Whether a name key typed by the user (or its ``loose_keys`` form) matches one in a
    document, allowing one typo."""
    if query_key == doc_key:
        return True
    return any(
        len(typed) >= FUZZY_MIN_LENGTH
        and typed[:FUZZY_PREFIX] == doc_key[:FUZZY_PREFIX]
        and within_edits(typed, doc_key, 1)
        for typed in (query_key, loose) if typed
    )
