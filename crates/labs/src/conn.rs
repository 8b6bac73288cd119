//! Talking to a running lab server as the checker: signed S3 and KMS requests over its HTTPS (or
//! HTTP) listener, with the identities of its ready file, plus read-only looks into its data folder.

use std::path::{Path, PathBuf};

use http::Method;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use s3lab_client::{Endpoint, RequestSpec, Response, Signing};
use s3lab_server::ready::{read_ready_file, ReadyInfo};
use serde_json::Value;

/// Everything but `A-Z a-z 0-9 - _ . ~` and `/` is escaped in object paths.
const PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// `/bucket/key`, escaped for the request line.
pub fn object_path(bucket: &str, key: &str) -> String {
    format!("/{bucket}/{}", utf8_percent_encode(key, PATH))
}

/// A KMS error answer: its `__type` and message.
#[derive(Debug, Clone)]
pub struct KmsFailure {
    pub code: String,
    pub message: String,
}

/// A connection to one running lab server.
#[derive(Clone)]
pub struct LabConn {
    https: Endpoint,
    http: Endpoint,
    ready: ReadyInfo,
    data_dir: PathBuf,
}

impl LabConn {
    /// From the ready file in `data_dir` (`None` when there is none: the server is not running).
    pub fn open(data_dir: &Path) -> Result<Option<LabConn>, String> {
        let ready_path = data_dir.join("ready.json");
        if !ready_path.is_file() {
            return Ok(None);
        }
        let ready = read_ready_file(&ready_path).map_err(|e| e.to_string())?;
        LabConn::new(ready, data_dir).map(Some)
    }

    pub fn new(ready: ReadyInfo, data_dir: &Path) -> Result<LabConn, String> {
        let ca = Path::new(&ready.ca_pem);
        let https =
            Endpoint::from_url(&ready.https, ca, &ready.region).map_err(|e| e.to_string())?;
        let http = Endpoint::from_url(&ready.http, ca, &ready.region).map_err(|e| e.to_string())?;
        Ok(LabConn {
            https,
            http,
            ready,
            data_dir: data_dir.to_path_buf(),
        })
    }

    pub fn ready(&self) -> &ReadyInfo {
        &self.ready
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Whether the server answers at all (a ready file can outlive a killed server).
    pub async fn is_up(&self) -> bool {
        tokio::time::timeout(
            std::time::Duration::from_secs(3),
            tokio::net::TcpStream::connect(self.https.addr),
        )
        .await
        .is_ok_and(|r| r.is_ok())
    }

    pub fn signing(&self, identity: &str) -> Result<Signing, String> {
        if identity == "anonymous" {
            return Ok(Signing::Anonymous);
        }
        let cred = self
            .ready
            .credentials
            .iter()
            .find(|c| c.name == identity)
            .ok_or_else(|| format!("the lab has no identity named {identity:?}"))?;
        Ok(Signing::sigv4(
            cred.access_key_id.clone(),
            cred.secret_access_key.clone(),
        ))
    }

    /// The ARN of a lab identity, as audit records name callers.
    pub fn identity_arn(&self, identity: &str) -> String {
        format!("arn:aws:iam::{}:user/{identity}", self.account_id())
    }

    /// The account the lab's ARNs name.
    pub fn account_id(&self) -> &str {
        s3lab_labs_account()
    }

    /// Sends one S3 request (or a lab-only `/_s3lab/` one).
    pub async fn s3(
        &self,
        identity: &str,
        secure: bool,
        spec: &RequestSpec,
    ) -> Result<Response, String> {
        let endpoint = if secure { &self.https } else { &self.http };
        let signing = self.signing(identity)?;
        s3lab_client::send(endpoint, spec, &signing, time::OffsetDateTime::now_utc())
            .await
            .map_err(|e| format!("the lab's server did not answer: {e}"))
    }

    /// Sends one KMS operation as `identity`; the inner result is KMS's own answer.
    pub async fn kms(
        &self,
        identity: &str,
        operation: &str,
        body: Value,
    ) -> Result<Result<Value, KmsFailure>, String> {
        let spec = RequestSpec::new(Method::POST, "/")
            .service("kms")
            .header("x-amz-target", format!("TrentService.{operation}"))
            .header("content-type", "application/x-amz-json-1.1")
            .body(body.to_string());
        let resp = self.s3(identity, true, &spec).await?;
        let json: Value = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
        if resp.status == 200 {
            return Ok(Ok(json));
        }
        let code = json
            .get("__type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .rsplit('#')
            .next()
            .unwrap_or("")
            .to_owned();
        let message = json
            .get("message")
            .or_else(|| json.get("Message"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        Ok(Err(KmsFailure { code, message }))
    }

    /// KMS as admin, where any failure is the caller's error text.
    pub async fn kms_ok(&self, operation: &str, body: Value) -> Result<Value, String> {
        self.kms("admin", operation, body)
            .await?
            .map_err(|f| format!("KMS {operation} failed: {} {}", f.code, f.message))
    }

    /// `(KeyId, Arn)` of the key an alias points at, or `None` if there is no such alias.
    pub async fn resolve_alias(&self, alias: &str) -> Result<Option<(String, String)>, String> {
        match self
            .kms(
                "admin",
                "DescribeKey",
                serde_json::json!({ "KeyId": alias }),
            )
            .await?
        {
            Ok(v) => {
                let meta = &v["KeyMetadata"];
                Ok(Some((
                    meta["KeyId"].as_str().unwrap_or("").to_owned(),
                    meta["Arn"].as_str().unwrap_or("").to_owned(),
                )))
            }
            Err(f) if f.code == "NotFoundException" => Ok(None),
            Err(f) => Err(format!(
                "KMS DescribeKey {alias} failed: {} {}",
                f.code, f.message
            )),
        }
    }

    /// HEAD of an object as `identity`, with extra headers (SSE-C).
    pub async fn head(
        &self,
        identity: &str,
        bucket: &str,
        key: &str,
        headers: &[(String, String)],
    ) -> Result<Response, String> {
        let mut spec = RequestSpec::new(Method::HEAD, object_path(bucket, key));
        for (k, v) in headers {
            spec = spec.header(k.clone(), v.clone());
        }
        self.s3(identity, true, &spec).await
    }

    /// GET of an object as `identity`.
    pub async fn get(&self, identity: &str, bucket: &str, key: &str) -> Result<Response, String> {
        self.s3(
            identity,
            true,
            &RequestSpec::new(Method::GET, object_path(bucket, key)),
        )
        .await
    }

    /// The keys under `prefix` (ListObjectsV2, every page).
    pub async fn list(&self, bucket: &str, prefix: &str) -> Result<Option<Vec<String>>, String> {
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut q = format!(
                "/{bucket}?list-type=2&prefix={}",
                utf8_percent_encode(prefix, NON_ALPHANUMERIC)
            );
            if let Some(t) = &token {
                q.push_str(&format!(
                    "&continuation-token={}",
                    utf8_percent_encode(t, NON_ALPHANUMERIC)
                ));
            }
            let resp = self
                .s3("admin", true, &RequestSpec::new(Method::GET, q))
                .await?;
            if resp.status == 404 {
                return Ok(None);
            }
            if resp.status != 200 {
                return Err(format!(
                    "ListObjectsV2 on {bucket} answered {} {}",
                    resp.status,
                    resp.element("Code")
                ));
            }
            let text = resp.text();
            keys.extend(elements(&text, "Key").into_iter().map(|k| xml_unescape(&k)));
            match elements(&text, "NextContinuationToken").into_iter().next() {
                Some(t) if resp.element("IsTruncated") == "true" => token = Some(t),
                _ => break,
            }
        }
        Ok(Some(keys))
    }

    /// The object's metadata record in the server's data folder (plaintext JSON, on purpose).
    pub fn stored_meta(&self, bucket: &str, key: &str) -> Result<Option<Value>, String> {
        let path = self.object_dir(bucket).join(format!(
            "{}.meta.json",
            s3lab_storage::object_file_name(key)
        ));
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| format!("{} is not readable: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("could not read {}: {e}", path.display())),
        }
    }

    /// The stored bytes of an object (its blobs, concatenated), from the data folder.
    pub fn stored_bytes(&self, bucket: &str, key: &str) -> Result<Option<Vec<u8>>, String> {
        let Some(meta) = self.stored_meta(bucket, key)? else {
            return Ok(None);
        };
        let stem = s3lab_storage::object_file_name(key);
        let mut out = Vec::new();
        for seg in meta["segments"].as_array().into_iter().flatten() {
            let blob = seg["blob"].as_str().unwrap_or("");
            let path = self.object_dir(bucket).join(format!("{stem}.{blob}.blob"));
            match std::fs::read(&path) {
                Ok(b) => out.extend_from_slice(&b),
                // A multipart object's parts live elsewhere; the first segments are enough.
                Err(_) => continue,
            }
        }
        Ok(Some(out))
    }

    fn object_dir(&self, bucket: &str) -> PathBuf {
        self.data_dir
            .join("s3")
            .join("buckets")
            .join(bucket)
            .join("objects")
    }

    /// The KMS audit trail, oldest first.
    pub fn audit(&self) -> Result<Vec<s3lab_kms::AuditRecord>, String> {
        let path = self.data_dir.join("kms").join("audit.jsonl");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(format!("could not read {}: {e}", path.display())),
        };
        // A torn last line (the server is writing) is skipped, as the server itself would.
        Ok(text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect())
    }
}

fn s3lab_labs_account() -> &'static str {
    crate::server::ACCOUNT
}

/// The texts of every `<name>` element.
pub fn elements(xml: &str, name: &str) -> Vec<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some((_, after)) = rest.split_once(&open) {
        match after.split_once(&close) {
            Some((value, tail)) => {
                out.push(value.to_owned());
                rest = tail;
            }
            None => break,
        }
    }
    out
}

fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_elements() {
        assert_eq!(object_path("b", "a b/c+d.txt"), "/b/a%20b/c%2Bd.txt");
        let xml = "<R><Key>a</Key><Key>b&amp;c</Key><IsTruncated>false</IsTruncated></R>";
        assert_eq!(elements(xml, "Key"), vec!["a", "b&amp;c"]);
        assert_eq!(xml_unescape("b&amp;c"), "b&c");
        assert!(elements(xml, "Nope").is_empty());
    }
}
