"""MK spectral types: one parser for every place that reads them.

The MILES table (``paramsMILES_v9.1.txt``), the literature types of Wang et al. (2022)
Tables 5-7 and SIMBAD all write Morgan-Keenan types as free text: a class
letter (or a pair such as ``"OB"``), an optional subtype or subtype range, an
optional luminosity class, then peculiarity flags (``"B0.5 Iae"``,
``"B8II-III"``, ``"B1/2e"``, ``"O5: Iafpe"``, ``"OBe"``, ``"O8 III((f))"``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "CBE_EXCLUDED_LUMINOSITY_CLASSES",
    "SpectralType",
    "parse_spectral_type",
    "spectral_type_code",
]

#: Luminosity classes that Wang et al. (2022, section 5.2) excluded from its classical
#: Be candidates: bright giants and supergiants.
CBE_EXCLUDED_LUMINOSITY_CLASSES = frozenset({"I", "II"})

_LETTERS = "OBAFGKM"
_SUBTYPE_MAX = 9.5  # the latest subtype of a class written without one (B -> B0-B9.5)
_NUMBER = r"\d+(?:\.\d+)?"
_TYPE = re.compile(
    rf"^(?P<sd>sd)?(?P<cls>[{_LETTERS}]{{1,2}})(?P<sub>{_NUMBER})?"
    rf"(?:[-/](?P<cls2>[{_LETTERS}])?(?P<sub2>{_NUMBER}))?:?"
    r"(?P<lum>(?:[IV]+(?:ab|a\+|a|b)?:?[-/]?)*)"
    r"(?P<rest>.*)$"
)


@dataclass(frozen=True)
class SpectralType:
    """A parsed MK type, as returned by :func:`parse_spectral_type`.

    Parameters
    ----------
    text : str
        The input, unchanged.
    letters : str
        Class letter(s) as written, e.g. ``"B"`` or ``"OB"``.
    code_range : tuple of float
        Earliest and latest type covered, on the scale of
        :func:`spectral_type_code` (O0 = 0, B0 = 10, A0 = 20, ...). A type
        without subtype covers its whole class (``"B"`` -> (10, 19.5)).
    luminosity_classes : frozenset of str
        Roman luminosity classes (``"II-III"`` -> {"II", "III"}; ``"Iab"`` ->
        {"I"}); empty when the type gives none.
    peculiarities : str
        What follows the luminosity class (``"e"``, ``"((f))"``, ``"pe_sh"``).

    Examples
    --------
    >>> from sklearn_stellar.utils import parse_spectral_type
    >>> parsed = parse_spectral_type("B2IVe")
    >>> parsed.letters, parsed.code_range, parsed.peculiarities
    ('B', (12.0, 12.0), 'e')
    >>> sorted(parsed.luminosity_classes)
    ['IV']
    """

    text: str
    letters: str
    code_range: tuple[float, float]
    luminosity_classes: frozenset[str]
    peculiarities: str


def spectral_type_code(letter: str, subtype: float = 0.0) -> float:
    """Position of a type on one axis: ``10 * index(letter in "OBAFGKM") + subtype``.

    Parameters
    ----------
    letter : str
        One of O, B, A, F, G, K, M.
    subtype : float, default=0.0
        Subtype in [0, 10) (``2.5`` for B2.5).

    Returns
    -------
    float
        The position on the O0 = 0, B0 = 10, ... axis.

    Raises
    ------
    ValueError
        If ``letter`` is not an MK class letter or ``subtype`` is not in [0, 10).

    Examples
    --------
    >>> from sklearn_stellar.utils import spectral_type_code
    >>> spectral_type_code("O", 8), spectral_type_code("A", 2)
    (8.0, 22.0)
    """
    if not isinstance(letter, str) or len(letter) != 1 or letter not in _LETTERS:
        raise ValueError(f"`letter` must be one of {list(_LETTERS)}, got {letter!r}.")
    try:
        subtype = float(subtype)
    except (TypeError, ValueError):
        raise TypeError(f"`subtype` must be a number, got {subtype!r}.") from None
    if not 0.0 <= subtype < 10.0:
        raise ValueError(f"`subtype` must be in [0, 10), got {subtype!r}.")
    return 10.0 * _LETTERS.index(letter) + float(subtype)


def _normalise(text: str) -> str:
    """Drop spaces and read MILES's ``"09"`` (a zero) as ``"O9"``."""
    squeezed = re.sub(r"\s+", "", text)
    if len(squeezed) > 1 and squeezed[0] == "0" and squeezed[1].isdigit():
        squeezed = "O" + squeezed[1:]
    return squeezed


def parse_spectral_type(text) -> SpectralType | None:
    """Parse an MK spectral type; None when it does not start with a class.

    Subtype ranges (``"B1/2"``, ``"B1-B2"``, ``"O9.5/B0"``) and class pairs
    (``"OB"``) give a range of codes; a class without subtype covers
    subtypes 0-9.5. A colon (uncertain) is ignored; an ``sd`` prefix
    (``"sdF6"``) is luminosity class VI. A composite type
    (``"B2V+A0"``) is read by its first component; the rest goes to
    ``peculiarities``. Non-MK classes (``"WN7"``, ``"DA"``, ``"C"``), empty
    strings and non-strings return None, for the caller to report.

    Parameters
    ----------
    text : str
        The type as written.

    Returns
    -------
    SpectralType or None
        The parsed type; None when ``text`` is not an MK type.

    Examples
    --------
    >>> from sklearn_stellar.utils import parse_spectral_type
    >>> t = parse_spectral_type("B8II-III")
    >>> t.code_range, sorted(t.luminosity_classes)
    ((18.0, 18.0), ['II', 'III'])
    >>> parse_spectral_type("O5: Iafpe").luminosity_classes
    frozenset({'I'})
    >>> parse_spectral_type("OBe").code_range
    (0.0, 19.5)
    >>> parse_spectral_type("WN7") is None
    True
    """
    if not isinstance(text, str):
        return None
    match = _TYPE.match(_normalise(text))
    if match is None:
        return None
    letters, sub, cls2, sub2 = match.group("cls", "sub", "cls2", "sub2")
    if sub is not None and float(sub) >= 10.0:
        return None
    if sub is None:
        lo = spectral_type_code(letters[0])
        hi = spectral_type_code(letters[-1], _SUBTYPE_MAX)
    else:
        lo = spectral_type_code(letters[0], float(sub))
        hi = spectral_type_code(letters[-1], float(sub))
    if sub2 is not None:
        if float(sub2) >= 10.0:
            return None
        hi = spectral_type_code(cls2 or letters[-1], float(sub2))
        lo, hi = min(lo, hi), max(lo, hi)
    classes = re.findall(r"[IV]+", match.group("lum"))
    if match.group("sd"):  # subdwarf prefix: luminosity class VI
        classes.append("VI")
    return SpectralType(
        text=text,
        letters=letters,
        code_range=(lo, hi),
        luminosity_classes=frozenset(classes),
        peculiarities=match.group("rest"),
    )
