"""Webhooks: per-project subscriptions, the delivery outbox written with the change that causes an
event, and signed delivery with retries by a worker."""
