"""Entities (ODK "datasets"): registries that registration forms fill and follow-up forms read.

Declarations read from an XForm at publish, entity lists and their properties, creating and updating
entities from processed submissions (versions, offline branches, conflicts), the lists served to Collect
as CSV form media, the Central-shaped API operations and CSV upload.

Uses the ground floor, the models and accounts; forms (publishing, manifests) and submissions
(processing) call it, never the reverse."""
