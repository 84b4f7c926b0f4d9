"""Chumchon's Flask-free domain core, in the order data flows through it.

ground/ and models/ are the ground floor every domain package may use (and that uses none of them);
accounts/ (who may do what), forms/ (publishing), submissions/ (intake and processing) and exports/
(export jobs) sit on it. import-linter checks these layers in CI."""
