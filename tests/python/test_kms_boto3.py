"""AWS KMS through boto3, against the lab's KMS, held to real AWS KMS behaviour.

The session-wide `lab` is shared, so every test makes its own keys and aliases and depends on no
other test. Expected values follow the KMS API reference (see shared/reference/s3-sse-and-kms.md,
sections 7 and 8).
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

ACCOUNT = "111122223333"
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
CONTEXT = {"purpose": "pytest", "department": "s3lab"}


@pytest.fixture
def kms(lab):
    return lab.boto3_client("kms")


def key_arn(lab, key_id: str) -> str:
    return f"arn:aws:kms:{lab.region}:{ACCOUNT}:key/{key_id}"


def new_key(kms, **kwargs) -> dict:
    return kms.create_key(Description="pytest key", **kwargs)["KeyMetadata"]


def unique_alias(label: str) -> str:
    return f"alias/pytest-{label}-{uuid.uuid4().hex[:12]}"


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def assert_kms_error(excinfo: pytest.ExceptionInfo[ClientError], code: str) -> None:
    """KMS answers every client error with HTTP 400 and the error name in `__type`."""
    assert error_of(excinfo) == (code, 400), excinfo.value.response


# --- keys and aliases ----------------------------------------------------------------------------------


def test_create_key_metadata(lab, kms):
    meta = new_key(kms)

    assert UUID_RE.match(meta["KeyId"]), meta["KeyId"]
    assert meta["Arn"] == key_arn(lab, meta["KeyId"])
    assert meta["AWSAccountId"] == ACCOUNT
    assert meta["KeyState"] == "Enabled"
    assert meta["Enabled"] is True
    assert meta["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert meta["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert meta["KeyManager"] == "CUSTOMER"
    assert meta["Origin"] == "AWS_KMS"
    assert meta["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    assert meta["Description"] == "pytest key"
    assert "CreationDate" in meta

    described = kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]
    assert described["KeyId"] == meta["KeyId"]
    assert described["Arn"] == meta["Arn"]
    assert described["KeyState"] == "Enabled"


def test_two_keys_get_different_ids(kms):
    assert new_key(kms)["KeyId"] != new_key(kms)["KeyId"]


def test_alias_resolves_in_describe_key_and_encrypt(lab, kms):
    meta = new_key(kms)
    alias = unique_alias("describe")
    kms.create_alias(AliasName=alias, TargetKeyId=meta["KeyId"])

    by_alias = kms.describe_key(KeyId=alias)["KeyMetadata"]
    assert by_alias["KeyId"] == meta["KeyId"]
    assert by_alias["Arn"] == meta["Arn"]

    alias_arn = f"arn:aws:kms:{lab.region}:{ACCOUNT}:{alias}"
    assert kms.describe_key(KeyId=alias_arn)["KeyMetadata"]["KeyId"] == meta["KeyId"]

    # Encrypt through the alias: the response names the key by its ARN.
    assert kms.encrypt(KeyId=alias, Plaintext=b"via alias")["KeyId"] == meta["Arn"]

    aliases = kms.list_aliases(KeyId=meta["KeyId"])["Aliases"]
    assert [a["AliasName"] for a in aliases] == [alias]
    assert aliases[0]["AliasArn"] == alias_arn
    assert aliases[0]["TargetKeyId"] == meta["KeyId"]


def test_describe_unknown_key_is_not_found(kms):
    with pytest.raises(ClientError) as e:
        kms.describe_key(KeyId=str(uuid.uuid4()))
    assert_kms_error(e, "NotFoundException")


# --- encrypt, decrypt, data keys ------------------------------------------------------------------------


def test_encrypt_decrypt_round_trip_with_context(lab, kms):
    meta = new_key(kms)
    plaintext = b"the quick brown fox \x00\xff"

    encrypted = kms.encrypt(KeyId=meta["KeyId"], Plaintext=plaintext, EncryptionContext=CONTEXT)
    assert encrypted["KeyId"] == meta["Arn"]
    assert encrypted["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    blob = encrypted["CiphertextBlob"]
    assert plaintext not in blob

    # Symmetric Decrypt needs no KeyId: KMS reads the key from the ciphertext blob.
    decrypted = kms.decrypt(CiphertextBlob=blob, EncryptionContext=CONTEXT)
    assert decrypted["Plaintext"] == plaintext
    assert decrypted["KeyId"] == meta["Arn"]
    assert decrypted["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"

    # With the KeyId it works too; the context is a map, so its order does not matter.
    reordered = dict(reversed(list(CONTEXT.items())))
    again = kms.decrypt(CiphertextBlob=blob, EncryptionContext=reordered, KeyId=meta["KeyId"])
    assert again["Plaintext"] == plaintext


def test_decrypt_with_wrong_or_missing_context_is_invalid_ciphertext(kms):
    meta = new_key(kms)
    blob = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"bound to a context", EncryptionContext=CONTEXT)[
        "CiphertextBlob"
    ]

    for context in (
        {**CONTEXT, "purpose": "something else"},
        {**CONTEXT, "purpose": CONTEXT["purpose"].upper()},  # an exact, case-sensitive match
        {**CONTEXT, "extra": "pair"},
        None,
    ):
        kwargs = {} if context is None else {"EncryptionContext": context}
        with pytest.raises(ClientError) as e:
            kms.decrypt(CiphertextBlob=blob, **kwargs)
        assert_kms_error(e, "InvalidCiphertextException")


def test_decrypt_with_another_key_id_is_incorrect_key(kms):
    blob = kms.encrypt(KeyId=new_key(kms)["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=blob, KeyId=new_key(kms)["KeyId"])
    assert_kms_error(e, "IncorrectKeyException")


def test_tampered_ciphertext_is_invalid(kms):
    blob = bytearray(kms.encrypt(KeyId=new_key(kms)["KeyId"], Plaintext=b"x" * 64)["CiphertextBlob"])
    blob[-1] ^= 0x01
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=bytes(blob))
    assert_kms_error(e, "InvalidCiphertextException")


@pytest.mark.parametrize(("spec", "size"), [("AES_256", 32), ("AES_128", 16)])
def test_generate_data_key(kms, spec, size):
    meta = new_key(kms)
    data_key = kms.generate_data_key(KeyId=meta["KeyId"], KeySpec=spec, EncryptionContext=CONTEXT)
    assert len(data_key["Plaintext"]) == size
    assert data_key["KeyId"] == meta["Arn"]
    assert data_key["Plaintext"] not in data_key["CiphertextBlob"]

    decrypted = kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"], EncryptionContext=CONTEXT)
    assert decrypted["Plaintext"] == data_key["Plaintext"]
    assert decrypted["KeyId"] == meta["Arn"]


def test_generate_data_key_by_number_of_bytes(kms):
    meta = new_key(kms)
    data_key = kms.generate_data_key(KeyId=meta["KeyId"], NumberOfBytes=64)
    assert len(data_key["Plaintext"]) == 64
    assert kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"] == data_key["Plaintext"]


def test_generate_data_keys_differ(kms):
    key_id = new_key(kms)["KeyId"]
    first = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
    second = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
    assert first["Plaintext"] != second["Plaintext"]
    assert first["CiphertextBlob"] != second["CiphertextBlob"]


def test_generate_data_key_without_plaintext(kms):
    meta = new_key(kms)
    data_key = kms.generate_data_key_without_plaintext(KeyId=meta["KeyId"], KeySpec="AES_256")
    assert "Plaintext" not in data_key
    assert data_key["KeyId"] == meta["Arn"]
    assert len(kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"]) == 32


def test_generate_data_key_with_key_spec_and_number_of_bytes_is_invalid(kms):
    with pytest.raises(ClientError) as e:
        kms.generate_data_key(KeyId=new_key(kms)["KeyId"], KeySpec="AES_256", NumberOfBytes=32)
    assert_kms_error(e, "ValidationException")


def test_generate_random(kms):
    first = kms.generate_random(NumberOfBytes=32)["Plaintext"]
    second = kms.generate_random(NumberOfBytes=32)["Plaintext"]
    assert len(first) == len(second) == 32
    assert first != second


# --- key states ------------------------------------------------------------------------------------------


def test_disabled_key_refuses_crypto_until_enabled(kms):
    meta = new_key(kms)
    key_id = meta["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"before disable")["CiphertextBlob"]

    kms.disable_key(KeyId=key_id)
    described = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert described["KeyState"] == "Disabled"
    assert described["Enabled"] is False

    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=key_id, Plaintext=b"while disabled")
    assert_kms_error(e, "DisabledException")
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=blob)
    assert_kms_error(e, "DisabledException")
    with pytest.raises(ClientError) as e:
        kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
    assert_kms_error(e, "DisabledException")

    kms.enable_key(KeyId=key_id)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before disable"
    assert kms.encrypt(KeyId=key_id, Plaintext=b"after enable")["KeyId"] == meta["Arn"]


def test_scheduled_deletion_and_cancel(kms):
    meta = new_key(kms)
    key_id = meta["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"doomed")["CiphertextBlob"]

    scheduled = kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert scheduled["KeyId"] == meta["Arn"]
    assert scheduled["KeyState"] == "PendingDeletion"
    assert scheduled["PendingWindowInDays"] == 7
    window = scheduled["DeletionDate"] - meta["CreationDate"]
    assert timedelta(days=7) - timedelta(minutes=5) <= window <= timedelta(days=8), window

    described = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert described["KeyState"] == "PendingDeletion"
    assert described["Enabled"] is False
    assert "DeletionDate" in described

    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=key_id, Plaintext=b"too late")
    assert_kms_error(e, "KMSInvalidStateException")
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=blob)
    assert_kms_error(e, "KMSInvalidStateException")

    cancelled = kms.cancel_key_deletion(KeyId=key_id)
    assert cancelled["KeyId"] == meta["Arn"]
    described = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert described["KeyState"] == "Disabled"  # cancelling leaves the key disabled
    assert "DeletionDate" not in described

    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=key_id, Plaintext=b"still disabled")
    assert_kms_error(e, "DisabledException")

    kms.enable_key(KeyId=key_id)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"doomed"


def test_cancel_deletion_of_a_key_not_pending_is_invalid_state(kms):
    with pytest.raises(ClientError) as e:
        kms.cancel_key_deletion(KeyId=new_key(kms)["KeyId"])
    assert_kms_error(e, "KMSInvalidStateException")


# --- rotation ----------------------------------------------------------------------------------------------


def test_rotate_on_demand_keeps_old_ciphertext_decryptable(kms):
    meta = new_key(kms)
    key_id = meta["KeyId"]
    assert kms.list_key_rotations(KeyId=key_id)["Rotations"] == []
    old_blob = kms.encrypt(KeyId=key_id, Plaintext=b"before rotation", EncryptionContext=CONTEXT)[
        "CiphertextBlob"
    ]

    rotated = kms.rotate_key_on_demand(KeyId=key_id)
    assert rotated["KeyId"] in (key_id, meta["Arn"])

    rotations = kms.list_key_rotations(KeyId=key_id)
    assert len(rotations["Rotations"]) == 1, rotations
    assert rotations["Rotations"][0]["RotationType"] == "ON_DEMAND"
    assert rotations["Rotations"][0]["KeyId"] in (key_id, meta["Arn"])
    assert "RotationDate" in rotations["Rotations"][0]
    assert rotations.get("Truncated", False) is False

    # Rotation changes only the key material: the id, ARN and old ciphertexts all stay valid.
    described = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert (described["KeyId"], described["Arn"]) == (key_id, meta["Arn"])
    assert kms.decrypt(CiphertextBlob=old_blob, EncryptionContext=CONTEXT)["Plaintext"] == b"before rotation"

    new_blob = kms.encrypt(KeyId=key_id, Plaintext=b"after rotation", EncryptionContext=CONTEXT)["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=new_blob, EncryptionContext=CONTEXT)["Plaintext"] == b"after rotation"


def test_enable_key_rotation_with_period(kms):
    meta = new_key(kms)
    key_id = meta["KeyId"]
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False

    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert status["KeyRotationEnabled"] is True
    assert status["RotationPeriodInDays"] == 90
    next_rotation = status["NextRotationDate"] - meta["CreationDate"]
    assert timedelta(days=90) - timedelta(minutes=5) <= next_rotation <= timedelta(days=91), next_rotation

    kms.disable_key_rotation(KeyId=key_id)
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False


# --- asymmetric keys -----------------------------------------------------------------------------------------


def test_rsa_key_cannot_generate_data_keys(kms):
    meta = new_key(kms, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
    assert meta["KeySpec"] == "RSA_2048"
    assert meta["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert sorted(meta["EncryptionAlgorithms"]) == ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]

    with pytest.raises(ClientError) as e:
        kms.generate_data_key(KeyId=meta["KeyId"], KeySpec="AES_256")
    assert_kms_error(e, "InvalidKeyUsageException")

    # Encrypt defaults to SYMMETRIC_DEFAULT, which an RSA key cannot do either.
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"x")
    assert_kms_error(e, "InvalidKeyUsageException")


# --- who is calling ----------------------------------------------------------------------------------------------


def test_wrong_secret_key_is_invalid_signature(lab):
    access_key_id, _ = lab.keys("admin")
    kms = lab.boto3_client("kms", access_key_id=access_key_id, secret_access_key="not-the-secret-key")
    with pytest.raises(ClientError) as e:
        kms.list_keys()
    assert_kms_error(e, "InvalidSignatureException")


def test_unknown_access_key_is_unrecognized_client(lab):
    kms = lab.boto3_client("kms", access_key_id="AKIAUNKNOWNUNKNOWN00", secret_access_key="whatever")
    with pytest.raises(ClientError) as e:
        kms.list_keys()
    assert_kms_error(e, "UnrecognizedClientException")


def test_reader_may_not_decrypt(lab, kms):
    blob = kms.encrypt(KeyId=new_key(kms)["KeyId"], Plaintext=b"for admins only")["CiphertextBlob"]
    reader = lab.boto3_client("kms", identity="reader")
    with pytest.raises(ClientError) as e:
        reader.decrypt(CiphertextBlob=blob)
    assert_kms_error(e, "AccessDeniedException")


# --- transport -----------------------------------------------------------------------------------------------------


def test_encrypt_decrypt_over_plain_http(lab):
    kms = lab.boto3_client("kms", secure=False)
    assert kms.meta.endpoint_url.startswith("http://127.0.0.1:")
    meta = new_key(kms)
    blob = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"over http", EncryptionContext=CONTEXT)["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=CONTEXT)["Plaintext"] == b"over http"


def test_https_endpoint_is_verified_with_the_lab_ca(lab, kms):
    assert lab.https.startswith("https://127.0.0.1:")
    assert kms.meta.endpoint_url == lab.https
    kms.list_keys()  # the TLS handshake succeeds against ca_pem
