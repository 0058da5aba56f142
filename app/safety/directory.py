"""The help directory: public support services, browsable and searchable."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.safety.crisis import fold_english, fold_japanese

DEFAULT_DIRECTORY = Path(__file__).resolve().parents[1] / "data" / "help_directory.json"


@dataclass(frozen=True)
class HelpDirectory:
    categories: dict[str, dict[str, str]]
    entries: list[dict[str, Any]]

    @classmethod
    def from_file(cls, path: Path = DEFAULT_DIRECTORY) -> HelpDirectory:
        data = json.loads(path.read_text(encoding="utf-8"))
        ids = [e["id"] for e in data["entries"]]
        if len(ids) != len(set(ids)):
            raise ValueError("help directory ids must be unique")
        for entry in data["entries"]:
            if entry["category"] not in data["categories"]:
                raise ValueError(f"unknown category in help entry {entry['id']}")
        return cls(data["categories"], data["entries"])

    def get(self, entry_id: str) -> dict[str, Any] | None:
        return next((e for e in self.entries if e["id"] == entry_id), None)

    def search(
        self, *, query: str = "", category: str | None = None, audience: str | None = None
    ) -> list[dict[str, Any]]:
        needle_ja = fold_japanese(query)
        needle_en = fold_english(query).strip()
        found = []
        for entry in self.entries:
            if category and entry["category"] != category:
                continue
            if audience and entry["audience"] not in (audience, "both"):
                continue
            if query:
                text = json.dumps(
                    [entry["name"], entry["description"], entry["for_whom"], entry["contact"]],
                    ensure_ascii=False,
                )
                if needle_ja not in fold_japanese(text) and needle_en not in fold_english(text):
                    continue
            found.append(entry)
        return found

    def emergency(self) -> list[dict[str, Any]]:
        return [e for e in self.entries if e["category"] == "emergency"]
