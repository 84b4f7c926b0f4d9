"""The ground floor: settings, database engine and sessions, migrations runner, blob storage, the broker
adapter, domain errors, the file-name safety rule and the Services bundle that wires them together.

Uses only the standard library, SQLAlchemy, Alembic, kombu/Celery's client and server.core.models; no
domain package. Everything above may use it."""
