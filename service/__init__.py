"""JOST service: the stateless job orchestrator (Django + DRF + Celery) around `jost_engine`.

Settings come from the environment (`service.settings`); with nothing set it runs on embedded
defaults (SQLite and a file-system broker under ``JOST_DATA_DIR``).
"""
