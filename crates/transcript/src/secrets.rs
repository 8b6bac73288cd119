//! Finding keys that a transcript shows by accident.

use crate::preview::{hex_lower, parse_hexdump};
use crate::{BodyPreview, Event, HttpMessage, Transcript};

/// Every place in `t` that shows one of `secrets` without being marked `shown_on_purpose`.
///
/// A secret is found
/// - raw: its bytes inside any text of the transcript;
/// - as hex: lowercase or uppercase, without separators or with one space between bytes
///   (`de ad be ef`), and inside `hexdump -C` rows, also when it spans rows (body previews,
///   blob previews, wire taps);
/// - as base64, standard or URL-safe, at any alignment inside a longer base64 text.
///
/// Events marked `shown_on_purpose` are skipped; everything else is searched: the transcript's and
/// the steps' titles and every text field of every other event. Each finding is one line:
/// `step 2 "Send the key", event 1 (Exchange), request header x-amz-server-side-encryption-customer-key: secret #0 as base64`.
/// Secrets shorter than about 8 bytes may be found where they are not (a 3-byte secret is
/// a 4-character base64 word); keys are 16 bytes or more.
pub fn find_secrets(t: &Transcript, secrets: &[&[u8]]) -> Vec<String> {
    let patterns: Vec<Patterns> = secrets
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.is_empty())
        .map(|(i, s)| Patterns::new(i, s))
        .collect();
    let mut found = Vec::new();
    let mut search = |place: &str, field: &str, text: &str| {
        for p in &patterns {
            for form in p.forms_in(text) {
                found.push(format!("{place}, {field}: secret #{} as {form}", p.index));
            }
        }
    };
    search("transcript", "scenario", &t.scenario);
    search("transcript", "title", &t.title);
    for (si, step) in t.steps.iter().enumerate() {
        let step_place = format!("step {} {:?}", si + 1, step.title);
        search(&step_place, "title", &step.title);
        for (ei, event) in step.events.iter().enumerate() {
            if event.shown_on_purpose() {
                continue;
            }
            let place = format!("{step_place}, event {} ({})", ei + 1, event.kind());
            for (field, text) in fields(event) {
                search(&place, &field, &text);
            }
        }
    }
    found
}

/// Every text of an event, with the name of its field.
fn fields(event: &Event) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut add = |field: &str, text: &str| out.push((field.to_owned(), text.to_owned()));
    match event {
        Event::Exchange(e) => {
            let mut message = |side: &str, m: &HttpMessage| {
                add(&format!("{side} start line"), &m.start_line);
                for (name, value) in &m.headers {
                    add(
                        &format!("{side} header {name}"),
                        &format!("{name}: {value}"),
                    );
                }
                match &m.body {
                    BodyPreview::Empty => {}
                    BodyPreview::Text { text, .. } => add(&format!("{side} body"), text),
                    BodyPreview::Hex { hex, .. } => add(&format!("{side} body"), hex),
                    BodyPreview::Omitted { reason, .. } => add(&format!("{side} body"), reason),
                }
            };
            message("request", &e.request);
            message("response", &e.response);
            if let Some(identity) = &e.identity {
                add("identity", identity);
            }
        }
        Event::KmsCall(k) => {
            add("event name", &k.event_name);
            add("caller", &k.caller);
            add("event time", &k.event_time);
            for (field, value) in [
                ("key ARN", &k.key_arn),
                ("key material id", &k.key_material_id),
                ("invoked by", &k.invoked_by),
                ("error code", &k.error_code),
            ] {
                if let Some(v) = value {
                    add(field, v);
                }
            }
            for (name, value) in &k.encryption_context {
                add(
                    &format!("encryption context {name}"),
                    &format!("{name}={value}"),
                );
            }
        }
        Event::AtRest(a) => {
            add("bucket", &a.bucket);
            add("key", &a.key);
            if let Some(p) = &a.blob_path {
                add("blob path", p);
            }
            add("blob preview", &a.blob_preview.rows.join("\n"));
            for r in &a.blob_preview.regions {
                add("blob region", &r.name);
            }
            add("metadata", &a.metadata_json);
            add("mode", &a.mode);
            if let Some(w) = &a.wrapped_key {
                add("wrapped key", w);
            }
            for k in &a.key_ids {
                add("key id", k);
            }
            for v in &a.material_versions {
                add("material version", v);
            }
        }
        Event::WireTap(w) => add("wire tap", &w.summary.join("\n")),
        Event::Note(n) => {
            add("text", &n.text);
            for c in &n.claims {
                add("claim", c);
            }
        }
        Event::Check(c) => {
            add("name", &c.name);
            add("expected", &c.expected);
            add("observed", &c.observed);
            for claim in &c.claims {
                add("claim", claim);
            }
        }
        Event::Secret(s) => {
            add("label", &s.label);
            add("hex", &s.hex);
            add("base64", &s.base64);
            add("why", &s.why);
        }
    }
    out
}

/// The forms one secret is searched in.
struct Patterns {
    index: usize,
    raw: Vec<u8>,
    /// Lowercase hex, without and with spaces.
    hex: [String; 2],
    /// The parts of a standard base64 text that encode only the secret, for each of the three
    /// alignments it may have inside longer data.
    base64: Vec<String>,
    /// The same in the URL-safe alphabet, when it differs.
    base64url: Vec<String>,
}

impl Patterns {
    fn new(index: usize, secret: &[u8]) -> Self {
        let spaced = secret
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ");
        let base64 = base64_cores(secret, &base64::engine::general_purpose::STANDARD_NO_PAD);
        let url = base64_cores(secret, &base64::engine::general_purpose::URL_SAFE_NO_PAD);
        Patterns {
            index,
            raw: secret.to_vec(),
            hex: [hex_lower(secret), spaced],
            base64url: if url == base64 { Vec::new() } else { url },
            base64,
        }
    }

    fn forms_in(&self, text: &str) -> Vec<&'static str> {
        let mut forms = Vec::new();
        if contains(text.as_bytes(), &self.raw) {
            forms.push("raw bytes");
        }
        let lower = text.to_ascii_lowercase();
        if self.hex.iter().any(|h| lower.contains(h.as_str())) {
            forms.push("hex");
        }
        if parse_hexdump(text)
            .iter()
            .any(|(_, bytes)| contains(bytes, &self.raw))
        {
            forms.push("hex dump");
        }
        // A text that matches in both alphabets is reported once, as standard base64.
        if self.base64.iter().any(|b| text.contains(b.as_str())) {
            forms.push("base64");
        } else if self.base64url.iter().any(|b| text.contains(b.as_str())) {
            forms.push("base64url");
        }
        forms
    }
}

/// For `k` in 0..3: the base64 characters that encode only bits of `secret` when it starts at a
/// byte offset ≡ `k` (mod 3) of the encoded data. Character `j` covers bits `6j .. 6j+6`; the
/// secret covers bits `8k .. 8k + 8n`.
fn base64_cores(secret: &[u8], engine: &impl base64::Engine) -> Vec<String> {
    let n = secret.len();
    (0..3usize)
        .filter_map(|k| {
            let mut data = vec![0u8; k];
            data.extend_from_slice(secret);
            let encoded = engine.encode(&data);
            let first = (8 * k).div_ceil(6);
            let end = (8 * k + 8 * n) / 6;
            let core = encoded.get(first..end)?;
            (core.len() >= 4).then(|| core.to_owned())
        })
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && haystack.len() >= needle.len()
        && haystack.windows(needle.len()).any(|w| w == needle)
}
