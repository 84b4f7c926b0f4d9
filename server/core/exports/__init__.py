"""Export jobs and the row readers that feed the pure writers in the top-level exports/ package.

Uses the ground floor, the models and submissions (processing what is still pending before an export)."""
