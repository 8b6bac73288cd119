use std::path::PathBuf;

/// Everything a storage call can answer instead of success.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("the bucket {0:?} does not exist")]
    NoSuchBucket(String),
    #[error("the bucket {0:?} already exists")]
    BucketExists(String),
    #[error("the bucket {0:?} is not empty (it holds objects or multipart uploads in progress)")]
    BucketNotEmpty(String),
    #[error("{0:?} is not a valid bucket name: 3 to 63 characters from a-z, 0-9, '.' and '-', starting and ending with a letter or digit")]
    InvalidBucketName(String),
    #[error("the bucket {bucket:?} has no multipart upload {upload_id:?}")]
    NoSuchUpload { bucket: String, upload_id: String },
    #[error("the multipart upload {upload_id:?} already exists")]
    UploadExists { upload_id: String },
    #[error("the multipart upload {upload_id:?} has no part {part_number}")]
    NoSuchPart { upload_id: String, part_number: u32 },
    /// `complete_upload` named a blob that is not one of the upload's parts (or named one twice).
    #[error("the multipart upload {upload_id:?} has no unused part stored as blob {blob:?}")]
    InvalidPart { upload_id: String, blob: String },
    /// The metadata given to `open_segment` is stale: the object was replaced or deleted since.
    #[error("the stored bytes of {bucket}/{key} are gone: the object changed or was deleted since its metadata was read")]
    ObjectChanged { bucket: String, key: String },
    /// On a case-insensitive file system, the file name of `key` is taken by another key that
    /// differs only in case. Refused rather than overwrite the other object.
    #[error("cannot store {bucket}/{key}: its file {path} already holds another key (a case-insensitive file system?)")]
    KeyClash {
        bucket: String,
        key: String,
        path: PathBuf,
    },
    /// The caller broke the contract (for example a blob from another storage, or an empty key).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// Another process (or another `DirStorage` in this one) has the data folder open.
    #[error("{path} is locked: another s3lab storage is using this folder")]
    Locked { path: PathBuf },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A file the storage wrote cannot be understood. It is left as it is for a human to look at.
    #[error("{path} is corrupt: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    /// Only in this crate's own tests: a crash simulated at a named point.
    #[cfg(test)]
    #[error("simulated crash at {0}")]
    SimulatedCrash(&'static str),
}

impl StorageError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> StorageError {
        let path = path.into();
        move |source| StorageError::Io { path, source }
    }

    pub(crate) fn is_simulated_crash(&self) -> bool {
        #[cfg(test)]
        if let StorageError::SimulatedCrash(_) = self {
            return true;
        }
        false
    }
}
