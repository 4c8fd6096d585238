"""A realistic year of a small business's bank and card lines, for the proposal benchmark.

Not the sample generator's few templates: about 130 merchants, customers and payees, each written
the several ways banks write them (card terminals with store numbers, cities and dates; direct
debits with mandate references; marketplace ids; lower-case app exports), with the accounts a
bookkeeper would choose, including the hard cases: one merchant on several accounts (Amazon for
supplies, software or equipment; Uber rides and Uber Eats; Costco for supplies or meals), payees
that appear only in the later months, and a few one-off lines. Deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

#: (payee as the bank writes it, [(account code, weight)], low, high, lines per month, in?)
MERCHANTS: tuple[tuple[str, tuple[tuple[str, int], ...], int, int, float, bool], ...] = (
    ("SHELL OIL", (("6100", 1),), 30, 95, 4, False),
    ("CHEVRON", (("6100", 1),), 30, 90, 2, False),
    ("EXXONMOBIL", (("6100", 1),), 25, 85, 1.5, False),
    ("BP CONNECT", (("6100", 1),), 20, 80, 1, False),
    ("JIFFY LUBE", (("6100", 1),), 60, 140, 0.3, False),
    ("PEP BOYS", (("6100", 1),), 40, 400, 0.2, False),
    ("DISCOUNT TIRE", (("6100", 1),), 120, 700, 0.1, False),
    ("CITY OF AUSTIN PARKING", (("6100", 1),), 3, 20, 2, False),
    ("TXTAG TOLL", (("6100", 1),), 5, 40, 1, False),
    ("STAPLES", (("6042", 1),), 8, 180, 1.5, False),
    ("OFFICE DEPOT", (("6042", 1),), 10, 220, 1, False),
    ("AMAZON MKTPLACE", (("6042", 6), ("6041", 2), ("1510", 1)), 9, 600, 4, False),
    ("AMZN MKTP US", (("6042", 6), ("6041", 2), ("1510", 1)), 9, 600, 2, False),
    ("COSTCO WHSE", (("6042", 3), ("6071", 1)), 40, 400, 1, False),
    ("WALMART SUPERCENTER", (("6042", 2), ("6071", 1)), 10, 200, 1, False),
    ("TARGET", (("6042", 1),), 10, 150, 0.6, False),
    ("BEST BUY", (("1510", 2), ("6042", 1)), 30, 1500, 0.3, False),
    ("APPLE STORE", (("1510", 1),), 99, 2500, 0.1, False),
    ("DELL TECHNOLOGIES", (("1510", 1),), 400, 2200, 0.1, False),
    ("IKEA", (("1520", 1),), 50, 900, 0.1, False),
    ("ADOBE CREATIVE CLOUD", (("6041", 1),), 55, 55, 1, False),
    ("MICROSOFT 365", (("6041", 1),), 22, 22, 1, False),
    ("GOOGLE WORKSPACE", (("6041", 1),), 18, 36, 1, False),
    ("GOOGLE ADS", (("6000", 1),), 50, 900, 1, False),
    ("FACEBK ADS", (("6000", 1),), 40, 600, 1, False),
    ("LINKEDIN ADS", (("6000", 1),), 100, 500, 0.3, False),
    ("VISTAPRINT", (("6000", 1),), 20, 300, 0.3, False),
    ("MAILCHIMP", (("6041", 1),), 30, 30, 1, False),
    ("DROPBOX", (("6041", 1),), 20, 20, 1, False),
    ("SLACK TECHNOLOGIES", (("6041", 1),), 8, 60, 1, False),
    ("ZOOM.US", (("6041", 1),), 15, 15, 1, False),
    ("INTUIT QUICKBOOKS", (("6041", 1),), 30, 90, 1, False),
    ("GITHUB", (("6041", 1),), 4, 21, 1, False),
    ("AWS EMEA", (("6041", 1),), 12, 300, 1, False),
    ("GODADDY", (("6041", 1),), 12, 200, 0.2, False),
    ("SQUARESPACE", (("6041", 1),), 23, 23, 1, False),
    ("COMCAST BUSINESS", (("6081", 1),), 129, 139, 1, False),
    ("AT&T MOBILITY", (("6081", 1),), 85, 160, 1, False),
    ("VERIZON WIRELESS", (("6081", 1),), 70, 140, 1, False),
    ("AUSTIN ENERGY", (("6080", 1),), 90, 380, 1, False),
    ("TEXAS GAS SERVICE", (("6080", 1),), 30, 140, 1, False),
    ("CITY OF AUSTIN UTIL", (("6080", 1),), 40, 120, 1, False),
    ("ACME PROPERTIES", (("6050", 1),), 1850, 1850, 1, False),
    ("REGUS MANAGEMENT", (("6050", 1),), 300, 300, 1, False),
    ("STATE FARM", (("6020", 1),), 210, 210, 1, False),
    ("THE HARTFORD", (("6020", 1),), 95, 95, 1, False),
    ("NEXT INSURANCE", (("6020", 1),), 60, 60, 1, False),
    ("SMITH & PARTNERS CPA", (("6030", 1),), 350, 1200, 0.3, False),
    ("LEGALZOOM", (("6030", 1),), 40, 300, 0.2, False),
    ("GUSTO", (("6090", 5), ("6091", 1)), 2500, 9000, 2, False),
    ("ADP PAYROLL FEES", (("6091", 1),), 45, 120, 1, False),
    ("IRS USATAXPYMT", (("2310", 1),), 800, 3000, 1, False),
    ("TX WORKFORCE COMM", (("2320", 1),), 100, 400, 0.3, False),
    ("TX COMPTROLLER", (("2200", 1),), 300, 1800, 1, False),
    ("UBER TRIP", (("6070", 1),), 9, 65, 2, False),
    ("UBER EATS", (("6071", 1),), 15, 90, 1, False),
    ("LYFT RIDE", (("6070", 1),), 8, 60, 1, False),
    ("DELTA AIR", (("6070", 1),), 120, 900, 0.3, False),
    ("SOUTHWEST AIRLINES", (("6070", 1),), 90, 600, 0.3, False),
    ("UNITED AIRLINES", (("6070", 1),), 150, 1100, 0.2, False),
    ("MARRIOTT", (("6072", 1),), 140, 700, 0.3, False),
    ("HILTON HOTELS", (("6072", 1),), 120, 650, 0.3, False),
    ("AIRBNB", (("6072", 1),), 90, 900, 0.2, False),
    ("HERTZ RENT-A-CAR", (("6070", 1),), 80, 450, 0.2, False),
    ("STARBUCKS", (("6071", 1),), 4, 40, 4, False),
    ("CHIPOTLE", (("6071", 1),), 9, 60, 2, False),
    ("PANERA BREAD", (("6071", 1),), 9, 80, 1, False),
    ("MCDONALD'S", (("6071", 1),), 5, 30, 1, False),
    ("TORCHY'S TACOS", (("6071", 1),), 10, 70, 1, False),
    ("WHOLE FOODS", (("6071", 2), ("6042", 1)), 10, 160, 1, False),
    ("HOME DEPOT", (("6060", 3), ("5010", 2)), 15, 800, 3, False),
    ("LOWE'S", (("6060", 2), ("5010", 2)), 15, 700, 2, False),
    ("GRAINGER", (("5010", 1),), 40, 1500, 1, False),
    ("FASTENAL", (("5010", 1),), 20, 600, 1, False),
    ("FERGUSON ENTERPRISES", (("5010", 1),), 100, 3000, 0.6, False),
    ("ULINE", (("5030", 1), ("6042", 1)), 50, 700, 0.5, False),
    ("UPS", (("5030", 1),), 10, 300, 2, False),
    ("FEDEX", (("5030", 1),), 12, 350, 1.5, False),
    ("USPS PO", (("5030", 1),), 5, 90, 1, False),
    ("ROTO-ROOTER SUBCONTRACT", (("5020", 1),), 300, 2500, 0.3, False),
    ("MIKES ELECTRIC LLC", (("5020", 1),), 400, 3000, 0.4, False),
    ("CINTAS", (("6060", 1),), 60, 160, 1, False),
    ("ORKIN", (("6060", 1),), 80, 80, 1, False),
    ("WASTE MANAGEMENT", (("6080", 1),), 90, 140, 1, False),
    ("MONTHLY SERVICE FEE", (("6010", 1),), 15, 15, 1, False),
    ("WIRE TRANSFER FEE", (("6010", 1),), 25, 35, 0.3, False),
    ("STRIPE FEES", (("6010", 1),), 10, 200, 1, False),
    ("PAYPAL FEE", (("6010", 1),), 2, 40, 0.5, False),
    ("CHASE INK PAYMENT", (("2100", 1),), 500, 6000, 1, False),
    ("WEX FLEET PAYMENT", (("2110", 1),), 200, 900, 1, False),
    ("EQUIPMENT FINANCE CO", (("2700", 1),), 640, 640, 1, False),
    ("OWNER DRAW", (("3020", 1),), 500, 3000, 0.5, False),
    ("CHAMBER OF COMMERCE", (("6030", 1),), 150, 450, 0.1, False),
    ("SECRETARY OF STATE", (("6030", 1),), 25, 300, 0.1, False),
    ("INTEREST PAYMENT", (("7000", 1),), 1, 15, 1, True),
    ("NORTHWIND TRADERS", (("1100", 1),), 800, 6000, 2, True),
    ("CONTOSO LTD", (("1100", 1),), 500, 4000, 1.5, True),
    ("FABRIKAM INC", (("1100", 1),), 1200, 9000, 1, True),
    ("ADVENTURE WORKS", (("1100", 1),), 300, 2500, 1, True),
    ("TAILSPIN TOYS", (("1100", 1),), 200, 1800, 0.6, True),
    ("WINGTIP TOYS", (("1100", 1),), 250, 2200, 0.6, True),
    ("STRIPE TRANSFER", (("4010", 3), ("4020", 1)), 300, 5000, 4, True),
    ("SQUARE INC DEPOSIT", (("4010", 1),), 100, 3000, 3, True),
    ("PAYPAL TRANSFER", (("4010", 2), ("4030", 1)), 50, 2000, 1, True),
    ("SHOPIFY PAYOUT", (("4010", 1),), 200, 4000, 2, True),
    ("IRS TREAS 310 TAX REF", (("7010", 1),), 100, 2000, 0.1, True),
    ("AMAZON REFUND", (("6042", 1),), 10, 200, 0.3, True),
    ("OWNER CONTRIBUTION", (("3010", 1),), 1000, 10000, 0.1, True),
)
#: Merchants that appear only from this month on (new suppliers and customers).
LATE = {"BLUE BOTTLE COFFEE": 12, "HUBSPOT": 13, "GREENLEAF LANDSCAPING": 14, "LITWARE INC": 15,
        "ZAVA OUTFITTERS": 15, "NOTION LABS": 16}
LATE_MERCHANTS: tuple[tuple[str, tuple[tuple[str, int], ...], int, int, float, bool], ...] = (
    ("BLUE BOTTLE COFFEE", (("6071", 1),), 4, 30, 3, False),
    ("HUBSPOT", (("6041", 1),), 50, 50, 1, False),
    ("GREENLEAF LANDSCAPING", (("6060", 1),), 120, 120, 1, False),
    ("LITWARE INC", (("1100", 1),), 900, 5000, 1, True),
    ("ZAVA OUTFITTERS", (("6042", 1),), 40, 300, 1, False),
    ("NOTION LABS", (("6041", 1),), 10, 10, 1, False),
)
CITIES = ("AUSTIN TX", "ROUND ROCK TX", "DALLAS TX", "HOUSTON TX", "SAN ANTONIO TX", "DENVER CO",
          "SEATTLE WA", "NEW YORK NY", "CHICAGO IL", "SAN FRANCISCO CA")
FORMATS = (
    "POS PURCHASE {name} #{store} {city} {mmdd}",
    "DEBIT CARD PURCHASE XXXX{card} {name} {store} {city}",
    "{name} {store} {city}",
    "{name}*{ref} {city}",
    "CARD PAYMENT TO {name} ON {dd} {mon}",
    "ACH DEBIT {name} {ref}",
    "{lname} {city_l}",
    "SQ *{name} {city}",
    "CHECKCARD {mmdd} {name} {city} {ref}",
)
IN_FORMATS = ("ACH DEPOSIT {name} INV {inv}", "{name} ONLINE TRANSFER REF {ref}",
              "DEPOSIT {name} {ref}", "{name} PAYMENT {ref}")


@dataclass(frozen=True)
class HistoryLine:
    date: dt.date
    text: str
    amount: Decimal
    account_code: str


def _text(rng: random.Random, name: str, day: dt.date, money_in: bool) -> str:
    values = {"name": name, "lname": name.lower().title(), "store": rng.randint(10, 9999),
              "city": rng.choice(CITIES), "city_l": rng.choice(CITIES).title(),
              "mmdd": f"{day:%m/%d}", "card": rng.randint(1000, 9999),
              "ref": "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(9)),
              "dd": f"{day.day:02d}", "mon": f"{day:%b}".upper(), "inv": rng.randint(1000, 9999)}
    pattern = rng.choice(IN_FORMATS if money_in else FORMATS)
    return pattern.format(**values)


def history(seed: int = 14, start: dt.date = dt.date(2025, 6, 1), months: int = 18
            ) -> list[HistoryLine]:
    """The lines of `months` months from `start`, in date order."""
    rng = random.Random(seed)
    lines: list[HistoryLine] = []
    for month in range(months):
        year, index = divmod(start.month - 1 + month, 12)
        first = dt.date(start.year + year, index + 1, 1)
        merchants = list(MERCHANTS) + [m for m in LATE_MERCHANTS if LATE[m[0]] <= month]
        for name, accounts, low, high, per_month, money_in in merchants:
            count = int(per_month) + (1 if rng.random() < per_month % 1 else 0)
            for _ in range(count):
                day = first + dt.timedelta(days=rng.randint(0, 27))
                cents = rng.randint(low * 100, high * 100)
                amount = Decimal(cents) / 100 * (1 if money_in else -1)
                codes = [c for c, _w in accounts]
                code = rng.choices(codes, [w for _c, w in accounts])[0]
                lines.append(HistoryLine(day, _text(rng, name, day, money_in),
                                         amount.quantize(Decimal("0.01")), code))
        for _ in range(rng.randint(2, 5)):  # one-offs nobody will see again
            day = first + dt.timedelta(days=rng.randint(0, 27))
            word = "".join(rng.choice("ABCDEFGHIKLMNOPRSTUVW") for _ in range(rng.randint(5, 9)))
            lines.append(HistoryLine(day, f"POS {word} {rng.choice(CITIES)}",
                                     Decimal(rng.randint(500, 20000)) / -100,
                                     rng.choice(("6042", "6071", "6060", "6000"))))
    return sorted(lines, key=lambda line: line.date)
