"""Payee text as banks write it, reduced to the merchant: `POS 1234 SHELL 2231 LONDON GB
03/11` → `SHELL`. Card numbers, dates, times, store and reference numbers, city and country
names and the bank's own words (POS, CARD PAYMENT, DIRECT DEBIT...) are stripped, so that every
visit to the same merchant compares equal. Pure and fast: it runs for every statement line."""

from __future__ import annotations

import re

_MONTHS = "JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|SEPT|OCT|NOV|DEC"
_NOISE_PATTERNS = (
    r"\b(?:X{2,}|\*{2,})[X*\d]*\d*\b",              # masked card numbers: XXXX1234, ****1234
    r"\bCARD\s*(?:NO\.?|NUMBER)?\s*\d+\b",
    r"\b\d{1,2}[/.\-]\d{1,2}(?:[/.\-]\d{2,4})?\b",    # dates 03/11, 03.11.26
    rf"\b\d{{1,2}}\s?(?:{_MONTHS})[A-Z]*\s?(?:\d{{2,4}})?\b",  # 03NOV, 3 NOV 26
    rf"\b(?:{_MONTHS})\s?\d{{1,2}}\b",
    r"\b\d{1,2}:\d{2}(?::\d{2})?\b",                 # times
    r"#\s*\d+",                                      # store numbers #112
    r"\b[A-Z]*\d[A-Z\d]*\b",                         # any token with a digit: 2231, REF123, A1B2
    r"\b(?:WWW\.|HTTPS?://)",
    r"\.(?:COM|CO\.UK|CO|NET|ORG|DE|FR|NL|IE)\b",
)
_NOISE = re.compile("|".join(_NOISE_PATTERNS))
_PUNCTUATION = re.compile(r"[^A-Z&' ]+")

#: Words banks add around the merchant's name.
BANK_WORDS = frozenset("""
POS PURCHASE PURCHASES DEBIT CREDIT CARD CARDS VISA MASTERCARD MC AMEX MAESTRO CONTACTLESS
PAYMENT PAYMENTS PMT PYMT TO FROM DD SO STO FPI FPO BGC BACS CHQ CHECK CHEQUE ONLINE TRANSFER
TFR TRF XFER DIRECT RECURRING REF REFERENCE AUTH AUTHORIZED AUTHORISED TRANSACTION TXN ACH
WITHDRAWAL DEPOSIT SEPA LASTSCHRIFT UEBERWEISUNG GUTSCHRIFT KARTENZAHLUNG ON AT THE VIA
APPLE GOOGLE PAY PAYPAL SQ SQUARE TST IZ IZETTLE SUMUP INT'L INTL FX FEE PENDING MOBILE
""".split())  # noqa: SIM905 - a word list reads best as words
#: Place names that follow a merchant's name on card lines (largest cities, regions, countries).
PLACES = frozenset("""
LONDON MANCHESTER BIRMINGHAM LEEDS GLASGOW EDINBURGH BRISTOL LIVERPOOL DUBLIN CARDIFF BELFAST
NEW YORK NY LOS ANGELES CA CHICAGO IL HOUSTON TX PHOENIX AZ PHILADELPHIA PA SAN ANTONIO DIEGO
DALLAS JOSE FRANCISCO AUSTIN SEATTLE WA DENVER CO BOSTON MA PORTLAND OR ATLANTA GA MIAMI FL
ORLANDO
TORONTO ON VANCOUVER BC MONTREAL QC SYDNEY NSW MELBOURNE VIC BRISBANE QLD PERTH AUCKLAND
WELLINGTON PARIS BERLIN MUENCHEN MUNICH HAMBURG AMSTERDAM ROTTERDAM BRUSSELS MADRID BARCELONA
ROME MILAN VIENNA ZURICH GENEVA STOCKHOLM COPENHAGEN OSLO
GB GBR UK US USA DE DEU FR FRA NL NLD IE IRL ES ESP IT ITA AU AUS NZ CA CAN BE CH AT SE DK NO
""".split())  # noqa: SIM905 - a word list reads best as words
#: A merchant's name is seldom longer than this many words; the rest is bank detail.
MAX_WORDS = 3


def normalise_payee(text: str) -> str:
    """The merchant in `text`, upper case, at most `MAX_WORDS` words; "" when nothing is left."""
    value = _NOISE.sub(" ", text.upper())
    value = _PUNCTUATION.sub(" ", value.replace("'S ", "S ").replace("&", " & "))
    words = [w.strip("'") for w in value.split()]
    kept = list(dict.fromkeys(w for w in words if w and w not in BANK_WORDS and w != "&"))
    while len(kept) > 1 and kept[-1] in PLACES:
        kept.pop()
    kept = [w for w in kept if len(w) > 1 or w.isalpha()]
    return " ".join(kept[:MAX_WORDS])


def payee_words(text: str) -> list[str]:
    """The words of the whole line worth learning from: the payee's and the description's, with
    numbers, dates and bank words stripped (unlike `normalise_payee`, not cut short)."""
    value = _PUNCTUATION.sub(" ", _NOISE.sub(" ", text.upper()))
    seen: dict[str, None] = {}
    for raw in value.split():
        word = raw.strip("'")
        if len(word) > 1 and word not in BANK_WORDS and word not in PLACES:
            seen.setdefault(word.lower(), None)
    return list(seen)
