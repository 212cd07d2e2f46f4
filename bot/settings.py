"""Runtime settings, read from the environment so that one code base serves every machine."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str
    action_port: int
    rasa_port: int
    knowledge_file: Path
    model_dir: Path
    var_dir: Path


def load() -> Settings:
    var_dir = Path(os.environ.get("SHOP_VAR_DIR", ROOT / "var"))
    return Settings(
        database_url=os.environ.get("DATABASE_URL", f"sqlite:///{var_dir / 'shop.db'}"),
        redis_url=os.environ.get("REDIS_URL", "redis://localhost:6379/0"),
        action_port=int(os.environ.get("ACTION_PORT", "5055")),
        rasa_port=int(os.environ.get("RASA_PORT", "5005")),
        knowledge_file=Path(os.environ.get("KNOWLEDGE_FILE", ROOT / "nlu_data" / "knowledge" / "answers.yml")),
        model_dir=Path(os.environ.get("MODEL_DIR", ROOT / "models")),
        var_dir=var_dir,
    )
