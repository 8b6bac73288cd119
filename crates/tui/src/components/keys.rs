//! The Keys pane: the key hierarchy of the step's encryption mode as a diagram of boxes, top (the
//! key that protects the others) to bottom (the object), each box saying where that key lives.

use std::collections::BTreeMap;

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use s3lab_scenarios::Topic;
use s3lab_transcript::{AtRest, Event, Exchange};

use super::{PaneContent, StepCtx};
use crate::text::Hang;
use crate::text::{truncate, width};

/// An encryption mode, with what the step knows of its keys.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Facts {
    /// `bucket/key`, when the step names an object.
    pub object: Option<String>,
    pub stored_len: Option<u64>,
    pub wrapped_key: Option<String>,
    pub key_ids: Vec<String>,
    pub material: Vec<String>,
    pub kms_key: Option<String>,
    pub context: BTreeMap<String, String>,
    pub customer_key_md5: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    SseS3,
    SseKms,
    DsseKms,
    SseC,
    ClientSide,
    Unencrypted,
}

/// Where the mode was learnt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// From this step's events.
    Step,
    /// From an earlier step of the transcript.
    Earlier,
    /// From the scenario's topic only.
    Topic,
}

fn mode_from_name(name: &str) -> Option<Mode> {
    Some(match name {
        "SSE-S3" => Mode::SseS3,
        "SSE-KMS" => Mode::SseKms,
        "DSSE-KMS" => Mode::DsseKms,
        "SSE-C" => Mode::SseC,
        "none" => Mode::Unencrypted,
        _ => return None,
    })
}

/// The mode an exchange's headers show.
fn mode_of_exchange(e: &Exchange) -> Option<Mode> {
    for m in [&e.response, &e.request] {
        if m.header("x-amz-server-side-encryption-customer-algorithm")
            .is_some()
        {
            return Some(Mode::SseC);
        }
        let client = m.headers.iter().any(|(n, _)| {
            let n = n.to_ascii_lowercase();
            n == "x-amz-meta-x-amz-key-v2"
                || n == "x-amz-meta-x-amz-key"
                || n == "x-amz-meta-x-amz-3"
                || n == "x-amz-meta-x-amz-c"
        });
        if client {
            return Some(Mode::ClientSide);
        }
    }
    // The response says what S3 did; the request only what was asked.
    for m in [&e.response, &e.request] {
        match m.header("x-amz-server-side-encryption") {
            Some("AES256") => return Some(Mode::SseS3),
            Some("aws:kms") => return Some(Mode::SseKms),
            Some("aws:kms:dsse") => return Some(Mode::DsseKms),
            _ => {}
        }
    }
    None
}

fn facts_of(events: &[Event]) -> (Option<Mode>, Facts) {
    let mut facts = Facts::default();
    let mut mode = None;
    for event in events {
        match event {
            Event::AtRest(a) => {
                mode = mode.or_else(|| mode_from_name(&a.mode));
                fill_from_at_rest(&mut facts, a);
            }
            Event::Exchange(e) => {
                if mode.is_none() {
                    mode = mode_of_exchange(e);
                }
                for m in [&e.request, &e.response] {
                    if let Some(k) = m.header("x-amz-server-side-encryption-aws-kms-key-id") {
                        facts.kms_key.get_or_insert_with(|| k.to_owned());
                    }
                    if let Some(md5) = m.header("x-amz-server-side-encryption-customer-key-MD5") {
                        facts.customer_key_md5.get_or_insert_with(|| md5.to_owned());
                    }
                }
                if facts.object.is_none() {
                    let path = e.request.start_line.split_whitespace().nth(1).unwrap_or("");
                    let path = path.split('?').next().unwrap_or("").trim_start_matches('/');
                    if path.contains('/') {
                        facts.object = Some(path.to_owned());
                    }
                }
            }
            Event::KmsCall(k) => {
                if facts.kms_key.is_none() {
                    facts.kms_key = k.key_arn.clone();
                }
                if facts.material.is_empty() {
                    if let Some(m) = &k.key_material_id {
                        facts.material.push(m.clone());
                    }
                }
                if facts.context.is_empty() {
                    facts.context = k.encryption_context.clone();
                }
            }
            _ => {}
        }
    }
    (mode, facts)
}

fn fill_from_at_rest(facts: &mut Facts, a: &AtRest) {
    facts.object = Some(format!("{}/{}", a.bucket, a.key));
    facts.stored_len = Some(a.blob_len);
    facts.wrapped_key = a.wrapped_key.clone();
    facts.key_ids = a.key_ids.clone();
    facts.material = a.material_versions.clone();
}

/// The mode of the step, and where it was learnt.
pub fn mode_of(ctx: &StepCtx<'_>) -> Option<(Mode, Facts, Source)> {
    let (mode, facts) = facts_of(ctx.events());
    if let Some(mode) = mode {
        return Some((mode, facts, Source::Step));
    }
    for step in ctx.transcript.steps.iter().take(ctx.step).rev() {
        let (mode, facts) = facts_of(&step.events);
        if let Some(mode) = mode {
            return Some((mode, facts, Source::Earlier));
        }
    }
    let mode = match ctx.scenario?.topic {
        Topic::SseS3 => Mode::SseS3,
        Topic::SseKms => Mode::SseKms,
        Topic::SseC => Mode::SseC,
        Topic::ClientSide => Mode::ClientSide,
        _ => return None,
    };
    Some((mode, Facts::default(), Source::Topic))
}

/// A box: a title in the top border, then lines.
fn boxed(title: &str, body: &[String], w: usize, style: Style, base: Style) -> Vec<Line<'static>> {
    let inner = w.saturating_sub(4).max(8);
    let title = truncate(title, inner.saturating_sub(1));
    let top_fill = inner.saturating_sub(width(&title) + 1);
    let mut out = vec![Line::from(vec![
        Span::styled("┌─ ", style),
        Span::styled(title, style.add_modifier(ratatui::style::Modifier::BOLD)),
        Span::styled(format!(" {}┐", "─".repeat(top_fill)), style),
    ])];
    for l in body {
        let l = truncate(l, inner);
        let pad = inner.saturating_sub(width(&l));
        out.push(Line::from(vec![
            Span::styled("│ ", style),
            Span::styled(format!("{l}{}", " ".repeat(pad)), base),
            Span::styled(" │", style),
        ]));
    }
    out.push(Line::styled(format!("└{}┘", "─".repeat(inner + 2)), style));
    out
}

/// An arrow between two boxes, saying what the upper key does to the lower thing.
fn arrow(what: &str, style: Style) -> Vec<Line<'static>> {
    vec![
        Line::styled("      │", style),
        Line::from(vec![
            Span::styled("      ▼ ", style),
            Span::styled(what.to_owned(), style),
        ]),
    ]
}

fn short_ctx(ctx: &BTreeMap<String, String>) -> String {
    ctx.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn content(ctx: &StepCtx<'_>, pane_width: u16) -> PaneContent {
    let t = ctx.theme;
    let Some((mode, f, source)) = mode_of(ctx) else {
        return PaneContent {
            lines: vec![
                Line::styled("No key protects anything in this step yet.", t.dim),
                Line::styled(
                    "The Keys pane draws the key hierarchy once an object is written.",
                    t.dim,
                ),
            ],
            empty: true,
            ..PaneContent::default()
        };
    };
    let w = usize::from(pane_width).saturating_sub(2).clamp(24, 90);
    let mut lines = Vec::new();
    let (name, lead) = match mode {
        Mode::SseS3 => (
            "SSE-S3",
            "S3 owns both keys: you hold none and call no key service.",
        ),
        Mode::SseKms => (
            "SSE-KMS",
            "A KMS key wraps the data key: every use is a KMS call, in the audit trail.",
        ),
        Mode::DsseKms => (
            "DSSE-KMS",
            "Two layers: a KMS-wrapped key and an S3-wrapped key, each encrypting once.",
        ),
        Mode::SseC => (
            "SSE-C",
            "Your key: S3 uses it for this request, then forgets it.",
        ),
        Mode::ClientSide => (
            "client-side",
            "Encrypted before upload: S3 only ever sees ciphertext.",
        ),
        Mode::Unencrypted => ("no encryption", "Nothing protects the stored bytes."),
    };
    lines.push(Line::styled(format!("Key hierarchy · {name}"), t.title));
    lines.push(Line::styled(lead.to_owned(), t.base));
    match source {
        Source::Step => {}
        Source::Earlier => lines.push(Line::styled(
            "(this step writes no object: the hierarchy of an earlier step)",
            t.dim,
        )),
        Source::Topic => lines.push(Line::styled(
            "(the hierarchy this scenario is about)",
            t.dim,
        )),
    }
    lines.push(Line::default());
    let object = f.object.clone().unwrap_or_else(|| "the object".into());
    let object_box = |how: &str| {
        let mut body = vec![format!("lives in: S3's disk, as ciphertext{how}")];
        if let Some(n) = f.stored_len {
            body.push(format!("{n} bytes stored (see At rest)"));
        }
        boxed(&format!("object {object}"), &body, w, t.base, t.base)
    };
    let wrapped = |by: &str| {
        let mut body = vec![
            "one per object, AES-256".to_owned(),
            format!("lives in: the object's metadata, wrapped by {by}"),
        ];
        if let Some(k) = &f.wrapped_key {
            body.push(format!("wrapped: {k}"));
        }
        body
    };
    let first = |v: &Vec<String>| v.first().cloned();
    match mode {
        Mode::SseS3 => {
            let version = first(&f.material).unwrap_or_else(|| "current".into());
            lines.extend(boxed(
                &format!("S3 root key {version}"),
                &[
                    "lives in: AWS, inside S3; it never leaves S3".into(),
                    "rotated by S3; old versions kept to decrypt".into(),
                ],
                w,
                t.key_aws,
                t.base,
            ));
            lines.extend(arrow("wraps", t.key_aws));
            lines.extend(boxed(
                "data key",
                &wrapped("the root key"),
                w,
                t.key_aws,
                t.base,
            ));
            lines.extend(arrow("encrypts (AES-256-GCM)", t.key_aws));
            lines.extend(object_box(""));
        }
        Mode::SseKms | Mode::DsseKms => {
            let mut body = vec!["lives in: AWS KMS, in its HSMs; never leaves KMS".to_owned()];
            body.push(format!(
                "key: {}",
                f.kms_key
                    .clone()
                    .unwrap_or_else(|| "aws/s3 (default)".into())
            ));
            if let Some(m) = f.material.first() {
                body.push(format!("material: {m}"));
            }
            if !f.context.is_empty() {
                body.push(format!("context: {}", short_ctx(&f.context)));
            }
            lines.extend(boxed("KMS key", &body, w, t.key_kms, t.base));
            lines.extend(arrow("GenerateDataKey: wraps", t.key_kms));
            lines.extend(boxed(
                "data key",
                &wrapped("KMS (S3 calls Decrypt to read)"),
                w,
                t.key_kms,
                t.base,
            ));
            if mode == Mode::DsseKms {
                lines.extend(arrow("encrypts: layer 1", t.key_kms));
                let root = f
                    .key_ids
                    .iter()
                    .find(|k| k.starts_with("S3 root key"))
                    .cloned()
                    .unwrap_or_else(|| "S3 root key".into());
                lines.extend(boxed(
                    &format!("{root} → second data key"),
                    &[
                        "lives in: AWS, inside S3".into(),
                        "its data key is wrapped in the metadata too".into(),
                    ],
                    w,
                    t.key_aws,
                    t.base,
                ));
                lines.extend(arrow("encrypts again: layer 2", t.key_aws));
            } else {
                lines.extend(arrow("encrypts (AES-256-GCM)", t.key_kms));
            }
            lines.extend(object_box(""));
        }
        Mode::SseC => {
            let mut body = vec![
                "lives in: the customer (you), never stored by S3".to_owned(),
                "sent with every request, over HTTPS only".into(),
                "S3 keeps only a salted HMAC of it, to recognise it".into(),
            ];
            if let Some(md5) = &f.customer_key_md5 {
                body.push(format!("key MD5: {md5}"));
            }
            lines.extend(boxed("customer key", &body, w, t.key_customer, t.base));
            lines.extend(arrow("wraps", t.key_customer));
            lines.extend(boxed(
                "data key",
                &wrapped("your key"),
                w,
                t.key_customer,
                t.base,
            ));
            lines.extend(arrow("encrypts (AES-256-GCM)", t.key_customer));
            lines.extend(object_box(""));
        }
        Mode::ClientSide => {
            lines.extend(boxed(
                "master key",
                &[
                    "lives in: the client: a KMS key, or an AES or".into(),
                    "RSA key that only you hold".into(),
                ],
                w,
                t.key_client,
                t.base,
            ));
            lines.extend(arrow("wraps (the envelope)", t.key_client));
            lines.extend(boxed(
                "data key (envelope)",
                &[
                    "made by the client, one per object".into(),
                    "lives in: the object's metadata or an".into(),
                    "instruction file, wrapped by the master key".into(),
                ],
                w,
                t.key_client,
                t.base,
            ));
            lines.extend(arrow(
                "encrypts on your machine, before upload",
                t.key_client,
            ));
            lines.extend(object_box(" S3 cannot read"));
        }
        Mode::Unencrypted => {
            lines.extend(boxed(
                &format!("object {object}"),
                &["lives in: S3's disk, as sent: no key at all".into()],
                w,
                t.fail,
                t.base,
            ));
        }
    }
    lines.push(Line::default());
    lines.push(Line::styled(
        "Where keys live: AWS (S3) · KMS · customer · client",
        t.dim,
    ));
    PaneContent {
        lines,
        hang: Hang::Fixed(2),
        ..PaneContent::default()
    }
}
