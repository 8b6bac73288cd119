//! The ready file: a small JSON document written once both listeners are bound, so that scripts and
//! test harnesses know where to connect and with which credentials.
//!
//! ```json
//! {
//!   "http": "http://127.0.0.1:9080",
//!   "https": "https://127.0.0.1:9443",
//!   "ca_pem": "/tmp/s3lab-x1y2/tls/ca.pem",
//!   "region": "us-east-1",
//!   "credentials": [
//!     { "name": "admin", "access_key_id": "AKIA...", "secret_access_key": "..." }
//!   ]
//! }
//! ```

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadyInfo {
    /// The plain-HTTP endpoint, e.g. `http://127.0.0.1:9080`.
    pub http: String,
    /// The HTTPS endpoint, e.g. `https://127.0.0.1:9443`.
    pub https: String,
    /// Absolute path of the CA certificate that HTTPS clients must trust.
    pub ca_pem: String,
    pub region: String,
    pub credentials: Vec<ReadyCredential>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadyCredential {
    /// The identity's name in the lab, e.g. `admin`.
    pub name: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ReadyError {
    #[error("could not write the ready file {}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("could not read the ready file {}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("the ready file {} is not valid JSON for s3lab", .path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

/// Writes the ready file atomically: a reader sees no file or the whole file, never half of it.
pub fn write_ready_file(path: &Path, info: &ReadyInfo) -> Result<(), ReadyError> {
    let mut json = serde_json::to_vec_pretty(info).map_err(|e| ReadyError::Write {
        path: path.to_path_buf(),
        source: io::Error::other(e),
    })?;
    json.push(b'\n');
    s3lab_durable::write_atomic(path, &json).map_err(|source| ReadyError::Write {
        path: path.to_path_buf(),
        source,
    })
}

pub fn read_ready_file(path: &Path) -> Result<ReadyInfo, ReadyError> {
    let bytes = std::fs::read(path).map_err(|source| ReadyError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|source| ReadyError::Parse {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ready.json");
        let info = ReadyInfo {
            http: "http://127.0.0.1:1".into(),
            https: "https://127.0.0.1:2".into(),
            ca_pem: "/x/ca.pem".into(),
            region: "us-east-1".into(),
            credentials: vec![ReadyCredential {
                name: "admin".into(),
                access_key_id: "AKIA".into(),
                secret_access_key: "s".into(),
            }],
        };
        write_ready_file(&path, &info).unwrap();
        assert_eq!(read_ready_file(&path).unwrap(), info);
        std::fs::write(&path, b"{").unwrap();
        let err = read_ready_file(&path).unwrap_err().to_string();
        assert!(
            err.contains("ready.json") && err.contains("not valid"),
            "{err}"
        );
    }
}
