"""The settings tables in docs/settings.md and the README agree with the declarations."""

from __future__ import annotations

import re
from pathlib import Path

from status_sidecar.settings import OPTIONS, reference_table

ROOT = Path(__file__).resolve().parents[2]


def _between_markers(text: str) -> str:
    match = re.search(r"<!-- settings:begin -->\n(.*)<!-- settings:end -->", text, re.DOTALL)
    assert match, "docs/settings.md lost its settings markers"
    return match.group(1)


def test_docs_settings_should_be_the_generated_table() -> None:
    text = (ROOT / "docs" / "settings.md").read_text()
    assert _between_markers(text) == reference_table(), (
        "docs/settings.md is out of date: regenerate it (see the command at its top)"
    )


def test_every_readme_row_should_match_a_declaration() -> None:
    readme = (ROOT / "README.md").read_text()
    by_env = {o.env: o for o in OPTIONS.values()}
    seen = 0
    for line in readme.splitlines():
        if not line.startswith("| `") or "| `--" not in line:
            continue
        envs_cell, flags_cell, default_cell = (c.strip() for c in line.strip("|").split("|")[:3])
        envs = re.findall(r"`([A-Z0-9_]+)`", envs_cell)
        flags = re.findall(r"`(--[a-z0-9-]+)`", flags_cell)
        assert len(envs) == len(flags) and envs, line
        defaults = re.findall(r"`([^`]*)`", default_cell)
        for i, (env, flag) in enumerate(zip(envs, flags, strict=True)):
            assert env in by_env, f"README names {env}, which is no setting"
            assert by_env[env].flag == flag, f"README pairs {env} with {flag}"
            if i < len(defaults) and len(defaults) == len(envs):
                assert defaults[i] == by_env[env].default, f"README default of {env}"
            seen += 1
    assert seen >= 30
