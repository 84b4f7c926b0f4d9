"""Who may do what: projects, users and collector tokens, role grants and permission checks, Digest
authentication, the ODK Collect QR code, and bootstrapping the first admin and default project.

Uses the ground floor and the models only."""
