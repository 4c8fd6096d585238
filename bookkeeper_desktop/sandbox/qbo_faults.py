"""Intuit's error shape for the QBO sandbox: `{"Fault":{"Error":[{...}],"type":...},"time":...}`.

API_NOTES.md (QuickBooks, "errors"): a fault carries `Message`, `Detail`, `code` (a string) and
`element`, inside a `Fault` of a `type` such as `ValidationFault`; python-quickbooks reads `code` as
an int and sorts by range (1-499 authorization, 500-599 unsupported, 600-1999 general with 610
"Object Not Found", 2000-4999 validation, 5010 stale object, 6000+ business validation,
10000+ severe). Intuit answers validation and business faults with HTTP 400, so does this sandbox.

Codes used here, with the words Intuit uses where we know them:

| code | Message | when |
|---|---|---|
| 500 | Unsupported Operation | an operation the entity does not have (delete an Account) |
| 610 | Object Not Found | read/update/delete of an Id that does not exist or was deleted |
| 2010 | Request has invalid or unsupported property | a body that is not JSON, a bad value |
| 2020 | Required param missing, need to supply the required value for the API | a missing field |
| 2050 | String length is either shorter or longer than supported by specification | > 21 |
| 2500 | Invalid Reference Id | a reference (AccountRef, CustomerRef, ...) to nothing |
| 3100 | ApplicationAuthorizationFailed | the path's realm is not the authorised one (HTTP 403) |
| 4000 | Error parsing query | QueryParserError: OR, JOIN, a bad token |
| 4001 | Invalid query | QueryValidationError: unknown entity or property, MAXRESULTS > 1000 |
| 5010 | Stale Object Error | an update or delete with an old SyncToken |
| 6000 | A business validation error has occurred while processing your request | unbalanced, |
|      |  | A/R without a customer, A/P without a vendor |
| 6140 | Duplicate Doc Num | a journal DocNumber already used, when the company warns |
| 6200 | Account Period Closed | dated in closed books |
| 6210 | Account Period Closed, Cannot Update Through Services API | closed books, password set |
| 6240 | Duplicate Name Exists Error | an account name, or a customer/vendor DisplayName, used |

The codes for limits Intuit documents only in words (more than 30 batch items, a CDC window past
30 days, a requestid too long) are this sandbox's choice: 2010 with a Detail saying which limit.
"""

from __future__ import annotations

from typing import Any


class QboFault(Exception):
    """One Intuit fault, raised inside the sandbox and turned into a response by the API."""

    def __init__(
        self, code: str, message: str, detail: str, *, element: str = "",
        fault_type: str = "ValidationFault", status: int = 400,
    ) -> None:
        super().__init__(f"{code} {message}: {detail}")
        self.code = code
        self.message = message
        self.detail = detail
        self.element = element
        self.fault_type = fault_type
        self.status = status

    def fault(self) -> dict[str, Any]:
        """The `Fault` object (without `time`), as it also appears inside a BatchItemResponse."""
        return {
            "Error": [{
                "Message": self.message, "Detail": self.detail, "code": self.code,
                "element": self.element,
            }],
            "type": self.fault_type,
        }


def not_found(entity: str, object_id: str) -> QboFault:
    return QboFault(
        "610", "Object Not Found",
        "Object Not Found : Something you're trying to use has been made inactive. Check the "
        f"fields with accounts, customers, items, vendors or employees. ({entity} Id={object_id})",
        element="Id",
    )


def stale(entity: str, object_id: str, current: str, supplied: str) -> QboFault:
    return QboFault(
        "5010", "Stale Object Error",
        "Stale Object Error : You and another user were working on the same thing. The other "
        f"user finished before you did, so your work was not saved. ({entity} Id={object_id}, "
        f"SyncToken supplied {supplied}, current {current})",
        element="SyncToken",
    )


def required(param: str, entity: str = "") -> QboFault:
    where = f" for {entity}" if entity else ""
    return QboFault(
        "2020", "Required param missing, need to supply the required value for the API",
        f"Required parameter {param} is missing in the request{where}", element=param,
    )


def invalid(detail: str, element: str = "") -> QboFault:
    return QboFault(
        "2010", "Request has invalid or unsupported property", detail, element=element,
    )


def invalid_reference(kind: str, ref_id: str, element: str) -> QboFault:
    return QboFault(
        "2500", "Invalid Reference Id",
        f"Invalid Reference Id : {kind} element id {ref_id} not found", element=element,
    )


def string_length(element: str, supplied: int, maximum: int) -> QboFault:
    return QboFault(
        "2050", "String length is either shorter or longer than supported by specification",
        f"String length specified does not match the supported length. Min:0 Max:{maximum} "
        f"supported. Supplied length:{supplied}", element=element,
    )


def business(detail: str, element: str = "") -> QboFault:
    return QboFault(
        "6000", "A business validation error has occurred while processing your request",
        f"Business Validation Error: {detail}", element=element,
    )


def duplicate_name(name: str, existing_id: str) -> QboFault:
    return QboFault(
        "6240", "Duplicate Name Exists Error",
        f"The name supplied already exists. : {name} (Id={existing_id})", element="Name",
    )


def period_closed(entity: str, txn_date: str, closing_date: str, *, password: bool
                  ) -> QboFault:
    """6200, or 6210 when the closing date has a password (API_NOTES.md business rules);
    the Detail is ours."""
    code, message = (("6210", "Account Period Closed, Cannot Update Through Services API")
                     if password else ("6200", "Account Period Closed"))
    return QboFault(
        code, message,
        f"The account period has closed: the books are closed through {closing_date} and this "
        f"{entity} is dated {txn_date}.", element="TxnDate",
    )


def duplicate_doc_number(doc_number: str, txn_type: str, txn_id: str) -> QboFault:
    """6140 "Duplicate Doc Num" (API_NOTES.md business rules); the Detail is the wording
    developers report from QBO (not in our notes)."""
    return QboFault(
        "6140", "Duplicate Doc Num",
        "Duplicate Document Number Error : You must specify a different number. This number "
        f"has already been used. DocNumber={doc_number} is assigned to TxnType={txn_type} "
        f"with TxnId={txn_id}", element="DocNumber",
    )


def unsupported(detail: str) -> QboFault:
    return QboFault("500", "Unsupported Operation", detail)


def query_parser(detail: str) -> QboFault:
    return QboFault("4000", "Error parsing query", f"QueryParserError: {detail}")


def query_validation(detail: str) -> QboFault:
    return QboFault("4001", "Invalid query", f"QueryValidationError: {detail}")


def wrong_realm(realm_id: str) -> QboFault:
    return QboFault(
        "3100",
        "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
        f"The token does not give access to company {realm_id}.",
        fault_type="AuthorizationFault", status=403,
    )
