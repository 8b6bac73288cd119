//! POST Object: the browser-form upload (`multipart/form-data` to the bucket URL), authenticated
//! by a signed POST policy instead of headers.
//!
//! The order of the checks, as S3's answers show it:
//!
//! 1. the bucket, then the body's media type (412 for anything but `multipart/form-data`);
//! 2. the fields before `file` (20 KB at most); fields after it are ignored;
//! 3. `key` and `file` must be there; `${filename}` is expanded in every field;
//! 4. the SigV4 fields, the access key, the signature over the policy text, then the policy:
//!    expiry, each condition, and that every field is named by a condition ([`policy`]);
//! 5. the bucket policy and the signer's IAM policies, as for PutObject (an anonymous form is
//!    allowed only by a bucket policy);
//! 6. the SSE fields, through the same parser as PutObject's headers, so errors are identical;
//! 7. the file streams into [`S3::put_object`], held to the policy's `content-length-range`.
//!
//! Signatures and the policy's expiration are checked against the real clock, as header
//! signatures are (the lab's simulated clock only dates what it stores).

mod form;
mod policy;
mod sign;

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Response};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use s3lab_iam::{
    access_denied_message, authorize_s3, ConditionKeys, Identity, RequestContext, RequestPrincipal,
};

use crate::error::{S3Error, S3Result};
use crate::http::{blocking, set, set_sse, status_only, xml_response, Connection, ResponseBody};
use crate::service::{ObjectHeaders, PutObject, Requester};
use crate::sse;
use crate::S3;

use form::{Form, SizeRange};

/// S3's longest key, in bytes.
const MAX_KEY_LEN: usize = 1024;

/// Serves one POST Object request to `bucket`.
pub async fn handle<B>(
    s3: &Arc<S3>,
    parts: http::request::Parts,
    body: B,
    conn: Connection,
    bucket: String,
) -> S3Result<Response<ResponseBody>>
where
    B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: std::fmt::Display + Send + 'static,
{
    {
        let (s3, bucket) = (s3.clone(), bucket.clone());
        blocking(move || s3.head_bucket(&bucket).map(|_| ())).await?;
    }
    let boundary = form::boundary(&parts.headers)?;
    let rx = crate::http::spawn_body_reader(body);
    let (mut form, file) = form::read_fields(rx, boundary).await?;
    if form.get("key").is_none_or(str::is_empty) {
        return Err(sign::missing_field("key"));
    }
    let Some(file) = file else {
        return Err(S3Error::invalid_argument(
            "POST requires exactly one file upload per request.",
        )
        .argument("file", "0"));
    };
    form.expand_filename(file.file_name.as_deref());
    let plan = {
        let (s3, bucket) = (s3.clone(), bucket.clone());
        blocking(move || prepare(&s3, form, bucket, conn)).await?
    };
    let Plan {
        identity,
        input,
        range,
        success,
    } = plan;
    let (bucket, key) = (input.bucket.clone(), input.key.clone());
    let mut source = file.stream(range);
    let out = {
        let s3 = s3.clone();
        blocking(move || {
            let requester = Requester {
                identity: identity.as_ref(),
                secure: conn.secure,
            };
            s3.put_object(requester, input, &mut source)
        })
        .await?
    };
    let object_url = object_url(&parts, conn, &bucket, &key);
    let mut resp = match success {
        Success::Redirect(url) => {
            let mut resp = status_only(303);
            set(
                &mut resp,
                "location",
                &redirect_url(&url, &bucket, &key, &out.etag),
            );
            resp
        }
        Success::Status(201) => {
            let mut resp = xml_response(201, post_response(&object_url, &bucket, &key, &out.etag));
            set(&mut resp, "location", &object_url);
            resp
        }
        Success::Status(status) => {
            let mut resp = status_only(status);
            set(&mut resp, "location", &object_url);
            resp
        }
    };
    set(&mut resp, "etag", &out.etag);
    set_sse(&mut resp, &out.sse);
    Ok(resp)
}

/// A form that passed every check, ready to stream its file.
struct Plan {
    identity: Option<Identity>,
    input: PutObject,
    range: SizeRange,
    success: Success,
}

/// What a successful upload answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Success {
    /// 200, 201 (with a `PostResponse` document) or 204.
    Status(u16),
    /// 303 to this URL, with `bucket`, `key` and `etag` added to its query.
    Redirect(String),
}

/// Steps 3 to 6 of the module docs, on the storage side (the bucket policy is read from storage).
fn prepare(s3: &S3, form: Form, bucket: String, conn: Connection) -> S3Result<Plan> {
    let key = form.get("key").unwrap_or_default().to_owned();
    if key.is_empty() {
        // `${filename}` expanded to nothing.
        return Err(sign::missing_field("key"));
    }
    if key.len() > MAX_KEY_LEN {
        return Err(S3Error::new(400, "KeyTooLongError", "Your key is too long")
            .with("Size", key.len().to_string())
            .with("MaxSizeAllowed", MAX_KEY_LEN.to_string()));
    }
    let signed = sign::authenticate(s3.identities(), &s3.config().region, &form)?;
    let range = match &signed {
        Some(signed) => signed
            .policy
            .check(&form, &bucket, time::OffsetDateTime::now_utc())?,
        // No policy, no limits beyond S3's own.
        None => SizeRange::ANY,
    };
    let identity = signed.map(|s| s.identity);
    authorize(
        s3,
        identity.as_ref(),
        &bucket,
        &key,
        &condition_keys(&form, conn, identity.is_some()),
    )?;
    check_supported(&form)?;
    let input = PutObject {
        sse: sse::parse_write(&sse_headers(&form)?)?,
        headers: object_headers(&form)?,
        content_md5: content_md5(&form)?,
        checksums: BTreeMap::new(),
        bucket,
        key,
    };
    Ok(Plan {
        identity,
        input,
        range,
        success: success(&form),
    })
}

/// The same decision as `S3Http::authorize` makes for a PutObject: the bucket policy and, for a
/// signed form, the signer's identity policies.
fn authorize(
    s3: &S3,
    identity: Option<&Identity>,
    bucket: &str,
    key: &str,
    keys: &ConditionKeys,
) -> S3Result<()> {
    const ACTION: &str = "s3:PutObject";
    let resource = format!("arn:aws:s3:::{bucket}/{key}");
    let policy = s3.bucket_policy(bucket)?;
    let principal = match identity {
        Some(id) => RequestPrincipal::Aws {
            arn: id.arn.clone(),
            account_id: id.account_id.clone(),
        },
        None => RequestPrincipal::Anonymous,
    };
    let ctx = RequestContext {
        principal: &principal,
        action: ACTION,
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
        access_denied_message(arn, ACTION, &resource, &decision),
    ))
}

/// Condition keys for bucket and identity policies: the form fields *as sent*, before any default
/// encryption applies, exactly as PutObject's headers are used.
fn condition_keys(form: &Form, conn: Connection, signed: bool) -> ConditionKeys {
    let mut keys = ConditionKeys::new();
    keys.insert("aws:SecureTransport", conn.secure.to_string());
    keys.insert("aws:SourceIp", conn.peer.to_string());
    keys.insert("s3:authType", "POST");
    if signed {
        keys.insert("s3:signatureversion", "AWS4-HMAC-SHA256");
    }
    for (key, field) in [
        ("s3:x-amz-server-side-encryption", sse::SSE),
        (
            "s3:x-amz-server-side-encryption-aws-kms-key-id",
            sse::SSE_KMS_KEY_ID,
        ),
        (
            "s3:x-amz-server-side-encryption-customer-algorithm",
            sse::SSE_C_ALGORITHM,
        ),
        ("s3:x-amz-storage-class", "x-amz-storage-class"),
        ("s3:x-amz-acl", "acl"),
    ] {
        if let Some(v) = form.get(field) {
            keys.insert(key, v.to_owned());
        }
    }
    keys
}

/// Fields for features the lab does not have: S3's 501, never silently dropped.
fn check_supported(form: &Form) -> S3Result<()> {
    if let Some(acl) = form.get("acl") {
        // Buckets are BucketOwnerEnforced: `private` is the only ACL that changes nothing.
        if acl != "private" {
            return Err(S3Error::not_implemented("acl"));
        }
    }
    for (name, _) in form.fields() {
        let lower = name.to_ascii_lowercase();
        if lower.starts_with("x-amz-checksum-")
            || lower.starts_with("x-amz-object-lock-")
            || lower.starts_with("x-amz-grant-")
            || lower == "x-amz-website-redirect-location"
            || lower == "x-amz-security-token"
        {
            return Err(S3Error::not_implemented(name));
        }
    }
    Ok(())
}

/// The SSE fields as the request headers they stand for, for [`sse::parse_write`].
fn sse_headers(form: &Form) -> S3Result<HeaderMap> {
    let mut headers = HeaderMap::new();
    for name in [
        sse::SSE,
        sse::SSE_KMS_KEY_ID,
        sse::SSE_CONTEXT,
        sse::SSE_BUCKET_KEY,
        sse::SSE_C_ALGORITHM,
        sse::SSE_C_KEY,
        sse::SSE_C_KEY_MD5,
    ] {
        let Some(value) = form.get(name) else {
            continue;
        };
        let value = HeaderValue::from_str(value).map_err(|_| {
            S3Error::invalid_argument(format!("The value of the {name} header is not valid text."))
                .argument(name, "")
        })?;
        headers.insert(HeaderName::from_static(name), value);
    }
    Ok(headers)
}

fn object_headers(form: &Form) -> S3Result<ObjectHeaders> {
    let mut user_metadata = BTreeMap::new();
    for (name, value) in form.fields() {
        let (Some(prefix), Some(meta)) = (name.get(..11), name.get(11..)) else {
            continue;
        };
        if prefix.eq_ignore_ascii_case("x-amz-meta-") && !meta.is_empty() {
            // "Amazon S3 stores user-defined metadata keys in lowercase."
            user_metadata.insert(meta.to_ascii_lowercase(), mail_safe(value));
        }
    }
    let get = |name: &str| form.get(name).map(str::to_owned);
    Ok(ObjectHeaders {
        content_type: get("content-type"),
        content_encoding: get("content-encoding"),
        content_disposition: get("content-disposition"),
        content_language: None,
        cache_control: get("cache-control"),
        expires: get("expires"),
        user_metadata,
        tags: match form.get("tagging") {
            Some(xml) => tags(xml)?,
            None => BTreeMap::new(),
        },
        storage_class: get("x-amz-storage-class"),
    })
}

/// The `tagging` field: `<Tagging><TagSet><Tag><Key>..</Key><Value>..</Value></Tag>..`. Not XML
/// is `MalformedXML`; well-formed XML with another root stores no tags (S3 answered 204 with an
/// empty tag set for `<InvalidXmlTagging>`).
fn tags(xml: &str) -> S3Result<BTreeMap<String, String>> {
    match s3lab_s3xml::from_xml::<s3lab_s3xml::Tagging>(xml.as_bytes()) {
        Ok(t) => Ok(t
            .tag_set
            .tag
            .into_iter()
            .map(|tag| (tag.key, tag.value))
            .collect()),
        Err(s3lab_s3xml::XmlError::UnexpectedRoot { .. }) => Ok(BTreeMap::new()),
        Err(e) => Err(S3Error::new(e.http_status(), e.s3_code(), e.s3_message())),
    }
}

/// Metadata values from a form may be any UTF-8; S3 keeps them mail-safe, RFC 2047-encoded
/// (`=?UTF-8?Q?...?=`, or `?B?` when control characters are in it), and returns them so.
fn mail_safe(value: &str) -> String {
    if value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return value.to_owned();
    }
    if value.chars().any(char::is_control) {
        return format!(
            "=?UTF-8?B?{}?=",
            base64::engine::general_purpose::STANDARD.encode(value)
        );
    }
    let mut out = String::from("=?UTF-8?Q?");
    for b in value.bytes() {
        match b {
            b' ' => out.push('_'),
            b'=' | b'?' | b'_' => out.push_str(&format!("={b:02X}")),
            0x21..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("={b:02X}")),
        }
    }
    out.push_str("?=");
    out
}

/// `Content-MD5`: base64 of the 16-byte MD5 of the file; S3 checks the data against it.
fn content_md5(form: &Form) -> S3Result<Option<[u8; 16]>> {
    let Some(value) = form.get("content-md5") else {
        return Ok(None);
    };
    base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .ok()
        .and_then(|raw| <[u8; 16]>::try_from(raw.as_slice()).ok())
        .map(Some)
        .ok_or_else(|| {
            S3Error::new(
                400,
                "InvalidDigest",
                "The Content-MD5 you specified was not valid.",
            )
        })
}

/// `success_action_redirect` (or the older `redirect`) when S3 can read it as an absolute URL,
/// else `success_action_status`: 200, 201, or 204 for anything else.
fn success(form: &Form) -> Success {
    let redirect = ["success_action_redirect", "redirect"]
        .iter()
        .filter_map(|n| form.get(n))
        .find(|u| is_absolute_url(u));
    if let Some(url) = redirect {
        return Success::Redirect(url.to_owned());
    }
    match form.get("success_action_status") {
        Some("200") => Success::Status(200),
        Some("201") => Success::Status(201),
        _ => Success::Status(204),
    }
}

fn is_absolute_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    rest.is_some_and(|r| !r.starts_with(['/', '?', '#']) && !r.is_empty())
        && HeaderValue::from_str(url).is_ok()
}

/// Percent-encoding of a key in `Location`: everything but the unreserved characters (S3 writes
/// `/` as `%2F` there).
const KEY_IN_URL: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The object's URL, in the style the request came in (`bucket.localhost` or path style).
fn object_url(parts: &http::request::Parts, conn: Connection, bucket: &str, key: &str) -> String {
    let scheme = if conn.secure { "https" } else { "http" };
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()))
        .unwrap_or("localhost");
    let name = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    let key = utf8_percent_encode(key, KEY_IN_URL);
    if name.strip_suffix(".localhost") == Some(bucket) {
        format!("{scheme}://{host}/{key}")
    } else {
        format!("{scheme}://{host}/{bucket}/{key}")
    }
}

/// `application/x-www-form-urlencoded`, as S3 adds `bucket`, `key` and `etag` to a redirect.
fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn redirect_url(url: &str, bucket: &str, key: &str, etag: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!(
        "{url}{separator}bucket={}&key={}&etag={}",
        form_encode(bucket),
        form_encode(key),
        form_encode(etag)
    )
}

fn xml_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The 201 body. S3 sends it without a namespace, the key raw and the ETag quoted.
fn post_response(location: &str, bucket: &str, key: &str, etag: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PostResponse><Location>{}</Location><Bucket>{}</Bucket><Key>{}</Key><ETag>{}</ETag></PostResponse>",
        xml_text(location),
        xml_text(bucket),
        xml_text(key),
        xml_text(etag)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_is_kept_mail_safe() {
        assert_eq!(mail_safe("plain text"), "plain text");
        assert_eq!(
            mail_safe("ÄMÄZÕÑ S3"),
            "=?UTF-8?Q?=C3=84M=C3=84Z=C3=95=C3=91_S3?="
        );
        assert_eq!(
            mail_safe("\u{0}\u{1}\u{2}\u{3}\u{4}"),
            "=?UTF-8?B?AAECAwQ=?="
        );
    }

    #[test]
    fn redirects_and_status() {
        let mut f = Form::default();
        f.add("success_action_redirect".into(), "/relative".into());
        f.add("success_action_status".into(), "404".into());
        assert_eq!(success(&f), Success::Status(204));
        let mut f = Form::default();
        f.add("redirect".into(), "https://example.com/done?x=1".into());
        assert_eq!(
            success(&f),
            Success::Redirect("https://example.com/done?x=1".into())
        );
        assert_eq!(
            redirect_url(
                "https://example.com/done?x=1",
                "b",
                "dir/Untitled copy.txt",
                "\"abc\""
            ),
            "https://example.com/done?x=1&bucket=b&key=dir%2FUntitled+copy.txt&etag=%22abc%22"
        );
    }

    #[test]
    fn object_urls() {
        let req = |host: &str| {
            http::Request::builder()
                .uri("/")
                .header("host", host)
                .body(())
                .map(|r| r.into_parts().0)
                .expect("request")
        };
        let conn = Connection {
            secure: true,
            peer: std::net::IpAddr::from([127, 0, 0, 1]),
        };
        assert_eq!(
            object_url(&req("localhost:9443"), conn, "b", "prefix/président.jpg"),
            "https://localhost:9443/b/prefix%2Fpr%C3%A9sident.jpg"
        );
        assert_eq!(
            object_url(&req("b.localhost:9443"), conn, "b", "k"),
            "https://b.localhost:9443/k"
        );
    }
}
