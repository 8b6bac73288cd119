#!/usr/bin/env bash
# Lab 9, reference solution. Run in the lab's work folder after pasting the `export` lines.
set -euo pipefail
key_id=$(aws --endpoint-url "$E" kms describe-key --key-id alias/lab-09 --query KeyMetadata.KeyId --output text)
aws --endpoint-url "$E" kms enable-key-rotation --key-id "$key_id"
aws --endpoint-url "$E" kms rotate-key-on-demand --key-id "$key_id"
aws --endpoint-url "$E" s3 cp after.txt s3://rotation-lab/after.txt --sse aws:kms --sse-kms-key-id alias/lab-09
aws --endpoint-url "$E" s3 cp s3://rotation-lab/before.txt - > /dev/null
aws --endpoint-url "$E" s3 cp s3://rotation-lab/after.txt - > /dev/null
# The last two Decrypt records of the trail are the two downloads, in order.
python3 - "$S3LAB_DATA/kms/audit.jsonl" <<'PY'
import json, sys
records = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
decrypts = [r for r in records if r["eventName"] == "Decrypt" and "errorCode" not in r]
before, after = decrypts[-2:]
open("material-before.txt", "w").write(before["additionalEventData"]["keyMaterialId"] + "\n")
open("material-after.txt", "w").write(after["additionalEventData"]["keyMaterialId"] + "\n")
PY
cat material-before.txt material-after.txt
