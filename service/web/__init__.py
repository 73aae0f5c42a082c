"""The planners' web pages (server-rendered), mounted on the API app."""

from fastapi import FastAPI


def install(app: FastAPI) -> None:
    """Add the pages and their static files to ``app``."""
