"""What KMS stores survives a restart of `s3lab serve` on the same data directory."""

from __future__ import annotations

CONTEXT = {"purpose": "restart"}


def all_key_ids(kms) -> set[str]:
    return {key["KeyId"] for page in kms.get_paginator("list_keys").paginate() for key in page["Keys"]}


def test_key_and_ciphertext_survive_restart(fresh_lab):
    kms = fresh_lab.boto3_client("kms")
    meta = kms.create_key(Description="survives a restart")["KeyMetadata"]
    blob = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"still readable", EncryptionContext=CONTEXT)[
        "CiphertextBlob"
    ]

    fresh_lab.stop()
    fresh_lab.start()
    kms = fresh_lab.boto3_client("kms")  # the ports are new

    decrypted = kms.decrypt(CiphertextBlob=blob, EncryptionContext=CONTEXT)
    assert decrypted["Plaintext"] == b"still readable"
    assert decrypted["KeyId"] == meta["Arn"]
    assert meta["KeyId"] in all_key_ids(kms)
    described = kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]
    assert described["KeyState"] == "Enabled"
    assert described["Description"] == "survives a restart"


def test_state_changes_survive_restart(fresh_lab):
    kms = fresh_lab.boto3_client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    alias = "alias/pytest-restart"
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    old_blob = kms.encrypt(KeyId=key_id, Plaintext=b"before rotation")["CiphertextBlob"]
    kms.rotate_key_on_demand(KeyId=key_id)
    new_blob = kms.encrypt(KeyId=key_id, Plaintext=b"after rotation")["CiphertextBlob"]
    kms.disable_key(KeyId=key_id)

    fresh_lab.restart()
    kms = fresh_lab.boto3_client("kms")

    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == key_id
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"
    assert len(kms.list_key_rotations(KeyId=key_id)["Rotations"]) == 1
    kms.enable_key(KeyId=key_id)
    assert kms.decrypt(CiphertextBlob=old_blob)["Plaintext"] == b"before rotation"
    assert kms.decrypt(CiphertextBlob=new_blob)["Plaintext"] == b"after rotation"


def test_keys_created_after_restart_get_new_ids(fresh_lab):
    # Real KMS never hands out a key id twice. The lab restarts with the same --seed, so a server
    # that only replays its seeded RNG would give the next key the id of the first one.
    kms = fresh_lab.boto3_client("kms")
    before = kms.create_key()["KeyMetadata"]["KeyId"]

    fresh_lab.restart()
    kms = fresh_lab.boto3_client("kms")

    after = kms.create_key()["KeyMetadata"]["KeyId"]
    assert after != before
    assert {before, after} <= all_key_ids(kms)
