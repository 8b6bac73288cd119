use s3lab_client::ClientError;

/// Why a scenario could not run to its end. A check that fails is not an error: it is recorded in
/// the transcript, and `s3lab run` exits non-zero for it.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("the lab did not start: {0}")]
    Start(String),
    #[error("a request could not be sent: {0}")]
    Client(#[from] ClientError),
    #[error("{0}")]
    Lab(String),
    #[error("no scenario is called {id:?}; `s3lab list` shows them all")]
    Unknown { id: String },
}

impl ScenarioError {
    pub fn lab(message: impl Into<String>) -> Self {
        ScenarioError::Lab(message.into())
    }
}
