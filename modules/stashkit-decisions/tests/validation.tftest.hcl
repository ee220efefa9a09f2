# Every validation rejects the bad value it exists for (`expect_failures`).

variables {
  rendered = {
    output_type     = "splunk-hec"
    logstash_image  = "docker.elastic.co/logstash/logstash:8.15.0"
    sidecar_image   = "ghcr.io/example/status-sidecar:1.0.0"
    pipeline_config = "input { stdin {} }"
  }
  syslog_source_cidrs = ["10.10.0.0/16"]
  # What syslog over TLS (with client auth) needs, wherever a run turns it on.
  logstash_secrets = { SYSLOG_TLS_CERT = "cert", SYSLOG_TLS_KEY = "key", SYSLOG_TLS_CA = "ca" }
}

run "should_accept_every_output_type" {
  command = plan

  variables {
    rendered = merge(var.rendered, { output_type = "webhook-test" })
  }
}

run "should_reject_an_unknown_output_type" {
  command = plan
  variables {
    rendered = merge(var.rendered, { output_type = "splunk" })
  }
  expect_failures = [var.rendered]
}

run "should_reject_sidecar_port_70000" {
  command = plan
  variables {
    rendered = merge(var.rendered, { sidecar_port = 70000 })
  }
  expect_failures = [var.rendered]
}

run "should_reject_sidecar_port_0" {
  command = plan
  variables {
    rendered = merge(var.rendered, { sidecar_port = 0 })
  }
  expect_failures = [var.rendered]
}

run "should_reject_a_fractional_sidecar_port" {
  command = plan
  variables {
    rendered = merge(var.rendered, { sidecar_port = 3000.5 })
  }
  expect_failures = [var.rendered]
}

run "should_reject_sidecar_port_9600" {
  command = plan
  variables {
    rendered = merge(var.rendered, { sidecar_port = 9600 })
  }
  expect_failures = [var.rendered]
}

run "should_reject_syslog_port_70000" {
  command = plan
  variables {
    rendered = merge(var.rendered, { syslog_port = 70000 })
  }
  expect_failures = [var.rendered]
}

run "should_reject_syslog_port_9600" {
  command = plan
  variables {
    rendered = merge(var.rendered, { syslog_port = 9600 })
  }
  expect_failures = [var.rendered]
}

run "should_reject_syslog_tls_port_0" {
  command = plan
  variables {
    rendered = merge(var.rendered, { syslog_tls_port = 0 })
  }
  expect_failures = [var.rendered]
}

run "should_reject_syslog_tls_port_9600" {
  command = plan
  variables {
    rendered = merge(var.rendered, { syslog_tls_port = 9600 })
  }
  expect_failures = [var.rendered]
}

run "should_reject_empty_syslog_source_cidrs" {
  command = plan
  variables {
    syslog_source_cidrs = []
  }
  expect_failures = [var.syslog_source_cidrs]
}

run "should_reject_a_malformed_syslog_source_cidr" {
  command = plan
  variables {
    syslog_source_cidrs = ["10.10.0.0/16", "10.300.0.0/16"]
  }
  expect_failures = [var.syslog_source_cidrs]
}

run "should_reject_a_malformed_operator_cidr" {
  command = plan
  variables {
    operator_cidrs = ["my-laptop"]
  }
  expect_failures = [var.operator_cidrs]
}

run "should_reject_a_malformed_ssh_cidr" {
  command = plan
  variables {
    ssh_cidrs = ["203.0.113.10/33"]
  }
  expect_failures = [var.ssh_cidrs]
}

run "should_reject_a_malformed_health_check_cidr" {
  command = plan
  variables {
    health_check_cidrs = ["10.0.0.0"]
  }
  expect_failures = [var.health_check_cidrs]
}

run "should_reject_the_sidecar_on_the_syslog_port" {
  command = plan
  variables {
    rendered = merge(var.rendered, { sidecar_port = 5000 })
  }
  expect_failures = [output.ingress_rules]
}

run "should_reject_syslog_tls_port_70000" {
  command = plan
  variables {
    rendered = merge(var.rendered, { syslog_tls_port = 70000 })
  }
  expect_failures = [var.rendered]
}

run "should_reject_a_fractional_syslog_tls_port" {
  command = plan
  variables {
    rendered = merge(var.rendered, { syslog_tls_port = 6514.5 })
  }
  expect_failures = [var.rendered]
}

run "should_reject_tls_on_the_syslog_port" {
  command = plan
  variables {
    rendered = merge(var.rendered, { syslog_tls_enabled = true, syslog_tls_port = 5000 })
  }
  expect_failures = [var.rendered]
}

run "should_reject_tls_on_a_custom_syslog_port" {
  command = plan
  variables {
    rendered = merge(var.rendered, { syslog_port = 1514, syslog_tls_enabled = true, syslog_tls_port = 1514 })
  }
  expect_failures = [var.rendered]
}

run "should_reject_tls_on_the_sidecar_port" {
  command = plan
  variables {
    rendered = merge(var.rendered, { syslog_tls_enabled = true, syslog_tls_port = 3000 })
  }
  expect_failures = [var.rendered]
}

run "should_accept_tls_on_the_sidecar_port_when_the_sidecar_is_off" {
  command = plan
  variables {
    rendered = merge(var.rendered, { sidecar_image = "", syslog_tls_enabled = true, syslog_tls_port = 3000 })
  }

  assert {
    condition     = output.ingress_rules["syslog-tls"].port == 3000
    error_message = "without the sidecar, 3000 is free for TLS syslog"
  }
}

run "should_accept_any_tls_port_while_tls_is_off" {
  command = plan
  variables {
    rendered = merge(var.rendered, { syslog_tls_port = 5000 })
  }

  assert {
    condition     = !contains(keys(output.ingress_rules), "syslog-tls")
    error_message = "TLS off: no TLS rule, whatever syslog_tls_port holds"
  }
}

run "should_accept_the_sidecar_port_on_the_syslog_port_when_the_sidecar_is_off" {
  command = plan
  variables {
    rendered = merge(var.rendered, { sidecar_image = "", sidecar_port = 5000 })
  }
}

run "should_reject_the_dashboard_via_nlb_without_operator_cidrs" {
  command = plan
  variables {
    expose_dashboard_via_nlb  = true
    dashboard_certificate_arn = "arn:aws:acm:eu-west-1:111122223333:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
  }
  expect_failures = [output.ingress_rules]
}

run "should_reject_a_plain_tcp_dashboard_on_an_internet_facing_nlb" {
  command = plan
  variables {
    expose_dashboard_via_nlb = true
    operator_cidrs           = ["203.0.113.10/32"]
  }
  expect_failures = [output.target_groups]
}

run "should_reject_a_bad_dashboard_certificate_arn" {
  command = plan
  variables {
    dashboard_certificate_arn = "arn:aws:iam::111122223333:server-certificate/dashboard"
  }
  expect_failures = [var.dashboard_certificate_arn]
}

run "should_reject_a_public_aci_group_that_has_not_decided_about_the_sidecar" {
  command = plan
  variables {
    aci_public = true
  }
  expect_failures = [output.aci_ports]
}

run "should_reject_a_public_aci_sidecar_over_plain_http" {
  command = plan
  variables {
    aci_public      = true
    publish_sidecar = true
  }
  expect_failures = [output.aci_ports]
}

run "should_accept_a_public_aci_group_without_the_sidecar" {
  command = plan
  variables {
    rendered   = merge(var.rendered, { sidecar_image = "" })
    aci_public = true
  }
}

run "should_accept_a_public_aci_sidecar_over_plain_http_when_allowed" {
  command = plan
  variables {
    aci_public                = true
    publish_sidecar           = true
    allow_plaintext_dashboard = true
  }
}

run "should_reject_operator_cidrs_open_to_the_world" {
  command = plan
  variables {
    operator_cidrs = ["203.0.113.10/32", "0.0.0.0/0"]
  }
  expect_failures = [var.operator_cidrs]
}

run "should_reject_operator_cidrs_open_to_the_ipv6_world" {
  command = plan
  variables {
    operator_cidrs = ["::/0"]
  }
  expect_failures = [var.operator_cidrs]
}

run "should_reject_ssh_cidrs_open_to_the_world" {
  command = plan
  variables {
    ssh_cidrs = ["0.0.0.0/0"]
  }
  expect_failures = [var.ssh_cidrs]
}

run "should_reject_ssh_cidrs_open_to_the_ipv6_world" {
  command = plan
  variables {
    ssh_cidrs = ["::/0"]
  }
  expect_failures = [var.ssh_cidrs]
}

run "should_reject_sidecar_health_port_70000" {
  command = plan
  variables {
    sidecar_health_port = 70000
  }
  expect_failures = [var.sidecar_health_port]
}

run "should_reject_a_fractional_sidecar_health_port" {
  command = plan
  variables {
    sidecar_health_port = 3001.5
  }
  expect_failures = [var.sidecar_health_port]
}

run "should_reject_sidecar_health_port_9600" {
  command = plan
  variables {
    sidecar_health_port = 9600
  }
  expect_failures = [var.sidecar_health_port]
}

run "should_reject_the_health_port_on_the_sidecar_port" {
  command = plan
  variables {
    sidecar_health_port = 3000
  }
  expect_failures = [var.sidecar_health_port]
}

run "should_reject_the_health_port_on_the_syslog_port" {
  command = plan
  variables {
    sidecar_health_port = 5000
  }
  expect_failures = [var.sidecar_health_port]
}

run "should_reject_the_health_port_on_the_syslog_tls_port" {
  command = plan
  variables {
    rendered            = merge(var.rendered, { syslog_tls_enabled = true })
    sidecar_health_port = 6514
  }
  expect_failures = [var.sidecar_health_port]
}

run "should_accept_any_health_port_when_the_sidecar_is_off" {
  command = plan
  variables {
    rendered            = merge(var.rendered, { sidecar_image = "" })
    sidecar_health_port = 5000
  }
}

run "should_reject_an_unknown_log_profile" {
  command = plan
  variables {
    rendered = merge(var.rendered, { log_profile = "everything" })
  }
  expect_failures = [var.rendered]
}

run "should_reject_an_empty_logstash_image" {
  command = plan
  variables {
    rendered = merge(var.rendered, { logstash_image = " " })
  }
  expect_failures = [var.rendered]
}

run "should_reject_a_secret_name_that_is_no_environment_variable" {
  command = plan
  variables {
    logstash_secrets = { "SPLUNK-TOKEN" = "x" }
  }
  expect_failures = [var.logstash_secrets]
}

run "should_reject_an_empty_secret" {
  command = plan
  variables {
    logstash_secrets = { SPLUNK_HEC_TOKEN = " " }
  }
  expect_failures = [var.logstash_secrets]
}

run "should_reject_syslog_over_tls_without_its_key" {
  command = plan
  variables {
    rendered         = merge(var.rendered, { syslog_tls_enabled = true })
    logstash_secrets = { SYSLOG_TLS_CERT = "-----BEGIN CERTIFICATE-----" }
  }
  expect_failures = [output.logstash_secrets]
}

run "should_reject_client_auth_without_the_ca" {
  command = plan
  variables {
    rendered         = merge(var.rendered, { syslog_tls_enabled = true, syslog_tls_client_auth = true })
    logstash_secrets = { SYSLOG_TLS_CERT = "c", SYSLOG_TLS_KEY = "k" }
  }
  expect_failures = [output.logstash_secrets]
}

run "should_reject_a_bad_name" {
  command = plan
  variables {
    name = "Demo_1"
  }
  expect_failures = [var.name]
}

run "should_reject_a_one_letter_name" {
  command = plan
  variables {
    name = "a"
  }
  expect_failures = [var.name]
}

run "should_reject_a_bad_sidecar_token_version" {
  command = plan
  variables {
    sidecar_token_version = 0
  }
  expect_failures = [var.sidecar_token_version]
}

run "should_reject_a_fractional_sidecar_token_version" {
  command = plan
  variables {
    sidecar_token_version = 1.5
  }
  expect_failures = [var.sidecar_token_version]
}
