//! Fixtures for the TUI's tests: transcripts recorded from seeded labs, a small catalog, and a
//! helper that draws the app into a `TestBackend`.

#![allow(dead_code)]

use std::sync::OnceLock;

use ratatui::backend::TestBackend;
use ratatui::Terminal;
use s3lab_scenarios::{find, Lab, Req, Scenario, ScenarioError, Script, Topic, Transcript};
use s3lab_tui::model::{Load, Model};
use s3lab_tui::progress::Progress;
use s3lab_tui::update::Msg;
use s3lab_tui::App;

pub const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn no_script(_: &mut Script<'_>) -> Result<(), ScenarioError> {
    Ok(())
}

/// A scenario of the tests' own: its transcript is [`fixture`].
pub static FIXTURE: Scenario = Scenario {
    id: "tui-fixture",
    title: "SSE-KMS, the wire and a refusal",
    topic: Topic::SseKms,
    summary: "An SSE-KMS upload with a context, a plain-HTTP upload, SSE-KMS over HTTP refused, a GET over TLS",
    claims: &["sse-kms-1", "transit-1"],
    script: no_script,
};

/// The sse-s3 scenario (complete) and the fixture.
pub fn catalog() -> &'static [Scenario] {
    static CATALOG: OnceLock<Vec<Scenario>> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let mut v = Vec::new();
        if let Some(s) = find("sse-s3") {
            v.push(*s);
        }
        v.push(FIXTURE);
        v
    })
}

/// sse-s3, seeded with 42.
pub fn sse_s3() -> &'static Transcript {
    static T: OnceLock<Transcript> = OnceLock::new();
    T.get_or_init(|| {
        let s = find("sse-s3").expect("sse-s3 is in the catalog");
        s3lab_scenarios::without_tls_lengths(
            &s3lab_scenarios::run(s, Some(42)).expect("sse-s3 runs"),
        )
    })
}

/// A transcript recorded in a seeded lab: every pane has something in one of its steps.
pub fn fixture() -> &'static Transcript {
    static T: OnceLock<Transcript> = OnceLock::new();
    T.get_or_init(|| {
        let lab = Lab::seeded(42).expect("a lab");
        let mut s = Script::new(&lab, FIXTURE.id, FIXTURE.title);
        s.quietly(Req::put("/tui-demo")).expect("bucket");
        record(&mut s).expect("the fixture records");
        s3lab_scenarios::without_tls_lengths(&s.finish())
    })
}

fn record(s: &mut Script<'_>) -> Result<(), ScenarioError> {
    s.step("SSE-KMS upload with an encryption context");
    s.note_claims(
        "The request asks for `aws:kms` and names an encryption context. S3 asks KMS for a data \
         key (GenerateDataKey), encrypts with it, and keeps it only wrapped by the KMS key.",
        &["sse-kms-1"],
    );
    let put = s.send(
        Req::put("/tui-demo/secret.txt")
            .header("x-amz-server-side-encryption", "aws:kms")
            .header(
                "x-amz-server-side-encryption-context",
                "eyJwcm9qZWN0IjoidHVpIn0=",
            )
            .header("content-type", "text/plain")
            .body("The launch is on Tuesday."),
    )?;
    s.check_status("the upload succeeded", &put, 200, "", &["sse-kms-1"]);
    s.at_rest("tui-demo", "secret.txt")?;

    s.step("A plain-HTTP upload, tapped");
    s.note_claims(
        "Over plain HTTP an eavesdropper reads the request: headers and body.",
        &["transit-1"],
    );
    s.send(
        Req::put("/tui-demo/plain.txt")
            .http()
            .tapped()
            .header("x-amz-server-side-encryption", "AES256")
            .body("readable on the wire"),
    )?;

    s.step("SSE-KMS over HTTP is refused");
    s.note("S3 refuses SSE-KMS requests that do not come over TLS.");
    let refused = s.send(
        Req::put("/tui-demo/refused.txt")
            .http()
            .tapped()
            .header("x-amz-server-side-encryption", "aws:kms")
            .body("never stored"),
    )?;
    s.check_status(
        "S3 refuses it",
        &refused,
        400,
        "InvalidArgument",
        &["transit-1"],
    );
    s.check_eq("a check that fails, to show ✗", "yes", "no", &[]);

    s.step("A GET over TLS");
    s.note("S3 calls KMS Decrypt to unwrap the data key; the wire shows only TLS records.");
    s.send(Req::get("/tui-demo/secret.txt").tapped())?;
    Ok(())
}

/// A model over [`catalog`], every transcript loaded.
pub fn model() -> Model {
    let mut m = Model::new(catalog(), Some(42), Progress::default());
    for e in &mut m.entries {
        e.load = if e.scenario.id == FIXTURE.id {
            Load::Ready(fixture().clone())
        } else {
            Load::Ready(sse_s3().clone())
        };
    }
    m
}

pub fn app() -> App {
    App::new(model())
}

/// Draws the app at `w`x`h` (telling it its size first, as a resize would).
pub fn draw(app: &mut App, w: u16, h: u16) -> Terminal<TestBackend> {
    app.dispatch(Msg::Resize(w, h));
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("a test terminal");
    terminal.draw(|f| app.render(f)).expect("draws");
    terminal
}
