"""The four faces, served from frontend/: /child/, / (parents), /mentor/, /admin/."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"


def page_mounts() -> list[BaseRoute]:
    # "/" is last so the more specific faces win.
    return [
        Mount("/child", StaticFiles(directory=FRONTEND / "child", html=True), name="child"),
        Mount("/mentor", StaticFiles(directory=FRONTEND / "mentor", html=True), name="mentor"),
        Mount("/admin", StaticFiles(directory=FRONTEND / "admin", html=True), name="admin"),
        Mount("/assets", StaticFiles(directory=FRONTEND / "assets"), name="assets"),
        Mount("/", StaticFiles(directory=FRONTEND / "parent", html=True), name="parent"),
    ]
