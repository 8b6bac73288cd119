//! `enforce-encryption`: The seed's deny policy, AES-256 vs AES256, requiring one mode, and default
//! encryption.

use s3lab_client::Response;

use crate::error::ScenarioError;
use crate::script::{at_rest, Req, Script};
use crate::{Scenario, Topic};

use super::common::{create_bucket_quietly, header_or_none};
use super::map::content_md5;

pub const SCENARIO: Scenario = Scenario {
    id: "enforce-encryption",
    title: "Enforcing encryption: bucket policies and default encryption",
    topic: Topic::SseS3,
    summary:
        "The seed's deny policy, AES-256 vs AES256, requiring one mode, and default encryption",
    claims: &["sse-s3-4", "sse-s3-5", "sse-kms-8"],
    script,
};

const BUCKET: &str = "enforce-demo";
const SSE: &str = "x-amz-server-side-encryption";
const BODY: &str = "Invoice 2026-001: 1200 EUR, due 31 January.";

fn script(s: &mut Script<'_>) -> Result<(), ScenarioError> {
    create_bucket_quietly(s, BUCKET)?;

    s.step("The seed's policy: deny uploads without the header");
    s.note_claims(
        "The seed's advice: a bucket policy that denies `s3:PutObject` unless the request \
         carries `x-amz-server-side-encryption`. The `Null` condition is true when the key is \
         absent from the request, so the statement denies exactly the uploads that name no \
         encryption. (Set-up, not shown: the bucket `enforce-demo`.)",
        &["sse-s3-5"],
    );
    let set = put_policy(s, "DenyUploadsWithoutEncryptionHeader", "Null", "true")?;
    s.check_status("the policy is set", &set, 204, "", &["sse-s3-5"]);

    s.step("Without the header: 403; with it: 200");
    s.note_claims(
        "Two uploads of the same invoice: the first names no encryption, the second asks for \
         SSE-S3 with the header's correct value, `AES256`.",
        &["sse-s3-5", "sse-s3-4"],
    );
    let denied = s.send(Req::put(format!("/{BUCKET}/no-header.txt")).body(BODY))?;
    s.check_status(
        "a PUT without the header is denied",
        &denied,
        403,
        "AccessDenied",
        &["sse-s3-5"],
    );
    s.check_eq(
        "by the bucket policy, as the message says",
        format!(
            "User: arn:aws:iam::111122223333:user/admin is not authorized to perform: \
             s3:PutObject on resource: \"arn:aws:s3:::{BUCKET}/no-header.txt\" with an explicit \
             deny in a resource-based policy"
        ),
        denied.element("Message").replace("&quot;", "\""),
        &["sse-s3-5"],
    );
    let ok = s.send(
        Req::put(format!("/{BUCKET}/with-header.txt"))
            .header(SSE, "AES256")
            .body(BODY),
    )?;
    s.check_status(
        "a PUT with x-amz-server-side-encryption: AES256 succeeds",
        &ok,
        200,
        "",
        &["sse-s3-5", "sse-s3-4"],
    );
    s.check_eq(
        "and is encrypted with SSE-S3",
        "AES256",
        header_or_none(&ok, SSE),
        &["sse-s3-4"],
    );

    s.step("The seed's spelling, AES-256, is refused");
    s.note_claims(
        "The seed says the header must be set to \"AES-256\". That is the algorithm's name, \
         not the header's value: S3 accepts `AES256`, `aws:kms` and `aws:kms:dsse` (and \
         `aws:fsx` for FSx access points) and answers anything else with 400 InvalidArgument. \
         The policy lets this request through, since the header is present; S3 itself refuses \
         the value. The message is the one AWS sends; `ArgumentName` and `ArgumentValue` are \
         what S3-compatible servers add.",
        &["sse-s3-4"],
    );
    let bad = s.send(
        Req::put(format!("/{BUCKET}/seed-spelling.txt"))
            .header(SSE, "AES-256")
            .body(BODY),
    )?;
    s.check_status(
        "x-amz-server-side-encryption: AES-256 gets 400 InvalidArgument",
        &bad,
        400,
        "InvalidArgument",
        &["sse-s3-4"],
    );
    s.check_eq(
        "with the message S3 gives",
        "The encryption method specified is not supported",
        bad.element("Message"),
        &["sse-s3-4"],
    );
    let stored = s.quietly(Req::head(format!("/{BUCKET}/seed-spelling.txt")))?;
    s.check_status("and nothing was stored", &stored, 404, "", &["sse-s3-4"]);

    s.step("Requiring one mode: StringNotEquals aws:kms");
    s.note_claims(
        "Since 2023 every upload is encrypted anyway, so today a policy is mostly used to \
         require one particular mode. This statement replaces the first: it denies any upload \
         whose `x-amz-server-side-encryption` is not `aws:kms`. A missing header does not equal \
         `aws:kms` either, so it is denied too. The accepted upload names no key, so S3 uses \
         the AWS managed key `aws/s3`, created on this first use.",
        &["sse-s3-5", "sse-kms-8"],
    );
    let set = put_policy(s, "RequireSseKms", "StringNotEquals", "aws:kms")?;
    s.check_status("the policy is replaced", &set, 204, "", &[]);
    let aes = s.send(
        Req::put(format!("/{BUCKET}/sse-s3.txt"))
            .header(SSE, "AES256")
            .body(BODY),
    )?;
    s.check_status(
        "AES256 is now denied",
        &aes,
        403,
        "AccessDenied",
        &["sse-kms-8", "sse-s3-5"],
    );
    let none = s.quietly(Req::put(format!("/{BUCKET}/no-header.txt")).body(BODY))?;
    s.check_status(
        "so is a PUT with no header (not shown)",
        &none,
        403,
        "AccessDenied",
        &["sse-kms-8"],
    );
    let kms = s.send(
        Req::put(format!("/{BUCKET}/sse-kms.txt"))
            .header(SSE, "aws:kms")
            .body(BODY),
    )?;
    s.check_status(
        "x-amz-server-side-encryption: aws:kms is accepted",
        &kms,
        200,
        "",
        &["sse-kms-8"],
    );
    s.check_eq(
        "and the object is SSE-KMS",
        "aws:kms",
        header_or_none(&kms, SSE),
        &["sse-kms-8"],
    );

    s.step("Default encryption, the modern way");
    s.note_claims(
        "Instead of refusing uploads that do not ask for a mode, give the bucket a default. \
         Since 5 January 2023 every bucket has one, SSE-S3, which GetBucketEncryption reports \
         even if nobody set it. PutBucketEncryption changes it to SSE-KMS; from then on an \
         upload that names no encryption gets SSE-KMS, with no header and no policy. The \
         configuration keeps SSE-C blocked, as the bucket had it since April 2026. (The policy \
         is removed first, not shown.)",
        &["sse-s3-5"],
    );
    expect(
        s.quietly(Req::delete(format!("/{BUCKET}?policy")))?,
        204,
        "delete the policy",
    )?;
    let get = s.send(Req::get(format!("/{BUCKET}?encryption")))?;
    s.check_eq(
        "the default, unset, is SSE-S3",
        "AES256",
        get.element("SSEAlgorithm"),
        &["sse-s3-5", "sse-s3-4"],
    );
    let config = "<ServerSideEncryptionConfiguration \
                  xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n  <Rule>\n    \
                  <ApplyServerSideEncryptionByDefault>\n      \
                  <SSEAlgorithm>aws:kms</SSEAlgorithm>\n    \
                  </ApplyServerSideEncryptionByDefault>\n    \
                  <BucketKeyEnabled>false</BucketKeyEnabled>\n    \
                  <BlockedEncryptionTypes>\n      \
                  <EncryptionType>SSE-C</EncryptionType>\n    \
                  </BlockedEncryptionTypes>\n  </Rule>\n\
                  </ServerSideEncryptionConfiguration>";
    let put = s.send(
        Req::put(format!("/{BUCKET}?encryption"))
            .header("content-md5", content_md5(config.as_bytes()))
            .body(config),
    )?;
    s.check_status("the default becomes SSE-KMS", &put, 200, "", &["sse-s3-5"]);
    let plain = s.send(Req::put(format!("/{BUCKET}/default.txt")).body(BODY))?;
    s.check_eq(
        "a PUT with no header is answered with aws:kms",
        "aws:kms",
        header_or_none(&plain, SSE),
        &["sse-s3-5"],
    );
    let (_, stored) = at_rest(s.lab(), BUCKET, "default.txt")?;
    s.check_eq(
        "and stored as SSE-KMS",
        "SSE-KMS",
        stored.mode(),
        &["sse-s3-5"],
    );

    s.step("Policy and default together: the policy sees the request");
    s.note_claims(
        "Now put the seed's policy back on this bucket. An upload without the header would be \
         encrypted with SSE-KMS by the default, yet it is denied: the condition key \
         `s3:x-amz-server-side-encryption` is the request's header as sent, and S3 decides on \
         the policy before it applies the default. So with such a policy every client must \
         still send the header, which is why AWS now suggests default encryption for \"encrypt \
         everything\", and a policy only to insist on one mode or one KMS key.",
        &["sse-s3-5"],
    );
    let set = put_policy(s, "DenyUploadsWithoutEncryptionHeader", "Null", "true")?;
    s.check_status("the seed's policy is back", &set, 204, "", &[]);
    let denied = s.send(Req::put(format!("/{BUCKET}/relying-on-default.txt")).body(BODY))?;
    s.check_status(
        "a PUT that relies on the default is denied",
        &denied,
        403,
        "AccessDenied",
        &["sse-s3-5"],
    );
    let ok = s.quietly(
        Req::put(format!("/{BUCKET}/naming-the-mode.txt"))
            .header(SSE, "aws:kms")
            .body(BODY),
    )?;
    s.check_status(
        "the same PUT naming aws:kms succeeds (not shown)",
        &ok,
        200,
        "",
        &["sse-s3-5", "sse-kms-8"],
    );
    Ok(())
}

/// Sets a one-statement policy on the bucket that denies `s3:PutObject` when the condition
/// `operator: {key: value}` holds, showing the request with the policy laid out as AWS's examples
/// are.
fn put_policy(
    s: &mut Script<'_>,
    sid: &str,
    operator: &str,
    value: &str,
) -> Result<Response, ScenarioError> {
    let body = format!(
        r#"{{
  "Version": "2012-10-17",
  "Statement": [
    {{
      "Sid": "{sid}",
      "Effect": "Deny",
      "Principal": "*",
      "Action": "s3:PutObject",
      "Resource": "arn:aws:s3:::{BUCKET}/*",
      "Condition": {{
        "{operator}": {{"s3:x-amz-server-side-encryption": "{value}"}}
      }}
    }}
  ]
}}"#
    );
    s.send(
        Req::put(format!("/{BUCKET}?policy"))
            .header("content-md5", content_md5(body.as_bytes()))
            .body(body),
    )
}

/// Set-up that must answer `status`.
fn expect(response: Response, status: u16, what: &str) -> Result<(), ScenarioError> {
    if response.status == status {
        Ok(())
    } else {
        Err(ScenarioError::lab(format!(
            "could not {what}: {} {}",
            response.status,
            response.text()
        )))
    }
}
