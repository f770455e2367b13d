"""CPF/CNPJ validation, contact normalisation and the LGPD masks (no database)."""

from __future__ import annotations

import pytest

from rjchronos.customers.contacts import InvalidContact, normalise_contact
from rjchronos.customers.documents import (
    InvalidDocument,
    format_document,
    is_valid_cnpj,
    is_valid_cpf,
    normalise_document,
)
from rjchronos.customers.lgpd import mask_contact, mask_document

# Published examples: the CPF and CNPJ used in Receita Federal and bank documentation,
# and the alphanumeric CNPJ example from the 2026 format announcement.
VALID_CPFS = ["529.982.247-25", "111.444.777-35", "12345678909", " 935 411 347 80 "]
VALID_CNPJS = ["11.222.333/0001-81", "11222333000181", "12.ABC.345/01DE-35", "12.abc.345/01de-35"]


@pytest.mark.parametrize("text", VALID_CPFS)
def test_valid_cpf_is_normalised_to_digits(text: str) -> None:
    kind, digits = normalise_document(text)
    assert kind == "cpf"
    assert digits.isdigit() and len(digits) == 11
    assert is_valid_cpf(digits)


@pytest.mark.parametrize("text", VALID_CNPJS)
def test_valid_cnpj_is_normalised(text: str) -> None:
    kind, digits = normalise_document(text)
    assert kind == "cnpj"
    assert len(digits) == 14 and digits == digits.upper()
    assert is_valid_cnpj(digits)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("529.982.247-24", "check digits"),  # last digit off by one
        ("529.982.247-52", "check digits"),  # check digits swapped
        ("111.111.111-11", "check digits"),  # repeated digit passes the sums but is not a CPF
        ("11.222.333/0001-80", "check digits"),
        ("00.000.000/0000-00", "check digits"),
        ("12.ABC.345/01DE-36", "check digits"),
        ("1234567890", "10"),
        ("123456789012", "12"),
        ("529.982.247-2X", "14 characters, this has 11"),
        ("529,982,247/25!", "only digits"),
        ("", "empty"),
    ],
)
def test_invalid_documents_are_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidDocument) as caught:
        normalise_document(text)
    assert reason in str(caught.value)
    if text.strip():
        assert text not in str(caught.value)  # the message never echoes the document


def test_documents_format_for_display() -> None:
    assert format_document("52998224725") == "529.982.247-25"
    assert format_document("11222333000181") == "11.222.333/0001-81"


def test_document_masks_keep_the_middle_only() -> None:
    assert mask_document("12345678909") == "***.456.789-**"
    assert mask_document("11222333000181") == "**.222.333/0001-**"


@pytest.mark.parametrize(
    ("channel", "text", "stored"),
    [
        ("email", " Joao.Silva@Example.COM ", "Joao.Silva@example.com"),
        ("phone", "(11) 91234-4321", "+5511912344321"),
        ("phone", "011 3456-4321", "+551134564321"),
        ("whatsapp", "+55 21 99876-5432", "+5521998765432"),
        ("whatsapp", "0044 20 7946 0958", "+442079460958"),
        ("telegram", "joaosilva", "@joaosilva"),
        ("telegram", "@joao_silva", "@joao_silva"),
        ("telegram", "123456789", "123456789"),
    ],
)
def test_contacts_are_normalised(channel: str, text: str, stored: str) -> None:
    assert normalise_contact(channel, text) == stored


@pytest.mark.parametrize(
    ("channel", "text"),
    [
        ("email", "joao.example.com"),
        ("email", "joao@localhost"),
        ("phone", "4321"),
        ("phone", "(11) 9123-ABCD"),
        ("whatsapp", "+12"),
        ("telegram", "@ab"),
        ("fax", "1234"),
    ],
)
def test_unusable_contacts_are_refused(channel: str, text: str) -> None:
    with pytest.raises(InvalidContact):
        normalise_contact(channel, text)


@pytest.mark.parametrize(
    ("channel", "address", "masked"),
    [
        ("email", "joao@example.com", "j***@example.com"),
        ("phone", "+5511912344321", "+55 11 *****-4321"),
        ("whatsapp", "+551134564321", "+55 11 ****-4321"),
        ("phone", "+442079460958", "+********0958"),
        ("telegram", "@joaosilva", "@j***"),
        ("telegram", "123456789", "*****6789"),
    ],
)
def test_contact_masks(channel: str, address: str, masked: str) -> None:
    assert mask_contact(channel, address) == masked
