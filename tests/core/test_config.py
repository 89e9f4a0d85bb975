from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from camfleet.config import load_fleet, parse_fleet
from camfleet.errors import ConfigError

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_fleet_example_is_valid():
    block = re.search(r"```yaml\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert block is not None
    fleet = parse_fleet(yaml.safe_load(block.group(1)), "README")
    assert [c.id for c in fleet.cameras] == ["entrance", "lobby"]
    assert fleet.runtime.mode == "shared"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"cameras": [{"id": "a", "source": "x.mp4", "analyze_fps": -1}]},
         r"^fleet.yaml: cameras\[0\]\.analyze_fps: Input should be greater than 0 \(got -1\)$"),
        ({"cameras": [{"id": "a", "source": "x.mp4", "models": ["nope"]}]},
         r"camera 'a' uses unknown model 'nope'; defined models: \['default'\]"),
        ({"cameras": [{"id": "a", "source": "x"}, {"id": "a", "source": "y"}]},
         r"camera id 'a' is used twice"),
        ({"cameras": [{"id": "a", "source": "x", "fps": 3}]},
         r"cameras\[0\]\.fps: Extra inputs are not permitted"),
        ({"cameras": [{"id": "a", "source": "x", "roi": [0.5, 0, 0.2, 1]}]},
         r"roi \[0\.5, 0\.0, 0\.2, 1\.0\] must satisfy"),
        ({"cameras": []}, r"cameras: List should have at least 1 item"),
        ({"cameras": [{"id": "a", "source": "x"}], "runtime": {"mode": "pods"}},
         r"runtime\.mode: Input should be 'shared' or 'timeslice'"),
        ([1, 2], r"expected a mapping with 'cameras', got list"),
    ],
)
def test_errors_name_the_field_in_one_line(data, message):
    with pytest.raises(ConfigError, match=message) as info:
        parse_fleet(data, "fleet.yaml")
    assert "\n" not in str(info.value)


def test_load_fleet_reports_yaml_syntax_and_missing_files(tmp_path):
    bad = tmp_path / "fleet.yaml"
    bad.write_text("cameras: [\n  - id: a\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"fleet.yaml: invalid YAML at line \d+"):
        load_fleet(bad)
    with pytest.raises(ConfigError, match="cannot read fleet config"):
        load_fleet(tmp_path / "missing.yaml")


def test_max_batch_defaults_follow_the_provider():
    fleet = parse_fleet(
        {
            "models": {"c": {"provider": "cpu"}, "g": {"provider": "cuda"},
                       "x": {"provider": "cuda", "max_batch": 4}},
            "cameras": [{"id": "a", "source": "x", "models": ["c"]}],
        }
    )
    assert [fleet.models[m].batch_limit for m in ("c", "g", "x")] == [1, 32, 4]


def test_analytics_schema_does_not_import_the_fleet_schema():
    """Imports point one way: config builds on analytics.schema, never the reverse."""
    probe = (
        "import sys, camfleet.analytics.schema as schema\n"
        "assert 'camfleet.config' not in sys.modules, 'analytics.schema imported config'\n"
        "rule = schema.RuleConfig(name='r', type='presence', webhooks=[{'url': 'http://h/x'}])\n"
        "print(rule.webhooks[0].max_attempts)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "8"


def test_config_still_exports_the_moved_names():
    import camfleet.analytics.schema as schema
    import camfleet.config as config

    for name in ("WebhookConfig", "RuleConfig", "ZoneConfig", "LineConfig"):
        assert getattr(config, name) is getattr(schema, name)
    assert "WebhookConfig" in config.__all__
