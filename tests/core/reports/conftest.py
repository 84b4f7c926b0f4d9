"""The web application's signed-in client, for the report tests that also look at the report page."""

from tests.web.ui.conftest import signed_in

__all__ = ["signed_in"]
