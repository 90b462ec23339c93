"""Search text normalisation, shared by the stored search column and the query.

Both sides go through the same folding so that the two Korean spellings meet:

* lower-case, compatibility forms unified (NFKC), then Hangul decomposed into
  jamo (NFD): whole syllables are too coarse for trigrams (랭면/랭멘 share no
  trigram), jamo are not;
* the initial-sound rule (두음법칙) folded to the Southern form: the North
  keeps an initial ㄹ/ㄴ where the South writes ㄴ/ㅇ (랭면/냉면, 로동/노동,
  리발/이발, 녀자/여자). It is folded at every syllable, not only at the
  start of a word, because compounds are written without spaces (평양랭면 /
  평양냉면) and finding morpheme boundaries would need a dictionary; the
  same folding on both sides keeps exact matches exact;
* romanisations folded the same way: McCune-Reischauer ŏ/ŭ and their plain
  o/u spellings meet Revised Romanisation's eo/eu, and a word-initial r meets
  n (raengmyon, raengmyeon, naengmyon, naengmyeon all become naekmyon);
  g meets k (Revised Romanisation writes ㄱ as g where McCune-Reischauer
  writes k: Okryugwan, Okryukwan); and the nasal assimilation that
  romanisations spell as pronounced is folded to the spelling by letter: r
  after a consonant reads n (ㄱ+ㄹ, Okryu), and ng before n or m is a ㄱ
  said as ㅇ (Ongnyu), so Okryukwan, Okryugwan and Ongnyugwan all become
  oknyukwan. English words are folded too (both sides alike, so an exact
  match stays exact); apostrophes (Ch'ŏngryu, women's) are dropped.

This module imports nothing from Django: it is plain text in, text out.
"""

import re
import unicodedata

# The longest query we look at; anything longer is cut, never refused.
MAX_QUERY_LENGTH = 100
# Of a description's normalised text (jamo: about three characters a syllable).
MAX_DESCRIPTION_LENGTH = 3000

_CHOSEONG_NIEUN = "\u1102"  # ᄂ
_CHOSEONG_RIEUL = "\u1105"  # ᄅ
_CHOSEONG_IEUNG = "\u110b"  # ᄋ
# ㅑ ㅕ ㅖ ㅛ ㅠ ㅣ as medial jamo: before these the South drops ㄹ/ㄴ entirely.
_I_OR_Y_VOWELS = "\u1163\u1167\u1168\u116d\u1172\u1175"
_DROPPED_INITIAL = re.compile(f"[{_CHOSEONG_NIEUN}{_CHOSEONG_RIEUL}](?=[{_I_OR_Y_VOWELS}])")
_HANGUL_WORD = re.compile("[\uac00-\ud7a3]{2,}")
_COMBINING_MARKS = re.compile("[\u0300-\u036f]")
_WORD_INITIAL_R = re.compile(r"\br(?=[a-z])")
_R_AFTER_CONSONANT = re.compile("(?<=[bcdfghjklmnpqstvwxz])r")
_NG_BEFORE_NASAL = re.compile("nk(?=[nm])")
_APOSTROPHES = re.compile("['\u2018\u2019\u02bc]")
# Control characters (NUL above all, which PostgreSQL refuses) become spaces.
_SPACES = re.compile(r"[\s\x00-\x1f\x7f-\x9f]+")


def normalise(text: str) -> str:
    """The folded, jamo-decomposed form of ``text`` (a query or a name)."""
    text = unicodedata.normalize("NFKC", text).lower()
    # McCune-Reischauer breves (ŏ, ŭ) lose their mark before the eo/eu fold.
    text = _COMBINING_MARKS.sub("", unicodedata.normalize("NFD", text))
    text = text.replace("eo", "o").replace("eu", "u")
    text = _APOSTROPHES.sub("", text).replace("g", "k")
    text = _WORD_INITIAL_R.sub("n", text)
    text = _R_AFTER_CONSONANT.sub("n", text)
    text = _NG_BEFORE_NASAL.sub("k", text)
    text = _DROPPED_INITIAL.sub(_CHOSEONG_IEUNG, text)
    text = text.replace(_CHOSEONG_RIEUL, _CHOSEONG_NIEUN)
    return _SPACES.sub(" ", text).strip()


def document(*texts: str, compound_tails: bool = True) -> str:
    """The search document stored for a row: its names, normalised.

    pg_trgm pads only whole words, so a query for the second half of a
    compound (랭면 in 평양랭면) would miss its word-start trigrams; for a
    product each Hangul word's tails (양랭면, 랭면, 면) are added as extra
    words to give every syllable a word start. Sellers and categories go
    without (``compound_tails=False``): a query names one only from the start
    of a word, so that 신발 names the category 신발, not 류원신발공장.
    """
    words = []
    for text in texts:
        composed = unicodedata.normalize("NFKC", text)
        words.append(composed)
        if compound_tails:
            for word in _HANGUL_WORD.findall(composed):
                words.extend(word[start:] for start in range(1, len(word)))
    return normalise(" ".join(words))


def names(*texts: str) -> list[str]:
    """The normalised names of a row, each whole: a query equal to one of
    them is an exact match (랭면 and 냉면 alike)."""
    return [normalise(text) for text in texts if text]


def description(*texts: str) -> str:
    """The search document of a product's descriptions, normalised (no
    compound tails: descriptions are long and count for less) and cut to
    MAX_DESCRIPTION_LENGTH."""
    return normalise(" ".join(texts))[:MAX_DESCRIPTION_LENGTH]
