"""`python -m server.cli` is the same as the `chumchon` command."""

from server.cli import main

main()
