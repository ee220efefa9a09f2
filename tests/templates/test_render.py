"""`stashkit render`: output types x sidecar on/off x deployments, errors, the tfvars contract."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from stashkit import cli
from stashkit.config import DEFAULT_LOGSTASH_VERSION, parse_config
from stashkit.errors import RenderError
from stashkit.render import (
    DEPLOYMENTS,
    TEMPLATES_DIR,
    TFVARS_KEYS,
    Renderer,
    logstash_environment,
    render_deployment,
)
from status_sidecar.catalog import STOCK_LOGSTASH_IMAGE

from .support import (
    CATALOG,
    OUTPUT_TYPES,
    RENDERER,
    SIDECAR_IMAGE,
    config_data,
    custom_image,
    make_config,
    write_config,
)


def run_cli(*argv: str) -> tuple[int, str]:
    err = io.StringIO()
    code = cli.main(list(argv), stderr=err)
    return code, err.getvalue()


@pytest.mark.parametrize("deployment", DEPLOYMENTS)
@pytest.mark.parametrize("sidecar", [True, False], ids=["sidecar", "no-sidecar"])
@pytest.mark.parametrize("output_type", OUTPUT_TYPES)
def test_should_render_every_output_type_sidecar_and_deployment(
    output_type: str, sidecar: bool, deployment: str, tmp_path: Path
) -> None:
    config = make_config(output_type, sidecar=sidecar)
    out = tmp_path / "out"
    rendered = render_deployment(deployment, config, output_dir=out, renderer=RENDERER)

    pipeline = (out / "pipeline.conf").read_text(encoding="utf-8")
    assert pipeline == rendered.pipeline
    tfvars = json.loads((out / "stashkit.auto.tfvars.json").read_text(encoding="utf-8"))["stashkit"]
    script_path = out / "run-containers.sh"
    if deployment.startswith("aws-"):
        assert list(tfvars) == list(TFVARS_KEYS)
        script = script_path.read_text(encoding="utf-8")
        assert script.startswith("#!/usr/bin/env bash\n")
        assert script_path.stat().st_mode & 0o111
        assert tfvars["container_script"] == script
        assert ("status-sidecar" in script.split("docker rm", 1)[1].split("\n", 1)[1]) is sidecar
    else:
        assert list(tfvars) == [k for k in TFVARS_KEYS if k != "container_script"]
        assert not script_path.exists()
    assert tfvars["pipeline_config"] == pipeline
    assert tfvars["output_type"] == output_type
    assert tfvars["log_profile"] == "all"
    assert tfvars["sidecar_image"] == (SIDECAR_IMAGE if sidecar else "")
    assert tfvars["sidecar_port"] == 3000
    assert tfvars["syslog_port"] == 5000
    assert (tfvars["syslog_tls_enabled"], tfvars["syslog_tls_port"]) == (False, 6514)
    assert tfvars["syslog_tls_client_auth"] is False
    spec = CATALOG.output_types[output_type]
    expected_image = (
        f"{STOCK_LOGSTASH_IMAGE}:{DEFAULT_LOGSTASH_VERSION}"
        if spec.uses_stock_image
        else custom_image(output_type)
    )
    assert tfvars["logstash_image"] == expected_image
    env = tfvars["logstash_environment"]
    assert env == logstash_environment(config, spec)
    secrets = {v.name for v in spec.env if v.secret}
    assert not secrets & set(env)
    assert {v.name for v in spec.env if not v.secret} == set(env)


@pytest.mark.parametrize("deployment", DEPLOYMENTS)
@pytest.mark.parametrize("client_auth", [False, True], ids=["tls", "mtls"])
def test_should_carry_the_tls_settings_of_the_pipeline_into_the_tfvars(
    deployment: str, client_auth: bool, tmp_path: Path
) -> None:
    data = config_data("splunk-hec", tls=True, client_auth=client_auth)
    data["syslog_tls"]["port"] = 10514
    config = parse_config(data, CATALOG)
    rendered = render_deployment(deployment, config, output_dir=tmp_path, renderer=RENDERER)
    tfvars = json.loads((tmp_path / "stashkit.auto.tfvars.json").read_text(encoding="utf-8"))
    assert list(tfvars) == ["stashkit"]  # one variable
    tfvars = tfvars["stashkit"]
    assert tfvars == rendered.tfvars
    assert tfvars["syslog_tls_enabled"] is True
    assert tfvars["syslog_tls_port"] == 10514
    assert tfvars["syslog_tls_client_auth"] is client_auth
    # Terraform opens, balances and mounts what the pipeline's tcp input listens on and reads.
    assert "port => 10514" in rendered.pipeline
    assert ("ssl_certificate_authorities" in rendered.pipeline) is client_auth


def test_should_write_into_the_deployment_folder_by_default(tmp_path: Path) -> None:
    config = make_config("splunk-hec")
    render_deployment(
        "aws-ec2-autoscale", config, deployments_dir=tmp_path / "deployments", renderer=RENDERER
    )
    base = tmp_path / "deployments" / "aws-ec2-autoscale"
    assert (base / ".rendered" / "pipeline.conf").is_file()
    assert (base / ".rendered" / "run-containers.sh").is_file()
    assert (base / "stashkit.auto.tfvars.json").is_file()
    assert not (base / ".rendered" / "stashkit.auto.tfvars.json").exists()


def test_should_remove_a_stale_script_when_rendering_for_aci(tmp_path: Path) -> None:
    config = make_config("elasticsearch")
    render_deployment("aws-ec2-single-instance", config, output_dir=tmp_path, renderer=RENDERER)
    assert (tmp_path / "run-containers.sh").exists()
    render_deployment("azure-aci", config, output_dir=tmp_path, renderer=RENDERER)
    assert not (tmp_path / "run-containers.sh").exists()
    assert (
        "container_script"
        not in json.loads((tmp_path / "stashkit.auto.tfvars.json").read_text())["stashkit"]
    )


def test_should_use_config_values_and_defaults_in_the_environment() -> None:
    data = config_data("splunk-hec", log_profile="security")
    data["destination"]["SPLUNK_PORT"] = 443
    data["destination"]["FLATTEN_SURICATA"] = False
    config = parse_config(data, CATALOG)
    env = logstash_environment(config, CATALOG.output_types["splunk-hec"])
    assert env["SPLUNK_PORT"] == "443"
    assert env["FLATTEN_SURICATA"] == "false"
    assert env["LOG_PROFILE"] == "security"
    assert env["XPACK_MONITORING_ENABLED"] == "false"


def test_should_render_via_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config(tmp_path / "stashkit.toml", config_data("dynatrace"))
    code, err = run_cli(
        "render",
        "aws-ec2-single-instance",
        "--config",
        str(path),
        "--output-dir",
        str(tmp_path / "r"),
    )
    assert (code, err) == (0, "")
    assert "rendered aws-ec2-single-instance (dynatrace)" in capsys.readouterr().out
    assert (tmp_path / "r" / "run-containers.sh").is_file()


# --------------------------------------------------------------------------------------------
# Render errors name the template and the variable
# --------------------------------------------------------------------------------------------


@pytest.fixture
def broken_templates(tmp_path: Path) -> Path:
    copy = tmp_path / "templates"
    shutil.copytree(TEMPLATES_DIR, copy)
    return copy


def test_should_name_the_undefined_variable_and_its_template(broken_templates: Path) -> None:
    partial = broken_templates / "pipeline" / "types" / "fqdn.conf.j2"
    partial.write_text(
        partial.read_text().replace("tag_on_failure", "{{ no_such_setting }}\n      tag_on_failure")
    )
    renderer = Renderer(CATALOG, broken_templates)
    with pytest.raises(RenderError) as caught:
        renderer.pipeline(make_config("splunk-hec"))
    message = str(caught.value)
    assert "no_such_setting" in message
    assert "pipeline/types/fqdn.conf.j2" in message
    assert "\n" not in message


def test_should_name_an_undefined_attribute_in_the_script_template(broken_templates: Path) -> None:
    base = broken_templates / "container" / "base.sh.j2"
    base.write_text(base.read_text().replace("config.sidecar_port", "config.sidecar_prot"))
    with pytest.raises(RenderError, match=r"container/base\.sh\.j2.*sidecar_prot"):
        Renderer(CATALOG, broken_templates).container_script(make_config("splunk-hec"))


def test_should_reject_an_id_the_catalog_does_not_know(broken_templates: Path) -> None:
    partial = broken_templates / "pipeline" / "types" / "tunnel_status.conf.j2"
    partial.write_text(partial.read_text().replace('pid("tunnel_status")', 'pid("tunnel-stat")'))
    with pytest.raises(RenderError, match=r"tunnel_status\.conf\.j2.*'tunnel-stat'.*catalog"):
        Renderer(CATALOG, broken_templates).pipeline(make_config("webhook-test"))


def test_should_reject_an_env_var_the_output_type_does_not_have(broken_templates: Path) -> None:
    child = broken_templates / "pipeline" / "outputs" / "elasticsearch.conf.j2"
    child.write_text(child.read_text().replace('env("ES_USER")', 'env("ES_USERNAME")'))
    with pytest.raises(RenderError, match=r"ES_USERNAME is not in the catalog for elasticsearch"):
        Renderer(CATALOG, broken_templates).pipeline(make_config("elasticsearch"))


def test_should_name_a_template_with_a_syntax_error(broken_templates: Path) -> None:
    (broken_templates / "container" / "zabbix.sh.j2").write_text("{% block about %}\n")
    with pytest.raises(RenderError, match=r"template container/zabbix\.sh\.j2 line \d+"):
        Renderer(CATALOG, broken_templates).container_script(make_config("zabbix"))


def test_should_report_a_render_error_through_the_cli_as_runtime_failure(
    broken_templates: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    partial = broken_templates / "pipeline" / "types" / "cmd.conf.j2"
    partial.write_text(partial.read_text().replace("{{ pid(", "{{ missing_thing }}{{ pid(", 1))
    monkeypatch.setattr("stashkit.render.TEMPLATES_DIR", broken_templates)
    path = write_config(tmp_path / "c.toml", config_data("splunk-hec"))
    code, err = run_cli("render", "azure-aci", "--config", str(path), "--output-dir", str(tmp_path))
    assert code == 1
    assert err.startswith("stashkit: template pipeline/types/cmd.conf.j2")
    assert "missing_thing" in err
    assert err.count("\n") == 1


# --------------------------------------------------------------------------------------------
# Config validation: one line, exit code 2, no traceback
# --------------------------------------------------------------------------------------------

BAD_CONFIGS: dict[str, tuple[dict[str, Any], str]] = {
    "unknown_output_type": ({"output_type": "graylog"}, "unknown output type 'graylog'"),
    "missing_output_type": ({"output_type": None}, "missing required setting 'output_type'"),
    "missing_required_setting": (
        {"destination": {}},
        "missing required destination setting SPLUNK_ADDRESS",
    ),
    "port_zero": ({"syslog_port": 0}, "syslog_port 0 is not a port"),
    "port_too_big": ({"sidecar_port": 70000}, "sidecar_port 70000 is not a port"),
    "port_string": ({"syslog_port": "5000"}, "syslog_port must be a whole number"),
    "port_bool": ({"sidecar_port": True}, "sidecar_port must be a whole number"),
    "port_api": ({"sidecar_port": 9600}, "sidecar_port must not be 9600"),
    "port_clash": ({"sidecar_port": 5000}, "sidecar_port 5000 is already used by syslog_port"),
    "tls_port_bad": ({"syslog_tls": {"enabled": True, "port": -1}}, "syslog_tls.port -1"),
    "tls_flag_bad": ({"syslog_tls": {"enabled": "yes"}}, "syslog_tls.enabled must be true or"),
    "bad_log_profile": ({"log_profile": "everything"}, "unknown log profile 'everything'"),
    "unknown_key": ({"sidecar_imag": "x"}, "unknown setting 'sidecar_imag'"),
    "unknown_destination_key": (
        {"destination": {"SPLUNK_ADDRESS": "https://s", "SPLUNK_URL": "x"}},
        "destination.SPLUNK_URL is not a setting of output type splunk-hec",
    ),
    "secret_in_config": (
        {"destination": {"SPLUNK_ADDRESS": "https://s", "SPLUNK_HEC_AUTH": "t0ken"}},
        "destination.SPLUNK_HEC_AUTH is a secret",
    ),
    "profile_in_destination": (
        {"destination": {"SPLUNK_ADDRESS": "https://s", "LOG_PROFILE": "all"}},
        "set the top-level log_profile",
    ),
    "image_with_space": ({"sidecar_image": "a b"}, "sidecar_image must not contain whitespace"),
    "bad_version": ({"logstash_version": "8.16:2"}, "logstash_version '8.16:2' is not an image"),
}


@pytest.mark.parametrize("case", BAD_CONFIGS, ids=list(BAD_CONFIGS))
def test_should_reject_a_bad_config_with_one_line_and_exit_2(case: str, tmp_path: Path) -> None:
    overrides, expected = BAD_CONFIGS[case]
    data = config_data("splunk-hec")
    for key, value in overrides.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    path = write_config(tmp_path / "stashkit.toml", data)
    code, err = run_cli(
        "render", "aws-ec2-autoscale", "--config", str(path), "--output-dir", str(tmp_path / "out")
    )
    assert code == 2
    assert err.startswith(f"stashkit: {path}: ")
    assert expected in err
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_should_require_a_custom_image_for_outputs_with_plugins(tmp_path: Path) -> None:
    data = config_data("zabbix")
    del data["logstash_image"]
    path = write_config(tmp_path / "z.toml", data)
    code, err = run_cli("render", "azure-aci", "--config", str(path))
    assert code == 2
    assert "needs a Logstash image with logstash-output-zabbix: set logstash_image" in err


@pytest.mark.parametrize("output_type", ["zabbix", "azure-log-ingestion"])
@pytest.mark.parametrize(
    "image",
    [
        "docker.elastic.co/logstash/logstash:8.19.3",
        "docker.elastic.co/logstash/logstash",
        "docker.elastic.co/logstash/logstash@sha256:" + "0" * 64,
    ],
)
def test_should_refuse_the_stock_image_for_outputs_with_plugins(
    output_type: str, image: str, tmp_path: Path
) -> None:
    data = config_data(output_type, logstash_image=image)
    path = write_config(tmp_path / "c.toml", data)
    code, err = run_cli("render", "azure-aci", "--config", str(path))
    assert code == 2
    assert "is the stock image, which lacks" in err
    assert f"stashkit build-push --image logstash-{output_type}" in err


def test_should_run_the_custom_image_only_for_outputs_with_plugins() -> None:
    for output_type in OUTPUT_TYPES:
        spec = CATALOG.output_types[output_type]
        config = make_config(output_type)
        script = RENDERER.container_script(config)
        image_line = next(line for line in script.splitlines() if "logstash_image=" in line)
        if spec.uses_stock_image:
            stock = f"{STOCK_LOGSTASH_IMAGE}:{DEFAULT_LOGSTASH_VERSION}"
            assert image_line == f"readonly logstash_image={stock}", output_type
        else:
            assert image_line == f"readonly logstash_image={custom_image(output_type)}"
            assert "Image: Logstash with" in script


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'output_type = "splunk-hec\n', "invalid TOML"),
        (b"\xff\xfe", "not UTF-8"),
    ],
    ids=["invalid_toml", "not_utf8"],
)
def test_should_reject_an_unreadable_config(content: bytes, expected: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_bytes(content)
    code, err = run_cli("render", "azure-aci", "--config", str(path))
    assert (code, err.count("\n")) == (2, 1)
    assert expected in err


def test_should_reject_a_missing_config_file(tmp_path: Path) -> None:
    code, err = run_cli("render", "azure-aci", "--config", str(tmp_path / "nope.toml"))
    assert code == 2
    assert "cannot read the config file" in err


def test_should_reject_an_unknown_deployment_as_usage_error(tmp_path: Path) -> None:
    path = write_config(tmp_path / "c.toml", config_data("splunk-hec"))
    code, err = run_cli("render", "gcp-gke", "--config", str(path))
    assert code == 2
    assert err.startswith("stashkit: argument DEPLOYMENT: invalid choice: 'gcp-gke'")
    assert err.count("\n") == 1


def test_should_reject_a_missing_subcommand_as_usage_error() -> None:
    code, err = run_cli()
    assert code == 2
    assert err.startswith("stashkit: ")


def test_should_print_a_traceback_only_with_debug(tmp_path: Path) -> None:
    path = write_config(tmp_path / "c.toml", config_data("splunk-hec") | {"output_type": "graylog"})
    code, err = run_cli("render", "azure-aci", "--config", str(path))
    assert code == 2 and "Traceback" not in err
    code, err = run_cli("--debug", "render", "azure-aci", "--config", str(path))
    assert code == 2
    assert "Traceback (most recent call last)" in err
    assert err.rstrip().splitlines()[-1].startswith("stashkit: ")


def test_should_render_the_documented_example(tmp_path: Path) -> None:
    example = TEMPLATES_DIR / "stashkit.example.toml"
    code, err = run_cli(
        "render", "aws-ec2-autoscale", "--config", str(example), "--output-dir", str(tmp_path)
    )
    assert (code, err) == (0, "")
    tfvars = json.loads((tmp_path / "stashkit.auto.tfvars.json").read_text())["stashkit"]
    assert tfvars["logstash_environment"]["SPLUNK_ADDRESS"] == "https://splunk.example.com"


def test_should_default_to_the_logstash_version_the_plugin_image_builds() -> None:
    dockerfile = (TEMPLATES_DIR / "logstash" / "Dockerfile").read_text(encoding="utf-8")
    assert f"ARG LOGSTASH_VERSION={DEFAULT_LOGSTASH_VERSION}\n" in dockerfile
