"""The agent API's OpenAPI document: the contract other tools drive the product through, so the
operation ids are fixed (listQueue, claimCase, getCase, replyToCase, addNote, transferCase,
updateCaseState, resolveCase, listAlerts)."""

from __future__ import annotations

from typing import Any

from core.vocabulary import CATEGORIES, EMOTIONS, SEVERITIES
from handoff.lifecycle import STATES
from handoff.training.thresholds import MAX_KEYS, REASONS

ERROR = {"$ref": "#/components/schemas/Error"}
IDEMPOTENCY_KEY = {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string"},
                   "description": "a retry with the same key (same case, same agent, same route) is done once; "
                                  "another case or agent makes it a new request"}
CASE_ID = {"name": "case_id", "in": "path", "required": True, "schema": {"type": "string"},
           "description": "C-YYYYMMDD-NNNN"}


def _op(op_id: str, summary: str, *, params: tuple[dict[str, Any], ...] = (), body: dict[str, Any] | None = None,
        ok: str = "200", errors: tuple[str, ...] = ("401", "404"), role: str = "agent") -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": op_id, "summary": summary, "security": [{"bearer": []}], "parameters": list(params),
        "x-role": role,
        "responses": {ok: {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
                      **{code: {"description": DESCRIPTIONS[code],
                                "content": {"application/json": {"schema": ERROR}}} for code in errors}}}
    if body is not None:  # any body over the service's MAX_BODY_BYTES is refused before it is read
        operation["responses"]["413"] = {"description": DESCRIPTIONS["413"],
                                         "content": {"application/json": {"schema": ERROR}}}
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return operation


DESCRIPTIONS = {"400": "malformed JSON", "401": "missing, unknown, disabled or rotated token",
                "403": "a case you may see but do not serve / not a supervisor",
                "404": "no such case, or not one of your teams and languages (the same answer)",
                "409": "conflict: already claimed, resolved, or a refused transition",
                "413": "request body too large",
                "422": "invalid field (an unknown team or agent, text empty once control characters are removed)",
                "502": "stored, but Rasa did not deliver it to the customer"}


_TIME = {"type": "string", "format": "date-time", "nullable": True}
_NUMBER = {"type": "number", "nullable": True}
# An alert of GET /alerts: an SLA breach (case_id) or a volume warning (kind volume_spike, volume_drift or
# severe_burst; case_id null) with the numbers behind it, its owner, deadline, episode and review.
ALERT = {"type": "object", "properties": {
    "id": {"type": "integer"}, "case_id": {"type": "string", "nullable": True},
    "kind": {"type": "string", "enum": ["sla_breach", "volume_spike", "volume_drift", "severe_burst"]},
    "level": {"type": "string", "enum": ["general", "important", "severe"]}, "message": {"type": "string"},
    "created_at": {"type": "string", "format": "date-time"}, "acknowledged_by": {"type": "string", "nullable": True},
    "acknowledged_at": _TIME, "category": {"type": "string", "nullable": True},
    "method": {"type": "string", "nullable": True, "enum": ["farrington", "ears_c2", "ewma", "severe_burst", None]},
    "observed": _NUMBER, "expected": _NUMBER, "threshold": _NUMBER, "window_start": _TIME, "window_end": _TIME,
    "last_signal_at": _TIME, "escalated_at": _TIME, "owner": {"type": "string", "nullable": True}, "due_at": _TIME,
    "details": {"type": "object", "nullable": True}, "reviewed_by": {"type": "string", "nullable": True},
    "reviewed_at": _TIME, "review": {"type": "string", "nullable": True},
    "status": {"type": "string", "enum": ["open", "acknowledged", "reviewed"]}}}


REPORT_NAME = {"name": "name", "in": "path", "required": True,
               "schema": {"type": "string", "pattern": r"^(daily|weekly)-\d{4}-\d{2}-\d{2}\.(html|pdf)$"},
               "description": "a file of listReports, like daily-2026-12-02.html or weekly-2026-11-30.pdf"}


def _report_file() -> dict[str, Any]:
    """getReport answers with the file itself, not JSON."""
    operation = _op("getReport", "One written report: its HTML page, or its PDF as a download",
                    params=(REPORT_NAME,), errors=("400", "401", "403", "404"), role="supervisor")
    operation["responses"]["200"] = {"description": "the page (text/html) or the PDF (attachment)", "content": {
        "text/html": {"schema": {"type": "string"}},
        "application/pdf": {"schema": {"type": "string", "format": "binary"}}}}
    operation["responses"]["400"]["description"] = "not a report file name"
    return operation


def query(name: str, description: str, enum: list[str] | None = None) -> dict[str, Any]:
    """An optional query parameter; the routes read them as strings."""
    schema: dict[str, Any] = {"type": "string", **({"enum": enum} if enum else {})}
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _text_body(required: bool = True, **extra: Any) -> dict[str, Any]:
    return {"type": "object", "required": ["text"] if required else [],
            "properties": {"text": {"type": "string", "maxLength": 4000}, **extra}}


STATS_FILTERS = (
    query("from", "first local day (YYYY-MM-DD, HANDOFF_TZ), included; default: 6 days before `to`"),
    query("to", "last local day (YYYY-MM-DD), included; default today; at most 366 days in all"),
    *(query(name, f"only these {name} values, comma-separated") for name in
      ("category", "severity", "channel", "language", "team")),
)
STATS_SLICE = (query("day", "one local day YYYY-MM-DD"), query("hour", "one hour, ISO with offset"),
               query("dow", "heatmap cell: day of week 0=Monday..6 (with hod)"),
               query("hod", "heatmap cell: local hour 0..23 (with dow)"))


def stats_paths() -> dict[str, Any]:
    """Statistics for supervisors (docs/statistics.md); a bad filter is a 400 naming it."""
    page = _op("getStats", "The statistics page: volume, times, SLA, CSAT, repeat contact, bot containment and "
               "the heatmap, with the previous period", params=STATS_FILTERS, errors=("400", "401", "403"),
               role="supervisor")
    drill = _op("listStatsCases", "The cases behind a chart: the page's filters and a day, hour or heatmap cell",
                params=(*STATS_FILTERS, *STATS_SLICE, query("limit", "1..500, default 100"),
                        query("offset", "0.., default 0")), errors=("400", "401", "403"), role="supervisor")
    export = _op("exportStats", "Download the cases or the per-day aggregate as CSV (UTF-8 with BOM) or XLSX",
                 params=(*STATS_FILTERS, *STATS_SLICE, query("format", "default csv", enum=["csv", "xlsx"]),
                         query("what", "default cases", enum=["cases", "aggregate"])),
                 errors=("400", "401", "403"), role="supervisor")
    export["responses"]["200"] = {"description": "an attachment", "content": {
        "text/csv": {"schema": {"type": "string"}},
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
            "schema": {"type": "string", "format": "binary"}}}}
    for operation in (page, drill, export):
        operation["responses"]["400"]["description"] = "a bad date or range, an impossible filter value"
    return {"/stats": {"get": page}, "/stats/cases": {"get": drill}, "/stats/export": {"get": export}}


INBOX_KEYS = {"type": "array", "minItems": 1, "maxItems": MAX_KEYS,
              "items": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
              "description": f"the `key` of inbox items (at most {MAX_KEYS}); keys no longer in the inbox "
                             "are `ignored`"}


def training_paths() -> dict[str, Any]:
    """The trainers' inbox (docs/training.md): trainers and supervisors; an agent gets 403."""
    inbox = _op("getTrainingInbox", "Messages the bot may have misunderstood, folded and grouped, with why, the "
                "prediction, the case and a suggested label",
                params=(query("reason", "only items with one of these reasons, comma-separated", enum=list(REASONS)),
                        query("sort", "default uncertainty", enum=["uncertainty", "newest", "reason"]),
                        query("limit", "groups per page, 1..200, default 50"), query("offset", "0.., default 0")),
                errors=("400", "401", "403"), role="trainer")
    labels = _op("labelTrainingItems", "Label inbox items: written to the day's review file under nlu_data/review",
                 body={"type": "object", "required": ["keys", "intent"], "properties": {
                     "keys": INBOX_KEYS, "intent": {"type": "string", "description": "an intent of domain.yml"},
                     "emotion": {"type": "string", "nullable": True, "enum": [*EMOTIONS, None]},
                     "severity": {"type": "string", "nullable": True, "enum": [*SEVERITIES, None],
                                  "description": "kept for complaint intents only"}}},
                 errors=("400", "401", "403", "404"), role="trainer")
    skip = _op("skipTrainingItems", "Skip inbox items: they leave the inbox and nothing is written",
               body={"type": "object", "required": ["keys"], "properties": {"keys": INBOX_KEYS}},
               errors=("400", "401", "403", "404"), role="trainer")
    for operation in (inbox, labels, skip):
        operation["responses"]["400"]["description"] = "malformed JSON, a bad parameter or key, an unknown label"
        operation["responses"]["403"]["description"] = "not a trainer or a supervisor"
    for operation in (labels, skip):
        operation["responses"]["404"]["description"] = "none of the keys is in the inbox; nothing changed"
    return {"/training/inbox": {"get": inbox}, "/training/labels": {"post": labels},
            "/training/skip": {"post": skip}}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Shop assistant handoff API", "version": "1.0.0",
                 "description": "Agents and supervisors work the queue of cases the bot handed off. "
                                "Send `Authorization: Bearer <token>` (tokens: `python -m handoff.agents create`)."},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": {"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
                "Alert": ALERT},
        },
        "paths": {
            "/queue": {"get": _op("listQueue", "Waiting cases for my teams and languages, best first",
                                  errors=("401",))},
            "/queue/next": {"post": _op("claimNext", "Claim the best waiting case for me", errors=("401",))},
            "/cases": {"get": _op("listCases", "My cases (all for a supervisor), newest first",
                                  errors=("401", "422"),
                                  params=(query("mine", "only the cases assigned to me", enum=["true", "false"]),
                                          query("state", "only cases in this state", enum=list(STATES))))},
            "/cases/{case_id}": {"get": _op("getCase", "A case with its handoff package, messages and history",
                                            params=(CASE_ID,))},
            "/cases/{case_id}/claim": {"post": _op("claimCase", "Take a waiting case (exactly one agent wins)",
                                                   params=(CASE_ID,), errors=("401", "404", "409"))},
            "/cases/{case_id}/messages": {"get": _op("listCaseMessages", "Messages after an id (live polling)",
                                                     params=(CASE_ID, {"name": "after", "in": "query",
                                                                       "schema": {"type": "integer", "minimum": 0,
                                                                                  "format": "int64"}}),
                                                     errors=("401", "404", "422"))},
            "/cases/{case_id}/reply": {"post": _op(
                "replyToCase", "Write to the customer (delivered through Rasa to their channel); an "
                "`Idempotency-Key` header makes a retry deliver once; 409 `customer_unreachable`: the reply is "
                "kept, but the customer's channel no longer lets the shop write (WeChat, 48 hours after their "
                "last message)",
                params=(CASE_ID, IDEMPOTENCY_KEY),
                body=_text_body(),
                ok="201", errors=("400", "401", "403", "404", "409", "422", "502"))},
            "/cases/{case_id}/notes": {"post": _op("addNote", "An internal note (never shown to the customer)",
                                                   params=(CASE_ID, IDEMPOTENCY_KEY), body=_text_body(), ok="201",
                                                   errors=("400", "401", "404", "422"))},
            "/cases/{case_id}/transfer": {"post": _op(
                "transferCase", "Give the case to another agent, or back to a team's queue; an unknown team or "
                "agent is refused (422) and nothing changes", params=(CASE_ID,),
                body={"type": "object", "properties": {"agent": {"type": "string"}, "team": {"type": "string"},
                                                       "note": {"type": "string"}}},
                errors=("400", "401", "403", "404", "409", "422"))},
            "/cases/{case_id}/state": {"post": _op(
                "updateCaseState", "Move the case through its lifecycle; to follow_up or closed, the bot takes "
                "the customer back (`handed_back`)", params=(CASE_ID,),
                body={"type": "object", "required": ["state"],
                      "properties": {"state": {"type": "string", "enum": list(STATES)}, "note": {"type": "string"}}},
                errors=("400", "401", "403", "404", "409", "422"))},
            "/cases/{case_id}/resolve": {"post": _op(
                "resolveCase", "Resolve: the bot takes the customer back and asks for a rating; the agent's "
                "final category and severity (absent or null: not said) are kept with their name; an unknown "
                "value is refused (400 unknown_label) and nothing changes", params=(CASE_ID,),
                body={"type": "object", "properties": {
                    "note": {"type": "string", "maxLength": 4000},
                    "final_category": {"type": "string", "nullable": True, "enum": [*CATEGORIES, None]},
                    "final_severity": {"type": "string", "nullable": True, "enum": [*SEVERITIES, None]}}},
                errors=("400", "401", "403", "404", "409", "422"))},
            "/alerts": {"get": _op("listAlerts", "SLA breaches and 预警 volume warnings, each an Alert",
                                   errors=("401", "403"),
                                   params=(query("open", "only alerts not yet acknowledged", enum=["true", "false"]),),
                                   role="supervisor")},
            "/alerts/{alert_id}/ack": {"post": _op("acknowledgeAlert", "Mark an alert as seen",
                                                   params=({"name": "alert_id", "in": "path", "required": True,
                                                            "schema": {"type": "integer", "format": "int64",
                                                                       "minimum": 1, "maximum": 2**63 - 1}},),
                                                   errors=("401", "403", "404"), role="supervisor")},
            "/alerts/{alert_id}/review": {"post": _op(
                "reviewAlert", "Close an alert with its 复盘 review (acknowledging it too); the first review "
                "stands", params=({"name": "alert_id", "in": "path", "required": True,
                                   "schema": {"type": "integer", "format": "int64", "minimum": 1,
                                              "maximum": 2**63 - 1}},),
                body={"type": "object", "required": ["note"],
                      "properties": {"note": {"type": "string", "minLength": 1, "maxLength": 4000}}},
                errors=("400", "401", "403", "404", "409"), role="supervisor")},
            "/reports": {"get": _op("listReports", "The written daily and weekly reports, newest first",
                                    errors=("401", "403"), role="supervisor")},
            "/reports/{name}": {"get": _report_file()},
            **stats_paths(),
            **training_paths(),
            "/follow-ups": {"get": _op("listFollowUps", "Open 回访 tasks", errors=("401",))},
            "/events": {"get": _op("streamEvents", "Server-sent events of queue and case changes",
                                   params=(query("token", "the API token, for clients that cannot set a header "
                                                          "(the browser's EventSource)"),),
                                   errors=("401",))},
        },
    }
