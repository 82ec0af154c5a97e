"""The Developer Workbench: staff-only pages to run raw configs and watch every user's jobs."""
