"""Masking of sensitive answers, as the review functions apply it (the rule itself lives beside the
field schema in server.core.forms.masking, so that exports use the same one)."""

from server.core.forms.masking import MASK, has_sensitive_answer, mask_values, sensitive_paths

__all__ = ["MASK", "has_sensitive_answer", "mask_values", "sensitive_paths"]
