"""The proposal model's state in the database: load a company's `core.categorise.Model` and
rules, save what `Model.learn` changed, and seed the model once from the company's own ledger.

What the model may learn from: entries the user created or approved in this app (sources manual,
import, AI and sample) that move money through one bank or card account against one other
account. Entries pulled from QBO or Xero are never read here: Xero's developer terms forbid
training on data pulled from its API, and we keep the same rule for QBO.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bookkeeper_desktop.core.accounts import AccountType
from bookkeeper_desktop.core.categorise import Example, Model, PayeeTally, Rule
from bookkeeper_desktop.core.journal import EntrySource, EntryStatus
from bookkeeper_desktop.storage.schema import (
    AccountRow,
    CategoriserCountRow,
    JournalEntryRow,
    JournalLineRow,
    StatementRuleRow,
)

#: Accounts a statement belongs to.
STATEMENT_ACCOUNT_TYPES = (AccountType.BANK.value, AccountType.CREDIT_CARD.value)
#: Entry sources the model may learn from (never QBO or Xero: see the module docstring).
LEARNABLE_SOURCES = (EntrySource.MANUAL.value, EntrySource.IMPORT.value, EntrySource.AI.value,
                     EntrySource.SAMPLE.value)
LEARNABLE_STATUSES = (EntryStatus.APPROVED.value, EntryStatus.POSTED.value)


def load_model(session: Session, company_id: int) -> Model:
    model = Model()
    rows = session.execute(select(CategoriserCountRow).where(
        CategoriserCountRow.company_id == company_id)).scalars()
    for row in rows:
        if row.kind == "payee":
            model.load_payee(row.key, row.account_id, PayeeTally(
                row.count, row.last_date, row.contact, row.tax_code))
        else:
            model.load_word(row.key, row.account_id, row.count)
    return model


def save_changes(session: Session, company_id: int, model: Model) -> None:
    """Write the counts `model.learn` changed since the last save."""
    payees, words = model.take_changes()
    keys = [("payee", p, a) for p, a in payees] + [("word", w, a) for w, a in words]
    if not keys:
        return
    existing = {(r.kind, r.key, r.account_id): r for r in session.execute(
        select(CategoriserCountRow).where(
            CategoriserCountRow.company_id == company_id,
            CategoriserCountRow.key.in_({k for _, k, _ in keys}))).scalars()}
    for kind, key, account_id in keys:
        row = existing.get((kind, key, account_id))
        if row is None:
            row = CategoriserCountRow(company_id=company_id, kind=kind, key=key,
                                      account_id=account_id, count=0, contact="", tax_code="")
            session.add(row)
        if kind == "payee":
            tally = model.payees[key][account_id]
            row.count, row.last_date = tally.count, tally.last_date
            row.contact, row.tax_code = tally.contact, tally.tax_code
        else:
            row.count = model.words[key][account_id]
    session.flush()


def load_rules(session: Session, company_id: int) -> list[Rule]:
    rows = session.execute(select(StatementRuleRow).where(
        StatementRuleRow.company_id == company_id).order_by(StatementRuleRow.id)).scalars()
    return [Rule(r.contains, r.account_id, r.contact, r.tax_code, r.direction, r.id)
            for r in rows]


def insert_rule(session: Session, company_id: int, rule: Rule) -> Rule:
    row = StatementRuleRow(company_id=company_id, contains=rule.contains.strip(),
                           direction=rule.direction, account_id=rule.account_id,
                           contact=rule.contact, tax_code=rule.tax_code)
    session.add(row)
    session.flush()
    return Rule(row.contains, row.account_id, row.contact, row.tax_code, row.direction, row.id)


def delete_rule(session: Session, company_id: int, rule_id: int) -> None:
    session.execute(delete(StatementRuleRow).where(StatementRuleRow.company_id == company_id,
                                                   StatementRuleRow.id == rule_id))


def ledger_examples(session: Session, company_id: int) -> Iterable[Example]:
    """The company's own approved or posted two-line entries on a bank or card account."""
    money_accounts = set(session.execute(select(AccountRow.id).where(
        AccountRow.company_id == company_id,
        AccountRow.type.in_(STATEMENT_ACCOUNT_TYPES))).scalars())
    entries = session.execute(
        select(JournalEntryRow.id, JournalEntryRow.date, JournalEntryRow.memo)
        .where(JournalEntryRow.company_id == company_id,
               JournalEntryRow.source.in_(LEARNABLE_SOURCES),
               JournalEntryRow.status.in_(LEARNABLE_STATUSES),
               JournalEntryRow.line_count == 2)
        .order_by(JournalEntryRow.date, JournalEntryRow.id)).all()
    lines: dict[int, list[JournalLineRow]] = {}
    ids = [e.id for e in entries]
    for start in range(0, len(ids), 500):
        for line in session.execute(select(JournalLineRow).where(
                JournalLineRow.entry_id.in_(ids[start:start + 500]))).scalars():
            lines.setdefault(line.entry_id, []).append(line)
    for entry in entries:
        pair = lines.get(entry.id, [])
        bank = [line for line in pair if line.account_id in money_accounts]
        other = [line for line in pair if line.account_id not in money_accounts]
        if len(bank) != 1 or len(other) != 1:
            continue
        text = bank[0].description or other[0].description or entry.memo
        if not text:
            continue
        yield Example(text=text, amount=bank[0].debit - bank[0].credit, date=entry.date,
                      account_id=other[0].account_id, contact=other[0].contact)


def seed_from_ledger(session: Session, company_id: int, model: Model) -> int:
    """Learn from the company's own entries when the model has learned nothing yet; the number
    of entries learned."""
    if model.total:
        return 0
    learned = 0
    for example in ledger_examples(session, company_id):
        model.learn(example)
        learned += 1
    save_changes(session, company_id, model)
    return learned
