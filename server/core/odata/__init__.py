"""ODK Central's OData v4 feed of a form's submissions ($metadata, Submissions and repeat tables, the
query options) and Central's CSV downloads, streamed from the processed rows with the same area
limits and masking as the submissions table and the exports."""
