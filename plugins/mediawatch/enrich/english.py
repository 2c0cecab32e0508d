"""English inflections generated from the base forms the seeds are written in.

Seeds list ``sanction``, ``refugee``, ``attack``; articles say sanctions, refugees, attacked.
As with Arabic clitics, the forms are generated once at load time so the text side stays a
plain dict lookup (no stemmer call per token). Over-generation (``newses``) is harmless: such
strings never occur in text.
"""

from __future__ import annotations

_SIBILANT_ENDINGS = ("s", "x", "z", "ch", "sh")
_VOWELS = frozenset("aeiou")


def plural_forms(word: str) -> list[str]:
    """Regular plurals of a lower-case noun: talk -> talks, embassy -> embassies, crisis -> crises."""
    if not word.isalpha() or len(word) < 3:
        return []
    forms = [word + "s"]
    if word.endswith(_SIBILANT_ENDINGS):
        forms.append(word + "es")
    if word.endswith("y") and word[-2] not in _VOWELS:
        forms.append(word[:-1] + "ies")
    if word.endswith("is"):
        forms.append(word[:-2] + "es")
    return forms


def inflected_forms(word: str) -> list[str]:
    """Plurals plus regular verb forms: attack -> attacks, attacked, attacking; praise -> praised."""
    if not word.isalpha() or len(word) < 3:
        return []
    forms = plural_forms(word)
    if word.endswith("e"):
        forms += [word + "d", word[:-1] + "ing"]
    elif word.endswith("y") and word[-2] not in _VOWELS:
        forms += [word[:-1] + "ied", word + "ing"]
    else:
        forms += [word + "ed", word + "ing"]
        if _doubles_final_consonant(word):
            forms += [word + word[-1] + "ed", word + word[-1] + "ing"]
    return forms


def _doubles_final_consonant(word: str) -> bool:
    """stop -> stopped: short consonant-vowel-consonant endings double (approximation)."""
    a, b, c = word[-3], word[-2], word[-1]
    return a not in _VOWELS and b in _VOWELS and c not in _VOWELS and c not in "wxy"
