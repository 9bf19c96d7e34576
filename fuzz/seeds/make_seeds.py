#!/usr/bin/env python3
"""Writes the starting corpora for the fuzz targets into corpus-raw/.

process_event: every sample event in events/ plus hand-made hostile events.
decode_record: every record's decoded data from those events plus hand-made
hostile records. Run from fuzz/: python3 seeds/make_seeds.py
"""
import base64, glob, gzip, hashlib, json, os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EVENTS = os.path.join(os.path.dirname(ROOT), "events")
OUT = os.path.join(ROOT, "corpus-raw")

FIELD_RECORD = open(os.path.join(ROOT, "seeds", "field-record.json"), "rb").read().strip()


def put(target, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def b64(b):
    return base64.b64encode(b).decode()


def event(records):
    return json.dumps({"records": records}, separators=(",", ":")).encode()


for path in sorted(glob.glob(os.path.join(EVENTS, "*.json"))):
    raw = open(path, "rb").read()
    put("process_event", raw)
    for r in json.loads(raw)["records"]:
        try:
            put("decode_record", base64.b64decode(r["data"]))
        except Exception:
            pass

rec = json.loads(FIELD_RECORD)
hostile_records = [
    FIELD_RECORD,
    FIELD_RECORD + b"\n" + FIELD_RECORD + b"\n",
    FIELD_RECORD + FIELD_RECORD,
    b"",
    b"   \n",
    b"\xff\xfe\x00garbage",
    b"[" * 200 + b"]" * 200,
    b'{"a":' * 200 + b"1" + b"}" * 200,
    b'{"messageType":"CONTROL_MESSAGE","logEvents":[]}',
    b'{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"g","logStream":"s","logEvents":[{"id":"1","timestamp":1,"message":'
    + json.dumps(FIELD_RECORD.decode()).encode() + b"}]}",
    gzip.compress(FIELD_RECORD)[:-6],
    json.dumps({**rec, "eventTimestamp": 1723070073369}).encode(),
    json.dumps({**rec, "message": {**rec["message"], "riskLevel": 3, "challenges": "Password:Success,Sms_Mfa:Failure", "ipAddress": ["1.2.3.4"]}}).encode(),
    json.dumps({**rec, "message": {"details": "x"}, "eventSource": "USER_NOTIFICATION"}).encode(),
    json.dumps({"eventSource": "USER_AUTH_EVENTS", "message": {}}).encode(),
    b'{"eventSource":"USER_AUTH_EVENTS","eventSource":"x","message":{"eventType":"SignIn","eventType":"SignUp"}}',
    json.dumps({**rec, "message": {**rec["message"], "creationDate": "Mon Feb 29 23:59:59 UTC 2024", "ipAddress": "::ffff:192.0.2.1"}}).encode(),
]
for data in hostile_records:
    put("decode_record", data)

good = b64(FIELD_RECORD)
hostile_events = [
    b"[]", b'"x"', b"{}", b'{"records":5}', b'{"records":[]}',
    b'{"records":[{"data":"QQ=="}]}',
    event([{"recordId": "a", "data": good}, {"recordId": "b", "data": None}, {"recordId": "c", "data": 5}, {"recordId": "d"}]),
    event([{"recordId": "a", "data": "!!!"}, {"recordId": "b", "data": ""}, {"recordId": "c", "data": b64(b"\xff")}]),
]
for ts in [b"1507217624302", b"1.507217624302e12", b"1507217624302.0", b"-0", b"1E3", b'"1507217624302"']:
    hostile_events.append(
        b'{"invocationId":"i","records":[{"recordId":"r","approximateArrivalTimestamp":' + ts
        + b',"kinesisRecordMetadata":{"shardId":"s"},"data":"' + good.encode() + b'"}],"extra":[1]}'
    )
hostile_events.append(b'{"records":[{"recordId":"r","data":"' + good.encode() + b'","x":' + b"[" * 200 + b"]" * 200 + b"}]}")
for data in hostile_events:
    put("process_event", data)

# parse_differential: JSON texts for the parser against serde_json: whole
# events, each record's decoded data (gunzipped: Cognito records and
# CloudWatch Logs envelopes), each envelope message both as its text and as
# its raw escaped string body, and the edges of the JSON grammar.
texts = [FIELD_RECORD]
for path in sorted(glob.glob(os.path.join(EVENTS, "*.json"))):
    raw = open(path, "rb").read()
    texts.append(raw)
    for r in json.loads(raw)["records"]:
        try:
            data = base64.b64decode(r["data"])
        except Exception:
            continue
        if data[:2] == b"\x1f\x8b":
            try:
                data = gzip.decompress(data)
            except Exception:
                continue
        texts.append(data)
        try:
            env = json.loads(data)
        except Exception:
            continue
        if isinstance(env, dict):
            for ev in env.get("logEvents") or []:
                msg = ev.get("message")
                if isinstance(msg, str):
                    texts.append(msg.encode())
                    texts.append(json.dumps(msg, ensure_ascii=False)[1:-1].encode())
texts += hostile_records + hostile_events
texts.append(json.dumps(rec, indent=2).encode())
texts.append(json.dumps(json.dumps(rec))[1:-1].encode())
for edge in [
    "", " ", "{}", "[]", "{}{}", "{} {}", "1 2", "1x", "-0", "-0.0", "01", "1.", ".5",
    "1e5", "1E+5", "1e-5", "1e", "1e400", "-1e400", "18446744073709551615",
    "18446744073709551616", "-9223372036854775808", "-9223372036854775809",
    "1234567890123456789", "12345678901234567890", "0.1", "tru", "truex", "true{}",
    '"\\u12"', '"\\ud800"', '"\\ud800\\u0041"', '"\\udc00"', '"\\ud800\\udc00"',
    '"\\ud83d\\ude00 \\"q\\" \\\\ \\/ \\b\\f\\n\\r\\t"', '"a\tb"', "[1,]", '{"a":1,}',
    '{"a" : 1 , "b" : [ ] }', "\ufeff{}", '{"k":"x","k":"y"}', "\r\n\t{}\r\n",
    '{\\"a\\":\\"x\\"}', '{\\"a\\":\\n1,\\t\\"b\\":[true,null,-1.5e3]}', '\\u007b}',
    '{"messageType":"DATA_MESSAGE","logEvents":[{"message":"{\\"a\\":1}","timestamp":1.5}]}',
    '{"messageType":"DATA_MESSAGE","logEvents":[{"message":"x","message":"y"}]}',
    '{"messageType":null,"logEvents":[],"cognitoActivityReingested":true}',
]:
    texts.append(edge.encode())
for data in texts:
    put("parse_differential", data)
