"""`cop init` as a KKG organizer meets it (issue 17), and `cop help config`."""

from __future__ import annotations

import tomllib
from pathlib import Path

from click.testing import CliRunner

from mailer.cli import main
from mailer.config import parse_config

ROOT = Path(__file__).resolve().parent.parent


def cop(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_help_config_prints_the_reference_which_is_shipped_inside_the_package() -> None:
    code, out, _ = cop("help", "config")
    assert code == 0
    assert out == (ROOT / "config" / "reference.toml").read_text()
    assert 'on = "sabtu ke-2"' in out and "[[community.meeting]]" in out
    parse_config(out, Path("/x/cop.toml"), {})  # itself a valid cop.toml
    wheel = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]
    assert wheel["targets"]["wheel"]["force-include"]["config/reference.toml"] == \
        "mailer/reference.toml"
