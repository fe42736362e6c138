"""Configuration from HOTLINE_* variables, and the README documenting every one of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.config import SETTINGS, load_config
from tests.conftest import REPO


def test_defaults_are_the_embedded_mode(tmp_path: Path) -> None:
    config = load_config(str(tmp_path), environ={})
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'hotline.db'}"
    assert config["REDIS_URL"] == ""
    assert config["SMS_PROVIDER"] == "console"
    assert config["PORT"] == 5000
    assert (tmp_path / "secret_key").exists()
    assert load_config(str(tmp_path), environ={})["SECRET_KEY"] == config["SECRET_KEY"]


def test_environment_overrides(tmp_path: Path) -> None:
    config = load_config(
        str(tmp_path),
        environ={
            "HOTLINE_PORT": "8080",
            "HOTLINE_SECURE_COOKIES": "false",
            "HOTLINE_DATABASE_URL": "postgresql+psycopg://x/y",
        },
    )
    assert config["PORT"] == 8080 and config["SECURE_COOKIES"] is False
    assert config["DATABASE_URL"] == "postgresql+psycopg://x/y"


@pytest.mark.parametrize(("name", "value"), [("HOTLINE_PORT", "eighty"), ("HOTLINE_SECURE_COOKIES", "perhaps")])
def test_bad_values_are_refused_with_the_variable_named(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        load_config(str(tmp_path), environ={name: value})


def test_readme_documents_every_variable() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    missing = [s.name for s in SETTINGS if f"HOTLINE_{s.name}" not in readme]
    assert not missing, f"README lacks {missing}"
