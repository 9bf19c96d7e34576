// The Node baseline: bench/baseline.py ported line for line to Node, the
// way a light Node transformer for Firehose would be written (Node's JSON,
// Buffer base64 and zlib), plus the smallest Runtime API loop that runs it.
//
// It exists only to be measured against (bench/e2e.py); it is not shipped.
// bench/parity.py --node holds its output lines equal to the Rust
// transformer's, as it does for the Python baseline.
//
//   node bench/baseline.mjs EVENT.json        prints the response (for parity.py)
//   AWS_LAMBDA_RUNTIME_API=host:port node bench/baseline.mjs
//                                             serves invocations (for e2e.py)
//
// Where JavaScript has no exact twin of a Python call the port says so
// below; none of those cases occurs in the generated events.

import { readFileSync } from "node:fs";
import http from "node:http";
import { gunzipSync } from "node:zlib";

const SCHEMA_VERSION = "1";

const COUNTRIES = new Map(Object.entries({
  "united states": ["US", "USA"],
  "united states of america": ["US", "USA"],
  "japan": ["JP", "JPN"],
  "netherlands": ["NL", "NLD"],
  "germany": ["DE", "DEU"],
  "france": ["FR", "FRA"],
  "united kingdom": ["GB", "GBR"],
  "south korea": ["KR", "KOR"],
  "korea republic of": ["KR", "KOR"],
  "turkiye": ["TR", "TUR"],
  "türkiye": ["TR", "TUR"],
  "turkey": ["TR", "TUR"],
  "switzerland": ["CH", "CHE"],
  "czechia": ["CZ", "CZE"],
  "czech republic": ["CZ", "CZE"],
  "ivory coast": ["CI", "CIV"],
  "cote d'ivoire": ["CI", "CIV"],
  "congo republic": ["CG", "COG"],
  "brazil": ["BR", "BRA"],
  "india": ["IN", "IND"],
  "australia": ["AU", "AUS"],
  "canada": ["CA", "CAN"],
  "spain": ["ES", "ESP"],
}));

const MONTHS = new Map(
  ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    .map((m, i) => [m, i + 1]));

const squash = (s) => s.toLowerCase().replace(/[^a-z0-9]/g, "");

// Strings as they are, numbers and booleans as written; null for null,
// empty and "null". (Python's str() of a float such as 1.0 or 1e20 is
// written differently from JavaScript's String().)
function text(v) {
  if (typeof v === "string") {
    const t = v.trim();
    if (!t || t.toLowerCase() === "null") return null;
    return t;
  }
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") return String(v);
  return null;
}

const absent = (v) => v === null || v === undefined || (typeof v === "string" && text(v) === null);

const pad = (n, w) => String(n).padStart(w, "0");

function rfc3339Millis(ms) {
  const d = new Date(Math.floor(ms / 1000) * 1000);
  if (Number.isNaN(d.getTime())) throw new RangeError("time out of range");
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}T`
    + `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.`
    + `${pad(((ms % 1000) + 1000) % 1000, 3)}Z`;
}

// Python's int() also takes digit underscores; not ported.
function parseEpochMs(s) {
  const t = s.trim();
  if (s.includes(".")) {
    const f = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t) : NaN;
    return Number.isFinite(f) ? Math.trunc(f) : null;
  }
  return /^[+-]?\d+$/.test(t) ? Number(t) : null;
}

function parseJavaDate(s) {
  const parts = s.split(/\s+/).filter((p) => p);
  if (parts.length !== 6 || !["UTC", "GMT"].includes(parts[4].toUpperCase())) return null;
  const month = MONTHS.get(parts[1].toLowerCase());
  const hms = parts[3].split(":");
  const int = (x) => (/^\d+$/.test(x) ? Number(x) : NaN);
  const [y, day, h, m, sec] = [int(parts[5]), int(parts[2]), ...hms.map(int)];
  if (month === undefined || hms.length !== 3 || [y, day, h, m, sec].some(Number.isNaN)) return null;
  const daysIn = new Date(Date.UTC(y, month, 0)).getUTCDate();
  if (y < 1 || y > 9999 || day < 1 || day > daysIn || h > 23 || m > 59 || sec > 59) return null;
  return `${pad(y, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(h, 2)}:${pad(m, 2)}:${pad(sec, 2)}Z`;
}

function outcome(resp) {
  const s = resp ? squash(resp) : "";
  if (["pass", "success", "succeeded"].includes(s)) return "success";
  if (["fail", "failure", "failed"].includes(s)) return "failure";
  if (s === "inprogress") return "in_progress";
  return "unknown";
}

function canonicalDecision(raw) {
  const s = squash(raw);
  if (["pass", "norisk", "allow", "allowed"].includes(s)) return "no_risk";
  if (["accounttakeover", "ato"].includes(s)) return "account_takeover";
  if (["block", "blocked"].includes(s)) return "block";
  return raw;
}

function canonicalLevel(raw) {
  const s = squash(raw);
  if (["norisk", "none"].includes(s)) return "none";
  if (["low", "high"].includes(s)) return s;
  if (["medium", "med"].includes(s)) return "medium";
  return raw;
}

function canonicalResult(raw) {
  const s = squash(raw);
  if (["success", "succeeded", "pass"].includes(s)) return "success";
  if (["failure", "failed", "fail"].includes(s)) return "failure";
  return raw;
}

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

function parseChallenges(v) {
  const items = Array.isArray(v) ? v : typeof v === "string" ? v.split(",") : null;
  if (items === null) return null;
  const out = [];
  for (const item of items) {
    if (isObject(item)) {
      const name = text("challengeName" in item ? item.challengeName : item.name);
      if (name === null) return null;
      const res = text("challengeResponse" in item ? item.challengeResponse : item.result);
      const c = { name };
      if (res) c.result = canonicalResult(res);
      out.push(c);
      continue;
    }
    const t = text(item);
    if (t === null) continue;
    const colon = t.indexOf(":");
    const name = (colon < 0 ? t : t.slice(0, colon)).trim();
    const res = colon < 0 ? "" : t.slice(colon + 1).trim();
    if (!name) return null;
    const c = { name };
    if (res) c.result = canonicalResult(res);
    out.push(c);
  }
  return out;
}

function notOther(s) {
  const t = s ? s.trim() : "";
  return Boolean(t) && !["other", "unknown"].includes(t.toLowerCase());
}

function splitDevice(name) {
  const comma = name.indexOf(",");
  const browser = (comma < 0 ? name : name.slice(0, comma)).trim();
  const os = comma < 0 ? null : name.slice(comma + 1).trim();
  return [notOther(browser) ? browser : null, os !== null && notOther(os) ? os : null];
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function ipVersion(raw) {
  const m = IPV4.exec(raw);
  if (m) return m.slice(1).every((g) => Number(g) < 256) ? 4 : null;
  return raw.includes(":") ? 6 : null;
}

function poolRegion(pool) {
  const us = pool.indexOf("_");
  if (us < 0) return null;
  const region = pool.slice(0, us);
  const rest = pool.slice(us + 1);
  const parts = region.split("-");
  return rest && parts.length >= 3 && /^\d+$/.test(parts[parts.length - 1]) ? region : null;
}

const EVENT_KEYS = { eventId: "id", eventType: "type", requestId: "request_id", version: "version" };
const USER_KEYS = {
  userSub: "sub", userName: "name", username: "name", userPoolId: "pool_id",
  clientId: "client_id", idpName: "identity_provider",
};

function normalize(rec, ctx) {
  const msg = rec.message;
  if (!isObject(msg)) throw new Error("no message object");
  const out = { schema_version: SCHEMA_VERSION };
  const sourceName = text(rec.eventSource);
  out.kind = sourceName && squash(sourceName).startsWith("usernotification")
    ? "notification" : "user_activity";
  const unmapped = {};
  let timeMs = null;
  for (const [k, v] of Object.entries(rec)) {
    if (k === "eventTimestamp") {
      const t = text(v);
      timeMs = t ? parseEpochMs(t) : null;
      if (timeMs === null && !absent(v)) unmapped[k] = v;
    } else if (k === "eventSource" || k === "logLevel") {
      const t = text(v);
      if (t) out[k === "eventSource" ? "event_source" : "log_level"] = t;
    } else if ((k === "message" || k === "logSourceId") && isObject(v)) {
      // read below
    } else if (!absent(v)) {
      unmapped[k] = v;
    }
  }
  timeMs = (timeMs || ctx.log_event_time_ms || ctx.arrival_time_ms) ?? null;
  if (timeMs !== null) {
    out.time = rfc3339Millis(timeMs);
    out.time_ms = timeMs;
  }

  const event = {};
  const risk = {};
  const user = {};
  const source = {};
  let device = null;
  const feedback = {};
  let challenges = [];
  const unmappedMsg = {};
  let eventOutcome = "unknown";
  for (const [k, v] of Object.entries(msg)) {
    if (absent(v)) continue;
    const t = text(v);
    let handled = true;
    if (Object.hasOwn(EVENT_KEYS, k) && t) {
      event[EVENT_KEYS[k]] = t;
    } else if (k === "eventResponse" && t) {
      eventOutcome = outcome(t);
      event.response = t;
    } else if (k === "creationDate" && t && parseJavaDate(t)) {
      event.created_at = parseJavaDate(t);
    } else if (k === "riskDecision" && t) {
      risk.decision = canonicalDecision(t);
    } else if (k === "riskLevel" && t) {
      risk.level = canonicalLevel(t);
    } else if ((k === "compromisedCredentialDetected" || k === "compromisedCredentialsDetected")
      && t && ["true", "false"].includes(t.toLowerCase())) {
      risk.compromised_credentials = t.toLowerCase() === "true";
    } else if (k === "challenges" && parseChallenges(v) !== null) {
      challenges = parseChallenges(v);
    } else if (Object.hasOwn(USER_KEYS, k) && t) {
      user[USER_KEYS[k]] = t;
    } else if (k === "ipAddress" && t && ipVersion(t)) {
      source.ip = t;
      source.ip_version = ipVersion(t);
    } else if (k === "city" && t) {
      source.city = t;
    } else if (k === "country" && t) {
      source.country = t;
      let key = t.toLowerCase();
      if (key.startsWith("the ")) key = key.slice(4);
      const code = COUNTRIES.get(key.trim());
      if (code) [source.country_code, source.country_code3] = code;
    } else if (k === "deviceName" && t) {
      const [browser, os] = splitDevice(t);
      device = { name: t };
      if (browser) device.browser = browser;
      if (os) device.os = os;
    } else if ((k === "eventFeedbackValue" || k === "eventFeedbackDate"
      || k === "eventFeedbackProvider") && t) {
      feedback[k.slice("eventFeedback".length).toLowerCase()] = t;
    } else {
      handled = false;
    }
    if (!handled) unmappedMsg[k] = v;
  }
  const ls = rec.logSourceId;
  if (isObject(ls)) {
    for (const [k, v] of Object.entries(ls)) {
      if (k === "userPoolId" && !("pool_id" in user) && text(v)) {
        user.pool_id = text(v);
      } else if (k === "userPoolId" && text(v) === user.pool_id) {
        // the same pool
      } else if (!absent(v)) {
        (unmapped.logSourceId ??= {})[k] = v;
      }
    }
  }
  if ("pool_id" in user) {
    const region = poolRegion(user.pool_id);
    if (region) user.region = region;
  }
  if (Object.keys(unmappedMsg).length) unmapped.message = unmappedMsg;

  const eventOut = {};
  for (const key of ["id", "type"]) if (key in event) eventOut[key] = event[key];
  eventOut.outcome = eventOutcome;
  for (const key of ["response", "request_id", "version", "created_at"]) {
    if (key in event) eventOut[key] = event[key];
  }
  out.event = eventOut;
  if (Object.keys(risk).length) out.risk = risk;
  if (challenges.length) out.challenges = challenges;
  if (Object.keys(user).length) out.user = user;
  if (Object.keys(source).length) out.source = source;
  if (device) out.device = device;
  if (Object.keys(feedback).length) out.feedback = feedback;
  const origin = { transport: ctx.transport };
  for (const key of ["account_id", "log_group", "log_stream", "log_event_id"]) {
    if (ctx[key]) origin[key] = ctx[key];
  }
  out.origin = origin;
  if (Object.keys(unmapped).length) out.unmapped = unmapped;
  return out;
}

// One or more JSON objects: one document, or NDJSON. (Python's raw_decode
// also reads documents concatenated without a newline; JSON.parse cannot.)
function documents(text_) {
  const t = text_.trim();
  if (!t) return [];
  try {
    return [JSON.parse(t)];
  } catch {
    return t.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function transform(record, accountId) {
  let raw = Buffer.from(record.data, "base64");
  if (raw[0] === 0x1f && raw[1] === 0x8b) raw = gunzipSync(raw);
  const text_ = utf8.decode(raw);
  const lines = [];
  const arrival = record.approximateArrivalTimestamp ?? null;
  if (text_.includes('"messageType"')) {
    const env = JSON.parse(text_);
    if (env.messageType === "CONTROL_MESSAGE") return ["Dropped", Buffer.alloc(0)];
    for (const ev of env.logEvents ?? []) {
      const ctx = {
        transport: "cloudwatch_logs", account_id: env.owner ?? null,
        log_group: env.logGroup ?? null, log_stream: env.logStream ?? null,
        log_event_id: ev.id ?? null, log_event_time_ms: ev.timestamp ?? null,
        arrival_time_ms: arrival,
      };
      for (const doc of documents(ev.message)) lines.push(JSON.stringify(normalize(doc, ctx)));
    }
  } else {
    const ctx = { transport: "direct", account_id: accountId, arrival_time_ms: arrival };
    for (const doc of documents(text_)) lines.push(JSON.stringify(normalize(doc, ctx)));
  }
  return ["Ok", Buffer.from(`${lines.join("\n")}\n`, "utf8")];
}

export function handler(event) {
  const output = [];
  const parts = (event.deliveryStreamArn || "").split(":");
  const accountId = parts.length > 5 && parts[4].length === 12 ? parts[4] : null;
  for (const record of event.records) {
    let out;
    try {
      const [result, payload] = transform(record, accountId);
      out = { recordId: record.recordId, result, data: payload.toString("base64") };
    } catch {
      // a blueprint answers every record
      out = { recordId: record.recordId, result: "ProcessingFailed", data: record.data ?? "" };
    }
    output.push(out);
  }
  return { records: output };
}

// The smallest Runtime API loop: poll, parse the event, call the handler,
// post the JSON; one kept-alive connection.
async function serve(api) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const [host, port] = api.split(":");
  const call = (method, path, body) => new Promise((resolve, reject) => {
    const req = http.request({
      host, port, method, path, agent,
      headers: body ? { "Content-Type": "application/json", "Content-Length": body.length } : {},
    }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve([res.headers, Buffer.concat(chunks)]));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
  for (;;) {
    const [headers, body] = await call("GET", "/2018-06-01/runtime/invocation/next");
    const id = headers["lambda-runtime-aws-request-id"];
    let path = `/2018-06-01/runtime/invocation/${id}/response`;
    let answer;
    try {
      answer = Buffer.from(JSON.stringify(handler(JSON.parse(body.toString("utf8")))), "utf8");
    } catch (e) {
      path = `/2018-06-01/runtime/invocation/${id}/error`;
      answer = Buffer.from(JSON.stringify({ errorType: e.name, errorMessage: e.message }), "utf8");
    }
    await call("POST", path, answer);
  }
}

if (process.env.AWS_LAMBDA_RUNTIME_API) {
  await serve(process.env.AWS_LAMBDA_RUNTIME_API);
} else if (process.argv[2]) {
  process.stdout.write(JSON.stringify(handler(JSON.parse(readFileSync(process.argv[2], "utf8")))));
} else {
  process.stderr.write("usage: node bench/baseline.mjs EVENT.json (or with AWS_LAMBDA_RUNTIME_API set)\n");
  process.exit(2);
}
