"""Reports an office sends upward, computed from the data: indicator rules kept as data beside each
form (forms/FORM.indicators.toml), each processed submission's results (report_result), and the
aggregates per village, subdistrict, district and province that the API, CLI and pages show."""
