//! The check engine: every goal of a lab's `check.toml`, verified against the lab's running
//! server, the learner's work folder, or the code lab's tests. A goal that is not met says what
//! was observed instead; nothing here panics on a learner's input.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use http::Method;
use s3lab_client::{RequestSpec, Response};
use sha2::Digest as _;

use crate::conn::{object_path, LabConn};
use crate::home::Home;
use crate::registry::Lab;
use crate::server::sse_c_headers;
use crate::spec::{Compare, Derived, Goal};

/// How one goal came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoalStatus {
    Met,
    NotMet,
    /// The checker could not look (the lab's server is not running, for example).
    Unknown,
}

impl GoalStatus {
    /// `✓`, `✗` or `?`.
    pub fn mark(self) -> &'static str {
        match self {
            GoalStatus::Met => "✓",
            GoalStatus::NotMet => "✗",
            GoalStatus::Unknown => "?",
        }
    }
}

/// One goal's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoalOutcome {
    pub description: String,
    pub status: GoalStatus,
    /// What was seen instead (for a goal not met), or a detail worth showing.
    pub observed: Option<String>,
}

impl GoalOutcome {
    fn met(description: String) -> Self {
        GoalOutcome {
            description,
            status: GoalStatus::Met,
            observed: None,
        }
    }

    fn not_met(description: String, observed: impl Into<String>) -> Self {
        GoalOutcome {
            description,
            status: GoalStatus::NotMet,
            observed: Some(observed.into()),
        }
    }

    fn unknown(description: String, why: impl Into<String>) -> Self {
        GoalOutcome {
            description,
            status: GoalStatus::Unknown,
            observed: Some(why.into()),
        }
    }
}

/// The result of checking one lab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    pub number: usize,
    pub name: String,
    pub title: String,
    pub goals: Vec<GoalOutcome>,
}

impl CheckReport {
    /// Every goal is met.
    pub fn passed(&self) -> bool {
        self.goals.iter().all(|g| g.status == GoalStatus::Met)
    }

    /// Some goal could not be checked at all.
    pub fn incomplete(&self) -> bool {
        self.goals.iter().any(|g| g.status == GoalStatus::Unknown)
    }

    pub fn met(&self) -> usize {
        self.goals
            .iter()
            .filter(|g| g.status == GoalStatus::Met)
            .count()
    }

    /// The report as text: one ✓/✗/? line per goal, what was observed under each goal not met.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "Lab {} · {} — {}", self.number, self.name, self.title);
        let mut last_unknown: Option<&str> = None;
        for g in &self.goals {
            let _ = writeln!(s, "  {} {}", g.status.mark(), g.description);
            if g.status == GoalStatus::Unknown {
                // One reason (the server is down) is said once, not under every goal.
                if last_unknown == g.observed.as_deref() {
                    continue;
                }
                last_unknown = g.observed.as_deref();
            }
            if g.status != GoalStatus::Met {
                if let Some(o) = &g.observed {
                    for (i, line) in o.lines().enumerate() {
                        let label = if i == 0 { "observed: " } else { "          " };
                        let _ = writeln!(s, "      {label}{line}");
                    }
                }
            }
        }
        let _ = writeln!(s, "{} of {} goals met.", self.met(), self.goals.len());
        s
    }
}

/// Checks `lab`: its work folder in `home` (created from the starter files if missing), its
/// server (found through the ready file in its server folder), or its crate's tests.
pub async fn check_lab(lab: &Lab, home: &Home) -> CheckReport {
    let mut goals = Vec::with_capacity(lab.spec.goals.len());
    let work = home.work_dir(lab);
    let prepared = home.prepare_work(lab);
    let conn = if lab.needs_server() {
        match LabConn::open(&home.server_dir(lab)) {
            Ok(Some(c)) if c.is_up().await => Ok(c),
            Ok(_) => Err(format!(
                "the lab's server is not running: start it with `s3lab lab start {}` in another terminal",
                lab.number
            )),
            Err(e) => Err(e),
        }
    } else {
        Err("this lab has no server".to_owned())
    };
    let mut tests: Option<Result<TestRun, String>> = None;
    for goal in &lab.spec.goals {
        let description = describe(goal);
        if let Err(e) = &prepared {
            goals.push(GoalOutcome::unknown(description, e.to_string()));
            continue;
        }
        let outcome = match goal {
            Goal::CargoTest { test, .. } => {
                let run =
                    tests.get_or_insert_with(|| run_tests(lab, &work, home.cargo_target_dir()));
                judge_test(description, run, test)
            }
            Goal::Answer {
                file,
                expect: Derived::Sha256 { sha256 },
                compare,
                ..
            } => judge_fixed_answer(description, &work, file, sha256, *compare),
            _ => match &conn {
                Ok(c) => match check_server_goal(c, &work, goal).await {
                    Ok(Ok(())) => GoalOutcome::met(description),
                    Ok(Err(observed)) => GoalOutcome::not_met(description, observed),
                    Err(e) => GoalOutcome::unknown(description, e),
                },
                Err(e) => GoalOutcome::unknown(description, e.clone()),
            },
        };
        goals.push(outcome);
    }
    CheckReport {
        number: lab.number,
        name: lab.name.clone(),
        title: lab.title.clone(),
        goals,
    }
}

/// The text shown for a goal: its `description`, or one made from its fields.
pub fn describe(goal: &Goal) -> String {
    match goal {
        Goal::BucketExists {
            description,
            bucket,
        } => description
            .clone()
            .unwrap_or_else(|| format!("bucket {bucket} exists")),
        Goal::Object {
            description,
            bucket,
            key,
            sse,
            kms_key,
            bucket_key,
            ..
        } => description.clone().unwrap_or_else(|| {
            let mut s = format!("object s3://{bucket}/{key} exists");
            if let Some(m) = sse {
                let _ = write!(s, ", stored with {}", sse_name(m));
            }
            if let Some(k) = kms_key {
                let _ = write!(s, " under the KMS key {k}");
            }
            if *bucket_key == Some(true) {
                s.push_str(" and a bucket key");
            }
            s
        }),
        Goal::Objects {
            description,
            bucket,
            prefix,
            at_least,
            sse,
            ..
        } => description.clone().unwrap_or_else(|| {
            let mut s = format!("at least {at_least} objects under s3://{bucket}/{prefix}");
            if let Some(m) = sse {
                let _ = write!(s, ", all stored with {}", sse_name(m));
            }
            s
        }),
        Goal::BucketEncryption {
            description,
            bucket,
            sse,
            ..
        } => description.clone().unwrap_or_else(|| match sse {
            Some(m) => format!(
                "bucket {bucket} encrypts new objects with {} by default",
                sse_name(m)
            ),
            None => format!("bucket {bucket}'s default encryption is set as asked"),
        }),
        Goal::Request { description, .. }
        | Goal::Answer { description, .. }
        | Goal::CargoTest { description, .. } => description.clone(),
        Goal::RootKeyVersions {
            description,
            at_least,
        } => description
            .clone()
            .unwrap_or_else(|| format!("the SSE-S3 root key has at least {at_least} versions")),
        Goal::KmsKey {
            description,
            alias,
            rotation_enabled,
            ..
        } => description.clone().unwrap_or_else(|| {
            if *rotation_enabled == Some(true) {
                format!("KMS key {alias} exists and rotates automatically")
            } else {
                format!("KMS key {alias} exists")
            }
        }),
        Goal::Audit {
            description,
            event,
            identity,
            key,
            ..
        } => description.clone().unwrap_or_else(|| {
            let mut s = format!("the KMS audit trail has a {event}");
            if let Some(i) = identity {
                let _ = write!(s, " by {i}");
            }
            if let Some(k) = key {
                let _ = write!(s, " with {k}");
            }
            s
        }),
    }
}

fn sse_name(mode: &str) -> String {
    match mode {
        "AES256" => "SSE-S3 (AES256)".into(),
        "aws:kms" => "SSE-KMS (aws:kms)".into(),
        "aws:kms:dsse" => "DSSE-KMS (aws:kms:dsse)".into(),
        "SSE-C" => "SSE-C".into(),
        "none" => "no encryption".into(),
        other => other.into(),
    }
}

/// `Ok(Ok(()))`: met; `Ok(Err(observed))`: not met; `Err(why)`: could not check.
type Judged = Result<Result<(), String>, String>;

async fn check_server_goal(conn: &LabConn, work: &Path, goal: &Goal) -> Judged {
    match goal {
        Goal::BucketExists { bucket, .. } => {
            let resp = conn
                .s3(
                    "admin",
                    true,
                    &RequestSpec::new(Method::HEAD, format!("/{bucket}")),
                )
                .await?;
            Ok(match resp.status {
                200 => Ok(()),
                404 => Err(format!("there is no bucket named {bucket}")),
                s => Err(format!("HeadBucket {bucket} answered {s}")),
            })
        }
        Goal::Object {
            bucket,
            key,
            sse,
            kms_key,
            bucket_key,
            sse_c_key_file,
            metadata,
            cse,
            metadata_absent,
            root_key_version,
            ..
        } => {
            let mut headers = Vec::new();
            if let Some(file) = sse_c_key_file {
                let path = work.join(file);
                match std::fs::read(&path) {
                    Ok(k) if k.len() == 32 => headers = sse_c_headers(&k),
                    Ok(k) => {
                        return Ok(Err(format!(
                            "{file} holds {} bytes; an SSE-C key is exactly 32",
                            k.len()
                        )))
                    }
                    Err(_) => {
                        return Ok(Err(format!(
                            "there is no key file {file} in {}",
                            work.display()
                        )))
                    }
                }
            }
            let resp = conn.head("admin", bucket, key, &headers).await?;
            if let Err(o) = object_found(&resp, bucket, key, sse_c_key_file.as_deref()) {
                return Ok(Err(o));
            }
            if let Some(want) = sse {
                let got = sse_of(&resp);
                if got != *want {
                    return Ok(Err(format!(
                        "s3://{bucket}/{key} is stored with {}",
                        sse_name(&got)
                    )));
                }
            }
            if let Some(alias) = kms_key {
                if let Err(o) = kms_key_matches(conn, &resp, alias, bucket, key).await? {
                    return Ok(Err(o));
                }
            }
            if let Some(want) = bucket_key {
                let got =
                    resp.header("x-amz-server-side-encryption-bucket-key-enabled") == Some("true");
                if got != *want {
                    return Ok(Err(format!(
                        "s3://{bucket}/{key} was stored {} an S3 Bucket Key",
                        if got { "with" } else { "without" }
                    )));
                }
            }
            for (name, want) in metadata {
                match resp.header(&format!("x-amz-meta-{name}")) {
                    None => {
                        return Ok(Err(format!(
                            "s3://{bucket}/{key} has no metadata x-amz-meta-{name}"
                        )))
                    }
                    Some(v) if want != "*" && v != want => {
                        return Ok(Err(format!(
                            "x-amz-meta-{name} of s3://{bucket}/{key} is {v:?}"
                        )))
                    }
                    Some(_) => {}
                }
            }
            if let Some(kind) = cse {
                let wrap = resp
                    .header("x-amz-meta-x-amz-w")
                    .or_else(|| resp.header("x-amz-meta-x-amz-wrap-alg"));
                let got = match wrap {
                    Some("02" | "AES/GCM") => "raw-aes",
                    Some("12" | "kms+context") => "kms",
                    Some("22" | "RSA-OAEP-SHA1") => "raw-rsa",
                    Some(_) => "an unknown keyring",
                    None => "none",
                };
                if got == "none" {
                    return Ok(Err(format!(
                        "s3://{bucket}/{key} has no client-side encryption metadata (x-amz-meta-x-amz-w): S3 received the plaintext"
                    )));
                }
                if got != kind {
                    return Ok(Err(format!(
                        "s3://{bucket}/{key} is client-side encrypted with a {got} keyring"
                    )));
                }
            }
            for name in metadata_absent {
                if let Some(v) = resp.header(&format!("x-amz-meta-{name}")) {
                    return Ok(Err(format!(
                        "s3://{bucket}/{key} carries x-amz-meta-{name}: {v} — in plaintext, for anyone who may HEAD it"
                    )));
                }
            }
            if let Some(want) = root_key_version {
                let meta = conn.stored_meta(bucket, key)?.ok_or_else(|| {
                    format!("s3://{bucket}/{key} has no record in the data folder")
                })?;
                let Some(got) = meta["encryption"]["root_key_version"].as_u64() else {
                    return Ok(Err(format!(
                        "s3://{bucket}/{key} is not wrapped by an SSE-S3 root key"
                    )));
                };
                let want_n = if want == "latest" {
                    latest_root_key_version(conn).await?
                } else {
                    want.parse::<u64>().map_err(|_| {
                        format!("check.toml: root_key_version {want:?} is not a number")
                    })?
                };
                if got != want_n {
                    return Ok(Err(format!(
                        "s3://{bucket}/{key}'s data key is wrapped by root key version {got}, not {want_n}"
                    )));
                }
            }
            Ok(Ok(()))
        }
        Goal::Objects {
            bucket,
            prefix,
            at_least,
            sse,
            kms_key,
            bucket_key,
            ..
        } => {
            let Some(keys) = conn.list(bucket, prefix).await? else {
                return Ok(Err(format!("there is no bucket named {bucket}")));
            };
            if keys.len() < *at_least {
                return Ok(Err(format!(
                    "{} object{} under s3://{bucket}/{prefix}",
                    keys.len(),
                    if keys.len() == 1 { "" } else { "s" }
                )));
            }
            for key in &keys {
                let resp = conn.head("admin", bucket, key, &[]).await?;
                if let Some(want) = sse {
                    let got = sse_of(&resp);
                    if got != *want {
                        return Ok(Err(format!(
                            "s3://{bucket}/{key} is stored with {}",
                            sse_name(&got)
                        )));
                    }
                }
                if let Some(alias) = kms_key {
                    if let Err(o) = kms_key_matches(conn, &resp, alias, bucket, key).await? {
                        return Ok(Err(o));
                    }
                }
                if let Some(want) = bucket_key {
                    let got = resp.header("x-amz-server-side-encryption-bucket-key-enabled")
                        == Some("true");
                    if got != *want {
                        return Ok(Err(format!(
                            "s3://{bucket}/{key} was stored {} an S3 Bucket Key",
                            if got { "with" } else { "without" }
                        )));
                    }
                }
            }
            Ok(Ok(()))
        }
        Goal::RootKeyVersions { at_least, .. } => {
            let n = root_key_versions(conn).await?.len();
            if n < *at_least {
                return Ok(Err(format!(
                    "the SSE-S3 root key has {n} version{}",
                    if n == 1 { "" } else { "s" }
                )));
            }
            Ok(Ok(()))
        }
        Goal::BucketEncryption {
            bucket,
            sse,
            kms_key,
            bucket_key,
            sse_c_allowed,
            ..
        } => {
            let resp = conn
                .s3(
                    "admin",
                    true,
                    &RequestSpec::new(Method::GET, format!("/{bucket}?encryption")),
                )
                .await?;
            if resp.status == 404 {
                return Ok(Err(format!("there is no bucket named {bucket}")));
            }
            if resp.status != 200 {
                return Ok(Err(format!(
                    "GetBucketEncryption answered {} {}",
                    resp.status,
                    resp.element("Code")
                )));
            }
            let algorithm = resp.element("SSEAlgorithm");
            if let Some(want) = sse {
                if algorithm != *want {
                    return Ok(Err(format!(
                        "bucket {bucket}'s default encryption is {}",
                        sse_name(&algorithm)
                    )));
                }
            }
            if let Some(alias) = kms_key {
                let configured = resp.element("KMSMasterKeyID");
                if configured.is_empty() {
                    return Ok(Err(format!(
                        "bucket {bucket}'s default names no KMS key (it uses the AWS managed key aws/s3)"
                    )));
                }
                let want = conn.resolve_alias(alias).await?.map(|(_, arn)| arn);
                let got = conn.resolve_alias(&configured).await?.map(|(_, arn)| arn);
                if want.is_none() || want != got {
                    return Ok(Err(format!(
                        "bucket {bucket}'s default names the KMS key {configured}, not {alias}"
                    )));
                }
            }
            if let Some(want) = bucket_key {
                let got = resp.element("BucketKeyEnabled") == "true";
                if got != *want {
                    return Ok(Err(format!(
                        "BucketKeyEnabled is {got} in bucket {bucket}'s default encryption"
                    )));
                }
            }
            if let Some(want) = sse_c_allowed {
                let blocked = resp
                    .text()
                    .contains("<EncryptionType>SSE-C</EncryptionType>");
                if blocked == *want {
                    return Ok(Err(if blocked {
                        format!("bucket {bucket} blocks SSE-C (BlockedEncryptionTypes: SSE-C)")
                    } else {
                        format!("bucket {bucket} accepts SSE-C")
                    }));
                }
            }
            Ok(Ok(()))
        }
        Goal::Request {
            identity,
            transport,
            method,
            bucket,
            key,
            headers,
            body,
            expect_status,
            expect_code,
            ..
        } => {
            let method = Method::from_bytes(method.as_bytes())
                .map_err(|_| format!("check.toml: {method:?} is not an HTTP method"))?;
            let path = match key {
                Some(k) => object_path(bucket, k),
                None => format!("/{bucket}"),
            };
            let mut spec = RequestSpec::new(method.clone(), path.clone()).body(body.clone());
            for (k, v) in headers {
                spec = spec.header(k.clone(), v.clone());
            }
            let resp = conn.s3(identity, transport != "http", &spec).await?;
            // A probe that wrote an object takes it away again.
            if method == Method::PUT && key.is_some() && resp.status == 200 {
                let _ = conn
                    .s3("admin", true, &RequestSpec::new(Method::DELETE, path))
                    .await;
            }
            let code = resp.element("Code");
            let status_ok = resp.status == *expect_status;
            let code_ok = expect_code.as_ref().is_none_or(|c| *c == code);
            if status_ok && code_ok {
                return Ok(Ok(()));
            }
            let message = resp.element("Message");
            let mut observed = format!(
                "{} {} as {identity} over {transport} answered {}",
                spec.method, spec.path_and_query, resp.status
            );
            if !code.is_empty() {
                let _ = write!(observed, " {code}");
            }
            if !message.is_empty() {
                let _ = write!(observed, ": {message}");
            }
            if resp.status < 300 {
                observed.push_str(" (it was allowed)");
            }
            Ok(Err(observed))
        }
        Goal::KmsKey {
            alias,
            enabled,
            rotation_enabled,
            rotations_at_least,
            ..
        } => {
            let Some((id, _)) = conn.resolve_alias(alias).await? else {
                return Ok(Err(format!("no KMS key has the alias {alias}")));
            };
            if let Some(want) = enabled {
                let d = conn
                    .kms_ok("DescribeKey", serde_json::json!({ "KeyId": id }))
                    .await?;
                let state = d["KeyMetadata"]["KeyState"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned();
                if (state == "Enabled") != *want {
                    return Ok(Err(format!("{alias} is in the state {state}")));
                }
            }
            if let Some(want) = rotation_enabled {
                let r = conn
                    .kms_ok("GetKeyRotationStatus", serde_json::json!({ "KeyId": id }))
                    .await?;
                let got = r["KeyRotationEnabled"].as_bool().unwrap_or(false);
                if got != *want {
                    return Ok(Err(format!(
                        "automatic rotation of {alias} is {}",
                        if got { "enabled" } else { "disabled" }
                    )));
                }
            }
            if let Some(want) = rotations_at_least {
                let r = conn
                    .kms_ok("ListKeyRotations", serde_json::json!({ "KeyId": id }))
                    .await?;
                let n = r["Rotations"].as_array().map_or(0, Vec::len);
                if n < *want {
                    return Ok(Err(format!(
                        "{alias} has been rotated {n} time{}",
                        if n == 1 { "" } else { "s" }
                    )));
                }
            }
            Ok(Ok(()))
        }
        Goal::Audit {
            event,
            identity,
            key,
            succeeded,
            at_least,
            at_most,
            ..
        } => {
            let n =
                count_audit(conn, event, identity.as_deref(), key.as_deref(), *succeeded).await?;
            let n = match n {
                Ok(n) => n,
                Err(o) => return Ok(Err(o)),
            };
            let low = at_least.unwrap_or(if at_most.is_some() { 0 } else { 1 });
            if n < low || at_most.is_some_and(|m| n > m) {
                let mut o = format!(
                    "{n} matching {event} record{} in the audit trail",
                    if n == 1 { "" } else { "s" }
                );
                if let Some(m) = at_most {
                    if n > *m {
                        let _ = write!(o, " (at most {m} wanted)");
                    }
                }
                return Ok(Err(o));
            }
            Ok(Ok(()))
        }
        Goal::Answer {
            file,
            expect,
            compare,
            ..
        } => {
            let Some(answer) = read_answer(work, file) else {
                return Ok(Err(format!(
                    "there is no file {file} in {}",
                    work.display()
                )));
            };
            let expected = derive(conn, work, expect).await?;
            Ok(compare_answer(file, &answer, &expected, *compare))
        }
        Goal::CargoTest { .. } => Err("a code lab's test is not a server goal".into()),
    }
}

async fn root_key_versions(conn: &LabConn) -> Result<Vec<u64>, String> {
    let resp = conn
        .s3(
            "admin",
            true,
            &RequestSpec::new(Method::GET, "/_s3lab/sse-s3-root-key"),
        )
        .await?;
    let json: serde_json::Value = serde_json::from_slice(&resp.body)
        .map_err(|_| format!("the lab's root key endpoint answered {}", resp.status))?;
    Ok(json["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["version"].as_u64())
        .collect())
}

async fn latest_root_key_version(conn: &LabConn) -> Result<u64, String> {
    root_key_versions(conn)
        .await?
        .into_iter()
        .max()
        .ok_or_else(|| "the lab has no SSE-S3 root key".to_owned())
}

fn object_found(
    resp: &Response,
    bucket: &str,
    key: &str,
    key_file: Option<&str>,
) -> Result<(), String> {
    match resp.status {
        200 => Ok(()),
        404 => Err(format!("there is no object s3://{bucket}/{key}")),
        400 if key_file.is_none() => Err(format!(
            "s3://{bucket}/{key} is stored with SSE-C (HEAD without its key answers 400)"
        )),
        400 => Err(format!(
            "s3://{bucket}/{key} is not stored with SSE-C (HEAD with the key in {} answers 400)",
            key_file.unwrap_or_default()
        )),
        403 if key_file.is_some() => Err(format!(
            "s3://{bucket}/{key} does not open with the key in {} (403: a different SSE-C key)",
            key_file.unwrap_or_default()
        )),
        s => Err(format!("HEAD s3://{bucket}/{key} answered {s}")),
    }
}

/// `AES256`, `aws:kms`, `aws:kms:dsse`, `SSE-C` or `none`, from a HEAD answer.
fn sse_of(resp: &Response) -> String {
    if resp
        .header("x-amz-server-side-encryption-customer-algorithm")
        .is_some()
    {
        return "SSE-C".into();
    }
    resp.header("x-amz-server-side-encryption")
        .unwrap_or("none")
        .to_owned()
}

async fn kms_key_matches(
    conn: &LabConn,
    resp: &Response,
    alias: &str,
    bucket: &str,
    key: &str,
) -> Result<Result<(), String>, String> {
    let got = resp
        .header("x-amz-server-side-encryption-aws-kms-key-id")
        .unwrap_or("")
        .to_owned();
    let Some((_, want)) = conn.resolve_alias(alias).await? else {
        return Ok(Err(format!("no KMS key has the alias {alias}")));
    };
    if got == want {
        return Ok(Ok(()));
    }
    if got.is_empty() {
        return Ok(Err(format!("s3://{bucket}/{key} names no KMS key")));
    }
    Ok(Err(format!(
        "s3://{bucket}/{key} is encrypted under {got}, not under {alias} ({want})"
    )))
}

async fn count_audit(
    conn: &LabConn,
    event: &str,
    identity: Option<&str>,
    key: Option<&str>,
    succeeded: Option<bool>,
) -> Result<Result<usize, String>, String> {
    let key_arn = match key {
        Some(alias) => match conn.resolve_alias(alias).await? {
            Some((_, arn)) => Some(arn),
            None => return Ok(Err(format!("no KMS key has the alias {alias}"))),
        },
        None => None,
    };
    let caller = identity.map(|i| conn.identity_arn(i));
    let records = conn.audit()?;
    Ok(Ok(records
        .iter()
        .filter(|r| r.event_name == event)
        .filter(|r| key_arn.as_deref().is_none_or(|k| r.key_arn() == Some(k)))
        .filter(|r| {
            caller
                .as_deref()
                .is_none_or(|c| r.user_identity.arn.as_deref() == Some(c))
        })
        .filter(|r| succeeded.is_none_or(|ok| r.succeeded() == ok))
        .count()))
}

fn read_answer(work: &Path, file: &str) -> Option<String> {
    std::fs::read(work.join(file))
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// An answer as compared: trimmed, without surrounding quotes (pasted from JSON), lower case.
fn normalize(s: &str) -> String {
    s.trim().trim_matches('"').trim().to_lowercase()
}

/// The items of a list answer: one per line or comma-separated, quotes trimmed, and an object
/// written as `s3://bucket/key` counted as its key.
fn items(s: &str) -> BTreeSet<String> {
    s.split(['\n', ','])
        .map(|i| i.trim().trim_matches('"').trim())
        .filter(|i| !i.is_empty())
        .map(|i| {
            match i
                .strip_prefix("s3://")
                .and_then(|rest| rest.split_once('/'))
            {
                Some((_, key)) => key.to_owned(),
                None => i.to_owned(),
            }
        })
        .collect()
}

fn shown(answer: &str) -> String {
    let t = answer.trim();
    let mut out: String = t.chars().take(120).collect();
    if out.len() < t.len() {
        out.push('…');
    }
    out.replace('\n', " ⏎ ")
}

fn compare_answer(
    file: &str,
    answer: &str,
    expected: &str,
    compare: Compare,
) -> Result<(), String> {
    let ok = match compare {
        Compare::Text => normalize(answer) == normalize(expected),
        Compare::Set => items(answer) == items(expected),
    };
    if ok {
        return Ok(());
    }
    if answer.trim().is_empty() {
        return Err(format!("{file} is empty"));
    }
    let mut o = format!("{file} says {:?}", shown(answer));
    if compare == Compare::Set {
        let (a, e) = (items(answer), items(expected));
        let _ = write!(
            o,
            " — {} item{}, {} of them right, {} missing",
            a.len(),
            if a.len() == 1 { "" } else { "s" },
            a.intersection(&e).count(),
            e.difference(&a).count()
        );
    } else {
        o.push_str(", which is not what the lab's state says");
    }
    Err(o)
}

fn judge_fixed_answer(
    description: String,
    work: &Path,
    file: &str,
    sha256: &str,
    compare: Compare,
) -> GoalOutcome {
    let Some(answer) = read_answer(work, file) else {
        return GoalOutcome::not_met(
            description,
            format!("there is no file {file} in {}", work.display()),
        );
    };
    let normalized = match compare {
        Compare::Text => normalize(&answer),
        Compare::Set => items(&normalize(&answer))
            .into_iter()
            .collect::<Vec<_>>()
            .join("\n"),
    };
    if hex::encode(sha2::Sha256::digest(normalized.as_bytes())) == sha256.to_lowercase() {
        GoalOutcome::met(description)
    } else if answer.trim().is_empty() {
        GoalOutcome::not_met(description, format!("{file} is empty"))
    } else {
        GoalOutcome::not_met(
            description,
            format!("{file} says {:?}, which is not the answer", shown(&answer)),
        )
    }
}

/// The SHA-256 (hex) a fixed answer is kept as: of the trimmed, lower-case text.
pub fn answer_digest(answer: &str) -> String {
    hex::encode(sha2::Sha256::digest(normalize(answer).as_bytes()))
}

async fn derive(conn: &LabConn, work: &Path, expect: &Derived) -> Result<String, String> {
    match expect {
        Derived::Sha256 { .. } => Err("a fixed answer has no derived value".into()),
        Derived::KeyIdOfAlias { alias } => conn
            .resolve_alias(alias)
            .await?
            .map(|(id, _)| id)
            .ok_or_else(|| format!("the lab has no key {alias} (reset the lab)")),
        Derived::ObjectKeyMaterial { bucket, key } => {
            let meta = conn
                .stored_meta(bucket, key)?
                .ok_or_else(|| format!("s3://{bucket}/{key} is gone (reset the lab)"))?;
            let enc = &meta["encryption"];
            enc["kms_key_material_id"]
                .as_str()
                .or_else(|| enc["kms_layer"]["kms_key_material_id"].as_str())
                .map(str::to_owned)
                .ok_or_else(|| format!("s3://{bucket}/{key} is not stored with SSE-KMS"))
        }
        Derived::ObjectRootKeyVersion { bucket, key } => {
            let meta = conn
                .stored_meta(bucket, key)?
                .ok_or_else(|| format!("s3://{bucket}/{key} is gone"))?;
            meta["encryption"]["root_key_version"]
                .as_u64()
                .map(|v| v.to_string())
                .ok_or_else(|| format!("s3://{bucket}/{key} is not stored with SSE-S3"))
        }
        Derived::ObjectsUnreadableBy { bucket, identity } => {
            let keys = conn
                .list(bucket, "")
                .await?
                .ok_or_else(|| format!("there is no bucket {bucket} (reset the lab)"))?;
            let mut out = Vec::new();
            for key in keys {
                if conn.get(identity, bucket, &key).await?.status != 200 {
                    out.push(key);
                }
            }
            Ok(out.join("\n"))
        }
        Derived::AuditCount { event, key } => {
            match count_audit(conn, event, None, key.as_deref(), None).await? {
                Ok(n) => Ok(n.to_string()),
                Err(e) => Err(e),
            }
        }
        Derived::ObjectMetadata { bucket, key, name } => {
            let resp = conn.head("admin", bucket, key, &[]).await?;
            resp.header(&format!("x-amz-meta-{name}"))
                .map(str::to_owned)
                .ok_or_else(|| {
                    format!("s3://{bucket}/{key} has no x-amz-meta-{name} (reset the lab)")
                })
        }
        Derived::ObjectsNotDecryptable {
            bucket,
            prefix,
            key_files,
        } => {
            let keys = conn
                .list(bucket, prefix)
                .await?
                .ok_or_else(|| format!("there is no bucket {bucket} (reset the lab)"))?;
            let masters: Vec<[u8; 32]> = key_files
                .iter()
                .filter_map(|f| std::fs::read(work.join(f)).ok())
                .filter_map(|b| b.as_slice().try_into().ok())
                .collect();
            let mut out = Vec::new();
            for key in keys {
                let resp = conn.get("admin", bucket, &key).await?;
                let mut meta = s3lab_cse::MetadataMap::new();
                for (name, value) in &resp.headers {
                    if let (Some(n), Ok(v)) =
                        (name.as_str().strip_prefix("x-amz-meta-"), value.to_str())
                    {
                        meta.insert(n.to_owned(), v.to_owned());
                    }
                }
                let mut opened = false;
                for m in &masters {
                    let client = s3lab_cse::CseClient::new(
                        s3lab_cse::Keyring::RawAes(s3lab_cse::RawAesKeyring::new(*m)),
                        s3lab_cse::CseConfig::default(),
                        s3lab_env::Entropy::Os,
                    )
                    .map_err(|e| e.to_string())?;
                    if client
                        .decrypt(&meta, None, &resp.body, &s3lab_cse::StringMap::new())
                        .await
                        .is_ok()
                    {
                        opened = true;
                        break;
                    }
                }
                if !opened {
                    out.push(key);
                }
            }
            Ok(out.join("\n"))
        }
        Derived::ObjectBody { bucket, key } => {
            let resp = conn.get("admin", bucket, key).await?;
            if resp.status != 200 {
                return Err(format!(
                    "s3://{bucket}/{key} cannot be read ({})",
                    resp.status
                ));
            }
            Ok(resp.text())
        }
        Derived::WorkFile { file } => std::fs::read(work.join(file))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .map_err(|_| format!("the work folder has no {file} any more (reset the lab)")),
        Derived::ObjectsStoredWith {
            bucket,
            prefix,
            sse,
        } => {
            let keys = conn
                .list(bucket, prefix)
                .await?
                .ok_or_else(|| format!("there is no bucket {bucket} (reset the lab)"))?;
            let mut out = Vec::new();
            for key in keys {
                if sse_of(&conn.head("admin", bucket, &key, &[]).await?) == *sse {
                    out.push(key);
                }
            }
            Ok(out.join("\n"))
        }
    }
}

/// One `cargo test` of a code lab's crate.
#[derive(Debug, Clone)]
struct TestRun {
    /// Test name to passed.
    results: Vec<(String, bool)>,
    /// For failed tests: the start of what they printed.
    failures: Vec<(String, String)>,
    /// Compiler errors, when the crate does not build.
    build_error: Option<String>,
}

fn run_tests(lab: &Lab, work: &Path, target_dir: &Path) -> Result<TestRun, String> {
    // The tests are the check: put them back as the lab ships them.
    let pristine = lab.starter_path().join("tests");
    if pristine.is_dir() {
        crate::home::copy_tree(&pristine, &work.join("tests")).map_err(|e| e.to_string())?;
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "test",
            "--color",
            "never",
            "--no-fail-fast",
            "--",
            "--color",
            "never",
            "--test-threads",
            "1",
        ])
        .current_dir(work)
        .env("CARGO_TARGET_DIR", target_dir)
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .output()
        .map_err(|e| format!("could not run cargo in {}: {e}", work.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    Ok(parse_test_output(&stdout, &stderr))
}

fn parse_test_output(stdout: &str, stderr: &str) -> TestRun {
    let mut results = Vec::new();
    for line in stdout.lines() {
        if let Some(rest) = line.strip_prefix("test ") {
            if let Some((name, verdict)) = rest.rsplit_once(" ... ") {
                let name = name.trim().to_owned();
                match verdict.trim() {
                    "ok" => results.push((name, true)),
                    v if v.starts_with("FAILED") => results.push((name, false)),
                    _ => {}
                }
            }
        }
    }
    let mut failures = Vec::new();
    let mut current: Option<(String, Vec<String>)> = None;
    for line in stdout.lines() {
        if let Some(name) = line
            .strip_prefix("---- ")
            .and_then(|l| l.strip_suffix(" stdout ----"))
        {
            if let Some((n, lines)) = current.take() {
                failures.push((n, lines.join("\n")));
            }
            current = Some((name.trim().to_owned(), Vec::new()));
        } else if let Some((_, lines)) = current.as_mut() {
            if line.trim().is_empty() && lines.is_empty() {
                continue;
            }
            if line.trim().is_empty() || line.starts_with("failures:") {
                if let Some((n, lines)) = current.take() {
                    failures.push((n, lines.join("\n")));
                }
            } else if lines.len() < 4 && !line.starts_with("note: run with") {
                lines.push(line.trim().to_owned());
            }
        }
    }
    if let Some((n, lines)) = current.take() {
        failures.push((n, lines.join("\n")));
    }
    let build_error = if results.is_empty() {
        let errors: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("error") || l.trim_start().starts_with("-->"))
            .take(6)
            .collect();
        Some(if errors.is_empty() {
            stderr
                .lines()
                .rev()
                .take(4)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n")
        } else {
            errors.join("\n")
        })
    } else {
        None
    };
    TestRun {
        results,
        failures,
        build_error,
    }
}

fn judge_test(description: String, run: &Result<TestRun, String>, test: &str) -> GoalOutcome {
    let run = match run {
        Ok(r) => r,
        Err(e) => return GoalOutcome::unknown(description, e.clone()),
    };
    if let Some(err) = &run.build_error {
        return GoalOutcome::not_met(description, format!("the crate does not build:\n{err}"));
    }
    let found = run
        .results
        .iter()
        .find(|(name, _)| name == test || name.ends_with(&format!("::{test}")));
    match found {
        Some((_, true)) => GoalOutcome::met(description),
        Some((name, false)) => {
            let why = run
                .failures
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, w)| w.clone())
                .filter(|w| !w.is_empty())
                .unwrap_or_else(|| "the test failed".into());
            GoalOutcome::not_met(description, format!("test {test} failed: {why}"))
        }
        None => GoalOutcome::not_met(description, format!("the test {test} did not run")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_compare_as_text_or_sets() {
        assert!(compare_answer("a.txt", "  ABC\n", "abc", Compare::Text).is_ok());
        let e = compare_answer("a.txt", "abd", "abc", Compare::Text).unwrap_err();
        assert!(
            e.contains("a.txt says \"abd\"") && !e.contains("abc"),
            "{e}"
        );
        assert!(compare_answer("a.txt", "x\ny, z", "z\nx\ny", Compare::Set).is_ok());
        assert!(compare_answer("a.txt", "\"abc\"\n", "ABC", Compare::Text).is_ok());
        assert!(compare_answer(
            "a.txt",
            "s3://locked/team/a.txt\n\"b\"",
            "team/a.txt\nb",
            Compare::Set
        )
        .is_ok());
        let e = compare_answer("a.txt", "x\nq", "x\ny", Compare::Set).unwrap_err();
        assert!(e.contains("1 of them right, 1 missing"), "{e}");
        assert_eq!(
            compare_answer("a.txt", " \n", "x", Compare::Text).unwrap_err(),
            "a.txt is empty"
        );
    }

    #[test]
    fn fixed_answers_are_kept_as_digests() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("answer.txt"), "  InvalidRequest \n").unwrap();
        let d = answer_digest("invalidrequest");
        let g = judge_fixed_answer("d".into(), dir.path(), "answer.txt", &d, Compare::Text);
        assert_eq!(g.status, GoalStatus::Met);
        let g = judge_fixed_answer(
            "d".into(),
            dir.path(),
            "answer.txt",
            &answer_digest("x"),
            Compare::Text,
        );
        assert_eq!(g.status, GoalStatus::NotMet);
        let g = judge_fixed_answer("d".into(), dir.path(), "missing.txt", &d, Compare::Text);
        assert!(g.observed.unwrap().contains("there is no file missing.txt"));
    }

    #[test]
    fn parses_cargo_test_output() {
        let stdout = "\nrunning 2 tests\ntest md5_is_base64 ... ok\ntest headers_match ... FAILED\n\nfailures:\n\n---- headers_match stdout ----\n\nthread 'headers_match' panicked at tests/check.rs:9:5:\nnot yet implemented\nnote: run with `RUST_BACKTRACE=1`\n\n\nfailures:\n    headers_match\n\ntest result: FAILED. 1 passed; 1 failed\n";
        let run = parse_test_output(stdout, "");
        assert_eq!(
            run.results,
            vec![
                ("md5_is_base64".to_owned(), true),
                ("headers_match".to_owned(), false)
            ]
        );
        let ok = judge_test("a".into(), &Ok(run.clone()), "md5_is_base64");
        assert_eq!(ok.status, GoalStatus::Met);
        let bad = judge_test("b".into(), &Ok(run.clone()), "headers_match");
        let observed = bad.observed.unwrap();
        assert!(observed.contains("not yet implemented"), "{observed}");
        let missing = judge_test("c".into(), &Ok(run), "nope");
        assert!(missing.observed.unwrap().contains("did not run"));
        let broken =
            parse_test_output("", "error[E0308]: mismatched types\n  --> src/lib.rs:3:5\n");
        let g = judge_test("d".into(), &Ok(broken), "x");
        assert!(g
            .observed
            .unwrap()
            .contains("does not build:\nerror[E0308]"));
    }

    #[test]
    fn a_report_renders_marks_and_what_was_observed() {
        let report = CheckReport {
            number: 3,
            name: "enforce".into(),
            title: "Enforce".into(),
            goals: vec![
                GoalOutcome::met("first".into()),
                GoalOutcome::not_met("second".into(), "saw this\nand that"),
                GoalOutcome::unknown("third".into(), "server down"),
            ],
        };
        assert!(!report.passed() && report.incomplete());
        assert_eq!(
            report.render(),
            "Lab 3 · enforce — Enforce\n  ✓ first\n  ✗ second\n      observed: saw this\n                and that\n  ? third\n      observed: server down\n1 of 3 goals met.\n"
        );
    }
}
