"""Routes: reports."""

from fastapi import APIRouter

router = APIRouter(tags=["reports"])
