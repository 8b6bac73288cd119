//! The transcript: everything a learner sees, recorded once.
//!
//! A [`Transcript`] is the one source of truth for what a learner sees in s3lab. It is an ordered
//! list of [`Step`]s, each an ordered list of [`Event`]s recorded while real clients talked to the
//! real (mock) servers. Nothing else invents what a learner sees:
//!
//! - the TUI renders a transcript, pane by pane;
//! - `s3lab run` prints it with [`render_text`], [`render_markdown`] or as JSON ([`Transcript::to_json`]);
//! - insta snapshots pin it, so a change in what a learner would see is a reviewed change;
//! - the book includes those snapshots, so the book shows the same bytes that `cargo test` asserts.
//!
//! # Events
//!
//! | event | what it shows |
//! |---|---|
//! | [`Exchange`] | one HTTP request and its response as they were on the connection: start line, every header in wire order with the names as sent, a [`BodyPreview`] |
//! | [`KmsCall`] | one audit record of the mock KMS, shaped like a CloudTrail event |
//! | [`AtRest`] | what storage wrote: the blob's first bytes as hex with the at-rest format's regions marked ([`HexRegions`]), the plaintext metadata file, the wrapped key and key ids |
//! | [`WireTap`] | what an eavesdropper on the connection saw: the plaintext HTTP bytes, or only TLS record types and lengths |
//! | [`Note`] | the explanation, linked to the ids of the claims it explains |
//! | [`Check`] | an assertion about what just happened; a failed check is a bug in the lab, never hidden |
//! | [`Secret`] | a key shown on purpose (an SSE-C key the learner chose, a data key in a "what S3 does inside" step) |
//!
//! In JSON every event is an object whose `"kind"` names its variant (`"Exchange"`, `"KmsCall"`, …).
//!
//! # Secrets
//!
//! A transcript must not show a key by accident. Every event has a `shown_on_purpose` flag
//! (omitted from JSON when false): a step that means to show a key (the SSE-C key in the request
//! headers, the same key readable in a plain-HTTP wire tap, a [`Secret`] event) sets it.
//! [`find_secrets`] searches a transcript for given secret bytes — raw, as hex (also in hex dumps
//! spanning rows) and as base64 at any alignment — and reports every occurrence in an event that is
//! not marked. The curriculum's tests call it with every key the lab knows.
//!
//! # Determinism
//!
//! Rendering never reads a clock or an RNG: the same transcript renders to the same bytes. A
//! transcript recorded from a seeded lab is itself stable, except the shape of TLS handshakes
//! (record lengths can differ between runs), which only [`WireTap`]s over HTTPS show.

mod error;
mod preview;
mod render;
mod secrets;
pub mod wire;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use error::TranscriptError;
pub use preview::{
    hexdump, hexdump_at, hexdump_rows, parse_hexdump, BodyPreview, HexRegions, Region,
};
pub use render::{render_markdown, render_text};
pub use secrets::find_secrets;

/// How many bytes of a body a preview keeps by default.
pub const DEFAULT_BODY_LIMIT: usize = 512;

/// How many bytes of a blob an [`AtRest`] preview shows by default: the header, one short chunk.
pub const DEFAULT_BLOB_LIMIT: usize = 256;

/// Everything a learner sees in one scenario.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct Transcript {
    /// The scenario's id, as `s3lab run` takes it: `sse-c`.
    pub scenario: String,
    /// Its title, in the learner's language.
    pub title: String,
    pub steps: Vec<Step>,
}

impl Transcript {
    pub fn new(scenario: impl Into<String>, title: impl Into<String>) -> Self {
        Transcript {
            scenario: scenario.into(),
            title: title.into(),
            steps: Vec::new(),
        }
    }

    /// Starts a new step and returns it, to push events into.
    pub fn step(&mut self, title: impl Into<String>) -> &mut Step {
        self.steps.push(Step::new(title));
        let last = self.steps.len() - 1;
        &mut self.steps[last]
    }

    /// Every check of every step, with the index of its step.
    pub fn checks(&self) -> impl Iterator<Item = (usize, &Check)> {
        self.steps.iter().enumerate().flat_map(|(i, s)| {
            s.events.iter().filter_map(move |e| match e {
                Event::Check(c) => Some((i, c)),
                _ => None,
            })
        })
    }

    /// Whether every check passed.
    pub fn all_checks_passed(&self) -> bool {
        self.checks().all(|(_, c)| c.passed)
    }

    /// Pretty JSON, stable: field order is declaration order, maps are sorted.
    pub fn to_json(&self) -> Result<String, TranscriptError> {
        serde_json::to_string_pretty(self).map_err(TranscriptError::Json)
    }

    pub fn from_json(json: &str) -> Result<Self, TranscriptError> {
        serde_json::from_str(json).map_err(TranscriptError::Json)
    }
}

/// One step of a scenario: what happened, in order.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct Step {
    pub title: String,
    pub events: Vec<Event>,
}

impl Step {
    pub fn new(title: impl Into<String>) -> Self {
        Step {
            title: title.into(),
            events: Vec::new(),
        }
    }

    /// Appends an event.
    pub fn push(&mut self, event: impl Into<Event>) -> &mut Self {
        self.events.push(event.into());
        self
    }
}

/// One thing a learner sees.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(tag = "kind")]
pub enum Event {
    Exchange(Exchange),
    KmsCall(KmsCall),
    AtRest(AtRest),
    WireTap(WireTap),
    Note(Note),
    Check(Check),
    Secret(Secret),
}

impl Event {
    /// The variant's name, as in JSON's `"kind"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Exchange(_) => "Exchange",
            Event::KmsCall(_) => "KmsCall",
            Event::AtRest(_) => "AtRest",
            Event::WireTap(_) => "WireTap",
            Event::Note(_) => "Note",
            Event::Check(_) => "Check",
            Event::Secret(_) => "Secret",
        }
    }

    /// Whether this event shows a secret on purpose (and [`find_secrets`] skips it).
    pub fn shown_on_purpose(&self) -> bool {
        match self {
            Event::Exchange(e) => e.shown_on_purpose,
            Event::KmsCall(e) => e.shown_on_purpose,
            Event::AtRest(e) => e.shown_on_purpose,
            Event::WireTap(e) => e.shown_on_purpose,
            Event::Note(e) => e.shown_on_purpose,
            Event::Check(e) => e.shown_on_purpose,
            Event::Secret(e) => e.shown_on_purpose,
        }
    }

    /// Marks this event as showing a secret on purpose.
    pub fn on_purpose(mut self) -> Self {
        let flag = match &mut self {
            Event::Exchange(e) => &mut e.shown_on_purpose,
            Event::KmsCall(e) => &mut e.shown_on_purpose,
            Event::AtRest(e) => &mut e.shown_on_purpose,
            Event::WireTap(e) => &mut e.shown_on_purpose,
            Event::Note(e) => &mut e.shown_on_purpose,
            Event::Check(e) => &mut e.shown_on_purpose,
            Event::Secret(e) => &mut e.shown_on_purpose,
        };
        *flag = true;
        self
    }
}

macro_rules! into_event {
    ($($t:ident),*) => {
        $(impl From<$t> for Event {
            fn from(e: $t) -> Event {
                Event::$t(e)
            }
        })*
    };
}
into_event!(Exchange, KmsCall, AtRest, WireTap, Note, Check, Secret);

fn is_false(b: &bool) -> bool {
    !*b
}

/// Which kind of connection carried an exchange.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    #[default]
    Http,
    Https,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Http => "http",
            Transport::Https => "https",
        }
    }
}

/// One HTTP request and its response.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct Exchange {
    pub transport: Transport,
    /// The name of the identity that signed the request (`admin`), if any.
    pub identity: Option<String>,
    pub request: HttpMessage,
    pub response: HttpMessage,
    #[serde(default, skip_serializing_if = "is_false")]
    pub shown_on_purpose: bool,
}

/// An HTTP message as it was on the connection.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct HttpMessage {
    /// `PUT /bucket/key HTTP/1.1` or `HTTP/1.1 200 OK`.
    pub start_line: String,
    /// Every header in wire order, the names as sent.
    pub headers: Vec<(String, String)>,
    pub body: BodyPreview,
}

impl HttpMessage {
    /// The value of the first header named `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Whether a header is one of S3's server-side encryption headers (`x-amz-server-side-encryption*`),
/// which renderings mark so that colour is never the only carrier of meaning.
pub fn is_sse_header(name: &str) -> bool {
    name.len() >= 28 && name.as_bytes()[..28].eq_ignore_ascii_case(b"x-amz-server-side-encryption")
}

/// One audit record of the mock KMS, shaped like a CloudTrail event.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct KmsCall {
    /// The operation: `GenerateDataKey`, `Decrypt`, …
    pub event_name: String,
    pub key_arn: Option<String>,
    pub key_material_id: Option<String>,
    /// Who called: the principal's ARN or name.
    pub caller: String,
    /// The service that called on the caller's behalf (`s3.amazonaws.com`), if any.
    pub invoked_by: Option<String>,
    pub encryption_context: BTreeMap<String, String>,
    /// `None` for a success, else the error's name (`AccessDeniedException`).
    pub error_code: Option<String>,
    /// As the audit record says it (`2026-01-01T00:00:00Z`).
    pub event_time: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub shown_on_purpose: bool,
}

/// What the storage layer actually wrote for one object.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct AtRest {
    pub bucket: String,
    pub key: String,
    /// The blob's file, relative to the data folder, when the directory back end holds it.
    pub blob_path: Option<String>,
    pub blob_len: u64,
    /// The blob's first bytes as hex rows, with the at-rest format's regions marked.
    pub blob_preview: HexRegions,
    /// The object's plaintext metadata file, pretty-printed.
    pub metadata_json: String,
    /// The encryption mode as a learner names it: `SSE-S3`, `SSE-KMS`, `DSSE-KMS`, `SSE-C`, `none`.
    pub mode: String,
    /// The wrapped data key as stored (base64 or hex, as the metadata has it).
    pub wrapped_key: Option<String>,
    pub key_ids: Vec<String>,
    pub material_versions: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub shown_on_purpose: bool,
}

/// What an eavesdropper on one connection saw.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct WireTap {
    pub transport: Transport,
    /// Over HTTP: the bytes on the socket as text lines (`→` sent, `←` received): start line,
    /// headers, then a preview of the body. Over HTTPS: the TLS records in order, with direction,
    /// type and length (`→ handshake 517 bytes (ClientHello)`).
    pub summary: Vec<String>,
    /// Could an eavesdropper read the body?
    pub readable: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub shown_on_purpose: bool,
}

/// The explanation of a step, in the learner's language.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct Note {
    pub text: String,
    /// The ids of the seed claims this note explains.
    pub claims: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub shown_on_purpose: bool,
}

impl Note {
    pub fn new(text: impl Into<String>) -> Self {
        Note {
            text: text.into(),
            ..Note::default()
        }
    }

    pub fn claims<I, S>(mut self, claims: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.claims = claims.into_iter().map(Into::into).collect();
        self
    }
}

/// An assertion a scenario makes about what just happened.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct Check {
    pub name: String,
    pub passed: bool,
    pub expected: String,
    pub observed: String,
    pub claims: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub shown_on_purpose: bool,
}

impl Check {
    /// A check that passed when `expected == observed`.
    pub fn equal(
        name: impl Into<String>,
        expected: impl ToString,
        observed: impl ToString,
    ) -> Self {
        let expected = expected.to_string();
        let observed = observed.to_string();
        Check {
            name: name.into(),
            passed: expected == observed,
            expected,
            observed,
            ..Check::default()
        }
    }

    pub fn claims<I, S>(mut self, claims: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.claims = claims.into_iter().map(Into::into).collect();
        self
    }
}

/// A key shown on purpose: the SSE-C key a learner chose, the data key inside a
/// "what S3 does for you" step.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct Secret {
    /// What the key is: `SSE-C customer key`.
    pub label: String,
    /// The key, lowercase hex without spaces.
    pub hex: String,
    /// The key, standard base64 (as S3's SSE-C headers carry it).
    pub base64: String,
    /// Why the lab shows it.
    pub why: String,
    /// Set by [`Secret::on_purpose`]; a `Secret` without it is reported by [`find_secrets`].
    #[serde(default, skip_serializing_if = "is_false")]
    pub shown_on_purpose: bool,
}

impl Secret {
    /// Shows `bytes` on purpose, for the reason `why`.
    pub fn on_purpose(label: impl Into<String>, bytes: &[u8], why: impl Into<String>) -> Self {
        use base64::Engine as _;
        Secret {
            label: label.into(),
            hex: preview::hex_lower(bytes),
            base64: base64::engine::general_purpose::STANDARD.encode(bytes),
            why: why.into(),
            shown_on_purpose: true,
        }
    }
}

#[cfg(test)]
mod tests;
