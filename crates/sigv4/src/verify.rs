//! The server side: telling how a request is authenticated, and checking it.
//!
//! The order of the checks decides which error a request with several faults gets, and S3 and the
//! JSON services do not check in the same order:
//!
//! * S3 reads the structure first (scheme, components, date, credential, scope, payload hash,
//!   unsigned `x-amz-*` headers), then the access key and the signature, and the time last: a
//!   request that is both too old and badly signed gets `SignatureDoesNotMatch`.
//! * The JSON services' front end (as dynalite records it for DynamoDB) checks the parameters, the
//!   date and its skew, that `host` is signed, the algorithm, the credential and its scope, then
//!   the access key and the signature.

use http::HeaderMap;
use time::{Duration, OffsetDateTime};

use crate::canonical::{
    build, format_amz_date, is_ymd, parse_amz_date, parse_http_date, string_to_sign_bytes,
};
use crate::crypto::{signature_matches, signing_key};
use crate::encode::{canonical_query_from, canonical_uri, parse_query, QueryParam};
use crate::error::{AuthError, ExpiresProblem, ScopeFault, SignatureMismatch};
use crate::{
    AuthKind, CredentialScope, PayloadHash, PayloadSource, RequestParts, SecretLookup, Verified,
    VerifyOptions, ALGORITHM, MAX_PRESIGN_EXPIRES_SECS, TERMINATOR,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dialect {
    S3,
    Json,
}

/// The first value of a header as text (bytes that are not UTF-8 are replaced).
fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

fn authorization_of(headers: &HeaderMap) -> Option<String> {
    header_text(headers, "authorization")
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty())
}

fn is_sigv2_header(authorization: &str) -> bool {
    authorization.split_whitespace().next() == Some("AWS")
}

fn has_param(params: &[QueryParam], name: &str) -> bool {
    params.iter().any(|p| p.name.eq_ignore_ascii_case(name))
}

/// How the request authenticates itself. An empty `Authorization` header counts as none; an
/// `Authorization` header together with `X-Amz-Algorithm` counts as [`AuthKind::Header`], and
/// [`verify`] refuses it.
pub fn auth_kind(parts: &RequestParts) -> AuthKind {
    if let Some(authorization) = authorization_of(parts.headers) {
        return if is_sigv2_header(&authorization) {
            AuthKind::SigV2
        } else {
            AuthKind::Header
        };
    }
    let params = parse_query(parts.raw_query.unwrap_or(""));
    if has_param(&params, "X-Amz-Algorithm") {
        AuthKind::Presigned
    } else if has_param(&params, "AWSAccessKeyId") && has_param(&params, "Signature") {
        AuthKind::SigV2
    } else {
        AuthKind::None
    }
}

/// Verifies a request signed with SigV4, by `Authorization` header or presigned query string.
///
/// `payload` says where the payload hash comes from; `lookup` finds the secret of an access key.
/// A request with no credentials at all gets [`AuthError::MissingCredentials`]: whether such a
/// request may go on anonymously is for the caller to decide, before calling this (see
/// [`auth_kind`]). `opts.service == "s3"` selects S3's checks (`x-amz-content-sha256`, unsigned
/// `x-amz-*` headers, `X-Amz-Expires` required) and S3's order of checks; any other service gets
/// those of AWS's JSON services.
pub fn verify(
    parts: &RequestParts,
    payload: PayloadSource,
    lookup: SecretLookup,
    opts: &VerifyOptions,
) -> Result<Verified, AuthError> {
    let dialect = if opts.service == "s3" {
        Dialect::S3
    } else {
        Dialect::Json
    };
    let params = parse_query(parts.raw_query.unwrap_or(""));
    let check = Check {
        parts,
        params: &params,
        payload,
        lookup,
        opts,
        dialect,
    };
    match (
        authorization_of(parts.headers),
        has_param(&params, "X-Amz-Algorithm"),
    ) {
        (Some(authorization), true) => Err(AuthError::MultipleAuthMechanisms { authorization }),
        (Some(authorization), false) => check.header(&authorization),
        (None, true) => check.presigned(),
        (None, false) => {
            if dialect == Dialect::S3
                && has_param(&params, "AWSAccessKeyId")
                && has_param(&params, "Signature")
            {
                Err(AuthError::SigV2NotSupported)
            } else {
                Err(AuthError::MissingCredentials)
            }
        }
    }
}

/// The three components of an `Authorization` header.
#[derive(Default)]
struct Components<'h> {
    credential: Option<&'h str>,
    signed_headers: Option<&'h str>,
    signature: Option<&'h str>,
}

/// Reads `Credential=..., SignedHeaders=..., Signature=...`. S3 separates the components by
/// commas; the JSON services also by spaces. A piece that is not `name=value` is returned as the
/// error; unknown names are ignored, and of a repeated name the first counts.
fn parse_components(rest: &str, dialect: Dialect) -> Result<Components<'_>, String> {
    let mut components = Components::default();
    let pieces: Vec<&str> = match dialect {
        Dialect::S3 => rest.split(',').map(str::trim).collect(),
        Dialect::Json => rest
            .split(|c: char| c == ',' || c.is_whitespace())
            .collect(),
    };
    for piece in pieces.into_iter().filter(|p| !p.is_empty()) {
        let Some((name, value)) = piece.split_once('=') else {
            return Err(piece.to_owned());
        };
        let slot = match name.trim() {
            "Credential" => &mut components.credential,
            "SignedHeaders" => &mut components.signed_headers,
            "Signature" => &mut components.signature,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(value.trim());
        }
    }
    Ok(components)
}

/// What a signature is to be checked against, once the request's structure has been read.
struct Candidate<'a> {
    access_key_id: String,
    scope: CredentialScope,
    request_time: OffsetDateTime,
    signed_line: &'a str,
    signed: Vec<String>,
    signature: &'a str,
    payload: PayloadHash,
    presigned: bool,
    security_token: Option<String>,
}

/// A parameter that is there and not empty.
fn given(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty())
}

fn split_signed(line: &str) -> Vec<String> {
    line.split(';')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn signs_host(signed: &[String]) -> bool {
    signed.iter().any(|h| h.eq_ignore_ascii_case("host"))
}

fn parse_expires(value: &str) -> Result<u64, AuthError> {
    let problem = match value.parse::<i64>() {
        Err(_) => ExpiresProblem::NotANumber,
        Ok(n) => match u64::try_from(n) {
            Err(_) => ExpiresProblem::Negative,
            Ok(n) if n > MAX_PRESIGN_EXPIRES_SECS => ExpiresProblem::TooLarge,
            Ok(n) => return Ok(n),
        },
    };
    Err(AuthError::InvalidExpires {
        value: value.to_owned(),
        problem,
    })
}

struct Check<'a> {
    parts: &'a RequestParts<'a>,
    params: &'a [QueryParam],
    payload: PayloadSource<'a>,
    lookup: SecretLookup<'a>,
    opts: &'a VerifyOptions<'a>,
    dialect: Dialect,
}

impl Check<'_> {
    fn header(&self, authorization: &str) -> Result<Verified, AuthError> {
        let (scheme, rest) = match authorization.split_once(char::is_whitespace) {
            Some((scheme, rest)) => (scheme, rest),
            None => (authorization, ""),
        };
        if self.dialect == Dialect::S3 {
            if scheme == "AWS" {
                return Err(AuthError::SigV2NotSupported);
            }
            if scheme != ALGORITHM {
                return Err(AuthError::UnsupportedAuthorizationType {
                    authorization: authorization.to_owned(),
                });
            }
        }
        // The JSON services read the components of any AWS4 scheme; of anything else, none.
        let components = if self.dialect == Dialect::Json && !scheme.starts_with("AWS4-") {
            Components::default()
        } else {
            parse_components(rest, self.dialect).map_err(|component| {
                AuthError::MalformedAuthorizationComponent {
                    authorization: authorization.to_owned(),
                    component,
                }
            })?
        };
        let date = self.header_date();
        let missing: Vec<&'static str> = [
            ("Credential", components.credential.is_none()),
            ("Signature", components.signature.is_none()),
            ("SignedHeaders", components.signed_headers.is_none()),
        ]
        .into_iter()
        .filter_map(|(name, absent)| absent.then_some(name))
        .collect();
        let missing_date = self.dialect == Dialect::Json && date.is_none();
        let (Some(credential), Some(signed_line), Some(signature)) = (
            components.credential,
            components.signed_headers,
            components.signature,
        ) else {
            return Err(AuthError::IncompleteAuthorization {
                authorization: authorization.to_owned(),
                missing,
                missing_date,
            });
        };
        if missing_date {
            return Err(AuthError::IncompleteAuthorization {
                authorization: authorization.to_owned(),
                missing,
                missing_date,
            });
        }
        let (raw_date, request_time) = match date {
            None => {
                return Err(AuthError::InvalidDate {
                    value: None,
                    presigned: false,
                })
            }
            Some((raw, None)) => {
                return Err(AuthError::InvalidDate {
                    value: Some(raw),
                    presigned: false,
                })
            }
            Some((raw, Some(time))) => (raw, time),
        };
        let signed = split_signed(signed_line);
        if self.dialect == Dialect::Json {
            self.check_skew(request_time, &raw_date)?;
            if !signs_host(&signed) {
                return Err(AuthError::HostNotSigned);
            }
            if scheme != ALGORITHM {
                return Err(AuthError::UnsupportedAuthorizationType {
                    authorization: authorization.to_owned(),
                });
            }
        }
        let (access_key_id, scope) = self.check_credential(credential, request_time, false)?;
        let payload = self.payload_hash(false)?;
        if self.dialect == Dialect::S3 {
            self.check_unsigned_headers(&signed)?;
        }
        let verified = self.check_signature(Candidate {
            access_key_id,
            scope,
            request_time,
            signed_line,
            signed,
            signature,
            payload,
            presigned: false,
            security_token: header_text(self.parts.headers, "x-amz-security-token"),
        })?;
        if self.dialect == Dialect::S3 {
            self.check_skew(request_time, &raw_date)?;
        }
        Ok(verified)
    }

    fn presigned(&self) -> Result<Verified, AuthError> {
        const NAMES: [&str; 7] = [
            "X-Amz-Algorithm",
            "X-Amz-Credential",
            "X-Amz-Signature",
            "X-Amz-Date",
            "X-Amz-SignedHeaders",
            "X-Amz-Expires",
            "X-Amz-Security-Token",
        ];
        let mut found: [Option<&str>; 7] = [None; 7];
        let mut duplicate = None;
        for p in self.params {
            for (slot, name) in found.iter_mut().zip(NAMES) {
                if p.name.eq_ignore_ascii_case(name) {
                    if slot.is_some() {
                        duplicate.get_or_insert(name);
                    } else {
                        *slot = Some(p.value.as_str());
                    }
                }
            }
        }
        let [algorithm, credential, signature, date, signed_line, expires, token] = found;
        let algorithm = algorithm.unwrap_or("");
        if self.dialect == Dialect::S3 && algorithm != ALGORITHM {
            return Err(AuthError::UnsupportedAlgorithm {
                algorithm: algorithm.to_owned(),
            });
        }
        if let Some(name) = duplicate {
            return Err(AuthError::DuplicateQueryParameter {
                name: name.to_owned(),
            });
        }
        let mut required = vec![
            ("X-Amz-Algorithm", Some(algorithm)),
            ("X-Amz-Credential", credential),
            ("X-Amz-Signature", signature),
            ("X-Amz-Date", date),
            ("X-Amz-SignedHeaders", signed_line),
        ];
        if self.dialect == Dialect::S3 {
            required.push(("X-Amz-Expires", expires));
        } else {
            // The JSON services name them in this order.
            required.swap(3, 4);
        }
        let missing: Vec<&'static str> = required
            .iter()
            .filter(|(_, value)| given(*value).is_none())
            .map(|(name, _)| *name)
            .collect();
        let (Some(credential), Some(signature), Some(date), Some(signed_line)) = (
            given(credential),
            given(signature),
            given(date),
            given(signed_line),
        ) else {
            return Err(AuthError::MissingQueryParameters { missing });
        };
        if !missing.is_empty() {
            return Err(AuthError::MissingQueryParameters { missing });
        }
        let Some(request_time) = parse_amz_date(date) else {
            return Err(AuthError::InvalidDate {
                value: Some(date.to_owned()),
                presigned: true,
            });
        };
        let expires = match expires {
            Some(value) => Some((value, parse_expires(value)?)),
            None => None,
        };
        let signed = split_signed(signed_line);
        if self.dialect == Dialect::Json {
            match expires {
                Some((raw, secs)) => self.check_presign_time(request_time, raw, secs)?,
                None => self.check_skew(request_time, date)?,
            }
            if !signs_host(&signed) {
                return Err(AuthError::HostNotSigned);
            }
            if algorithm != ALGORITHM {
                return Err(AuthError::UnsupportedAlgorithm {
                    algorithm: algorithm.to_owned(),
                });
            }
        }
        let (access_key_id, scope) = self.check_credential(credential, request_time, true)?;
        let payload = self.payload_hash(true)?;
        if self.dialect == Dialect::S3 {
            self.check_unsigned_headers(&signed)?;
        }
        let verified = self.check_signature(Candidate {
            access_key_id,
            scope,
            request_time,
            signed_line,
            signed,
            signature,
            payload,
            presigned: true,
            security_token: token.map(str::to_owned),
        })?;
        if self.dialect == Dialect::S3 {
            if let Some((raw, secs)) = expires {
                self.check_presign_time(request_time, raw, secs)?;
            }
        }
        Ok(verified)
    }

    /// `x-amz-date`, or else `Date`: the value as sent, and the time if it reads as one.
    fn header_date(&self) -> Option<(String, Option<OffsetDateTime>)> {
        let headers = self.parts.headers;
        if let Some(value) = header_text(headers, "x-amz-date") {
            let time = parse_amz_date(value.trim());
            return Some((value, time));
        }
        let value = header_text(headers, "date")?;
        let time = parse_http_date(&value).or_else(|| parse_amz_date(value.trim()));
        Some((value, time))
    }

    fn check_skew(&self, request_time: OffsetDateTime, raw: &str) -> Result<(), AuthError> {
        if (request_time - self.opts.now).abs() > self.opts.max_skew {
            return Err(AuthError::RequestTimeTooSkewed {
                request_time,
                raw_request_time: raw.to_owned(),
                server_time: self.opts.now,
                max_skew: self.opts.max_skew,
            });
        }
        Ok(())
    }

    /// A presigned URL is valid from `max_skew` before its `X-Amz-Date` until `X-Amz-Expires`
    /// seconds after it, that last instant included; with `X-Amz-Expires=0`, never.
    fn check_presign_time(
        &self,
        request_time: OffsetDateTime,
        raw: &str,
        secs: u64,
    ) -> Result<(), AuthError> {
        let now = self.opts.now;
        if now
            .checked_add(self.opts.max_skew)
            .is_some_and(|latest| request_time > latest)
        {
            return Err(AuthError::PresignNotYetValid {
                request_time,
                expires_secs: secs,
                server_time: now,
                max_skew: self.opts.max_skew,
            });
        }
        let end = i64::try_from(secs)
            .ok()
            .and_then(|s| request_time.checked_add(Duration::seconds(s)));
        if secs == 0 || end.is_none_or(|end| now > end) {
            return Err(AuthError::PresignExpired {
                request_time,
                expires: raw.to_owned(),
                expires_secs: secs,
                server_time: now,
            });
        }
        Ok(())
    }

    /// Reads `AKID/YYYYMMDD/region/service/aws4_request` and checks the scope against the
    /// endpoint and the request time.
    fn check_credential(
        &self,
        credential: &str,
        request_time: OffsetDateTime,
        presigned: bool,
    ) -> Result<(String, CredentialScope), AuthError> {
        let amz_date = format_amz_date(request_time);
        let request_date = amz_date.get(..8).unwrap_or_default();
        // The JSON services ignore trailing slashes.
        let trimmed = match self.dialect {
            Dialect::S3 => credential,
            Dialect::Json => credential.trim_end_matches('/'),
        };
        let pieces: Vec<&str> = trimmed.split('/').collect();
        let [access_key_id, date, region, service, terminator] = pieces.as_slice() else {
            return Err(AuthError::MalformedCredential {
                credential: credential.to_owned(),
                presigned,
            });
        };
        if self.dialect == Dialect::S3 {
            if access_key_id.is_empty() {
                return Err(AuthError::EmptyAccessKey { presigned });
            }
            if !is_ymd(date) {
                return Err(AuthError::InvalidCredentialDate {
                    date: (*date).to_owned(),
                    amz_date,
                    presigned,
                });
            }
        }
        let mut faults = Vec::new();
        if *region != self.opts.region {
            faults.push(ScopeFault::Region {
                got: (*region).to_owned(),
                expected: self.opts.region.to_owned(),
            });
        }
        if *service != self.opts.service {
            faults.push(ScopeFault::Service {
                got: (*service).to_owned(),
                expected: self.opts.service.to_owned(),
            });
        }
        if *terminator != TERMINATOR {
            faults.push(ScopeFault::Terminator {
                got: (*terminator).to_owned(),
            });
        }
        if *date != request_date {
            faults.push(ScopeFault::Date {
                scope_date: (*date).to_owned(),
                request_date: request_date.to_owned(),
                amz_date: amz_date.clone(),
            });
        }
        if !faults.is_empty() {
            return Err(AuthError::ScopeMismatch { faults, presigned });
        }
        let scope = CredentialScope {
            date: (*date).to_owned(),
            region: (*region).to_owned(),
            service: (*service).to_owned(),
        };
        Ok(((*access_key_id).to_owned(), scope))
    }

    fn payload_hash(&self, presigned: bool) -> Result<PayloadHash, AuthError> {
        match self.payload {
            PayloadSource::Computed(hash) => Ok(PayloadHash::Sha256Hex(hash.to_owned())),
            PayloadSource::FromHeader => {
                match header_text(self.parts.headers, "x-amz-content-sha256") {
                    Some(value) => PayloadHash::parse(value.trim())
                        .ok_or(AuthError::InvalidContentSha256 { value }),
                    None if presigned => Ok(PayloadHash::Unsigned),
                    None => Err(AuthError::MissingContentSha256),
                }
            }
        }
    }

    /// S3 wants `host` and every `x-amz-*` header signed, `x-amz-content-sha256` excepted.
    fn check_unsigned_headers(&self, signed: &[String]) -> Result<(), AuthError> {
        let is_signed = |name: &str| signed.iter().any(|s| s.eq_ignore_ascii_case(name));
        let mut unsigned: Vec<String> = self
            .parts
            .headers
            .keys()
            .map(|name| name.as_str())
            .filter(|name| {
                name.starts_with("x-amz-") && *name != "x-amz-content-sha256" && !is_signed(name)
            })
            .map(str::to_owned)
            .collect();
        unsigned.sort();
        if !is_signed("host") {
            unsigned.insert(0, "host".to_owned());
        }
        if unsigned.is_empty() {
            Ok(())
        } else {
            Err(AuthError::HeadersNotSigned { headers: unsigned })
        }
    }

    fn check_signature(&self, candidate: Candidate) -> Result<Verified, AuthError> {
        let Some(secret) = (self.lookup)(&candidate.access_key_id) else {
            return Err(AuthError::UnknownAccessKey {
                access_key_id: candidate.access_key_id,
            });
        };
        let scope = &candidate.scope;
        let key = signing_key(&secret, &scope.date, &scope.region, &scope.service);
        drop(secret);
        let canonical = build(
            self.parts.method,
            &canonical_uri(self.parts.raw_path, self.opts.uri_style),
            &canonical_query_from(self.params, candidate.presigned),
            self.parts.headers,
            &candidate.signed,
            candidate.signed_line,
            candidate.payload.as_str(),
        );
        let string_to_sign = string_to_sign_bytes(
            &format_amz_date(candidate.request_time),
            scope,
            &canonical.bytes,
        );
        let matches = signature_matches(&key, &string_to_sign, candidate.signature);
        if canonical.absent.is_some() || !matches {
            let mismatch = Box::new(SignatureMismatch {
                access_key_id: candidate.access_key_id,
                canonical_request: canonical.bytes,
                string_to_sign,
                signature_provided: candidate.signature.to_owned(),
            });
            return Err(match canonical.absent {
                Some(name) => AuthError::SignedHeaderAbsent { name, mismatch },
                None => AuthError::SignatureDoesNotMatch(mismatch),
            });
        }
        Ok(Verified {
            access_key_id: candidate.access_key_id,
            scope: candidate.scope,
            request_time: candidate.request_time,
            signed_headers: candidate.signed,
            signature: candidate.signature.to_ascii_lowercase(),
            payload: candidate.payload,
            presigned: candidate.presigned,
            signing_key: key,
            security_token: candidate.security_token,
        })
    }
}
