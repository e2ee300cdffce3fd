"""Text normal forms for matching names: case, accents and punctuation ignored.

Search compares what people type with what the dataset spells, so both sides
go through the same fold first: "ÉLLE" and "Elle" are one name, and so are
"Truth/Dare" and "truth dare".
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_APOSTROPHES = re.compile("['\u2019\u02bc]")  # dropped: "O'Brien" reads as one word
_NON_WORD = re.compile(r"[\W_]+")  # punctuation, symbols and spaces separate words

# Filters fold every name they test on every request; names repeat, so folds are kept.
FOLD_CACHE_SIZE = 1 << 16


@lru_cache(maxsize=FOLD_CACHE_SIZE)
def fold(text: str) -> str:
    """Fold ``text`` to a case- and accent-insensitive form of its words.

    Case-folds, decomposes (NFKD) and drops combining marks, so accents and
    ligatures stop mattering; drops apostrophes; turns every other run of
    punctuation, symbols or whitespace into one space; trims both ends.

    Parameters
    ----------
    text : str
        Any text, such as a name or a search query.

    Returns
    -------
    str
        The words of ``text`` in lower case without accents, joined by single
        spaces; empty when ``text`` holds no letter or digit.

    Examples
    --------
    >>> fold("  ÉLLE  Argent ")
    'elle argent'
    >>> fold("Truth/Dare")
    'truth dare'
    >>> fold("Netflix's Tudum")
    'netflixs tudum'
    >>> fold(" -/- ")
    ''
    """
    # Decompose before case-folding (compatibility forms may be upper case, as
    # in "\U0001f110") and after it (a fold may produce combining marks, as "İ" does).
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    if not folded.isascii():
        folded = "".join(ch for ch in folded if not unicodedata.category(ch).startswith("M"))
    folded = _APOSTROPHES.sub("", folded)
    return _NON_WORD.sub(" ", folded).strip()


def tokens(text: str) -> list[str]:
    """The words of ``text`` after ``fold``, in order; repeats are kept.

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    list of str
        The folded words; empty when ``text`` holds no letter or digit.

    Examples
    --------
    >>> tokens("Heartstopper 2: Truth/Dare")
    ['heartstopper', '2', 'truth', 'dare']
    >>> tokens("")
    []
    """
    return fold(text).split()
