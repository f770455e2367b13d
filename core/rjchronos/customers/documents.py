"""Brazilian taxpayer documents: CPF (people, 11 digits) and CNPJ (companies, 14 digits).

Both end in two check digits computed modulo 11; a document with the wrong
digits is a typing error and is refused on input. Documents are stored as
bare digits and formatted only for display. CNPJs issued from July 2026 may
hold capital letters in their first 12 places (each worth its ASCII code
minus 48 in the check-digit sums); they are accepted and kept upper-cased.
"""

from __future__ import annotations

import re
from typing import Literal

DocumentKind = Literal["cpf", "cnpj"]

_CPF_WEIGHTS = (tuple(range(10, 1, -1)), tuple(range(11, 1, -1)))
_CNPJ_WEIGHTS = ((5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2), (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2))
_SEPARATORS = re.compile(r"[\s./-]")
_CNPJ_SHAPE = re.compile(r"[0-9A-Z]{12}[0-9]{2}")


class InvalidDocument(ValueError):
    """The text is not a valid CPF or CNPJ; the message says why (never echoes it)."""


def _check_digit(digits: str, weights: tuple[int, ...]) -> str:
    total = sum((ord(c) - 48) * w for c, w in zip(digits, weights, strict=True))
    remainder = total % 11
    return "0" if remainder < 2 else str(11 - remainder)


def _valid(digits: str, weights: tuple[tuple[int, ...], tuple[int, ...]], length: int) -> bool:
    if len(digits) != length or len(set(digits)) == 1:
        return False
    body = digits[: length - 2]
    first = _check_digit(body, weights[0])
    second = _check_digit(body + first, weights[1])
    return digits[-2:] == first + second


def is_valid_cpf(digits: str) -> bool:
    """Whether ``digits`` (11 digits, no punctuation) is a CPF with correct check digits."""
    return digits.isdigit() and _valid(digits, _CPF_WEIGHTS, 11)


def is_valid_cnpj(digits: str) -> bool:
    """Whether ``digits`` (14 characters, no punctuation) is a CNPJ with correct check digits."""
    return bool(_CNPJ_SHAPE.fullmatch(digits)) and _valid(digits, _CNPJ_WEIGHTS, 14)


def normalise_document(text: str) -> tuple[DocumentKind, str]:
    """The kind and bare digits of a CPF or CNPJ written with or without punctuation.

    ``"123.456.789-09"`` gives ``("cpf", "12345678909")``.

    :raises InvalidDocument: wrong length, stray characters or wrong check digits.
    """
    digits = _SEPARATORS.sub("", text.strip()).upper()
    if not digits:
        raise InvalidDocument("empty: give a CPF (11 digits) or a CNPJ (14 characters)")
    if not digits.isalnum() or not digits.isascii():
        raise InvalidDocument(
            "a CPF or CNPJ holds only digits (and CNPJ letters), dots, dashes and a slash"
        )
    if len(digits) == 11 and digits.isdigit():
        if not is_valid_cpf(digits):
            raise InvalidDocument("not a valid CPF: the check digits do not match")
        return "cpf", digits
    if len(digits) == 14:
        if not is_valid_cnpj(digits):
            raise InvalidDocument("not a valid CNPJ: the check digits do not match")
        return "cnpj", digits
    raise InvalidDocument(f"a CPF has 11 digits and a CNPJ 14 characters, this has {len(digits)}")


def document_kind(digits: str) -> DocumentKind:
    """``cpf`` or ``cnpj`` for stored digits."""
    return "cpf" if len(digits) == 11 else "cnpj"


def format_document(digits: str) -> str:
    """``123.456.789-09`` or ``12.345.678/0001-95``."""
    if len(digits) == 11:
        return f"{digits[:3]}.{digits[3:6]}.{digits[6:9]}-{digits[9:]}"
    return f"{digits[:2]}.{digits[2:5]}.{digits[5:8]}/{digits[8:12]}-{digits[12:]}"
