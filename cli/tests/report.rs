//! `cognito-activity report` end to end: a generated dataset with planted
//! attacks among benign traffic, read as raw Cognito lines and as each of
//! our output formats; the page must name every planted attack and no
//! benign user, escape what the logs say, and render in headless Chromium.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_cognito-activity");
const POOL: &str = "eu-west-1_Rep0rtPo0l";
/// 2024-11-18T00:00:00Z, a Monday.
const START_MS: i64 = 1_731_888_000_000;
const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// splitmix64: a seeded, deterministic generator (no dependency needed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// One raw Cognito user-activity record.
struct Event<'a> {
    ms: i64,
    kind: &'a str,
    response: &'a str,
    user: &'a str,
    ip: &'a str,
    city: &'a str,
    country: &'a str,
    device: &'a str,
    challenges: Vec<&'a str>,
    risk_decision: &'a str,
    risk_level: &'a str,
    compromised: bool,
}

impl<'a> Event<'a> {
    fn sign_in(ms: i64, user: &'a Home, response: &'a str) -> Event<'a> {
        Event {
            ms,
            kind: "SignIn",
            response,
            user: &user.name,
            ip: &user.ip,
            city: user.city,
            country: user.country,
            device: user.device,
            challenges: vec![if response == "Fail" {
                "Password:Failure"
            } else {
                "Password:Success"
            }],
            risk_decision: "NoRisk",
            risk_level: "Low",
            compromised: false,
        }
    }

    fn line(&self, seq: u64) -> String {
        json!({
            "eventTimestamp": self.ms.to_string(),
            "eventSource": "USER_AUTH_EVENTS",
            "logLevel": "INFO",
            "message": {
                "version": "1",
                "eventId": format!("00000000-0000-4000-8000-{seq:012x}"),
                "eventType": self.kind,
                "userSub": format!("11111111-0000-4000-8000-{:012x}", fnv(self.user) & 0xffff_ffff_ffff),
                "userName": self.user,
                "userPoolId": POOL,
                "clientId": "5r3p0rtc1i3nt000000000000",
                "eventResponse": self.response,
                "riskLevel": self.risk_level,
                "riskDecision": self.risk_decision,
                "challenges": self.challenges,
                "deviceName": self.device,
                "ipAddress": self.ip,
                "requestId": format!("22222222-0000-4000-8000-{seq:012x}"),
                "compromisedCredentialDetected": if self.compromised { "true" } else { "false" },
                "city": self.city,
                "country": self.country,
            },
            "logSourceId": {"userPoolId": POOL}
        })
        .to_string()
    }
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// A user's usual place and device.
struct Home {
    name: String,
    ip: String,
    city: &'static str,
    country: &'static str,
    device: &'static str,
}

const PLACES: [(&str, &str); 6] = [
    ("Seattle", "United States"),
    ("Dublin", "Ireland"),
    ("Osaka", "Japan"),
    ("Lyon", "France"),
    ("Toronto", "Canada"),
    ("Munich", "Germany"),
];
const DEVICES: [&str; 5] = [
    "Chrome 126, Windows 10",
    "Safari 17, iOS 17",
    "Firefox 128, Mac OS X 10.15",
    "Chrome 125, Android 14",
    "Edge 126, Windows 11",
];

fn home(rng: &mut Rng, name: String, i: usize) -> Home {
    let (city, country) = *rng.pick(&PLACES);
    Home {
        name,
        ip: format!("10.{}.{}.{}", i / 250, i % 250, 10 + rng.below(200)),
        city,
        country,
        device: DEVICES[rng.below(DEVICES.len() as u64) as usize],
    }
}

/// A planted attack: the detection that must find it and who it is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Planted {
    detection: &'static str,
    subject: String,
}

struct Dataset {
    lines: Vec<String>,
    planted: BTreeSet<Planted>,
    /// Users with nothing but benign traffic.
    benign: BTreeSet<String>,
}

/// Three days of a pool's traffic: `users` benign users signing in from
/// home (with the odd typo, MFA slip, password reset or sign-up), and one
/// planted attack per detection.
fn dataset(seed: u64, users: usize) -> Dataset {
    let mut rng = Rng(seed);
    let homes: Vec<Home> = (0..users)
        .map(|i| home(&mut rng, format!("user{i:04}"), i))
        .collect();
    let mut events: Vec<Event<'_>> = Vec::new();
    for h in &homes {
        for day in 0..3 {
            for _ in 0..1 + rng.below(4) {
                // Working hours, 07:00 to 21:00.
                let t = START_MS + day * DAY + 7 * HOUR + rng.below(14 * HOUR as u64) as i64;
                if rng.chance(8) {
                    // A typo, then the right password.
                    events.push(Event::sign_in(t, h, "Fail"));
                    events.push(Event::sign_in(t + 20_000, h, "Pass"));
                } else if rng.chance(10) {
                    // MFA: sometimes a mistyped code first.
                    let mut e = Event::sign_in(t, h, "InProgress");
                    e.challenges = vec!["Password:Success", "SmsMfa:Success"];
                    if rng.chance(30) {
                        e.challenges = vec!["Password:Success", "SmsMfa:Failure", "SmsMfa:Success"];
                    }
                    events.push(e);
                    events.push(Event::sign_in(t + 30_000, h, "Pass"));
                } else {
                    let mut e = Event::sign_in(t, h, "Pass");
                    if rng.chance(10) {
                        e.risk_level = "Medium";
                    }
                    events.push(e);
                }
                if rng.chance(3) {
                    let mut e = Event::sign_in(t + 3_600_000, h, "Pass");
                    e.kind = *rng.pick(&["ForgotPassword", "PasswordChange", "ResendCode"]);
                    e.challenges = Vec::new();
                    events.push(e);
                }
            }
        }
    }
    let benign: BTreeSet<String> = homes.iter().map(|h| h.name.clone()).collect();
    let mut planted = BTreeSet::new();
    let mut plant = |detection: &'static str, subject: &str| {
        planted.insert(Planted {
            detection,
            subject: subject.to_string(),
        });
    };

    // Attackers and their victims (victims have a normal history too).
    let victim = |name: &str, city, country| Home {
        name: name.to_string(),
        ip: format!("10.200.0.{}", fnv(name) % 200 + 10),
        city,
        country,
        device: "Chrome 126, Windows 10",
    };
    let brute = victim("victim.brute", "Seattle", "United States");
    let guessed = victim("victim.guessed", "Dublin", "Ireland");
    let traveller = victim("victim.travel", "Toronto", "Canada");
    let compromised = victim("victim.compromised", "Lyon", "France");
    let takeover = victim("victim.takeover", "Osaka", "Japan");
    let mfa = victim("victim.mfa", "Munich", "Germany");
    let moved = victim("victim.newcountry", "Munich", "Germany");
    let victims = [
        &brute,
        &guessed,
        &traveller,
        &compromised,
        &takeover,
        &mfa,
        &moved,
    ];
    for v in victims {
        for day in 0..3 {
            events.push(Event::sign_in(START_MS + day * DAY + 9 * HOUR, v, "Pass"));
        }
    }
    let attacker = |ip: &str, city, country, device| Home {
        name: String::new(),
        ip: ip.to_string(),
        city,
        country,
        device,
    };

    // Password spraying: one IP, 40 benign users, one failure each, in 4 minutes.
    let sprayer = attacker("198.51.100.66", "Moscow", "Russia", "Other, Other");
    for (i, h) in homes.iter().take(40).enumerate() {
        let mut e = Event::sign_in(
            START_MS + DAY + 3 * HOUR + i as i64 * 6_000,
            &sprayer,
            "Fail",
        );
        e.user = &h.name;
        events.push(e);
    }
    plant("password_spraying", &sprayer.ip);

    // Brute force: 30 failures on one user in 7 minutes, no success.
    let bruter = attacker("203.0.113.7", "São Paulo", "Brazil", "Other, Linux");
    for i in 0..30 {
        let mut e = Event::sign_in(START_MS + DAY + 4 * HOUR + i * 14_000, &bruter, "Fail");
        e.user = &brute.name;
        events.push(e);
    }
    plant("brute_force", &brute.name);

    // Failures then a success, from abroad (so also a new country, and a
    // change of country 4 hours after the victim's own sign-in: not travel).
    let guesser = attacker("203.0.113.9", "Hanoi", "Vietnam", "Other, Linux");
    for i in 0..7 {
        let mut e = Event::sign_in(
            START_MS + 2 * DAY + 13 * HOUR + i * 30_000,
            &guesser,
            "Fail",
        );
        e.user = &guessed.name;
        events.push(e);
    }
    let mut e = Event::sign_in(
        START_MS + 2 * DAY + 13 * HOUR + 4 * MINUTE,
        &guesser,
        "Pass",
    );
    e.user = &guessed.name;
    events.push(e);
    plant("failures_then_success", &guessed.name);
    plant("new_country", &guessed.name);

    // Impossible travel: Toronto at 09:00, Singapore at 09:40 (also a new country).
    let hopper = attacker(
        "198.51.100.140",
        "Singapore",
        "Singapore",
        "Chrome 126, Windows 10",
    );
    let mut e = Event::sign_in(START_MS + 2 * DAY + 9 * HOUR + 40 * MINUTE, &hopper, "Pass");
    e.user = &traveller.name;
    events.push(e);
    plant("impossible_travel", &traveller.name);
    plant("new_country", &traveller.name);

    // Compromised credentials, blocked; account takeover, not blocked.
    let leaker = attacker("192.0.2.200", "Lyon", "France", "Other, Other");
    let mut e = Event::sign_in(START_MS + DAY + 15 * HOUR, &leaker, "Fail");
    e.user = &compromised.name;
    e.compromised = true;
    e.risk_decision = "Block";
    e.risk_level = "High";
    events.push(e);
    plant("compromised_credentials", &compromised.name);
    let taker = attacker("192.0.2.201", "Osaka", "Japan", "Other, Other");
    let mut e = Event::sign_in(START_MS + DAY + 16 * HOUR, &taker, "Pass");
    e.user = &takeover.name;
    e.risk_decision = "AccountTakeover";
    e.risk_level = "High";
    events.push(e);
    plant("compromised_credentials", &takeover.name);

    // MFA failures: the password is known, the code is not: 6 wrong codes in 25 minutes.
    let prompter = attacker("192.0.2.202", "Munich", "Germany", "Other, Windows 10");
    for i in 0..6 {
        let mut e = Event::sign_in(
            START_MS + 2 * DAY + 5 * HOUR + i * 5 * MINUTE,
            &prompter,
            "Fail",
        );
        e.user = &mfa.name;
        e.challenges = vec!["Password:Success", "SmsMfa:Failure"];
        events.push(e);
    }
    plant("mfa_failures", &mfa.name);

    // New country: Munich for two days, then Lagos at 18:00 on day 3.
    let mover = attacker(
        "198.51.100.77",
        "Lagos",
        "Nigeria",
        "Chrome 126, Android 14",
    );
    let mut e = Event::sign_in(START_MS + 2 * DAY + 18 * HOUR, &mover, "Pass");
    e.user = &moved.name;
    events.push(e);
    plant("new_country", &moved.name);

    // Cognito delivers roughly in time order.
    events.sort_by_key(|e| e.ms);
    let lines = events
        .iter()
        .enumerate()
        .map(|(i, e)| e.line(i as u64))
        .collect();
    Dataset {
        lines,
        planted,
        benign,
    }
}

fn write_lines(path: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(path, text).unwrap();
}

fn run(args: &[&str], envs: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).env_remove("OUTPUT_FORMAT");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn report(inputs: &[&Path], out: &Path) -> String {
    let mut args: Vec<&str> = vec!["report"];
    args.extend(inputs.iter().map(|p| p.to_str().unwrap()));
    args.extend(["--out", out.to_str().unwrap()]);
    run(&args, &[]);
    std::fs::read_to_string(out).unwrap()
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The (detection, subject) of every finding on the page.
fn findings(html: &str) -> BTreeSet<Planted> {
    let mut out = BTreeSet::new();
    for part in html.split("data-detection=\"").skip(1) {
        let (detection, rest) = part.split_once('"').unwrap();
        let subject = rest
            .split_once("data-subject=\"")
            .and_then(|(_, r)| r.split_once('"'))
            .map(|(s, _)| unescape(s))
            .unwrap();
        let detection = [
            "password_spraying",
            "brute_force",
            "failures_then_success",
            "impossible_travel",
            "compromised_credentials",
            "mfa_failures",
            "new_country",
        ]
        .into_iter()
        .find(|d| *d == detection)
        .unwrap_or_else(|| panic!("unknown detection {detection}"));
        out.insert(Planted { detection, subject });
    }
    out
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cognito-report-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn assert_names_the_planted_attacks_and_no_benign_user(html: &str, data: &Dataset, what: &str) {
    let found = findings(html);
    for p in &data.planted {
        assert!(
            found.contains(p),
            "{what}: planted {p:?} not reported; found {found:#?}"
        );
    }
    for f in &found {
        assert!(
            !data.benign.contains(&f.subject),
            "{what}: benign user {} named by {}",
            f.subject,
            f.detection
        );
        assert!(data.planted.contains(f), "{what}: unexpected finding {f:?}");
    }
    // Every finding links to events behind it, and they are on the page.
    for i in 0..found.len() {
        assert!(
            html.contains(&format!("href=\"#events-{i}\"")),
            "{what}: finding {i} has no link"
        );
        assert!(
            html.contains(&format!("id=\"events-{i}\"")),
            "{what}: finding {i} has no events"
        );
    }
}

#[test]
fn the_report_names_every_planted_attack_and_no_benign_user_in_every_format() {
    let data = dataset(25, 300);
    let dir = tempdir("formats");
    let raw = dir.join("raw.jsonl");
    write_lines(&raw, &data.lines);

    let html = report(&[&raw], &dir.join("raw.html"));
    assert_names_the_planted_attacks_and_no_benign_user(&html, &data, "raw");
    let from_raw = findings(&html);

    for format in cognito_activity::config::OutputFormat::NAMES {
        let out = run(
            &["normalize", raw.to_str().unwrap(), "--format", format],
            &[],
        );
        let path = dir.join(format!("{format}.jsonl"));
        std::fs::write(&path, &out.stdout).unwrap();
        let html = report(&[&path], &dir.join(format!("{format}.html")));
        assert_names_the_planted_attacks_and_no_benign_user(&html, &data, format);
        assert_eq!(findings(&html), from_raw, "{format} and raw disagree");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Under `IP_MODE=hash` and `USER_NAME_MODE=hash` every format holds the
/// HMACs where the address and name were, not always under the same key
/// (ECS writes the name's to `user.hash`, OCSF the address's to
/// `src_endpoint.uid`): the report on each names what it names on the raw
/// records hashed as it reads them.
#[test]
fn the_report_names_the_same_hmacs_in_every_format_under_the_hash_modes() {
    let data = dataset(25, 300);
    let dir = tempdir("hashed");
    let raw = dir.join("raw.jsonl");
    write_lines(&raw, &data.lines);
    let hash = [
        ("IP_MODE", "hash"),
        ("USER_NAME_MODE", "hash"),
        ("HASH_KEY", "report-test-hmac-key"),
    ];
    let page = dir.join("raw.html");
    run(
        &[
            "report",
            raw.to_str().unwrap(),
            "--out",
            page.to_str().unwrap(),
        ],
        &hash,
    );
    let from_raw = findings(&std::fs::read_to_string(&page).unwrap());
    assert_eq!(
        from_raw.len(),
        data.planted.len(),
        "one finding per planted attack, under their HMACs: {from_raw:#?}"
    );
    for f in &from_raw {
        assert!(
            f.subject.len() == 64 && f.subject.bytes().all(|b| b.is_ascii_hexdigit()),
            "{f:?} is not an HMAC"
        );
    }
    for format in cognito_activity::config::OutputFormat::NAMES {
        let out = run(
            &["normalize", raw.to_str().unwrap(), "--format", format],
            &hash,
        );
        let path = dir.join(format!("{format}.jsonl"));
        std::fs::write(&path, &out.stdout).unwrap();
        let html = report(&[&path], &dir.join(format!("{format}.html")));
        assert_eq!(findings(&html), from_raw, "{format} and raw disagree");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_report_reads_gzip_and_several_files_and_stdin() {
    use std::io::Write as _;
    let data = dataset(7, 120);
    let dir = tempdir("inputs");
    let (first, second) = data.lines.split_at(data.lines.len() / 2);
    let a = dir.join("a.jsonl.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all((first.join("\n") + "\n").as_bytes()).unwrap();
    std::fs::write(&a, gz.finish().unwrap()).unwrap();
    let b = dir.join("b.jsonl");
    write_lines(&b, second);
    let html = report(&[&a, &b], &dir.join("two.html"));
    assert_names_the_planted_attacks_and_no_benign_user(&html, &data, "gzip + plain");

    let out = dir.join("stdin.html");
    let mut child = Command::new(BIN)
        .args(["report", "--out", out.to_str().unwrap()])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all((data.lines.join("\n") + "\n").as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    let html = std::fs::read_to_string(&out).unwrap();
    assert_names_the_planted_attacks_and_no_benign_user(&html, &data, "stdin");
    assert!(html.contains("&lt;stdin&gt;"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn thresholds_are_flags_and_raising_one_silences_its_detection() {
    let data = dataset(25, 100);
    let dir = tempdir("flags");
    let raw = dir.join("raw.jsonl");
    write_lines(&raw, &data.lines);
    let out = dir.join("r.html");
    run(
        &[
            "report",
            raw.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--brute-force-min-failures",
            "31",
            "--spray-min-users",
            "41",
        ],
        &[],
    );
    let found = findings(&std::fs::read_to_string(&out).unwrap());
    assert!(
        !found.iter().any(|f| f.detection == "brute_force"),
        "{found:?}"
    );
    assert!(
        !found.iter().any(|f| f.detection == "password_spraying"),
        "{found:?}"
    );
    assert!(
        found.iter().any(|f| f.detection == "mfa_failures"),
        "{found:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn log_derived_text_is_escaped_on_the_page() {
    let dir = tempdir("escape");
    let evil_user = r#""><img src=x onerror=alert(1)>"#;
    let evil_device = "<script>alert('device')</script>";
    let evil_city = "</td></tr></table><h1>owned</h1>";
    let attacker = Home {
        name: String::new(),
        ip: "203.0.113.66".into(),
        city: Box::leak(evil_city.to_string().into_boxed_str()),
        country: "Atlantis <b>",
        device: Box::leak(evil_device.to_string().into_boxed_str()),
    };
    let lines: Vec<String> = (0..12)
        .map(|i| {
            let mut e = Event::sign_in(START_MS + i * 10_000, &attacker, "Fail");
            e.user = evil_user;
            e.line(i as u64)
        })
        .collect();
    let raw = dir.join("evil.jsonl");
    write_lines(&raw, &lines);
    let html = report(&[&raw], &dir.join("evil.html"));
    for raw_text in [
        evil_user,
        evil_device,
        evil_city,
        "Atlantis <b>",
        "<img",
        "<script>alert",
    ] {
        assert!(
            !html.contains(raw_text),
            "unescaped {raw_text:?} on the page"
        );
    }
    assert!(html.contains("&lt;script&gt;alert(&#39;device&#39;)&lt;/script&gt;"));
    assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    // The brute force on that user is still reported, under its escaped name.
    let found = findings(&html);
    assert!(
        found.contains(&Planted {
            detection: "brute_force",
            subject: evil_user.to_string()
        }),
        "{found:?}"
    );
    // No script at all, and nothing to fetch.
    assert!(!html.contains("<script"));
    for fetch in ["src=\"http", "href=\"http", "url(", "@import"] {
        assert!(!html.contains(fetch), "{fetch}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unreadable_lines_are_counted_and_the_rest_is_reported() {
    let data = dataset(3, 40);
    let dir = tempdir("bad");
    let raw = dir.join("mixed.jsonl");
    let mut lines = data.lines.clone();
    lines.insert(5, "not json at all".into());
    lines.insert(9, "{\"unrelated\": true}".into());
    write_lines(&raw, &lines);
    let out = dir.join("r.html");
    let status = Command::new(BIN)
        .args([
            "report",
            raw.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(1), "bad lines make exit code 1");
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(
        html.contains("2 unreadable line(s) skipped"),
        "{}",
        &html[..2000]
    );
    assert_names_the_planted_attacks_and_no_benign_user(&html, &data, "with bad lines");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Finds Chromium: `chromium` (Debian), else `chromium-browser` or
/// `google-chrome` on PATH.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

fn headless(chromium: &Path, profile: &Path) -> Command {
    let mut cmd = Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    cmd
}

#[test]
fn the_page_renders_in_headless_chromium() {
    // Never skipped: a page nobody rendered is not tested. `.ci/run` installs it.
    let chromium = chromium().expect("chromium is missing: apt-get install -y chromium");
    let data = dataset(25, 300);
    let dir = tempdir("chromium");
    let raw = dir.join("raw.jsonl");
    write_lines(&raw, &data.lines);
    let page = dir.join("report.html");
    report(&[&raw], &page);
    let url = format!("file://{}", page.display());

    // The DOM as Chromium parsed it holds every section and the findings.
    let dom = headless(&chromium, &dir.join("profile-dom"))
        .args(["--dump-dom", &url])
        .output()
        .unwrap();
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    for id in [
        "period",
        "overview",
        "timeline",
        "risk",
        "countries",
        "failing",
        "devices",
        "detections",
        "events",
    ] {
        assert!(
            dom.contains(&format!("id=\"{id}\"")),
            "section {id} missing from the DOM"
        );
    }
    assert_eq!(
        findings(&dom),
        findings(&std::fs::read_to_string(&page).unwrap())
    );
    assert!(
        dom.matches("<rect").count() > 50,
        "charts missing from the DOM"
    );

    // The screenshot is a page, not a blank or uniform image.
    let png = dir.join("report.png");
    let shot = headless(&chromium, &dir.join("profile-shot"))
        .args(["--window-size=1280,2000"])
        .arg(format!("--screenshot={}", png.display()))
        .arg(&url)
        .output()
        .unwrap();
    assert!(
        shot.status.success(),
        "{}",
        String::from_utf8_lossy(&shot.stderr)
    );
    let decoder = png::Decoder::new(std::fs::File::open(&png).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let pixels = &buf[..info.buffer_size()];
    let channels = info.color_type.samples();
    assert_eq!((info.width, info.height), (1280, 2000));
    let mut colors = BTreeSet::new();
    let mut not_white = 0usize;
    for px in pixels.chunks(channels) {
        let rgb = [px[0], px[1], px[2]];
        if rgb != [255, 255, 255] {
            not_white += 1;
        }
        colors.insert(rgb);
    }
    let total = pixels.len() / channels;
    assert!(
        colors.len() > 20,
        "only {} colors: a blank or broken page",
        colors.len()
    );
    assert!(
        not_white * 100 > total * 3,
        "only {not_white} of {total} pixels are not white: an empty page"
    );
    // The chart colors are on screen: green (success) and red (failure).
    for color in [[0x2e, 0x7d, 0x32], [0xc6, 0x28, 0x28]] {
        assert!(colors.contains(&color), "chart color {color:?} not drawn");
    }
    if let Some(keep) = std::env::var_os("REPORT_SCREENSHOT") {
        std::fs::copy(&png, keep).unwrap();
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_generated_dataset_is_deterministic_and_plants_every_detection() {
    let a = dataset(25, 50);
    let b = dataset(25, 50);
    assert_eq!(a.lines, b.lines);
    let detections: BTreeSet<&str> = a.planted.iter().map(|p| p.detection).collect();
    assert_eq!(detections.len(), 7);
    let v: Value = serde_json::from_str(&a.lines[0]).unwrap();
    assert_eq!(v["message"]["userPoolId"], POOL);
}
