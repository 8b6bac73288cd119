/// What can go wrong with a transcript.
#[derive(Debug, thiserror::Error)]
pub enum TranscriptError {
    /// The JSON form could not be written or read.
    #[error("transcript JSON: {0}")]
    Json(#[source] serde_json::Error),
}
