"""Review of submissions: review states, comments, history, audits, the submissions table's queries
(filters, search, keyset paging), the dashboard's aggregates, and masking of sensitive answers.
Every function takes the acting user and applies the project's permissions and the user's area."""
