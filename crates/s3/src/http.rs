//! The S3 REST protocol: routing (path-style, and virtual-host style for `*.localhost`), SigV4
//! (header and presigned), authorization with bucket and identity policies, `aws-chunked` bodies,
//! XML, and S3's response headers. It only translates; [`S3`] decides.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use percent_encoding::percent_decode_str;
use s3lab_env::Clock;
use s3lab_iam::{
    access_denied_message, authorize_s3, ConditionKeys, Identity, RequestContext, RequestPrincipal,
};
use s3lab_payload::BodyPipeline;
use s3lab_sigv4 as sigv4;
use time::OffsetDateTime;
use tokio::sync::mpsc;

use crate::error::{S3Error, S3Result};
use crate::service::{
    ByteRange, Conditions, CopyObject, GetObject, ObjectHeaders, ObjectInfo, PutObject, Requester,
    S3,
};
use crate::sse::{self, CustomerKey};
use crate::stream::BodySource;
use crate::xmlout;

pub type ResponseBody = BoxBody<Bytes, std::io::Error>;

/// Small XML bodies (policies, configurations, part lists, delete lists) are read whole, up to this.
const MAX_XML_BODY: usize = 2 * 1024 * 1024;
/// Chunks in flight between the network and the storage thread, each way.
const CHANNEL_DEPTH: usize = 4;

/// The S3 endpoint.
pub struct S3Http {
    s3: Arc<S3>,
    /// Signature times are checked against this clock (the real one, unless a lab's clients sign
    /// with the lab's own clock).
    auth_clock: Clock,
}

/// What the transport knows about the connection.
#[derive(Debug, Clone, Copy)]
pub struct Connection {
    pub secure: bool,
    pub peer: IpAddr,
}

/// The operations this mock serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    ListBuckets,
    CreateBucket,
    HeadBucket,
    DeleteBucket,
    GetBucketLocation,
    GetBucketEncryption,
    PutBucketEncryption,
    DeleteBucketEncryption,
    GetBucketPolicy,
    PutBucketPolicy,
    DeleteBucketPolicy,
    GetBucketVersioning,
    ListObjects,
    ListObjectsV2,
    ListMultipartUploads,
    DeleteObjects,
    PutObject,
    CopyObject,
    GetObject,
    HeadObject,
    DeleteObject,
    CreateMultipartUpload,
    UploadPart,
    UploadPartCopy,
    CompleteMultipartUpload,
    AbortMultipartUpload,
    ListParts,
    /// Browser-form upload (POST Object), see [`crate::post`].
    PostObject,
}

impl Op {
    /// The IAM action a policy must allow.
    pub fn action(self) -> &'static str {
        match self {
            Op::ListBuckets => "s3:ListAllMyBuckets",
            Op::CreateBucket => "s3:CreateBucket",
            Op::HeadBucket | Op::ListObjects | Op::ListObjectsV2 => "s3:ListBucket",
            Op::DeleteBucket => "s3:DeleteBucket",
            Op::GetBucketLocation => "s3:GetBucketLocation",
            Op::GetBucketEncryption => "s3:GetEncryptionConfiguration",
            Op::PutBucketEncryption | Op::DeleteBucketEncryption => "s3:PutEncryptionConfiguration",
            Op::GetBucketPolicy => "s3:GetBucketPolicy",
            Op::PutBucketPolicy => "s3:PutBucketPolicy",
            Op::DeleteBucketPolicy => "s3:DeleteBucketPolicy",
            Op::GetBucketVersioning => "s3:GetBucketVersioning",
            Op::ListMultipartUploads => "s3:ListBucketMultipartUploads",
            Op::DeleteObjects | Op::DeleteObject => "s3:DeleteObject",
            Op::PutObject
            | Op::CopyObject
            | Op::CreateMultipartUpload
            | Op::UploadPart
            | Op::UploadPartCopy
            | Op::CompleteMultipartUpload => "s3:PutObject",
            Op::GetObject | Op::HeadObject => "s3:GetObject",
            Op::AbortMultipartUpload => "s3:AbortMultipartUpload",
            Op::ListParts => "s3:ListMultipartUploadParts",
            Op::PostObject => "s3:PutObject",
        }
    }

    fn is_object_level(self) -> bool {
        matches!(
            self,
            Op::PutObject
                | Op::CopyObject
                | Op::GetObject
                | Op::HeadObject
                | Op::DeleteObject
                | Op::CreateMultipartUpload
                | Op::UploadPart
                | Op::UploadPartCopy
                | Op::CompleteMultipartUpload
                | Op::AbortMultipartUpload
                | Op::ListParts
        )
    }
}

/// Query parameters, decoded (`+` is a space, as S3 reads query strings).
#[derive(Debug, Default)]
pub struct Query(Vec<(String, String)>);

impl Query {
    pub fn parse(raw: Option<&str>) -> Query {
        let Some(raw) = raw else {
            return Query::default();
        };
        Query(
            raw.split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (decode_query(k), decode_query(v))
                })
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
}

fn decode_query(s: &str) -> String {
    percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// Bucket and key of a request: path style, or virtual-host style under `.localhost`.
pub fn address(headers: &HeaderMap, raw_path: &str) -> S3Result<(Option<String>, Option<String>)> {
    let decode = |s: &str| -> S3Result<String> {
        percent_decode_str(s)
            .decode_utf8()
            .map(|c| c.into_owned())
            .map_err(|_| {
                S3Error::invalid_argument("Object key is not valid UTF-8").argument("key", s)
            })
    };
    let host = headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    let path = raw_path.strip_prefix('/').unwrap_or(raw_path);
    if let Some(bucket) = host
        .strip_suffix(".localhost")
        .filter(|b| !b.is_empty() && !b.contains(':'))
    {
        let key = (!path.is_empty()).then(|| decode(path)).transpose()?;
        return Ok((Some(bucket.to_owned()), key));
    }
    if path.is_empty() {
        return Ok((None, None));
    }
    match path.split_once('/') {
        None => Ok((Some(decode(path)?), None)),
        Some((b, "")) => Ok((Some(decode(b)?), None)),
        Some((b, k)) => Ok((Some(decode(b)?), Some(decode(k)?))),
    }
}

/// Which operation a request is.
pub fn route(
    method: &Method,
    bucket: Option<&str>,
    key: Option<&str>,
    q: &Query,
    headers: &HeaderMap,
) -> S3Result<Op> {
    let copy = headers.contains_key("x-amz-copy-source");
    let op = match (bucket, key) {
        (None, _) => match *method {
            Method::GET => Op::ListBuckets,
            _ => return Err(S3Error::method_not_allowed(method.as_str(), "SERVICE")),
        },
        (Some(_), None) => {
            for sub in [
                "acl",
                "cors",
                "lifecycle",
                "tagging",
                "website",
                "logging",
                "notification",
                "replication",
                "ownershipControls",
                "publicAccessBlock",
                "object-lock",
                "accelerate",
                "requestPayment",
                "analytics",
                "metrics",
                "inventory",
                "intelligent-tiering",
            ] {
                if q.has(sub) {
                    return Err(S3Error::not_implemented(&format!("?{sub}")));
                }
            }
            match *method {
                Method::GET if q.has("location") => Op::GetBucketLocation,
                Method::GET if q.has("encryption") => Op::GetBucketEncryption,
                Method::PUT if q.has("encryption") => Op::PutBucketEncryption,
                Method::DELETE if q.has("encryption") => Op::DeleteBucketEncryption,
                Method::GET if q.has("policy") => Op::GetBucketPolicy,
                Method::PUT if q.has("policy") => Op::PutBucketPolicy,
                Method::DELETE if q.has("policy") => Op::DeleteBucketPolicy,
                Method::GET if q.has("versioning") => Op::GetBucketVersioning,
                Method::GET if q.has("uploads") => Op::ListMultipartUploads,
                Method::POST if q.has("delete") => Op::DeleteObjects,
                Method::GET if q.get("list-type") == Some("2") => Op::ListObjectsV2,
                Method::GET => Op::ListObjects,
                Method::PUT => Op::CreateBucket,
                Method::HEAD => Op::HeadBucket,
                Method::DELETE => Op::DeleteBucket,
                Method::POST => Op::PostObject,
                _ => return Err(S3Error::method_not_allowed(method.as_str(), "BUCKET")),
            }
        }
        (Some(_), Some(_)) => {
            if q.has("tagging")
                || q.has("acl")
                || q.has("retention")
                || q.has("legal-hold")
                || q.has("torrent")
                || q.has("restore")
                || q.has("select")
                || q.has("attributes")
            {
                return Err(S3Error::not_implemented("object subresource"));
            }
            let upload = q.has("uploadId");
            match *method {
                Method::PUT if upload && copy => Op::UploadPartCopy,
                Method::PUT if upload => Op::UploadPart,
                Method::PUT if copy => Op::CopyObject,
                Method::PUT => Op::PutObject,
                Method::GET if upload => Op::ListParts,
                Method::GET => Op::GetObject,
                Method::HEAD => Op::HeadObject,
                Method::DELETE if upload => Op::AbortMultipartUpload,
                Method::DELETE => Op::DeleteObject,
                Method::POST if q.has("uploads") => Op::CreateMultipartUpload,
                Method::POST if upload => Op::CompleteMultipartUpload,
                _ => return Err(S3Error::method_not_allowed(method.as_str(), "OBJECT")),
            }
        }
    };
    Ok(op)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// RFC 7231 dates, as S3 writes `Last-Modified`.
pub fn http_date(t: OffsetDateTime) -> String {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[t.weekday().number_days_from_monday() as usize],
        t.day(),
        MONTHS[u8::from(t.month()) as usize - 1],
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn parse_http_date(s: &str) -> Option<OffsetDateTime> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(s.trim(), &format)
        .ok()
        .map(|p| p.assume_utc())
}

fn conditions(headers: &HeaderMap, prefix: &str) -> Conditions {
    let h = |n: &str| header(headers, &format!("{prefix}{n}")).map(str::to_owned);
    Conditions {
        if_match: h("if-match"),
        if_none_match: h("if-none-match"),
        if_modified_since: h("if-modified-since").as_deref().and_then(parse_http_date),
        if_unmodified_since: h("if-unmodified-since")
            .as_deref()
            .and_then(parse_http_date),
    }
}

fn object_headers(headers: &HeaderMap) -> S3Result<ObjectHeaders> {
    let mut user_metadata = BTreeMap::new();
    for (name, value) in headers {
        if let Some(meta) = name.as_str().strip_prefix("x-amz-meta-") {
            // Stored byte for byte; names come lower-cased from the HTTP layer, as S3 returns them.
            let v = String::from_utf8_lossy(value.as_bytes()).into_owned();
            user_metadata.insert(meta.to_owned(), v);
        }
    }
    let tags = match header(headers, "x-amz-tagging") {
        None => BTreeMap::new(),
        Some(t) => Query::parse(Some(t)).0.into_iter().collect(),
    };
    let h = |n: &str| header(headers, n).map(str::to_owned);
    let content_encoding = h("content-encoding").and_then(|v| s3lab_payload::strip_aws_chunked(&v));
    Ok(ObjectHeaders {
        content_type: h("content-type"),
        content_encoding,
        content_disposition: h("content-disposition"),
        content_language: h("content-language"),
        cache_control: h("cache-control"),
        expires: h("expires"),
        user_metadata,
        tags,
        storage_class: h("x-amz-storage-class"),
    })
}

fn copy_source(headers: &HeaderMap) -> S3Result<(String, String)> {
    let raw = header(headers, "x-amz-copy-source").unwrap_or("");
    let bad = || {
        S3Error::invalid_argument(
            "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
        )
        .argument("x-amz-copy-source", raw)
    };
    let path = raw.split_once("?versionId=").map_or(raw, |(p, _)| p);
    let decoded = percent_decode_str(path).decode_utf8().map_err(|_| bad())?;
    let decoded = decoded.strip_prefix('/').unwrap_or(&decoded);
    match decoded.split_once('/') {
        Some((b, k)) if !b.is_empty() && !k.is_empty() => Ok((b.to_owned(), k.to_owned())),
        _ => Err(bad()),
    }
}

fn customer_key(headers: &HeaderMap, prefix: &str) -> S3Result<Option<CustomerKey>> {
    sse::parse_customer(headers, prefix)
}

/// Condition keys for bucket policies: the request's headers *as sent*, before any default
/// encryption applies (that is why a policy can insist on the header).
fn condition_keys(headers: &HeaderMap, conn: Connection, q: &Query, op: Op) -> ConditionKeys {
    let mut keys = ConditionKeys::new();
    keys.insert("aws:SecureTransport", conn.secure.to_string());
    keys.insert("aws:SourceIp", conn.peer.to_string());
    for (key, h) in [
        ("s3:x-amz-server-side-encryption", sse::SSE),
        (
            "s3:x-amz-server-side-encryption-aws-kms-key-id",
            sse::SSE_KMS_KEY_ID,
        ),
        (
            "s3:x-amz-server-side-encryption-customer-algorithm",
            sse::SSE_C_ALGORITHM,
        ),
        ("s3:x-amz-copy-source", "x-amz-copy-source"),
        ("s3:x-amz-metadata-directive", "x-amz-metadata-directive"),
        ("s3:x-amz-storage-class", "x-amz-storage-class"),
    ] {
        if let Some(v) = header(headers, h) {
            keys.insert(key, v.to_owned());
        }
    }
    if matches!(op, Op::ListObjects | Op::ListObjectsV2) {
        keys.insert("s3:prefix", q.get("prefix").unwrap_or("").to_owned());
        if let Some(d) = q.get("delimiter") {
            keys.insert("s3:delimiter", d.to_owned());
        }
    }
    keys
}

pub(crate) fn full(bytes: impl Into<Bytes>) -> ResponseBody {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed()
}

fn empty() -> ResponseBody {
    full(Bytes::new())
}

/// The ids S3 puts on every response.
struct Ids {
    request_id: String,
    host_id: String,
}

pub(crate) fn set(resp: &mut Response<ResponseBody>, name: &str, value: &str) {
    if let (Ok(n), Ok(v)) = (
        HeaderName::from_bytes(name.as_bytes()),
        HeaderValue::from_str(value),
    ) {
        resp.headers_mut().insert(n, v);
    }
}

fn error_response(e: &S3Error, ids: &Ids, head: bool) -> Response<ResponseBody> {
    if e.status >= 500 {
        tracing::error!(code = e.code, message = %e.message, "S3 request failed");
    }
    let body = if head || e.status == 304 {
        empty()
    } else {
        full(xmlout::error(e, &ids.request_id, &ids.host_id))
    };
    let mut resp = Response::new(body);
    *resp.status_mut() =
        StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if !head && e.status != 304 {
        set(&mut resp, "content-type", "application/xml");
    }
    for (name, value) in &e.headers {
        set(&mut resp, name, value);
    }
    resp
}

pub(crate) fn xml_response(status: u16, xml: String) -> Response<ResponseBody> {
    let mut resp = Response::new(full(xml));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    set(&mut resp, "content-type", "application/xml");
    resp
}

pub(crate) fn status_only(status: u16) -> Response<ResponseBody> {
    let mut resp = Response::new(empty());
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    resp
}

pub(crate) fn set_sse(resp: &mut Response<ResponseBody>, sse: &crate::encryption::SseResponse) {
    for (name, value) in sse.headers() {
        set(resp, name, &value);
    }
}

/// A request body pushed from the network task to the storage thread, decoded on the way.
struct NetworkBody {
    rx: mpsc::Receiver<Result<Bytes, S3Error>>,
    pipeline: Option<BodyPipeline>,
    checksums: BTreeMap<String, String>,
    md5: Option<[u8; 16]>,
}

impl BodySource for NetworkBody {
    fn next_chunk(&mut self) -> S3Result<Option<Vec<u8>>> {
        loop {
            let Some(pipeline) = self.pipeline.as_mut() else {
                return Ok(None);
            };
            match self.rx.blocking_recv() {
                Some(Ok(wire)) => {
                    let mut out = Vec::with_capacity(wire.len());
                    pipeline.feed(&wire, &mut out).map_err(payload_error)?;
                    if !out.is_empty() {
                        return Ok(Some(out));
                    }
                }
                Some(Err(e)) => return Err(e),
                None => {
                    let Some(pipeline) = self.pipeline.take() else {
                        return Ok(None);
                    };
                    let digest = pipeline.finish().map_err(payload_error)?;
                    self.checksums = digest
                        .checksums
                        .iter()
                        .map(|(a, v)| (a.name().to_owned(), v.clone()))
                        .collect();
                    self.md5 = digest.md5;
                    return Ok(None);
                }
            }
        }
    }

    fn checksums(&self) -> BTreeMap<String, String> {
        self.checksums.clone()
    }

    /// The pipeline hashes the decoded bytes once, for `Content-MD5` and the ETag alike.
    fn compute_md5(&mut self) -> bool {
        self.pipeline
            .as_mut()
            .is_some_and(BodyPipeline::compute_md5)
    }

    fn md5(&self) -> Option<[u8; 16]> {
        self.md5
    }
}

pub(crate) fn payload_error(e: s3lab_payload::PayloadError) -> S3Error {
    let (status, code, message) = e.s3();
    S3Error::new(status, code, message)
}

/// Starts pulling `body` off the network into a channel the storage thread reads.
pub(crate) fn spawn_body_reader<B>(mut body: B) -> mpsc::Receiver<Result<Bytes, S3Error>>
where
    B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: std::fmt::Display + Send + 'static,
{
    let (tx, rx) = mpsc::channel(CHANNEL_DEPTH);
    tokio::spawn(async move {
        loop {
            match body.frame().await {
                None => break,
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        if tx.send(Ok(data)).await.is_err() {
                            break;
                        }
                    }
                }
                Some(Err(e)) => {
                    tracing::debug!(error = %e, "client went away during an upload");
                    let _ = tx
                        .send(Err(S3Error::new(400, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header")))
                        .await;
                    break;
                }
            }
        }
    });
    rx
}

/// Reads a small body whole, through the same integrity checks as object bodies.
async fn read_small_body<B>(
    body: B,
    headers: &HeaderMap,
    verified: Option<&sigv4::Verified>,
) -> S3Result<Vec<u8>>
where
    B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: std::fmt::Display + Send + 'static,
{
    let mut pipeline = BodyPipeline::new(headers, verified, false).map_err(payload_error)?;
    let mut rx = spawn_body_reader(body);
    let mut out = Vec::new();
    while let Some(wire) = rx.recv().await {
        pipeline.feed(&wire?, &mut out).map_err(payload_error)?;
        if out.len() > MAX_XML_BODY {
            return Err(S3Error::malformed_xml());
        }
    }
    pipeline.finish().map_err(payload_error)?;
    Ok(out)
}

impl S3Http {
    pub fn new(s3: Arc<S3>, auth_clock: Clock) -> Self {
        S3Http { s3, auth_clock }
    }

    pub fn s3(&self) -> &Arc<S3> {
        &self.s3
    }

    fn ids(&self) -> Ids {
        let entropy = &self.s3.env().entropy;
        Ids {
            request_id: entropy
                .array::<8>()
                .iter()
                .map(|b| format!("{b:02X}"))
                .collect(),
            host_id: base64::engine::general_purpose::STANDARD.encode(entropy.array::<48>()),
        }
    }

    /// Serves one request.
    pub async fn handle<B>(&self, req: Request<B>, conn: Connection) -> Response<ResponseBody>
    where
        B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
        B::Error: std::fmt::Display + Send + 'static,
    {
        let ids = self.ids();
        let head = req.method() == Method::HEAD;
        let mut resp = match self.serve(req, conn).await {
            Ok(r) => r,
            Err(e) => error_response(&e, &ids, head),
        };
        set(&mut resp, "x-amz-request-id", &ids.request_id);
        set(&mut resp, "x-amz-id-2", &ids.host_id);
        set(&mut resp, "server", "AmazonS3");
        resp
    }

    fn authenticate(
        &self,
        parts: &http::request::Parts,
    ) -> S3Result<(Option<Arc<Identity>>, Option<sigv4::Verified>)> {
        let rp = sigv4::RequestParts {
            method: parts.method.as_str(),
            raw_path: parts.uri.path(),
            raw_query: parts.uri.query(),
            headers: &parts.headers,
        };
        if sigv4::auth_kind(&rp) == sigv4::AuthKind::None {
            return Ok((None, None));
        }
        let identities = self.s3.identities();
        let lookup = |ak: &str| identities.secret_for(ak);
        let mut opts = sigv4::VerifyOptions::new(
            "s3",
            &self.s3.config().region,
            sigv4::UriStyle::S3,
            self.auth_clock.now(),
        );
        opts.max_skew = sigv4::DEFAULT_MAX_SKEW;
        let verified = sigv4::verify(&rp, sigv4::PayloadSource::FromHeader, &lookup, &opts)
            .map_err(|e| {
                let se = e.s3();
                let mut err = S3Error::new(se.status, se.code, se.message);
                err.extra = se.extra;
                err
            })?;
        let identity = identities
            .lookup(&verified.access_key_id)
            .cloned()
            .map(Arc::new);
        Ok((identity, Some(verified)))
    }

    fn authorize(
        &self,
        identity: Option<&Identity>,
        op: Op,
        bucket: Option<&str>,
        key: Option<&str>,
        keys: &ConditionKeys,
    ) -> S3Result<()> {
        let resource = match (bucket, key, op.is_object_level() || op == Op::DeleteObjects) {
            (None, _, _) => "arn:aws:s3:::*".to_owned(),
            (Some(b), Some(k), true) => format!("arn:aws:s3:::{b}/{k}"),
            (Some(b), None, true) => format!("arn:aws:s3:::{b}/*"),
            (Some(b), _, false) => format!("arn:aws:s3:::{b}"),
        };
        let policy = match bucket {
            Some(b) => self.s3.bucket_policy(b)?,
            None => None,
        };
        let principal = match identity {
            Some(id) => RequestPrincipal::Aws {
                arn: id.arn.clone(),
                account_id: id.account_id.clone(),
            },
            None => RequestPrincipal::Anonymous,
        };
        let ctx = RequestContext {
            principal: &principal,
            action: op.action(),
            resource: &resource,
            condition_keys: keys,
        };
        let decision = authorize_s3(policy.as_ref(), identity, &ctx);
        if decision.is_allowed() {
            return Ok(());
        }
        let arn = identity.map(|i| i.arn.as_str()).unwrap_or("");
        Err(S3Error::new(
            403,
            "AccessDenied",
            access_denied_message(arn, op.action(), &resource, &decision),
        ))
    }

    /// The lab's own administration, under `/_s3lab/` (no bucket name can start with `_`): not
    /// an S3 API. It needs a signed request from an identity whose policy allows `s3lab:Admin`.
    async fn admin<B>(
        &self,
        parts: http::request::Parts,
        body: B,
    ) -> S3Result<Response<ResponseBody>>
    where
        B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
        B::Error: std::fmt::Display + Send + 'static,
    {
        let (identity, verified) = self.authenticate(&parts)?;
        let Some(identity) = identity else {
            return Err(S3Error::access_denied());
        };
        let principal = RequestPrincipal::Aws {
            arn: identity.arn.clone(),
            account_id: identity.account_id.clone(),
        };
        let keys = ConditionKeys::new();
        let ctx = RequestContext {
            principal: &principal,
            action: "s3lab:Admin",
            resource: "*",
            condition_keys: &keys,
        };
        let decision = authorize_s3(None, Some(&identity), &ctx);
        if !decision.is_allowed() {
            return Err(S3Error::new(
                403,
                "AccessDenied",
                access_denied_message(&identity.arn, "s3lab:Admin", "*", &decision),
            ));
        }
        let path = parts.uri.path().trim_end_matches('/').to_owned();
        let body = read_small_body(body, &parts.headers, verified.as_ref()).await?;
        let s3 = self.s3.clone();
        let method = parts.method.clone();
        blocking(move || {
            let json = |v: serde_json::Value| {
                let mut resp = Response::new(full(v.to_string()));
                set(&mut resp, "content-type", "application/json");
                resp
            };
            let versions = |s3: &S3| {
                serde_json::json!({
                    "rotation_period_days": s3.root_keys().rotation_period_days(),
                    "versions": s3.root_keys().versions().iter().map(|(v, t)| serde_json::json!({
                        "version": v, "created": crate::service::fmt_time(*t)
                    })).collect::<Vec<_>>(),
                })
            };
            match (method, path.as_str()) {
                (Method::GET, "/_s3lab/sse-s3-root-key") => Ok(json(versions(&s3))),
                (Method::POST, "/_s3lab/sse-s3-root-key/rotate") => {
                    s3.root_keys().rotate_now()?;
                    Ok(json(versions(&s3)))
                }
                (Method::PUT, p)
                    if p.starts_with("/_s3lab/buckets/") && p.ends_with("/history-unencrypted") =>
                {
                    let bucket = p
                        .trim_start_matches("/_s3lab/buckets/")
                        .trim_end_matches("/history-unencrypted");
                    let on = match String::from_utf8_lossy(&body).trim() {
                        "true" => true,
                        "false" => false,
                        other => {
                            return Err(S3Error::invalid_argument(format!(
                                "history-unencrypted takes true or false, not {other:?}"
                            )))
                        }
                    };
                    s3.set_history_unencrypted(bucket, on)?;
                    Ok(status_only(204))
                }
                (m, p) => Err(S3Error::new(
                    404,
                    "NoSuchAdminOperation",
                    format!("s3lab has no administrative operation {m} {p}"),
                )),
            }
        })
        .await
    }

    async fn serve<B>(&self, req: Request<B>, conn: Connection) -> S3Result<Response<ResponseBody>>
    where
        B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
        B::Error: std::fmt::Display + Send + 'static,
    {
        let (parts, body) = req.into_parts();
        if parts.uri.path().starts_with("/_s3lab/") {
            return self.admin(parts, body).await;
        }
        let (bucket, key) = address(&parts.headers, parts.uri.path())?;
        let q = Query::parse(parts.uri.query());
        let op = route(
            &parts.method,
            bucket.as_deref(),
            key.as_deref(),
            &q,
            &parts.headers,
        )?;
        if let (Op::GetObject | Op::HeadObject, Some(b), Some(k)) =
            (op, bucket.clone(), key.clone())
        {
            let rp = sigv4::RequestParts {
                method: parts.method.as_str(),
                raw_path: parts.uri.path(),
                raw_query: parts.uri.query(),
                headers: &parts.headers,
            };
            if sigv4::auth_kind(&rp) == sigv4::AuthKind::SigV2 {
                // S3 still takes SigV2 for some objects, but never for KMS-protected ones; the lab
                // takes it for none, and names the KMS rule where it applies (reference 2.4).
                let s3 = self.s3.clone();
                let is_kms = blocking(move || {
                    Ok(s3.inspect_object(&b, &k).ok().is_some_and(|m| {
                        crate::encryption::StoredEncryption::from_value(&m.encryption)
                            .ok()
                            .is_some_and(|e| e.kms().is_some())
                    }))
                })
                .await?;
                if is_kms {
                    return Err(S3Error::invalid_argument("Requests specifying Server Side Encryption with AWS KMS managed keys require AWS Signature Version 4.").argument("Authorization", "null"));
                }
            }
        }
        if op == Op::PostObject {
            // The form carries its own credentials and signature (a POST policy), not headers.
            return crate::post::handle(&self.s3, parts, body, conn, bucket.unwrap_or_default())
                .await;
        }
        let (identity, verified) = self.authenticate(&parts)?;
        let keys = condition_keys(&parts.headers, conn, &q, op);
        {
            let s3 = self.s3.clone();
            let this = S3Http {
                s3,
                auth_clock: self.auth_clock.clone(),
            };
            let (identity, bucket, key) = (identity.clone(), bucket.clone(), key.clone());
            blocking(move || {
                this.authorize(
                    identity.as_deref(),
                    op,
                    bucket.as_deref(),
                    key.as_deref(),
                    &keys,
                )
            })
            .await?;
        }
        let ctx = OpContext {
            s3: self.s3.clone(),
            identity,
            conn,
            bucket,
            key,
            q,
            headers: parts.headers,
            verified,
        };
        match op {
            Op::PutObject | Op::UploadPart => ctx.put_body(op, body).await,
            Op::GetObject => ctx.get_object().await,
            Op::CreateBucket
            | Op::PutBucketEncryption
            | Op::PutBucketPolicy
            | Op::DeleteObjects
            | Op::CompleteMultipartUpload => {
                let bytes = read_small_body(body, &ctx.headers, ctx.verified.as_ref()).await?;
                blocking(move || ctx.with_body(op, bytes)).await
            }
            _ => {
                drop(body);
                blocking(move || ctx.simple(op)).await
            }
        }
    }
}

pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> S3Result<T> + Send + 'static,
) -> S3Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| S3Error::internal(&format!("storage task failed: {e}")))?
}

/// One authorized request, with what every operation needs.
struct OpContext {
    s3: Arc<S3>,
    identity: Option<Arc<Identity>>,
    conn: Connection,
    bucket: Option<String>,
    key: Option<String>,
    q: Query,
    headers: HeaderMap,
    verified: Option<sigv4::Verified>,
}

impl OpContext {
    fn requester(&self) -> Requester<'_> {
        Requester {
            identity: self.identity.as_deref(),
            secure: self.conn.secure,
        }
    }

    fn bucket(&self) -> S3Result<&str> {
        self.bucket
            .as_deref()
            .ok_or_else(|| S3Error::invalid_request("Missing required bucket name"))
    }

    fn key(&self) -> S3Result<&str> {
        self.key
            .as_deref()
            .ok_or_else(|| S3Error::invalid_request("Missing required key"))
    }

    fn upload_id(&self) -> S3Result<&str> {
        self.q
            .get("uploadId")
            .ok_or_else(|| S3Error::invalid_request("Missing required upload id"))
    }

    fn part_number(&self) -> S3Result<u32> {
        let raw = self.q.get("partNumber").unwrap_or("");
        raw.parse::<u32>().map_err(|_| {
            S3Error::invalid_argument(
                "Part number must be an integer between 1 and 10000, inclusive",
            )
            .argument("partNumber", raw)
        })
    }

    fn get_request(&self) -> S3Result<GetObject> {
        let part_number = match self.q.get("partNumber") {
            None => None,
            Some(raw) => Some(raw.parse::<u32>().map_err(|_| {
                S3Error::invalid_argument(
                    "Part number must be an integer between 1 and 10000, inclusive",
                )
                .argument("partNumber", raw)
            })?),
        };
        Ok(GetObject {
            bucket: self.bucket()?.to_owned(),
            key: self.key()?.to_owned(),
            range: header(&self.headers, "range").and_then(ByteRange::parse),
            part_number,
            customer_key: customer_key(&self.headers, sse::SSE_C_PREFIX)?,
            conditions: conditions(&self.headers, ""),
        })
    }

    /// PutObject and UploadPart: the body streams to storage through the payload pipeline.
    async fn put_body<B>(self, op: Op, body: B) -> S3Result<Response<ResponseBody>>
    where
        B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
        B::Error: std::fmt::Display + Send + 'static,
    {
        if !self.headers.contains_key(http::header::CONTENT_LENGTH)
            && !self.headers.contains_key("x-amz-decoded-content-length")
        {
            return Err(S3Error::new(
                411,
                "MissingContentLength",
                "You must provide the Content-Length HTTP header.",
            ));
        }
        let pipeline = BodyPipeline::new(&self.headers, self.verified.as_ref(), false)
            .map_err(payload_error)?;
        let rx = spawn_body_reader(body);
        let mut source = NetworkBody {
            rx,
            pipeline: Some(pipeline),
            checksums: BTreeMap::new(),
            md5: None,
        };
        blocking(move || {
            let echo_checksums = |resp: &mut Response<ResponseBody>, source: &NetworkBody| {
                for (name, value) in source.checksums() {
                    set(
                        resp,
                        &format!("x-amz-checksum-{}", name.to_ascii_lowercase()),
                        &value,
                    );
                }
            };
            if op == Op::UploadPart {
                let customer = customer_key(&self.headers, sse::SSE_C_PREFIX)?;
                let (etag, sse) = self.s3.upload_part(
                    self.requester(),
                    self.bucket()?,
                    self.key()?,
                    self.upload_id()?,
                    self.part_number()?,
                    customer.as_ref(),
                    None,
                    BTreeMap::new(),
                    &mut source,
                )?;
                let mut resp = status_only(200);
                set(&mut resp, "etag", &etag);
                set_sse(&mut resp, &sse);
                echo_checksums(&mut resp, &source);
                return Ok(resp);
            }
            let input = PutObject {
                bucket: self.bucket()?.to_owned(),
                key: self.key()?.to_owned(),
                sse: sse::parse_write(&self.headers)?,
                headers: object_headers(&self.headers)?,
                content_md5: None,
                checksums: BTreeMap::new(),
            };
            let out = self.s3.put_object(self.requester(), input, &mut source)?;
            let mut resp = status_only(200);
            set(&mut resp, "etag", &out.etag);
            set_sse(&mut resp, &out.sse);
            echo_checksums(&mut resp, &source);
            Ok(resp)
        })
        .await
    }

    async fn get_object(self) -> S3Result<Response<ResponseBody>> {
        let (tx, rx) =
            mpsc::channel::<Result<http_body::Frame<Bytes>, std::io::Error>>(CHANNEL_DEPTH);
        let (info, first) = blocking(move || {
            sse::reject_on_read(&self.headers)?;
            let req = self.get_request()?;
            let checksum_mode = header(&self.headers, "x-amz-checksum-mode")
                .is_some_and(|v| v.eq_ignore_ascii_case("ENABLED"));
            let overrides = response_overrides(&self.q);
            let out = self.s3.get_object(self.requester(), req)?;
            let mut body = out.body;
            // Read the first chunk before answering, so that a damaged or undecryptable object
            // fails with an error status instead of a truncated 200.
            let first = body.next().transpose()?;
            let info = out.info;
            let (tx2, info2) = (tx, info.clone());
            std::thread::Builder::new()
                .name("s3lab-get".into())
                .spawn(move || {
                    for chunk in body {
                        let item = chunk
                            .map(|c| http_body::Frame::data(Bytes::from(c)))
                            .map_err(|e| std::io::Error::other(e.message));
                        let failed = item.is_err();
                        if tx2.blocking_send(item).is_err() || failed {
                            break;
                        }
                    }
                })
                .map_err(|e| S3Error::internal(&format!("could not start a reader: {e}")))?;
            Ok(((info2, checksum_mode, overrides), first))
        })
        .await?;
        let (info, checksum_mode, overrides) = info;
        let first_stream = futures_util_once(first);
        let stream = first_stream.chain_rx(rx);
        let mut resp = Response::new(BodyExt::boxed(StreamBody::new(stream)));
        object_info_headers(&mut resp, &info, checksum_mode, &overrides);
        Ok(resp)
    }

    fn with_body(self, op: Op, body: Vec<u8>) -> S3Result<Response<ResponseBody>> {
        let bucket = self.bucket()?.to_owned();
        match op {
            Op::CreateBucket => {
                let location = if body.iter().all(u8::is_ascii_whitespace) {
                    None
                } else {
                    Some(xmlout::parse_location(&body)?)
                };
                self.s3
                    .create_bucket(&bucket, location.as_deref().filter(|l| !l.is_empty()))?;
                let mut resp = status_only(200);
                set(&mut resp, "location", &format!("/{bucket}"));
                Ok(resp)
            }
            Op::PutBucketEncryption => {
                let config = xmlout::parse_encryption(&body)?;
                self.s3.put_bucket_encryption(&bucket, config)?;
                Ok(status_only(200))
            }
            Op::PutBucketPolicy => {
                let text = String::from_utf8(body).map_err(|_| {
                    S3Error::new(
                        400,
                        "MalformedPolicy",
                        "Policies must be valid JSON and the first byte must be '{'",
                    )
                })?;
                self.s3.put_bucket_policy(&bucket, &text)?;
                Ok(status_only(204))
            }
            Op::DeleteObjects => {
                if !self.headers.contains_key("content-md5")
                    && !self
                        .headers
                        .keys()
                        .any(|k| k.as_str().starts_with("x-amz-checksum-"))
                    && !self.headers.contains_key("x-amz-sdk-checksum-algorithm")
                {
                    return Err(S3Error::invalid_request(
                        "Missing required header for this request: Content-MD5 OR x-amz-checksum-*",
                    ));
                }
                let (quiet, keys) = xmlout::parse_delete(&body)?;
                let mut deleted = Vec::new();
                let mut errors = Vec::new();
                for k in keys {
                    match self.s3.delete_object(&bucket, &k) {
                        Ok(()) => deleted.push(k),
                        Err(e) => errors.push((k, e.code.to_owned(), e.message)),
                    }
                }
                Ok(xml_response(
                    200,
                    xmlout::delete_result(if quiet { &[] } else { &deleted }, &errors),
                ))
            }
            Op::CompleteMultipartUpload => {
                let parts = xmlout::parse_complete(&body)?;
                let key = self.key()?.to_owned();
                let (etag, sse) = self.s3.complete_multipart_upload(
                    &bucket,
                    &key,
                    self.upload_id()?,
                    &parts,
                    BTreeMap::new(),
                )?;
                let location = format!("/{bucket}/{key}");
                let mut resp = xml_response(
                    200,
                    xmlout::complete_result(&location, &bucket, &key, &etag),
                );
                set_sse(&mut resp, &sse);
                Ok(resp)
            }
            _ => Err(S3Error::internal("operation has no body")),
        }
    }

    fn simple(self, op: Op) -> S3Result<Response<ResponseBody>> {
        match op {
            Op::ListBuckets => {
                let buckets = self.s3.list_buckets()?;
                Ok(xml_response(
                    200,
                    xmlout::list_buckets(&buckets, &self.s3.config().account_id),
                ))
            }
            Op::HeadBucket => {
                let b = self.s3.head_bucket(self.bucket()?)?;
                let mut resp = status_only(200);
                set(&mut resp, "x-amz-bucket-region", &b.region);
                Ok(resp)
            }
            Op::DeleteBucket => {
                self.s3.delete_bucket(self.bucket()?)?;
                Ok(status_only(204))
            }
            Op::GetBucketLocation => {
                let b = self.s3.head_bucket(self.bucket()?)?;
                Ok(xml_response(200, xmlout::location(&b.region)))
            }
            Op::GetBucketEncryption => {
                let enc = self.s3.get_bucket_encryption(self.bucket()?)?;
                Ok(xml_response(200, xmlout::encryption(&enc)))
            }
            Op::DeleteBucketEncryption => {
                self.s3.delete_bucket_encryption(self.bucket()?)?;
                Ok(status_only(204))
            }
            Op::GetBucketPolicy => {
                let text = self.s3.get_bucket_policy(self.bucket()?)?;
                let mut resp = Response::new(full(text));
                set(&mut resp, "content-type", "application/json");
                Ok(resp)
            }
            Op::DeleteBucketPolicy => {
                self.s3.delete_bucket_policy(self.bucket()?)?;
                Ok(status_only(204))
            }
            Op::GetBucketVersioning => {
                self.s3.head_bucket(self.bucket()?)?;
                Ok(xml_response(200, xmlout::versioning()))
            }
            Op::ListObjects | Op::ListObjectsV2 => self.list(op == Op::ListObjectsV2),
            Op::ListMultipartUploads => {
                let bucket = self.bucket()?.to_owned();
                let uploads = self.s3.list_uploads(&bucket)?;
                let owner = self.s3.config().account_id.clone();
                Ok(xml_response(
                    200,
                    xmlout::list_uploads(&bucket, &uploads, &owner),
                ))
            }
            Op::HeadObject => {
                sse::reject_on_read(&self.headers)?;
                let req = self.get_request()?;
                let info = self.s3.head_object(self.requester(), &req)?;
                let checksum_mode = header(&self.headers, "x-amz-checksum-mode")
                    .is_some_and(|v| v.eq_ignore_ascii_case("ENABLED"));
                let mut resp = status_only(200);
                object_info_headers(
                    &mut resp,
                    &info,
                    checksum_mode,
                    &response_overrides(&self.q),
                );
                Ok(resp)
            }
            Op::DeleteObject => {
                self.s3.delete_object(self.bucket()?, self.key()?)?;
                Ok(status_only(204))
            }
            Op::CopyObject => self.copy(),
            Op::UploadPartCopy => self.upload_part_copy(),
            Op::CreateMultipartUpload => {
                let sse = sse::parse_write(&self.headers)?;
                let headers = object_headers(&self.headers)?;
                let (bucket, key) = (self.bucket()?.to_owned(), self.key()?.to_owned());
                let (upload_id, sse) = self.s3.create_multipart_upload(
                    self.requester(),
                    &bucket,
                    &key,
                    &sse,
                    &headers,
                )?;
                let mut resp = xml_response(200, xmlout::initiate(&bucket, &key, &upload_id));
                set_sse(&mut resp, &sse);
                Ok(resp)
            }
            Op::AbortMultipartUpload => {
                self.s3
                    .abort_multipart_upload(self.bucket()?, self.key()?, self.upload_id()?)?;
                Ok(status_only(204))
            }
            Op::ListParts => {
                let (upload, parts) =
                    self.s3
                        .list_parts(self.bucket()?, self.key()?, self.upload_id()?)?;
                let owner = self.s3.config().account_id.clone();
                Ok(xml_response(
                    200,
                    xmlout::list_parts(&upload, &parts, &owner),
                ))
            }
            _ => Err(S3Error::internal("operation routed to the wrong handler")),
        }
    }

    fn list(&self, v2: bool) -> S3Result<Response<ResponseBody>> {
        let bucket = self.bucket()?;
        let prefix = self.q.get("prefix").unwrap_or("");
        let delimiter = self.q.get("delimiter");
        let max_keys = match self.q.get("max-keys") {
            None => 1000,
            Some(v) => v
                .parse::<i64>()
                .map_err(|_| {
                    S3Error::invalid_argument(
                        "Provided max-keys not an integer or within integer range",
                    )
                    .argument("max-keys", v)
                })?
                .clamp(0, 1000) as usize,
        };
        let encoding = self.q.get("encoding-type");
        if let Some(e) = encoding.filter(|e| *e != "url") {
            return Err(
                S3Error::invalid_argument("Invalid Encoding Method specified in Request")
                    .argument("encoding-type", e),
            );
        }
        let token = self.q.get("continuation-token");
        let after = if v2 {
            match token {
                Some(t) => Some(
                    base64::engine::general_purpose::STANDARD
                        .decode(t)
                        .ok()
                        .and_then(|b| String::from_utf8(b).ok())
                        .ok_or_else(|| {
                            S3Error::invalid_argument(
                                "The continuation token provided is incorrect",
                            )
                            .argument("continuation-token", t)
                        })?,
                ),
                None => self.q.get("start-after").map(str::to_owned),
            }
        } else {
            self.q.get("marker").map(str::to_owned)
        };
        let out = self
            .s3
            .list_objects(bucket, prefix, delimiter, after.as_deref(), max_keys)?;
        let owner = self.s3.config().account_id.clone();
        let fetch_owner = !v2 || self.q.get("fetch-owner") == Some("true");
        let next_token = out
            .next_after
            .as_ref()
            .filter(|_| out.is_truncated)
            .map(|k| base64::engine::general_purpose::STANDARD.encode(k));
        Ok(xml_response(
            200,
            xmlout::list_objects(&xmlout::ListParams {
                v2,
                bucket,
                prefix,
                delimiter,
                max_keys,
                encoding_url: encoding.is_some(),
                continuation_token: token,
                start_after: self.q.get("start-after"),
                marker: self.q.get("marker"),
                next_continuation_token: next_token.as_deref(),
                owner: fetch_owner.then_some(owner.as_str()),
                out: &out,
            }),
        ))
    }

    fn copy(&self) -> S3Result<Response<ResponseBody>> {
        let (source_bucket, source_key) = copy_source(&self.headers)?;
        let directive = header(&self.headers, "x-amz-metadata-directive").unwrap_or("COPY");
        let replace = match directive {
            "COPY" => false,
            "REPLACE" => true,
            other => {
                return Err(S3Error::invalid_argument("Unknown metadata directive.")
                    .argument("x-amz-metadata-directive", other))
            }
        };
        let tagging_replace = match header(&self.headers, "x-amz-tagging-directive") {
            Some("REPLACE") => Some(object_headers(&self.headers)?.tags),
            _ => None,
        };
        let out = self.s3.copy_object(
            self.requester(),
            CopyObject {
                bucket: self.bucket()?.to_owned(),
                key: self.key()?.to_owned(),
                source_bucket,
                source_key,
                source_customer_key: customer_key(&self.headers, sse::COPY_SOURCE_SSE_C_PREFIX)?,
                source_conditions: conditions(&self.headers, "x-amz-copy-source-"),
                sse: sse::parse_write(&self.headers)?,
                replace_headers: replace.then(|| object_headers(&self.headers)).transpose()?,
                tagging_replace,
            },
        )?;
        let mut resp = xml_response(
            200,
            xmlout::copy_result("CopyObjectResult", &out.last_modified, &out.etag),
        );
        set_sse(&mut resp, &out.sse);
        Ok(resp)
    }

    fn upload_part_copy(&self) -> S3Result<Response<ResponseBody>> {
        let (source_bucket, source_key) = copy_source(&self.headers)?;
        let range = match header(&self.headers, "x-amz-copy-source-range") {
            None => None,
            Some(r) => Some(ByteRange::parse(r).filter(|r| matches!(r, ByteRange::From { end: Some(_), .. })).ok_or_else(|| {
                S3Error::invalid_argument("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy")
                    .argument("x-amz-copy-source-range", r)
            })?),
        };
        let source = GetObject {
            bucket: source_bucket,
            key: source_key,
            range,
            part_number: None,
            customer_key: customer_key(&self.headers, sse::COPY_SOURCE_SSE_C_PREFIX)?,
            conditions: conditions(&self.headers, "x-amz-copy-source-"),
        };
        let customer = customer_key(&self.headers, sse::SSE_C_PREFIX)?;
        let (etag, last_modified, sse) = self.s3.upload_part_copy(
            self.requester(),
            self.bucket()?,
            self.key()?,
            self.upload_id()?,
            self.part_number()?,
            customer.as_ref(),
            source,
        )?;
        let mut resp = xml_response(
            200,
            xmlout::copy_result("CopyPartResult", &last_modified, &etag),
        );
        set_sse(&mut resp, &sse);
        Ok(resp)
    }
}

/// `response-content-type` and friends: a presigned GET may choose these response headers.
fn response_overrides(q: &Query) -> Vec<(&'static str, String)> {
    [
        ("response-content-type", "content-type"),
        ("response-content-language", "content-language"),
        ("response-expires", "expires"),
        ("response-cache-control", "cache-control"),
        ("response-content-disposition", "content-disposition"),
        ("response-content-encoding", "content-encoding"),
    ]
    .into_iter()
    .filter_map(|(param, header)| q.get(param).map(|v| (header, v.to_owned())))
    .collect()
}

fn object_info_headers(
    resp: &mut Response<ResponseBody>,
    info: &ObjectInfo,
    checksum_mode: bool,
    overrides: &[(&'static str, String)],
) {
    let meta = &info.meta;
    if let Some((a, b)) = info.range {
        *resp.status_mut() = StatusCode::PARTIAL_CONTENT;
        set(
            resp,
            "content-range",
            &format!("bytes {a}-{b}/{}", meta.size),
        );
    }
    set(resp, "content-length", &info.content_length.to_string());
    set(resp, "accept-ranges", "bytes");
    set(resp, "etag", &meta.etag);
    if let Some(t) = crate::service::parse_time(&meta.last_modified) {
        set(resp, "last-modified", &http_date(t));
    }
    set(
        resp,
        "content-type",
        meta.content_type
            .as_deref()
            .unwrap_or("binary/octet-stream"),
    );
    for (name, value) in [
        ("content-encoding", &meta.content_encoding),
        ("content-disposition", &meta.content_disposition),
        ("content-language", &meta.content_language),
        ("cache-control", &meta.cache_control),
        ("expires", &meta.expires),
    ] {
        if let Some(v) = value {
            set(resp, name, v);
        }
    }
    for (k, v) in &meta.user_metadata {
        set(resp, &format!("x-amz-meta-{k}"), v);
    }
    if !meta.tags.is_empty() {
        set(resp, "x-amz-tagging-count", &meta.tags.len().to_string());
    }
    if meta.storage_class != "STANDARD" {
        set(resp, "x-amz-storage-class", &meta.storage_class);
    }
    if let Some(n) = info.parts_count {
        set(resp, "x-amz-mp-parts-count", &n.to_string());
    }
    if checksum_mode && info.range.is_none() {
        for (alg, value) in &meta.checksums {
            set(
                resp,
                &format!("x-amz-checksum-{}", alg.to_ascii_lowercase()),
                value,
            );
        }
    }
    set_sse(resp, &info.sse);
    for (name, value) in overrides {
        set(resp, name, value);
    }
}

/// The first chunk (already read) followed by the rest from the reader thread.
struct FirstThen {
    first: Option<Bytes>,
    rx: Option<mpsc::Receiver<Result<http_body::Frame<Bytes>, std::io::Error>>>,
}

fn futures_util_once(first: Option<Vec<u8>>) -> FirstThen {
    FirstThen {
        first: first.map(Bytes::from),
        rx: None,
    }
}

impl FirstThen {
    fn chain_rx(
        mut self,
        rx: mpsc::Receiver<Result<http_body::Frame<Bytes>, std::io::Error>>,
    ) -> Self {
        self.rx = Some(rx);
        self
    }
}

impl futures_core::Stream for FirstThen {
    type Item = Result<http_body::Frame<Bytes>, std::io::Error>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        if let Some(first) = self.first.take() {
            return std::task::Poll::Ready(Some(Ok(http_body::Frame::data(first))));
        }
        match self.rx.as_mut() {
            Some(rx) => rx.poll_recv(cx),
            None => std::task::Poll::Ready(None),
        }
    }
}
