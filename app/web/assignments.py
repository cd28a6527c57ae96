"""placeholder"""

from fastapi import APIRouter

router = APIRouter()


def required_level(db, user_id):  # placeholder until the assignments work lands
    return "familiar"
