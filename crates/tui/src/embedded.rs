//! The TUI's only way to the lab: scenarios run through `s3lab_scenarios`, and the playground's
//! requests go through the lab runtime ([`Lab::send`], via a [`Script`] that also records the KMS
//! calls and the bytes at rest). The TUI never opens storage itself.

use http::Method;
use s3lab_client::RequestSpec;
use s3lab_scenarios::{Lab, LabOptions, Script, Transcript};
use s3lab_transcript::Transport;

use crate::playground::{Outgoing, START_BUCKET};

/// Starts the playground's lab (as Amazon S3 since April 2026, new buckets refuse SSE-C) with the
/// bucket the form starts with.
pub fn start_playground(seed: Option<u64>) -> Result<Lab, String> {
    let lab = Lab::start(LabOptions {
        seed,
        data_dir: None,
        block_sse_c_for_new_buckets: true,
    })
    .map_err(|e| e.to_string())?;
    let create = RequestSpec::new(Method::PUT, format!("/{START_BUCKET}"));
    let answer = lab
        .send_quietly(Transport::Https, Some("admin"), &create)
        .map_err(|e| format!("could not create the bucket {START_BUCKET}: {e}"))?;
    if !(200..300).contains(&answer.status) {
        return Err(format!(
            "could not create the bucket {START_BUCKET}: {}",
            answer.status
        ));
    }
    Ok(lab)
}

/// Sends one playground request, and records it as a one-step transcript: the exchange, what an
/// eavesdropper saw, the KMS calls, and (after a successful PutObject or GetObject) the object
/// at rest.
pub fn send(lab: &Lab, out: &Outgoing) -> Result<Transcript, String> {
    let mut script = Script::new(lab, "playground", "Playground");
    script.step(out.title.clone());
    let response = script.send(out.req.clone()).map_err(|e| e.to_string())?;
    if (200..300).contains(&response.status) {
        if let Some((bucket, key)) = &out.object {
            // An object the lab cannot show is not the learner's mistake: the answer still shows.
            let _ = script.at_rest(bucket, key);
        }
    }
    Ok(script.finish())
}
