"""The service layer: every transaction and permission check lives here.

Services take plain values, an Actor and a SQLAlchemy session (keyword-only) and never import
Flask, so the web views, the REST API and the CLI are thin adapters over the same rules.
"""
