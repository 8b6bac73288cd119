"""The test environment that `cargo xtask test` sets up (no server needed)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path


def test_aws_cli_on_path_is_the_venvs():
    aws = shutil.which("aws")
    assert aws is not None, "the venv's bin directory should be first on PATH"
    assert Path(aws).resolve().parent == Path(sys.executable).parent.resolve()


def test_developer_aws_config_is_kept_out():
    for var in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        path = Path(os.environ[var])
        assert path.is_file() and path.stat().st_size == 0, f"{var}={path} should be an empty file"
    assert os.environ["AWS_EC2_METADATA_DISABLED"] == "true"
    leaked = sorted(k for k in os.environ if k in {"AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                                     "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_REGION"})
    assert leaked == []


def test_python_clients_import():
    import awscli  # noqa: F401
    import boto3  # noqa: F401
    import s3_encryption  # the AWS S3 Encryption Client for Python

    assert hasattr(s3_encryption, "S3EncryptionClient")
