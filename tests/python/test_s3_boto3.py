"""Amazon S3 through boto3 (default settings: checksums on, aws-chunked bodies) against s3lab."""

from __future__ import annotations

import base64
import hashlib
import os
import uuid

import pytest
from botocore.exceptions import ClientError


def _bucket(lab) -> str:
    name = f"py-{uuid.uuid4().hex[:12]}"
    lab.boto3_client("s3").create_bucket(Bucket=name)
    return name


def _code(err: ClientError) -> str:
    return err.response["Error"]["Code"]


def _status(err: ClientError) -> int:
    return err.response["ResponseMetadata"]["HTTPStatusCode"]


def _sse_c(key: bytes) -> dict:
    return {
        "SSECustomerAlgorithm": "AES256",
        "SSECustomerKey": key,  # boto3 base64-encodes it and adds the MD5 itself
    }


def test_put_without_headers_is_sse_s3(lab):
    s3 = lab.boto3_client("s3")
    bucket = _bucket(lab)
    put = s3.put_object(Bucket=bucket, Key="plain.txt", Body=b"hello")
    assert put["ServerSideEncryption"] == "AES256"
    assert put["ETag"] == '"' + hashlib.md5(b"hello").hexdigest() + '"'
    head = s3.head_object(Bucket=bucket, Key="plain.txt")
    assert head["ServerSideEncryption"] == "AES256"
    assert s3.get_object(Bucket=bucket, Key="plain.txt")["Body"].read() == b"hello"


def test_sse_kms_default_key_and_own_key(lab):
    s3 = lab.boto3_client("s3")
    kms = lab.boto3_client("kms")
    bucket = _bucket(lab)
    put = s3.put_object(Bucket=bucket, Key="k1", Body=b"data", ServerSideEncryption="aws:kms")
    assert put["ServerSideEncryption"] == "aws:kms"
    aws_s3 = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    assert put["SSEKMSKeyId"] == aws_s3["Arn"]
    assert aws_s3["KeyManager"] == "AWS"
    key = kms.create_key()["KeyMetadata"]
    put = s3.put_object(Bucket=bucket, Key="k2", Body=b"data", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["KeyId"])
    assert put["SSEKMSKeyId"] == key["Arn"], "S3 answers with the full key ARN"
    head = s3.head_object(Bucket=bucket, Key="k2")
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", key["Arn"])
    assert "BucketKeyEnabled" not in head
    assert s3.get_object(Bucket=bucket, Key="k2")["Body"].read() == b"data"


def test_sse_kms_errors_come_from_kms(lab):
    s3 = lab.boto3_client("s3")
    bucket = _bucket(lab)
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms",
                      SSEKMSKeyId="1234abcd-12ab-34cd-56ef-1234567890ab")
    assert (_status(e.value), _code(e.value)) == (400, "KMS.NotFoundException")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="AES256", SSEKMSKeyId="alias/x")
    assert _code(e.value) == "InvalidArgument"


def test_sse_c_round_trip_and_refusals(lab):
    s3 = lab.boto3_client("s3")
    bucket = _bucket(lab)
    key = os.urandom(32)
    put = s3.put_object(Bucket=bucket, Key="c", Body=b"customer secret", **_sse_c(key))
    assert put["SSECustomerAlgorithm"] == "AES256"
    assert put["SSECustomerKeyMD5"] == base64.b64encode(hashlib.md5(key).digest()).decode()
    assert "ServerSideEncryption" not in put
    assert s3.get_object(Bucket=bucket, Key="c", **_sse_c(key))["Body"].read() == b"customer secret"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="c")
    assert (_status(e.value), _code(e.value)) == (400, "InvalidRequest")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="c", **_sse_c(os.urandom(32)))
    assert (_status(e.value), _code(e.value)) == (403, "AccessDenied")
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="c", **_sse_c(os.urandom(32)))
    assert _status(e.value) == 403


def test_multipart_with_sse_kms(lab):
    s3 = lab.boto3_client("s3")
    bucket = _bucket(lab)
    mpu = s3.create_multipart_upload(Bucket=bucket, Key="big", ServerSideEncryption="aws:kms")
    assert mpu["ServerSideEncryption"] == "aws:kms"
    parts = []
    chunks = [os.urandom(5 * 1024 * 1024), os.urandom(1234)]
    for n, chunk in enumerate(chunks, start=1):
        out = s3.upload_part(Bucket=bucket, Key="big", UploadId=mpu["UploadId"], PartNumber=n, Body=chunk)
        parts.append({"PartNumber": n, "ETag": out["ETag"]})
    done = s3.complete_multipart_upload(Bucket=bucket, Key="big", UploadId=mpu["UploadId"],
                                        MultipartUpload={"Parts": parts})
    assert done["ETag"].endswith('-2"')
    assert s3.get_object(Bucket=bucket, Key="big")["Body"].read() == b"".join(chunks)


def test_upload_file_and_download_file_use_the_transfer_manager(lab, tmp_path):
    s3 = lab.boto3_client("s3")
    bucket = _bucket(lab)
    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(9 * 1024 * 1024 + 7))  # above boto3's 8 MiB multipart threshold
    s3.upload_file(str(src), bucket, "file.bin", ExtraArgs={"ServerSideEncryption": "AES256"})
    dst = tmp_path / "dst.bin"
    s3.download_file(bucket, "file.bin", str(dst))
    assert dst.read_bytes() == src.read_bytes()


def test_copy_to_another_mode_and_ranges(lab):
    s3 = lab.boto3_client("s3")
    bucket = _bucket(lab)
    body = bytes(range(256)) * 1000
    s3.put_object(Bucket=bucket, Key="src", Body=body)
    out = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"},
                         ServerSideEncryption="aws:kms")
    assert out["ServerSideEncryption"] == "aws:kms"
    got = s3.get_object(Bucket=bucket, Key="dst", Range="bytes=1000-1999")
    assert got["ContentRange"] == f"bytes 1000-1999/{len(body)}"
    assert got["Body"].read() == body[1000:2000]


def test_kms_over_plain_http_is_refused(lab):
    s3 = lab.boto3_client("s3", secure=False)
    bucket = _bucket(lab)
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms")
    assert (_status(e.value), _code(e.value)) == (400, "InvalidArgument")
    assert s3.put_object(Bucket=bucket, Key="plain", Body=b"x")["ServerSideEncryption"] == "AES256"


def test_bad_sse_value_is_invalid_argument(lab):
    s3 = lab.boto3_client("s3")
    bucket = _bucket(lab)
    # botocore validates the enum client-side, so send the seed's spelling through a raw header.
    def add_header(request, **_):
        request.headers["x-amz-server-side-encryption"] = "AES-256"
    s3.meta.events.register("before-sign.s3.PutObject", add_header)
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert (_status(e.value), _code(e.value)) == (400, "InvalidArgument")
    assert e.value.response["Error"]["Message"] == "The encryption method specified is not supported"


def test_wrong_secret_is_signature_does_not_match(lab):
    akid, _ = lab.keys("admin")
    s3 = lab.boto3_client("s3", access_key_id=akid, secret_access_key="wrong" * 8)
    with pytest.raises(ClientError) as e:
        s3.list_buckets()
    assert (_status(e.value), _code(e.value)) == (403, "SignatureDoesNotMatch")


def test_presigned_get(lab):
    import ssl
    import urllib.error
    import urllib.request

    bucket = _bucket(lab)
    lab.boto3_client("s3").put_object(Bucket=bucket, Key="shared.txt", Body=b"presigned body")
    ctx = ssl.create_default_context(cafile=lab.ca_pem)
    # SigV4 query authentication works...
    s3 = lab.boto3_client("s3", signature_version="s3v4")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "shared.txt"}, ExpiresIn=300)
    assert "X-Amz-Signature=" in url
    with urllib.request.urlopen(url, context=ctx, timeout=30) as resp:
        assert resp.read() == b"presigned body"
    # ...and a tampered one is refused.
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(url.replace("shared.txt", "other.txt"), context=ctx, timeout=30)
    assert e.value.code == 403
    # botocore still presigns with SigV2 unless told otherwise; S3 buckets created since June 2020
    # refuse SigV2, and so does the lab, with S3's message.
    legacy = lab.boto3_client("s3").generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "shared.txt"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(legacy, context=ctx, timeout=30)
    assert e.value.code == 400
    assert b"Please use AWS4-HMAC-SHA256." in e.value.read()
