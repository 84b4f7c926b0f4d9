"""`python -m workers [--concurrency N] [--beat]`: a worker configured from CHUMCHON_* variables."""

from __future__ import annotations

import argparse

from server.core.ground.settings import load_settings
from workers.app import run_worker


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m workers")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--beat", action="store_true")
    args = parser.parse_args()
    run_worker(load_settings(), concurrency=args.concurrency, beat=args.beat)


if __name__ == "__main__":
    main()
