"""Submissions from receipt to typed values: safe XML parsing, durable intake (the OpenRosa contract),
processing into records and repeat rows, value conversion, quality checks (Thai citizen ID) and queries.

Uses the ground floor, the models and accounts (permissions); never exports."""
