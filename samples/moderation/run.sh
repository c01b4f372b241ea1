#!/usr/bin/env bash
# Moderation sample: label each message of messages.jsonl SAFE, SPAM or ABUSE with the
# reference model (../shared/models/qwen35-tiny-a, converted on first use) and print the
# accuracy. LINNET_BUNDLE=path/to/model.linnet uses another model (README.md).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The policy the reference model was trained with (its reference.json system prompt).
exec "$here/../run_labelled_set.sh" moderation SAFE,SPAM,ABUSE \
  "${LINNET_MODERATION_SYSTEM:-You are a content moderator. Reply with one label: SAFE, SPAM or ABUSE.}" \
  "$here/messages.jsonl"
