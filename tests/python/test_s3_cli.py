"""The AWS CLI's `s3` and `s3api` commands with every SSE flag, against s3lab."""

from __future__ import annotations

import base64
import hashlib
import os
import uuid


def _bucket(lab) -> str:
    name = f"cli-{uuid.uuid4().hex[:12]}"
    lab.aws("s3api", "create-bucket", "--bucket", name)
    return name


def test_cp_with_sse_aes256(lab, tmp_path):
    bucket = _bucket(lab)
    src = tmp_path / "a.txt"
    src.write_bytes(b"aws s3 cp --sse AES256")
    lab.aws("s3", "cp", str(src), f"s3://{bucket}/a.txt", "--sse", "AES256")
    head = lab.aws("s3api", "head-object", "--bucket", bucket, "--key", "a.txt")
    assert head["ServerSideEncryption"] == "AES256"
    dst = tmp_path / "back.txt"
    lab.aws("s3", "cp", f"s3://{bucket}/a.txt", str(dst))
    assert dst.read_bytes() == src.read_bytes()


def test_cp_with_sse_kms_and_key_id(lab, tmp_path):
    bucket = _bucket(lab)
    key = lab.aws("kms", "create-key")["KeyMetadata"]
    src = tmp_path / "k.txt"
    src.write_bytes(b"aws s3 cp --sse aws:kms")
    lab.aws("s3", "cp", str(src), f"s3://{bucket}/k.txt", "--sse", "aws:kms", "--sse-kms-key-id", key["KeyId"])
    head = lab.aws("s3api", "head-object", "--bucket", bucket, "--key", "k.txt")
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == key["Arn"]
    dst = tmp_path / "back.txt"
    lab.aws("s3", "cp", f"s3://{bucket}/k.txt", str(dst))
    assert dst.read_bytes() == src.read_bytes()


def test_cp_with_sse_c(lab, tmp_path):
    bucket = _bucket(lab)
    key = os.urandom(32)
    key_file = tmp_path / "sse-c.key"
    key_file.write_bytes(key)
    src = tmp_path / "c.txt"
    src.write_bytes(b"aws s3 cp --sse-c")
    lab.aws("s3", "cp", str(src), f"s3://{bucket}/c.txt", "--sse-c", "AES256", "--sse-c-key", f"fileb://{key_file}")
    head = lab.aws("s3api", "head-object", "--bucket", bucket, "--key", "c.txt",
                   "--sse-customer-algorithm", "AES256", "--sse-customer-key", f"fileb://{key_file}")
    assert head["SSECustomerAlgorithm"] == "AES256"
    assert head["SSECustomerKeyMD5"] == base64.b64encode(hashlib.md5(key).digest()).decode()
    dst = tmp_path / "back.txt"
    lab.aws("s3", "cp", f"s3://{bucket}/c.txt", str(dst), "--sse-c", "AES256", "--sse-c-key", f"fileb://{key_file}")
    assert dst.read_bytes() == src.read_bytes()


def test_s3api_put_object_with_server_side_encryption(lab, tmp_path):
    bucket = _bucket(lab)
    src = tmp_path / "p.txt"
    src.write_bytes(b"s3api put-object")
    out = lab.aws("s3api", "put-object", "--bucket", bucket, "--key", "p.txt", "--body", str(src),
                  "--server-side-encryption", "aws:kms")
    assert out["ServerSideEncryption"] == "aws:kms"
    assert out["SSEKMSKeyId"].startswith("arn:aws:kms:")
    listing = lab.aws("s3api", "list-objects-v2", "--bucket", bucket)
    assert [o["Key"] for o in listing["Contents"]] == ["p.txt"]


def test_s3_ls_and_large_multipart_cp(lab, tmp_path):
    bucket = _bucket(lab)
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(12 * 1024 * 1024))  # the CLI goes multipart above 8 MiB
    lab.aws("s3", "cp", str(src), f"s3://{bucket}/big.bin")
    head = lab.aws("s3api", "head-object", "--bucket", bucket, "--key", "big.bin")
    assert head["ETag"].endswith('-2"')
    dst = tmp_path / "big.back"
    lab.aws("s3", "cp", f"s3://{bucket}/big.bin", str(dst))
    assert dst.read_bytes() == src.read_bytes()
