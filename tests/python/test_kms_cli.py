"""AWS KMS through the AWS CLI (the venv's `aws`), as a learner would type it."""

from __future__ import annotations

import base64
import uuid

import pytest

from conftest import AwsCliError

ACCOUNT = "111122223333"


def create_key(lab) -> dict:
    return lab.aws("kms", "create-key", "--description", "pytest cli key")["KeyMetadata"]


def test_create_key(lab):
    meta = create_key(lab)
    assert meta["Arn"] == f"arn:aws:kms:{lab.region}:{ACCOUNT}:key/{meta['KeyId']}"
    assert meta["KeyState"] == "Enabled"
    assert meta["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert meta["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert meta["KeyManager"] == "CUSTOMER"
    assert meta["Origin"] == "AWS_KMS"


def test_generate_data_key(lab):
    meta = create_key(lab)
    data_key = lab.aws("kms", "generate-data-key", "--key-id", meta["KeyId"], "--key-spec", "AES_256")
    # The CLI prints blobs as base64.
    plaintext = base64.b64decode(data_key["Plaintext"])
    assert len(plaintext) == 32
    assert data_key["KeyId"] == meta["Arn"]
    assert base64.b64decode(data_key["CiphertextBlob"])


def test_list_keys_includes_new_key(lab):
    meta = create_key(lab)
    keys = lab.aws("kms", "list-keys")["Keys"]  # the CLI follows NextMarker by itself
    assert {"KeyId": meta["KeyId"], "KeyArn": meta["Arn"]} in keys


def test_create_alias_and_describe_by_alias(lab):
    meta = create_key(lab)
    alias = f"alias/pytest-cli-{uuid.uuid4().hex[:12]}"
    assert lab.aws("kms", "create-alias", "--alias-name", alias, "--target-key-id", meta["KeyId"]) is None

    described = lab.aws("kms", "describe-key", "--key-id", alias)["KeyMetadata"]
    assert described["KeyId"] == meta["KeyId"]
    assert described["Arn"] == meta["Arn"]


def test_encrypt_decrypt_files_round_trip(lab, tmp_path):
    meta = create_key(lab)
    (tmp_path / "secret.txt").write_bytes(b"hello from the AWS CLI\n")
    encrypted = lab.aws(
        "kms", "encrypt",
        "--key-id", meta["KeyId"],
        "--plaintext", f"fileb://{tmp_path / 'secret.txt'}",
        "--encryption-context", "purpose=cli-test",
    )
    (tmp_path / "secret.bin").write_bytes(base64.b64decode(encrypted["CiphertextBlob"]))

    decrypted = lab.aws(
        "kms", "decrypt",
        "--ciphertext-blob", f"fileb://{tmp_path / 'secret.bin'}",
        "--encryption-context", "purpose=cli-test",
    )
    assert base64.b64decode(decrypted["Plaintext"]) == b"hello from the AWS CLI\n"
    assert decrypted["KeyId"] == meta["Arn"]


def test_cli_reports_kms_errors(lab):
    with pytest.raises(AwsCliError) as e:
        lab.aws("kms", "describe-key", "--key-id", str(uuid.uuid4()))
    assert e.value.code == "NotFoundException"


def test_cli_over_plain_http(lab):
    meta = lab.aws("kms", "create-key", secure=False)["KeyMetadata"]
    assert lab.aws("kms", "describe-key", "--key-id", meta["KeyId"], secure=False)["KeyMetadata"]["KeyId"] == meta["KeyId"]
