//! What `sam deploy` ships, run before it ships: every function of
//! `template.yaml`, as `sam build` built it for arm64, runs under an emulator
//! (qemu-user) against the local Runtime API on every sample event the
//! template names for it (`Metadata: SampleEvents`), and must answer each one
//! byte for byte as the x86 build of the same binary does (which the other
//! end-to-end tests check in depth).
//!
//! It needs `sam build`'s output and an emulator, so it is ignored by
//! default: `.ci/artifact.sh` builds the artifacts and runs it with
//! `ARTIFACT_RUNNER` set. A new function needs its `SampleEvents` (and,
//! when it has settings, a `SampleEnvironment`), not a new script.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cfn;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cfn::*;
use e2e::{cargo_binary, workspace, Bootstrap, Reply, RuntimeApi};
use serde_json::Value;

/// The `[package] name` of the crate at `dir`.
fn package_name(dir: &Path) -> String {
    let text = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    let package = text.split("[package]").nth(1).expect("a [package] table");
    package
        .lines()
        .find_map(|l| {
            let (key, value) = l.split_once('=')?;
            (key.trim() == "name").then(|| value.trim().trim_matches('"').to_string())
        })
        .expect("a package name")
}

/// The files matching `dir/prefix*suffix` (one `*`), sorted.
fn glob_one_star(pattern: &str) -> Vec<PathBuf> {
    let (dir, file) = pattern
        .rsplit_once('/')
        .expect("a folder and a file pattern");
    let (prefix, suffix) = file.split_once('*').unwrap_or((file, ""));
    let mut found: Vec<PathBuf> = std::fs::read_dir(workspace().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            name.starts_with(prefix) && name.ends_with(suffix) && name.len() >= file.len() - 1
        })
        .collect();
    found.sort();
    found
}

fn answer(reply: Reply, what: &str) -> Vec<u8> {
    match reply {
        Reply::Response(body) => body,
        Reply::Error(body) => panic!("{what}: error reply {}", String::from_utf8_lossy(&body)),
    }
}

/// Starts a program against a fresh Runtime API; returns them and the time
/// from exec to the first poll.
fn start(argv: Vec<OsString>, env: &[(&str, &str)]) -> (RuntimeApi, Bootstrap, Duration) {
    let api = RuntimeApi::start();
    let started = Instant::now();
    let process = Bootstrap::spawn_program(&api, &argv, env);
    let polled = api
        .first_poll(Duration::from_secs(120))
        .unwrap_or_else(|| panic!("{argv:?} never polled: {}", process.logs()));
    (api, process, polled - started)
}

fn record_ids(json: &[u8]) -> Option<Vec<String>> {
    let v: Value = serde_json::from_slice(json).ok()?;
    v["records"]
        .as_array()?
        .iter()
        .map(|r| r["recordId"].as_str().map(str::to_string))
        .collect()
}

#[test]
#[ignore = "needs `sam build` output and ARTIFACT_RUNNER (qemu-aarch64): run by .ci/artifact.sh"]
fn every_built_function_answers_its_sample_events_as_its_x86_build_does() {
    let runner: Vec<OsString> = std::env::var("ARTIFACT_RUNNER")
        .expect(
            "ARTIFACT_RUNNER: the emulator command, e.g. `qemu-aarch64 -L /usr/aarch64-linux-gnu`",
        )
        .split_whitespace()
        .map(OsString::from)
        .collect();
    let build = workspace().join(".aws-sam").join("build");
    let functions: Vec<_> = section("Resources")
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Serverless::Function")
        .collect();
    assert!(!functions.is_empty());
    let mut report = Vec::new();
    for (id, function) in functions {
        let code = scalar(&function["Properties"]["CodeUri"]);
        let package = package_name(&workspace().join(&code));
        // rust-cargolambda builds name their binary; the transformer's makefile build (build.sh)
        // builds its package's binary, named after the package.
        let bin = function["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .map_or_else(|| package.clone(), str::to_string);
        let pattern = scalar(&function["Metadata"]["SampleEvents"]);
        assert!(!pattern.is_empty(), "{id} names no Metadata.SampleEvents");
        let events = glob_one_star(&pattern);
        assert!(!events.is_empty(), "{id}: no file matches {pattern}");

        let artifact = build.join(id).join("bootstrap");
        let size = std::fs::metadata(&artifact)
            .unwrap_or_else(|e| panic!("{}: {e} (run sam build)", artifact.display()))
            .len();
        let x86 = cargo_binary(&package, &bin);

        // `Metadata: SampleEnvironment`: what the function needs to start, for a function that has settings to give.
        let env: Vec<(String, String)> = function["Metadata"]["SampleEnvironment"]
            .as_object()
            .map(|vars| vars.iter().map(|(k, v)| (k.clone(), scalar(v))).collect())
            .unwrap_or_default();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut argv = runner.clone();
        argv.push(artifact.clone().into());
        let (arm_api, arm, arm_start) = start(argv, &env);
        let (x86_api, x86_process, x86_start) = start(vec![x86.into()], &env);
        for path in &events {
            let event = std::fs::read(path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy();
            let what = format!("{id} on {name}");
            // The whole reply, a response or an error, byte for byte: with its sample environment
            // a function may answer an error (the writer's S3 is a closed port), and the arm64
            // build must answer the same one.
            let got = arm_api.invoke(&event, Duration::from_secs(120));
            let want = x86_api.invoke(&event, Duration::from_secs(120));
            assert!(
                got == want,
                "{what}: the arm64 artifact answers differently from the x86 build\n{got:?}"
            );
            if let Some(ids) = record_ids(&event) {
                let got = answer(got, &what);
                assert_eq!(
                    record_ids(&got),
                    Some(ids),
                    "{what}: every record once, in order"
                );
            }
        }
        drop((arm, x86_process));
        report.push(format!(
            "{id}: {} events identical; arm64 artifact {:.2} MB (stripped), exec to first poll {} ms under qemu (the x86 debug build: {} ms)",
            events.len(),
            size as f64 / 1e6,
            arm_start.as_millis(),
            x86_start.as_millis()
        ));
    }
    for line in report {
        println!("artifact: {line}");
    }
}
