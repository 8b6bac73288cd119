"""Enforcing encryption the way a learner types it: the AWS CLI and boto3 with bucket policies and
default encryption."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import AwsCliError


def _bucket(lab) -> str:
    name = f"pol-{uuid.uuid4().hex[:12]}"
    lab.aws("s3api", "create-bucket", "--bucket", name)
    return name


def _deny_without_header(bucket: str) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyUnencryptedUploads",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{bucket}/*",
            "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}},
        }],
    })


def test_policy_requires_the_header_through_the_cli(lab, tmp_path):
    bucket = _bucket(lab)
    policy = tmp_path / "policy.json"
    policy.write_text(_deny_without_header(bucket))
    lab.aws("s3api", "put-bucket-policy", "--bucket", bucket, "--policy", f"file://{policy}")
    got = lab.aws("s3api", "get-bucket-policy", "--bucket", bucket)
    assert json.loads(got["Policy"])["Statement"][0]["Sid"] == "DenyUnencryptedUploads"
    body = tmp_path / "body.txt"
    body.write_text("hello")
    with pytest.raises(AwsCliError) as e:
        lab.aws("s3api", "put-object", "--bucket", bucket, "--key", "no-header.txt", "--body", str(body))
    assert "AccessDenied" in e.value.stderr
    out = lab.aws("s3api", "put-object", "--bucket", bucket, "--key", "with-header.txt", "--body", str(body),
                  "--server-side-encryption", "AES256")
    assert out["ServerSideEncryption"] == "AES256"


def test_default_encryption_through_the_cli(lab, tmp_path):
    bucket = _bucket(lab)
    got = lab.aws("s3api", "get-bucket-encryption", "--bucket", bucket)
    rule = got["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert rule["BucketKeyEnabled"] is False
    config = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}, "BucketKeyEnabled": True}]}
    lab.aws("s3api", "put-bucket-encryption", "--bucket", bucket,
            "--server-side-encryption-configuration", json.dumps(config))
    body = tmp_path / "body.txt"
    body.write_text("defaulted")
    out = lab.aws("s3api", "put-object", "--bucket", bucket, "--key", "d.txt", "--body", str(body))
    assert out["ServerSideEncryption"] == "aws:kms"
    assert out["BucketKeyEnabled"] is True
    lab.aws("s3api", "delete-bucket-encryption", "--bucket", bucket)
    lab.aws("s3api", "delete-bucket-encryption", "--bucket", bucket)  # idempotent, 204 again
    out = lab.aws("s3api", "put-object", "--bucket", bucket, "--key", "e.txt", "--body", str(body))
    assert out["ServerSideEncryption"] == "AES256"


def test_tls_only_policy_with_boto3(lab):
    s3 = lab.boto3_client("s3")
    bucket = f"tls-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }],
    }))
    assert s3.put_object(Bucket=bucket, Key="k", Body=b"x")["ResponseMetadata"]["HTTPStatusCode"] == 200
    plain = lab.boto3_client("s3", secure=False)
    with pytest.raises(ClientError) as e:
        plain.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert e.value.response["Error"]["Code"] == "AccessDenied"


def test_malformed_policy_is_refused_by_boto3(lab):
    s3 = lab.boto3_client("s3")
    bucket = f"bad-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    with pytest.raises(ClientError) as e:
        s3.put_bucket_policy(Bucket=bucket, Policy='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}')
    assert e.value.response["Error"]["Code"] == "MalformedPolicy"
