//! A mock Amazon S3 that really encrypts what it stores.
//!
//! - [`S3`] is the service as plain Rust: buckets, objects, copies and multipart uploads, with every
//!   server-side encryption mode done for real (see [`encryption`] for how each mode keeps its
//!   keys, and `s3lab-atrest` for the byte format of the stored data).
//! - [`sse`] parses the SSE headers once, at the edge, into typed values.
//! - [`http`] is the S3 REST protocol on top: routing, SigV4, `aws-chunked` bodies, XML.

pub mod bucket_keys;
pub mod encryption;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub mod keys;
pub mod kms;
pub mod post;
pub mod service;
pub mod sse;
pub mod stream;
mod xmlout;

pub use error::{S3Error, S3Result};
pub use service::{Requester, S3Config, S3};
