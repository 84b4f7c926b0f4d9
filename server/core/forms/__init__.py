"""Publishing forms: the one pyxform adapter (xlsform), the field schema read from the XForm, form media,
the forms shipped in forms/ and the Thai geography lists.

Uses the ground floor, the models and accounts (projects); never submissions or exports."""
