# Plan-time tests of the container group module. They need the azurerm, random and local
# providers' schemas: the project runs them offline with the stand-in providers
# (tests/terraform/test_plans.py), or run them with the real providers and credentials:
# `terraform init && terraform test`.

provider "azurerm" {
  features {}
  subscription_id = "00000000-0000-0000-0000-000000000000"
}

variables {
  name                = "demo"
  resource_group_name = "demo-rg"
  location            = "westeurope"
  subnet_ids          = ["/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/aci"]
  exposed_ports = [
    { port = 5000, protocol = "TCP" },
    { port = 5000, protocol = "UDP" },
    { port = 3000, protocol = "TCP" },
  ]
  pipeline_config      = "input { tcp { port => 5000 } }\n"
  logstash_image       = "docker.elastic.co/logstash/logstash:8.15.0"
  logstash_environment = { DESTINATION_URL = "https://siem.example.com" }
  logstash_secrets     = { SPLUNK_HEC_TOKEN = "not-a-real-token" }
  tls_secret_names     = ["SYSLOG_TLS_CERT", "SYSLOG_TLS_KEY", "SYSLOG_TLS_CA"]
  sidecar_enabled      = true
  sidecar_image        = "ghcr.io/example/status-sidecar:1.0.0"
  sidecar_published    = true
  sidecar_environment  = { LOG_PROFILE = "all", PORT = "9999" }
}

run "should_run_logstash_and_the_sidecar_in_a_private_group" {
  command = plan

  assert {
    condition = (
      azurerm_container_group.this.name == "demo-logstash" &&
      azurerm_container_group.this.ip_address_type == "Private" &&
      length(azurerm_container_group.this.subnet_ids) == 1 &&
      [for c in azurerm_container_group.this.container : c.name] == ["logstash", "status-sidecar"]
    )
    error_message = "a Private group in its subnet with logstash and status-sidecar"
  }
  assert {
    condition = (
      azurerm_container_group.this.container[0].secure_environment_variables == tomap({ SPLUNK_HEC_TOKEN = "not-a-real-token" }) &&
      azurerm_container_group.this.container[0].environment_variables == tomap({ DESTINATION_URL = "https://siem.example.com", LOG_STYLE = "file" })
    )
    error_message = "secrets only in secure_environment_variables, settings in environment_variables"
  }
  assert {
    condition = (
      [for p in azurerm_container_group.this.container[0].ports : "${p.port}/${p.protocol}"] == ["5000/TCP", "5000/UDP"] &&
      [for p in azurerm_container_group.this.container[1].ports : "${p.port}/${p.protocol}"] == ["3000/TCP"]
    )
    error_message = "the published sidecar port belongs to the sidecar, the rest to logstash"
  }
}

run "should_give_the_sidecar_its_settings_files_and_probes" {
  command = plan

  assert {
    condition = (
      azurerm_container_group.this.container[1].environment_variables["LOGSTASH_API_URL"] == "http://localhost:9600" &&
      azurerm_container_group.this.container[1].environment_variables["PORT"] == "3000" &&
      azurerm_container_group.this.container[1].environment_variables["HEALTH_PORT"] == "3001" &&
      azurerm_container_group.this.container[1].environment_variables["LOG_PROFILE"] == "all" &&
      azurerm_container_group.this.container[1].environment_variables["AUTH_TOKEN_FILE"] == "/run/stashkit/token" &&
      azurerm_container_group.this.container[1].environment_variables["SECRETS_ENV_FILE"] == "/run/stashkit/secrets.env" &&
      !contains(keys(azurerm_container_group.this.container[1].environment_variables), "TLS_CERT_FILE")
    )
    error_message = "the module's settings win over sidecar_environment; files under /run/stashkit"
  }
  assert {
    condition = (
      one(azurerm_container_group.this.container[1].readiness_probe[0].http_get).path == "/api/health" &&
      one(azurerm_container_group.this.container[1].readiness_probe[0].http_get).port == 3001 &&
      one(azurerm_container_group.this.container[1].liveness_probe[0].http_get).path == "/healthz" &&
      one(azurerm_container_group.this.container[1].liveness_probe[0].http_get).scheme == "http"
    )
    error_message = "readiness on /api/health, liveness on /healthz, both on the health-only port"
  }
  assert {
    condition = (
      length(random_password.sidecar_token) == 1 && random_password.sidecar_token[0].length == 48 &&
      !random_password.sidecar_token[0].special
    )
    error_message = "a 48-character alphanumeric token"
  }
}

run "should_mount_the_syslog_tls_files_and_keep_them_out_of_the_environment" {
  command = plan

  variables {
    logstash_secrets = {
      SPLUNK_HEC_TOKEN = "not-a-real-token"
      SYSLOG_TLS_CERT  = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
      SYSLOG_TLS_KEY   = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"
    }
    tls_secret_files = { SYSLOG_TLS_CERT = "server.crt", SYSLOG_TLS_KEY = "server.key" }
  }

  assert {
    condition = (
      nonsensitive(keys(azurerm_container_group.this.container[0].secure_environment_variables)) == tolist(["SPLUNK_HEC_TOKEN"]) &&
      one([for v in azurerm_container_group.this.container[0].volume : v if v.name == "syslog-tls"]).mount_path == "/usr/share/logstash/config/tls" &&
      keys(one([for v in azurerm_container_group.this.container[0].volume : v if v.name == "syslog-tls"]).secret) == tolist(["server.crt", "server.key"])
    )
    error_message = "TLS material only as files of the read-only syslog-tls volume"
  }
}

run "should_serve_the_sidecar_over_https_with_a_certificate" {
  command = plan

  variables {
    sidecar_tls_cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    sidecar_tls_key  = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"
  }

  assert {
    condition = (
      output.sidecar_scheme == "https" &&
      azurerm_container_group.this.container[1].environment_variables["TLS_KEY_FILE"] == "/run/stashkit/tls.key" &&
      one(azurerm_container_group.this.container[1].readiness_probe[0].http_get).scheme == "https"
    )
    error_message = "HTTPS listeners and probes with the certificate"
  }
}

run "should_run_logstash_alone_in_a_public_group_without_the_sidecar" {
  command = plan

  variables {
    ip_address_type   = "Public"
    subnet_ids        = []
    dns_name_label    = "stashkit-demo"
    sidecar_enabled   = false
    sidecar_published = false
    exposed_ports     = [{ port = 5000, protocol = "TCP" }, { port = 5000, protocol = "UDP" }]
  }

  assert {
    condition = (
      azurerm_container_group.this.subnet_ids == null &&
      azurerm_container_group.this.dns_name_label == "stashkit-demo" &&
      length(azurerm_container_group.this.container) == 1 &&
      length(random_password.sidecar_token) == 0
    )
    error_message = "Public: no subnet, its DNS label; no sidecar, no token"
  }
}

run "should_keep_the_pipeline_share_private" {
  command = plan

  assert {
    condition = (
      azurerm_storage_account.this.https_traffic_only_enabled &&
      azurerm_storage_account.this.min_tls_version == "TLS1_2" &&
      !azurerm_storage_account.this.allow_nested_items_to_be_public &&
      azurerm_storage_share_file.pipeline.name == "logstash.conf"
    )
    error_message = "HTTPS only, TLS 1.2, no public blobs; the pipeline as logstash.conf"
  }
}

run "should_reject_an_empty_resource_group_name" {
  command = plan
  variables {
    resource_group_name = " "
  }
  expect_failures = [var.resource_group_name]
}

run "should_reject_a_bad_location" {
  command = plan
  variables {
    location = "West Europe"
  }
  expect_failures = [var.location]
}

run "should_reject_an_unknown_ip_address_type" {
  command = plan
  variables {
    ip_address_type = "None"
  }
  expect_failures = [var.ip_address_type]
}

run "should_reject_a_private_group_without_a_subnet" {
  command = plan
  variables {
    subnet_ids = []
  }
  expect_failures = [var.subnet_ids]
}

run "should_reject_a_bad_dns_name_label" {
  command = plan
  variables {
    dns_name_label = "-x"
  }
  expect_failures = [var.dns_name_label]
}

run "should_reject_the_logstash_api_port" {
  command = plan
  variables {
    exposed_ports = [{ port = 9600, protocol = "TCP" }]
  }
  expect_failures = [var.exposed_ports]
}

run "should_reject_no_exposed_port" {
  command = plan
  variables {
    exposed_ports = []
  }
  expect_failures = [var.exposed_ports]
}

run "should_reject_an_unknown_protocol" {
  command = plan
  variables {
    exposed_ports = [{ port = 5000, protocol = "SCTP" }]
  }
  expect_failures = [var.exposed_ports]
}

run "should_reject_an_empty_pipeline" {
  command = plan
  variables {
    pipeline_config = "\n"
  }
  expect_failures = [var.pipeline_config]
}

run "should_reject_an_unknown_replication_type" {
  command = plan
  variables {
    storage_replication_type = "XRS"
  }
  expect_failures = [var.storage_replication_type]
}

run "should_reject_too_little_logstash_cpu" {
  command = plan
  variables {
    logstash_cpu = 0.25
  }
  expect_failures = [var.logstash_cpu]
}

run "should_reject_too_little_logstash_memory" {
  command = plan
  variables {
    logstash_memory = 1
  }
  expect_failures = [var.logstash_memory]
}

run "should_reject_a_logstash_environment_name_that_is_no_variable_name" {
  command = plan
  variables {
    logstash_environment = { "DESTINATION-URL" = "x" }
  }
  expect_failures = [var.logstash_environment]
}

run "should_reject_a_secret_with_a_newline_when_the_sidecar_redacts_it" {
  command = plan
  variables {
    logstash_secrets = { SPLUNK_HEC_TOKEN = "line1\nline2" }
  }
  expect_failures = [var.logstash_secrets]
}

run "should_reject_a_relative_tls_dir" {
  command = plan
  variables {
    tls_dir = "config/tls"
  }
  expect_failures = [var.tls_dir]
}

run "should_reject_the_sidecar_without_an_image" {
  command = plan
  variables {
    sidecar_image = ""
  }
  expect_failures = [var.sidecar_image]
}

run "should_reject_too_much_sidecar_cpu" {
  command = plan
  variables {
    sidecar_cpu = 3
  }
  expect_failures = [var.sidecar_cpu]
}

run "should_reject_too_much_sidecar_memory" {
  command = plan
  variables {
    sidecar_memory = 8
  }
  expect_failures = [var.sidecar_memory]
}

run "should_reject_a_sidecar_environment_name_that_is_no_variable_name" {
  command = plan
  variables {
    sidecar_environment = { "POLL INTERVAL" = "5" }
  }
  expect_failures = [var.sidecar_environment]
}

run "should_reject_a_sidecar_certificate_that_is_no_pem" {
  command = plan
  variables {
    sidecar_tls_cert = "not a certificate"
    sidecar_tls_key  = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"
  }
  expect_failures = [var.sidecar_tls_cert]
}

run "should_reject_a_sidecar_key_that_is_no_pem" {
  command = plan
  variables {
    sidecar_tls_cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    sidecar_tls_key  = "not a key"
  }
  expect_failures = [var.sidecar_tls_key]
}

run "should_reject_a_sidecar_certificate_without_its_key" {
  command = plan
  variables {
    sidecar_tls_cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
  }
  expect_failures = [var.sidecar_tls_key]
}

run "should_reject_a_registry_without_credentials" {
  command = plan
  variables {
    image_registry_server = "myregistry.azurecr.io"
  }
  expect_failures = [var.image_registry_server]
}
