"""Routes: spreadsheet import and export."""

from fastapi import APIRouter

router = APIRouter(tags=["import and export"])
