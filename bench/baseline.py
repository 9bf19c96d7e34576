"""The Python baseline: a Firehose transformation Lambda for Cognito
user-activity logs, written the way AWS's Firehose blueprints are
(https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html):
the standard library's json, base64 and gzip, a `lambda_handler(event,
context)` that loops over the records, decodes each (gunzipping CloudWatch
Logs subscription data), normalizes every Cognito record with the same field
logic as cognito-activity's `normalized` format (docs/schema.md), and
re-encodes the result.

It exists only to be measured against (bench/compare.py); it is not shipped.
Field logic mirrored from shared/src/normalize.rs: time to RFC 3339 with
milliseconds, outcome, risk canonicalization, challenges split, country code
lookup through a dict, device split, booleans, pool region, and `unmapped`.
"""

import base64
import gzip
import json
import re
from datetime import datetime, timezone

SCHEMA_VERSION = "1"

# A dict lookup as a typical function would ship it (a subset of ISO 3166
# with the aliases Cognito writes; the lookup cost does not depend on size).
COUNTRIES = {
    "united states": ("US", "USA"),
    "united states of america": ("US", "USA"),
    "japan": ("JP", "JPN"),
    "netherlands": ("NL", "NLD"),
    "germany": ("DE", "DEU"),
    "france": ("FR", "FRA"),
    "united kingdom": ("GB", "GBR"),
    "south korea": ("KR", "KOR"),
    "korea republic of": ("KR", "KOR"),
    "turkiye": ("TR", "TUR"),
    "türkiye": ("TR", "TUR"),
    "turkey": ("TR", "TUR"),
    "switzerland": ("CH", "CHE"),
    "czechia": ("CZ", "CZE"),
    "czech republic": ("CZ", "CZE"),
    "ivory coast": ("CI", "CIV"),
    "cote d'ivoire": ("CI", "CIV"),
    "congo republic": ("CG", "COG"),
    "brazil": ("BR", "BRA"),
    "india": ("IN", "IND"),
    "australia": ("AU", "AUS"),
    "canada": ("CA", "CAN"),
    "spain": ("ES", "ESP"),
}

MONTHS = {m: i + 1 for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}

_SQUASH = re.compile(r"[^a-z0-9]")


def squash(s):
    return _SQUASH.sub("", s.lower())


def text(v):
    """Strings as they are, numbers and booleans as written; None for
    null, empty and "null"."""
    if isinstance(v, str):
        t = v.strip()
        if not t or t.lower() == "null":
            return None
        return t
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return None


def absent(v):
    return v is None or (isinstance(v, str) and text(v) is None)


def rfc3339_millis(ms):
    dt = datetime.fromtimestamp(ms / 1000.0, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


def parse_epoch_ms(s):
    try:
        return int(float(s.strip())) if "." in s else int(s.strip())
    except (ValueError, AttributeError):
        return None


def parse_java_date(s):
    parts = s.split()
    if len(parts) != 6 or parts[4].upper() not in ("UTC", "GMT"):
        return None
    try:
        month = MONTHS[parts[1].lower()]
        h, m, sec = (int(x) for x in parts[3].split(":"))
        dt = datetime(int(parts[5]), month, int(parts[2]), h, m, sec, tzinfo=timezone.utc)
    except (KeyError, ValueError):
        return None
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def outcome(resp):
    s = squash(resp) if resp else ""
    if s in ("pass", "success", "succeeded"):
        return "success"
    if s in ("fail", "failure", "failed"):
        return "failure"
    if s == "inprogress":
        return "in_progress"
    return "unknown"


def canonical_decision(raw):
    s = squash(raw)
    if s in ("pass", "norisk", "allow", "allowed"):
        return "no_risk"
    if s in ("accounttakeover", "ato"):
        return "account_takeover"
    if s in ("block", "blocked"):
        return "block"
    return raw


def canonical_level(raw):
    s = squash(raw)
    if s in ("norisk", "none"):
        return "none"
    if s in ("low", "high"):
        return s
    if s in ("medium", "med"):
        return "medium"
    return raw


def canonical_result(raw):
    s = squash(raw)
    if s in ("success", "succeeded", "pass"):
        return "success"
    if s in ("failure", "failed", "fail"):
        return "failure"
    return raw


def parse_challenges(v):
    items = v if isinstance(v, list) else v.split(",") if isinstance(v, str) else None
    if items is None:
        return None
    out = []
    for item in items:
        if isinstance(item, dict):
            name = text(item.get("challengeName", item.get("name")))
            if name is None:
                return None
            res = text(item.get("challengeResponse", item.get("result")))
            c = {"name": name}
            if res:
                c["result"] = canonical_result(res)
            out.append(c)
            continue
        t = text(item)
        if t is None:
            continue
        name, _, res = t.partition(":")
        name, res = name.strip(), res.strip()
        if not name:
            return None
        c = {"name": name}
        if res:
            c["result"] = canonical_result(res)
        out.append(c)
    return out


def not_other(s):
    t = s.strip() if s else ""
    return bool(t) and t.lower() not in ("other", "unknown")


def split_device(name):
    browser, sep, os_ = name.partition(",")
    browser = browser.strip()
    os_ = os_.strip() if sep else None
    return (browser if not_other(browser) else None,
            os_ if os_ is not None and not_other(os_) else None)


_IPV4 = re.compile(r"^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$")


def ip_version(raw):
    m = _IPV4.match(raw)
    if m:
        return 4 if all(int(g) < 256 for g in m.groups()) else None
    return 6 if ":" in raw else None


def pool_region(pool):
    region, sep, rest = pool.partition("_")
    parts = region.split("-")
    if sep and rest and len(parts) >= 3 and parts[-1].isdigit():
        return region
    return None


def normalize(rec, ctx):
    msg = rec.get("message")
    if not isinstance(msg, dict):
        raise ValueError("no message object")
    out = {"schema_version": SCHEMA_VERSION}
    source_name = text(rec.get("eventSource"))
    kind = "notification" if source_name and squash(source_name).startswith("usernotification") \
        else "user_activity"
    out["kind"] = kind
    unmapped = {}
    time_ms = None
    for k, v in rec.items():
        if k == "eventTimestamp":
            t = text(v)
            time_ms = parse_epoch_ms(t) if t else None
            if time_ms is None and not absent(v):
                unmapped[k] = v
        elif k in ("eventSource", "logLevel"):
            t = text(v)
            if t:
                out["event_source" if k == "eventSource" else "log_level"] = t
        elif k in ("message", "logSourceId") and isinstance(v, dict):
            pass
        elif not absent(v):
            unmapped[k] = v
    time_ms = time_ms or ctx.get("log_event_time_ms") or ctx.get("arrival_time_ms")
    if time_ms is not None:
        out["time"] = rfc3339_millis(time_ms)
        out["time_ms"] = time_ms

    event = {}
    risk = {}
    user = {}
    source = {}
    device = None
    feedback = {}
    challenges = []
    unmapped_msg = {}
    event_outcome = "unknown"
    for k, v in msg.items():
        if absent(v):
            continue
        t = text(v)
        handled = True
        if k in ("eventId", "eventType", "requestId", "version") and t:
            event[{"eventId": "id", "eventType": "type", "requestId": "request_id",
                   "version": "version"}[k]] = t
        elif k == "eventResponse" and t:
            event_outcome = outcome(t)
            event["response"] = t
        elif k == "creationDate" and t and parse_java_date(t):
            event["created_at"] = parse_java_date(t)
        elif k == "riskDecision" and t:
            risk["decision"] = canonical_decision(t)
        elif k == "riskLevel" and t:
            risk["level"] = canonical_level(t)
        elif k in ("compromisedCredentialDetected", "compromisedCredentialsDetected") \
                and t and t.lower() in ("true", "false"):
            risk["compromised_credentials"] = t.lower() == "true"
        elif k == "challenges" and parse_challenges(v) is not None:
            challenges = parse_challenges(v)
        elif k in ("userSub", "userName", "username", "userPoolId", "clientId", "idpName") and t:
            user[{"userSub": "sub", "userName": "name", "username": "name",
                  "userPoolId": "pool_id", "clientId": "client_id",
                  "idpName": "identity_provider"}[k]] = t
        elif k == "ipAddress" and t and ip_version(t):
            source["ip"] = t
            source["ip_version"] = ip_version(t)
        elif k == "city" and t:
            source["city"] = t
        elif k == "country" and t:
            source["country"] = t
            code = COUNTRIES.get(t.lower().removeprefix("the ").strip())
            if code:
                source["country_code"], source["country_code3"] = code
        elif k == "deviceName" and t:
            browser, os_ = split_device(t)
            device = {"name": t}
            if browser:
                device["browser"] = browser
            if os_:
                device["os"] = os_
        elif k in ("eventFeedbackValue", "eventFeedbackDate", "eventFeedbackProvider") and t:
            feedback[k[len("eventFeedback"):].lower()] = t
        else:
            handled = False
        if not handled:
            unmapped_msg[k] = v
    ls = rec.get("logSourceId")
    if isinstance(ls, dict):
        for k, v in ls.items():
            if k == "userPoolId" and "pool_id" not in user and text(v):
                user["pool_id"] = text(v)
            elif k == "userPoolId" and text(v) == user.get("pool_id"):
                pass
            elif not absent(v):
                unmapped.setdefault("logSourceId", {})[k] = v
    if "pool_id" in user:
        region = pool_region(user["pool_id"])
        if region:
            user["region"] = region
    if unmapped_msg:
        unmapped["message"] = unmapped_msg

    event_out = {}
    for key in ("id", "type"):
        if key in event:
            event_out[key] = event[key]
    event_out["outcome"] = event_outcome
    for key in ("response", "request_id", "version", "created_at"):
        if key in event:
            event_out[key] = event[key]
    out["event"] = event_out
    if risk:
        out["risk"] = risk
    if challenges:
        out["challenges"] = challenges
    if user:
        out["user"] = user
    if source:
        out["source"] = source
    if device:
        out["device"] = device
    if feedback:
        out["feedback"] = feedback
    origin = {"transport": ctx["transport"]}
    for key in ("account_id", "log_group", "log_stream", "log_event_id"):
        if ctx.get(key):
            origin[key] = ctx[key]
    out["origin"] = origin
    if unmapped:
        out["unmapped"] = unmapped
    return out


def documents(text_):
    """One or more JSON objects: NDJSON or concatenated."""
    dec = json.JSONDecoder()
    i, n = 0, len(text_)
    docs = []
    while i < n:
        while i < n and text_[i] in " \t\r\n":
            i += 1
        if i >= n:
            break
        obj, i = dec.raw_decode(text_, i)
        docs.append(obj)
    return docs


def transform(record, account_id):
    raw = base64.b64decode(record["data"])
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    text_ = raw.decode("utf-8")
    lines = []
    arrival = record.get("approximateArrivalTimestamp")
    if '"messageType"' in text_:
        env = json.loads(text_)
        if env.get("messageType") == "CONTROL_MESSAGE":
            return "Dropped", b""
        for ev in env.get("logEvents", []):
            ctx = {"transport": "cloudwatch_logs", "account_id": env.get("owner"),
                   "log_group": env.get("logGroup"), "log_stream": env.get("logStream"),
                   "log_event_id": ev.get("id"), "log_event_time_ms": ev.get("timestamp"),
                   "arrival_time_ms": arrival}
            for doc in documents(ev["message"]):
                lines.append(json.dumps(normalize(doc, ctx), ensure_ascii=False,
                                        separators=(",", ":")))
    else:
        ctx = {"transport": "direct", "account_id": account_id, "arrival_time_ms": arrival}
        for doc in documents(text_):
            lines.append(json.dumps(normalize(doc, ctx), ensure_ascii=False,
                                    separators=(",", ":")))
    return "Ok", ("\n".join(lines) + "\n").encode("utf-8")


def lambda_handler(event, context):
    output = []
    arn = event.get("deliveryStreamArn") or ""
    parts = arn.split(":")
    account_id = parts[4] if len(parts) > 5 and len(parts[4]) == 12 else None
    for record in event["records"]:
        try:
            result, payload = transform(record, account_id)
            out = {"recordId": record["recordId"], "result": result,
                   "data": base64.b64encode(payload).decode("ascii")}
        except Exception:  # noqa: BLE001 - a blueprint answers every record
            out = {"recordId": record["recordId"], "result": "ProcessingFailed",
                   "data": record.get("data", "")}
        output.append(out)
    return {"records": output}
