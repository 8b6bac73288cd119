//! The form's own credentials: SigV4 over the policy text.
//!
//! `x-amz-signature` = hex HMAC-SHA256(signing key for the credential's date, region and `s3`,
//! the `policy` field exactly as sent). The policy is decoded only once the signature matches.

use s3lab_iam::{Identity, IdentityTable};
use s3lab_sigv4 as sigv4;
use subtle::ConstantTimeEq;

use super::form::Form;
use super::policy::PostPolicy;
use crate::error::{S3Error, S3Result};

/// A form whose signature checked out.
#[derive(Debug)]
pub struct Signed {
    pub identity: Identity,
    pub policy: PostPolicy,
}

/// `Bucket POST must contain a field named '...'.  If it is specified, please check the order of
/// the fields.` (two spaces after the first period, as S3 writes it).
pub fn missing_field(name: &str) -> S3Error {
    S3Error::invalid_argument(format!(
        "Bucket POST must contain a field named '{name}'.  If it is specified, please check the order of the fields."
    ))
    .argument(name, "")
}

const CREDENTIAL: &str = "X-Amz-Credential";

fn credential_error(message: impl Into<String>, credential: &str) -> S3Error {
    S3Error::invalid_argument(message).argument(CREDENTIAL, credential)
}

fn is_ymd(date: &str) -> bool {
    date.len() == 8
        && date.bytes().all(|b| b.is_ascii_digit())
        && time::Date::parse(
            date,
            time::macros::format_description!("[year][month][day]"),
        )
        .is_ok()
}

/// `AKID/YYYYMMDD/REGION/s3/aws4_request` → (access key id, date). Region, service and terminal
/// must be this endpoint's.
fn parse_credential<'a>(credential: &'a str, region: &str) -> S3Result<(&'a str, &'a str)> {
    let parts: Vec<&str> = credential.split('/').collect();
    let [akid, date, cred_region, service, terminal] = parts.as_slice() else {
        // [unsure] S3's text for a POST; this is its text for a header credential.
        return Err(credential_error(
            "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".",
            credential,
        ));
    };
    if akid.is_empty() {
        return Err(credential_error(
            "a non-empty Access Key (AKID) must be provided in the credential.",
            credential,
        ));
    }
    if !is_ymd(date) {
        // [unsure] for a POST (the header form's text without its prefix).
        return Err(credential_error(
            format!("incorrect date format \"{date}\". This date in the credential must be in the format \"yyyyMMdd\"."),
            credential,
        ));
    }
    if *cred_region != region {
        return Err(credential_error(
            format!("the region '{cred_region}' is wrong; expecting '{region}'"),
            credential,
        )
        .with("Region", region));
    }
    if *service != "s3" {
        // [unsure] for a POST.
        return Err(credential_error(
            format!("incorrect service \"{service}\". This endpoint belongs to \"s3\"."),
            credential,
        ));
    }
    if *terminal != sigv4::TERMINATOR {
        // [unsure] for a POST.
        return Err(credential_error(
            format!(
                "incorrect terminal \"{terminal}\". This endpoint uses \"{}\".",
                sigv4::TERMINATOR
            ),
            credential,
        ));
    }
    Ok((akid, date))
}

/// Bytes as S3 shows them in `StringToSignBytes`: two lowercase hex digits each, spaced.
fn spaced_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Who signed the form, or `None` for an anonymous form (one with none of the SigV4 fields: its
/// `policy`, if any, is not looked at).
pub fn authenticate(
    identities: &IdentityTable,
    region: &str,
    form: &Form,
) -> S3Result<Option<Signed>> {
    let v4 = [
        "x-amz-algorithm",
        "x-amz-credential",
        "x-amz-date",
        "x-amz-signature",
    ]
    .iter()
    .any(|n| form.has(n));
    if !v4 {
        if form.has("awsaccesskeyid") || form.has("signature") {
            // SigV2 forms: S3 still takes them in old regions; the lab takes SigV2 nowhere and
            // answers as S3 does where it does not.
            return Err(S3Error::invalid_request(
                "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
            ));
        }
        return Ok(None);
    }
    // S3 names X-Amz-Algorithm before X-Amz-Credential; the rest of the order is [unsure].
    let required = |name: &str| form.get(name).ok_or_else(|| missing_field(name));
    let algorithm = required("X-Amz-Algorithm")?;
    let credential = required("X-Amz-Credential")?;
    let amz_date = required("X-Amz-Date")?;
    let signature = required("X-Amz-Signature")?;
    let policy_text = required("Policy")?;
    if algorithm != sigv4::ALGORITHM {
        // [unsure] S3's answer for a POST; this is its text for presigned URLs.
        return Err(S3Error::invalid_argument(format!(
            "X-Amz-Algorithm only supports \"{}\"",
            sigv4::ALGORITHM
        ))
        .argument("X-Amz-Algorithm", algorithm));
    }
    let (access_key_id, date) = parse_credential(credential, region)?;
    if sigv4::parse_amz_date(amz_date).is_none() {
        // S3's text, misspelling included.
        return Err(S3Error::invalid_argument(
            "X-Amz-Date must be formated via ISO8601 Long format",
        )
        .argument("X-Amz-Date", amz_date));
    }
    let Some(identity) = identities.lookup(access_key_id) else {
        return Err(S3Error::new(
            403,
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
        )
        .with("AWSAccessKeyId", access_key_id));
    };
    let key = sigv4::signing_key(&identity.secret_access_key, date, region, "s3");
    let expected = sigv4::sign_string(&key, policy_text);
    let provided = signature.to_ascii_lowercase();
    if !bool::from(expected.as_bytes().ct_eq(provided.as_bytes())) {
        return Err(S3Error::new(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        )
        .with("AWSAccessKeyId", access_key_id)
        .with("StringToSign", policy_text)
        .with("SignatureProvided", signature)
        .with("StringToSignBytes", spaced_hex(policy_text.as_bytes())));
    }
    let policy = PostPolicy::decode(policy_text)?;
    Ok(Some(Signed {
        identity: identity.clone(),
        policy,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's own example (sigv4-post-example): the policy text is the string to sign.
    const AWS_POLICY: &str = "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9";

    #[test]
    fn aws_example_signature() {
        let key = sigv4::signing_key(
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "20151229",
            "us-east-1",
            "s3",
        );
        assert_eq!(
            sigv4::sign_string(&key, AWS_POLICY),
            "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e"
        );
        let policy = PostPolicy::decode(AWS_POLICY).expect("AWS's policy parses");
        assert_eq!(policy.conditions.len(), 11);
    }

    fn form(pairs: &[(&str, &str)]) -> Form {
        let mut f = Form::default();
        for (n, v) in pairs {
            f.add((*n).into(), (*v).into());
        }
        f
    }

    #[test]
    fn field_checks() {
        let ids = IdentityTable::builtin("111122223333");
        assert!(
            authenticate(&ids, "us-east-1", &form(&[("key", "k"), ("policy", "p")]))
                .expect("anonymous")
                .is_none()
        );
        let e = authenticate(&ids, "us-east-1", &form(&[("x-amz-date", "x")])).expect_err("v4");
        assert_eq!(
            e.message,
            "Bucket POST must contain a field named 'X-Amz-Algorithm'.  If it is specified, please check the order of the fields."
        );
        let full = |cred: &str| {
            form(&[
                ("x-amz-algorithm", "AWS4-HMAC-SHA256"),
                ("x-amz-credential", cred),
                ("x-amz-date", "20260101T000000Z"),
                ("x-amz-signature", "00"),
                ("policy", "e30="),
            ])
        };
        let e = authenticate(
            &ids,
            "us-east-1",
            &full("AKIAS3LABADMIN000001/20260101/eu-west-1/s3/aws4_request"),
        )
        .expect_err("region");
        assert_eq!(
            e.message,
            "the region 'eu-west-1' is wrong; expecting 'us-east-1'"
        );
        assert_eq!(e.extra.last().map(|(n, _)| *n), Some("Region"));
        let e = authenticate(
            &ids,
            "us-east-1",
            &full("AKIANOBODY/20260101/us-east-1/s3/aws4_request"),
        )
        .expect_err("unknown");
        assert_eq!((e.status, e.code), (403, "InvalidAccessKeyId"));
        let e = authenticate(
            &ids,
            "us-east-1",
            &full("AKIAS3LABADMIN000001/20260101/us-east-1/s3/aws4_request"),
        )
        .expect_err("signature");
        assert_eq!((e.status, e.code), (403, "SignatureDoesNotMatch"));
        assert_eq!(
            e.extra,
            vec![
                ("AWSAccessKeyId", "AKIAS3LABADMIN000001".to_owned()),
                ("StringToSign", "e30=".to_owned()),
                ("SignatureProvided", "00".to_owned()),
                ("StringToSignBytes", "65 33 30 3d".to_owned()),
            ]
        );
        let e = authenticate(
            &ids,
            "us-east-1",
            &form(&[("AWSAccessKeyId", "A"), ("signature", "s")]),
        )
        .expect_err("v2");
        assert_eq!(e.code, "InvalidRequest");
    }
}
