"""Client-side encryption: `s3lab cse` against the official Amazon S3 Encryption Client for Python.

Both sides talk to one `s3lab serve` (S3 and KMS on the same endpoint) and share its KMS, so a
data key that one side wraps the other can unwrap. Each cell writes with one client and reads with
the other, and compares bytes:

- py -> rs and rs -> py, for V3 and V2, with and without an encryption context, for sizes 0, 1,
  15, 16, 17, 150 and 1 MiB + 3;
- a multipart object each way (11 MiB in parts of 5 MiB);
- instruction files written by s3lab (KMS and raw AES, V3 and V2) and read by Python;
- raw AES objects written by s3lab and read by Python through a small test keyring (Python ships
  only a KMS keyring; the metadata parsing, HKDF, commitment and GCM are the official code);
- the negative cells of the reference (§6.2), each refused by both readers.

A refusal by `s3lab cse` must be one line on stderr, a non-zero exit, and no output file.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from s3_encryption import S3EncryptionClient, S3EncryptionClientConfig
from s3_encryption.exceptions import S3EncryptionClientError, S3EncryptionClientSecurityError
from s3_encryption.materials.keyring import AbstractKeyring
from s3_encryption.materials.kms_keyring import KmsKeyring
from s3_encryption.materials.materials import AlgorithmSuite, CommitmentPolicy

SIZES = [0, 1, 15, 16, 17, 150, 1024 * 1024 + 3]
MIB = 1024 * 1024
EC = {"purpose": "interop"}
REFUSED = (S3EncryptionClientError, S3EncryptionClientSecurityError)
CLI_TIMEOUT_S = 120


# --- the two clients -----------------------------------------------------------------------------


def _s3lab_bin() -> str:
    value = os.environ.get("S3LAB_BIN")
    if value:
        return value
    return str(Path(__file__).resolve().parents[2] / "target" / "debug" / "s3lab")


def rs(lab, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Runs `s3lab cse ARGS` against the lab (endpoints and keys from its ready file)."""
    argv = [_s3lab_bin(), "cse", "--ready", str(lab.ready_file), "--quiet", *args]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.pop("S3LAB_READY", None)
    result = subprocess.run(
        argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=CLI_TIMEOUT_S
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {result.returncode}:\n{result.stderr}")
    return result


def ec_args(ec: dict | None) -> list[str]:
    return [f"--ec={k}={v}" for k, v in (ec or {}).items()]


def py_client(lab, key_id: str, fmt: str = "v3", policy: CommitmentPolicy | None = None, keyring=None):
    """The official client over fresh boto3 clients (the plugin registers on the S3 client)."""
    if fmt == "v3":
        suite = AlgorithmSuite.ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY
        policy = policy or CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT
    else:
        suite = AlgorithmSuite.ALG_AES_256_GCM_IV12_TAG16_NO_KDF
        policy = policy or CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT
    if keyring is None:
        keyring = KmsKeyring(kms_client=lab.boto3_client("kms"), kms_key_id=key_id)
    config = S3EncryptionClientConfig(keyring=keyring, encryption_algorithm=suite, commitment_policy=policy)
    return S3EncryptionClient(lab.boto3_client("s3"), config)


def py_reader(lab, key_id: str, keyring=None):
    """Reads V3 and V2 (REQUIRE_ENCRYPT_ALLOW_DECRYPT)."""
    return py_client(lab, key_id, "v3", CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT, keyring)


def py_get(client, bucket: str, key: str, ec: dict | None = None) -> bytes:
    kwargs = {"Bucket": bucket, "Key": key}
    if ec:
        kwargs["EncryptionContext"] = ec
    return client.get_object(**kwargs)["Body"].read()


class RawAesGcmKeyring(AbstractKeyring):
    """Test-only: reads `AES/GCM` (V3 `02`) data keys, the §3.6 format, for the official pipeline."""

    def __init__(self, key: bytes):
        self.key = key

    def on_encrypt(self, enc_materials):
        raise S3EncryptionClientError("this test keyring only decrypts")

    def on_decrypt(self, dec_materials, encrypted_data_keys=None):
        edks = encrypted_data_keys if encrypted_data_keys is not None else dec_materials.encrypted_data_keys
        (edk,) = edks
        if edk.key_provider_info != "AES/GCM":
            raise S3EncryptionClientError(f"not an AES/GCM key: {edk.key_provider_info}")
        if dec_materials.encryption_context_from_request:
            raise S3EncryptionClientError("raw keyrings take no encryption context")
        # V1/V2 materials carry the content IV; V3 materials do not. The AAD is the content alg.
        aad = b"AES/GCM/NoPadding" if dec_materials.iv is not None else b"115"
        blob = edk.encrypted_data_key
        dec_materials.plaintext_data_key = AESGCM(self.key).decrypt(blob[:12], blob[12:], aad)
        return dec_materials


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kms_key(lab) -> str:
    return lab.boto3_client("kms").create_key(Description="s3lab cse interop")["KeyMetadata"]["KeyId"]


@pytest.fixture(scope="module")
def bucket(lab) -> str:
    name = f"cse-interop-{uuid.uuid4().hex[:8]}"
    lab.boto3_client("s3").create_bucket(Bucket=name)
    return name


def payload(size: int, salt: int = 0) -> bytes:
    return bytes((i * 7 + salt) % 256 for i in range(size)) if size < 4096 else os.urandom(size)


def new_key() -> str:
    return f"obj-{uuid.uuid4().hex[:12]}"


# --- the matrix ----------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("ec", [None, EC], ids=["no-ec", "ec"])
@pytest.mark.parametrize("fmt", ["v3", "v2"])
def test_cse_python_writes_s3lab_reads(lab, kms_key, bucket, tmp_path, fmt, ec, size):
    key, data = new_key(), payload(size, 1)
    kwargs = {"Bucket": bucket, "Key": key, "Body": data}
    if ec:
        kwargs["EncryptionContext"] = ec
    py_client(lab, kms_key, fmt).put_object(**kwargs)

    raw = lab.boto3_client("s3").head_object(Bucket=bucket, Key=key)
    assert raw["ContentLength"] == size + 16
    assert ("x-amz-3" if fmt == "v3" else "x-amz-key-v2") in raw["Metadata"]

    out = tmp_path / "out.bin"
    policy = [] if fmt == "v3" else ["--commitment-policy", "require-encrypt-allow-decrypt"]
    rs(lab, "get", "--bucket", bucket, "--key", key, "--out", str(out), *policy, *ec_args(ec))
    assert out.read_bytes() == data


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("ec", [None, EC], ids=["no-ec", "ec"])
@pytest.mark.parametrize("fmt", ["v3", "v2"])
def test_cse_s3lab_writes_python_reads(lab, kms_key, bucket, tmp_path, fmt, ec, size):
    key, data = new_key(), payload(size, 2)
    src = tmp_path / "in.bin"
    src.write_bytes(data)
    rs(lab, "put", "--bucket", bucket, "--key", key, "--in", str(src), "--format", fmt,
       "--kms-key-id", kms_key, *ec_args(ec))

    raw = lab.boto3_client("s3").get_object(Bucket=bucket, Key=key)
    body = raw["Body"].read()
    assert len(body) == size + 16
    # Only a plaintext of 16 bytes or more can be looked for: a shorter one turns up in random
    # ciphertext by chance (a 1-byte object did, in about one run in sixteen).
    assert len(data) < 16 or data not in body, "the server holds ciphertext only"

    reader = py_client(lab, kms_key, fmt) if fmt == "v3" else py_reader(lab, kms_key)
    assert py_get(reader, bucket, key, ec) == data


def test_cse_multipart_python_writes_s3lab_reads(lab, kms_key, bucket, tmp_path):
    key, data = new_key(), os.urandom(11 * MIB + 5)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    py_client(lab, kms_key).upload_file(
        str(src), bucket, key, multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB,
        EncryptionContext=EC,
    )
    raw = lab.boto3_client("s3").head_object(Bucket=bucket, Key=key)
    assert raw["ContentLength"] == len(data) + 16
    assert "-3" in raw["ETag"], "a multipart upload of three parts"
    out = tmp_path / "out.bin"
    rs(lab, "get", "--bucket", bucket, "--key", key, "--out", str(out), *ec_args(EC))
    assert out.read_bytes() == data


@pytest.mark.parametrize("fmt", ["v3", "v2"])
def test_cse_multipart_s3lab_writes_python_reads(lab, kms_key, bucket, tmp_path, fmt):
    key, data = new_key(), os.urandom(11 * MIB + 5)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    rs(lab, "put", "--bucket", bucket, "--key", key, "--in", str(src), "--format", fmt,
       "--kms-key-id", kms_key, "--part-size", "5", *ec_args(EC))
    raw = lab.boto3_client("s3").head_object(Bucket=bucket, Key=key)
    assert raw["ContentLength"] == len(data) + 16
    assert "-3" in raw["ETag"]
    assert py_get(py_reader(lab, kms_key), bucket, key, EC) == data


@pytest.mark.parametrize("fmt", ["v3", "v2"])
def test_cse_instruction_file_written_by_s3lab_read_by_python(lab, kms_key, bucket, tmp_path, fmt):
    key, data = new_key(), payload(1000, 3)
    src = tmp_path / "in.bin"
    src.write_bytes(data)
    rs(lab, "put", "--bucket", bucket, "--key", key, "--in", str(src), "--format", fmt,
       "--kms-key-id", kms_key, "--instruction-file", *ec_args(EC))
    s3 = lab.boto3_client("s3")
    meta = s3.head_object(Bucket=bucket, Key=key)["Metadata"]
    instruction = s3.get_object(Bucket=bucket, Key=key + ".instruction")
    file = json.loads(instruction["Body"].read())
    if fmt == "v3":
        assert sorted(meta) == ["x-amz-c", "x-amz-d", "x-amz-i"]
        assert sorted(file) == ["x-amz-3", "x-amz-t", "x-amz-w"]
    else:
        assert meta == {}
        assert "x-amz-key-v2" in file and "x-amz-iv" in file
    assert instruction["Metadata"].get("x-amz-crypto-instr-file") == ""
    assert py_get(py_reader(lab, kms_key), bucket, key, EC) == data
    # And s3lab reads its own.
    out = tmp_path / "out.bin"
    policy = [] if fmt == "v3" else ["--commitment-policy", "require-encrypt-allow-decrypt"]
    rs(lab, "get", "--bucket", bucket, "--key", key, "--out", str(out), *policy, *ec_args(EC))
    assert out.read_bytes() == data


@pytest.mark.parametrize("instruction", [False, True], ids=["metadata", "instruction-file"])
@pytest.mark.parametrize("fmt", ["v3", "v2"])
def test_cse_raw_aes_written_by_s3lab_read_by_python(lab, kms_key, bucket, tmp_path, fmt, instruction):
    master = os.urandom(32)
    key_file = tmp_path / "aes.key"
    key_file.write_bytes(master)
    key, data = new_key(), payload(150_000, 4)
    src = tmp_path / "in.bin"
    src.write_bytes(data)
    extra = ["--instruction-file"] if instruction else []
    rs(lab, "put", "--bucket", bucket, "--key", key, "--in", str(src), "--format", fmt,
       "--aes-key-file", str(key_file), *extra)
    reader = py_reader(lab, kms_key, keyring=RawAesGcmKeyring(master))
    assert py_get(reader, bucket, key) == data
    wrong = py_reader(lab, kms_key, keyring=RawAesGcmKeyring(os.urandom(32)))
    with pytest.raises(Exception):
        py_get(wrong, bucket, key)


def test_cse_rsa_round_trip_through_the_cli(lab, bucket, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa as rsa_keys

    private = rsa_keys.generate_private_key(public_exponent=65537, key_size=2048)
    pem = tmp_path / "rsa.pem"
    pem.write_bytes(private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    public = tmp_path / "rsa.pub.pem"
    public.write_bytes(private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    key, data = new_key(), payload(5000, 5)
    src = tmp_path / "in.bin"
    src.write_bytes(data)
    # The public key is enough to encrypt; decrypting needs the private key.
    rs(lab, "put", "--bucket", bucket, "--key", key, "--in", str(src), "--rsa-key-file", str(public))
    meta = lab.boto3_client("s3").head_object(Bucket=bucket, Key=key)["Metadata"]
    assert meta["x-amz-w"] == "22"
    out = tmp_path / "out.bin"
    rs(lab, "get", "--bucket", bucket, "--key", key, "--out", str(out), "--rsa-key-file", str(pem))
    assert out.read_bytes() == data
    refused = rs(lab, "get", "--bucket", bucket, "--key", key, "--out", str(out) + ".2",
                 "--rsa-key-file", str(public), check=False)
    assert refused.returncode != 0 and "private key" in refused.stderr


# --- the negative cells (reference §6.2): both readers refuse --------------------------------------


def assert_rs_refuses(lab, tmp_path, bucket, key, *args, expect: str | None = None):
    out = tmp_path / f"refused-{uuid.uuid4().hex[:6]}.bin"
    result = rs(lab, "get", "--bucket", bucket, "--key", key, "--out", str(out), *args, check=False)
    assert result.returncode != 0, result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "panicked" not in result.stderr and "Traceback" not in result.stderr
    assert not out.exists(), "no output file on a refusal"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".s3lab-cse-")], "no temporary file left"
    if expect:
        assert expect in lines[0], lines[0]
    return lines[0]


def rewrite(lab, bucket, key, meta_fn=None, body_fn=None):
    """Replaces the stored object with tampered metadata or body, with a plain S3 client."""
    s3 = lab.boto3_client("s3")
    obj = s3.get_object(Bucket=bucket, Key=key)
    body, meta = obj["Body"].read(), dict(obj["Metadata"])
    if meta_fn:
        meta = meta_fn(meta)
    if body_fn:
        body = body_fn(body)
    s3.put_object(Bucket=bucket, Key=key, Body=body, Metadata=meta)


def flip_b64(value: str) -> str:
    raw = bytearray(base64.b64decode(value))
    raw[0] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def flip_byte(body: bytes, at: int = 3) -> bytes:
    b = bytearray(body)
    b[at] ^= 0x80
    return bytes(b)


@pytest.fixture
def rs_v3_object(lab, kms_key, bucket, tmp_path):
    key, data = new_key(), payload(300, 6)
    src = tmp_path / "in.bin"
    src.write_bytes(data)
    rs(lab, "put", "--bucket", bucket, "--key", key, "--in", str(src), "--kms-key-id", kms_key, *ec_args(EC))
    return key


@pytest.fixture
def py_v3_object(lab, kms_key, bucket):
    key = new_key()
    py_client(lab, kms_key).put_object(Bucket=bucket, Key=key, Body=payload(300, 7), EncryptionContext=EC)
    return key


@pytest.mark.parametrize("writer", ["rs", "py"])
def test_cse_refuses_a_flipped_commitment_bit(lab, kms_key, bucket, tmp_path, writer, request):
    key = request.getfixturevalue(f"{writer}_v3_object")
    rewrite(lab, bucket, key, meta_fn=lambda m: {**m, "x-amz-d": flip_b64(m["x-amz-d"])})
    with pytest.raises(REFUSED):
        py_get(py_client(lab, kms_key), bucket, key, EC)
    assert_rs_refuses(lab, tmp_path, bucket, key, *ec_args(EC), expect="key commitment")


@pytest.mark.parametrize("writer", ["rs", "py"])
def test_cse_refuses_a_flipped_body_byte(lab, kms_key, bucket, tmp_path, writer, request):
    key = request.getfixturevalue(f"{writer}_v3_object")
    rewrite(lab, bucket, key, body_fn=flip_byte)
    with pytest.raises(REFUSED):
        py_get(py_client(lab, kms_key), bucket, key, EC)
    assert_rs_refuses(lab, tmp_path, bucket, key, *ec_args(EC), expect="failed authentication")


@pytest.mark.parametrize("given", [None, {"purpose": "other"}], ids=["missing", "wrong"])
def test_cse_refuses_a_wrong_or_missing_context(lab, kms_key, bucket, tmp_path, rs_v3_object, given):
    with pytest.raises(REFUSED):
        py_get(py_client(lab, kms_key), bucket, rs_v3_object, given)
    assert_rs_refuses(lab, tmp_path, bucket, rs_v3_object, *ec_args(given), expect="encryption context")


def test_cse_refuses_v2_under_the_strictest_policy(lab, kms_key, bucket, tmp_path):
    key = new_key()
    py_client(lab, kms_key, "v2").put_object(Bucket=bucket, Key=key, Body=b"v2 object")
    with pytest.raises(REFUSED):
        py_get(py_client(lab, kms_key), bucket, key)
    assert_rs_refuses(lab, tmp_path, bucket, key, expect="REQUIRE_ENCRYPT_REQUIRE_DECRYPT")


def test_cse_refuses_both_v2_and_v3_keys(lab, kms_key, bucket, tmp_path, rs_v3_object):
    rewrite(lab, bucket, rs_v3_object, meta_fn=lambda m: {**m, "x-amz-key-v2": m["x-amz-3"]})
    with pytest.raises(REFUSED):
        py_get(py_reader(lab, kms_key), bucket, rs_v3_object, EC)
    assert_rs_refuses(lab, tmp_path, bucket, rs_v3_object, *ec_args(EC), expect="more than one format")


def test_cse_refuses_x_amz_c_in_an_instruction_file(lab, kms_key, bucket, tmp_path):
    key = new_key()
    src = tmp_path / "in.bin"
    src.write_bytes(b"instruction file object")
    rs(lab, "put", "--bucket", bucket, "--key", key, "--in", str(src), "--kms-key-id", kms_key,
       "--instruction-file")
    s3 = lab.boto3_client("s3")
    file = json.loads(s3.get_object(Bucket=bucket, Key=key + ".instruction")["Body"].read())
    file["x-amz-c"] = "115"
    s3.put_object(Bucket=bucket, Key=key + ".instruction", Body=json.dumps(file).encode())
    with pytest.raises(REFUSED):
        py_get(py_client(lab, kms_key), bucket, key)
    assert_rs_refuses(lab, tmp_path, bucket, key, expect="x-amz-c")


def test_cse_refuses_an_unknown_wrap_code(lab, kms_key, bucket, tmp_path, rs_v3_object):
    rewrite(lab, bucket, rs_v3_object, meta_fn=lambda m: {**m, "x-amz-w": "99"})
    with pytest.raises(REFUSED):
        py_get(py_client(lab, kms_key), bucket, rs_v3_object, EC)
    assert_rs_refuses(lab, tmp_path, bucket, rs_v3_object, *ec_args(EC), expect="unknown key wrapping")


def test_cse_refuses_a_reserved_key_in_the_request_context(lab, kms_key, bucket, tmp_path, rs_v3_object):
    reserved = {**EC, "aws:x-amz-cek-alg": "115"}
    with pytest.raises(REFUSED):
        py_get(py_client(lab, kms_key), bucket, rs_v3_object, reserved)
    assert_rs_refuses(lab, tmp_path, bucket, rs_v3_object, *ec_args(reserved), expect="reserved")
    # s3lab also refuses it on write (the Java, Go and Ruby clients do too; Python overwrites it).
    src = tmp_path / "in.bin"
    src.write_bytes(b"x")
    result = rs(lab, "put", "--bucket", bucket, "--key", new_key(), "--in", str(src),
                "--kms-key-id", kms_key, *ec_args(reserved), check=False)
    assert result.returncode != 0 and "reserved" in result.stderr


def test_cse_a_lost_or_wrong_key_is_one_sentence(lab, kms_key, bucket, tmp_path):
    """A wrong raw key, a wrong keyring, and a KMS key that is gone: one line each, no file."""
    master = tmp_path / "aes.key"
    master.write_bytes(os.urandom(32))
    other = tmp_path / "other.key"
    other.write_bytes(os.urandom(32))
    key = new_key()
    src = tmp_path / "in.bin"
    src.write_bytes(b"keep this safe")
    rs(lab, "put", "--bucket", bucket, "--key", key, "--in", str(src), "--aes-key-file", str(master))
    assert_rs_refuses(lab, tmp_path, bucket, key, "--aes-key-file", str(other), expect="could not unwrap")
    assert_rs_refuses(lab, tmp_path, bucket, key, "--kms-key-id", kms_key, expect="keyring is KMS")

    kms = lab.boto3_client("kms")
    doomed = kms.create_key()["KeyMetadata"]["KeyId"]
    key2 = new_key()
    rs(lab, "put", "--bucket", bucket, "--key", key2, "--in", str(src), "--kms-key-id", doomed)
    kms.disable_key(KeyId=doomed)
    assert_rs_refuses(lab, tmp_path, bucket, key2, expect="KMS refused Decrypt")
