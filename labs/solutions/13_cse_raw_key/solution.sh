#!/usr/bin/env bash
# Lab 13, reference solution. Run in the lab's work folder after pasting the `export` lines.
set -euo pipefail
head -c 32 /dev/urandom > my-aes.key
s3lab cse put --bucket cse-lab --key diary.txt --in diary.txt --aes-key-file my-aes.key
s3lab cse get --bucket cse-lab --key diary.txt --out decrypted.txt --aes-key-file my-aes.key
aws --endpoint-url "$E" s3api head-object --bucket cse-lab --key diary.txt --query 'Metadata."x-amz-w"' --output text > wrap.txt
cat wrap.txt
