# Real `terraform test` of every decision the deployments take from this module.
# Provider-free, so `command = plan` evaluates every output.

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

run "should_enable_the_sidecar_with_an_image_by_default" {
  command = plan

  assert {
    condition     = output.sidecar_enabled
    error_message = "the sidecar must run when sidecar_image is set"
  }
  assert {
    condition     = output.aci_containers == ["logstash", "status-sidecar"]
    error_message = "the ACI group must hold logstash and status-sidecar"
  }
}

run "should_disable_the_sidecar_when_the_image_is_empty" {
  command = plan

  variables {
    rendered = merge(var.rendered, { sidecar_image = "" })
  }

  assert {
    condition     = !output.sidecar_enabled
    error_message = "an empty sidecar_image must disable the sidecar"
  }
  assert {
    condition     = output.aci_containers == ["logstash"]
    error_message = "without the sidecar the ACI group holds logstash only"
  }
  assert {
    condition     = !contains([for p in output.aci_ports : p.port], 3000)
    error_message = "port 3000 must not be exposed on ACI without the sidecar"
  }
}

run "should_disable_the_sidecar_when_sidecar_enabled_is_false" {
  command = plan

  variables {
    sidecar_enabled = false
  }

  assert {
    condition     = !output.sidecar_enabled && output.aci_containers == ["logstash"]
    error_message = "sidecar_enabled = false must disable the sidecar even with an image"
  }
}

run "should_open_only_syslog_by_default" {
  command = plan

  assert {
    condition     = keys(output.ingress_rules) == ["syslog-tcp", "syslog-udp"]
    error_message = "by default only syslog TCP and UDP may be open"
  }
  assert {
    condition = (
      output.ingress_rules["syslog-tcp"].port == 5000 && output.ingress_rules["syslog-tcp"].protocol == "tcp" &&
      output.ingress_rules["syslog-udp"].port == 5000 && output.ingress_rules["syslog-udp"].protocol == "udp"
    )
    error_message = "syslog must be TCP and UDP on 5000"
  }
  assert {
    condition     = alltrue([for r in output.ingress_rules : r.cidrs == tolist(["10.10.0.0/16"])])
    error_message = "syslog must be open to syslog_source_cidrs only"
  }
  assert {
    condition     = alltrue([for r in output.ingress_rules : r.port != 9600 && r.port != 3000 && r.port != 22])
    error_message = "no rule may open 9600, the sidecar port or SSH by default"
  }
}

run "should_open_the_sidecar_port_to_operator_cidrs_only" {
  command = plan

  variables {
    operator_cidrs = ["203.0.113.10/32"]
  }

  assert {
    condition     = output.ingress_rules["sidecar"].port == 3000 && output.ingress_rules["sidecar"].protocol == "tcp"
    error_message = "operator_cidrs must open the sidecar port over TCP"
  }
  assert {
    condition     = output.ingress_rules["sidecar"].cidrs == tolist(["203.0.113.10/32"])
    error_message = "the sidecar port must be open to operator_cidrs only"
  }
}

run "should_not_open_the_sidecar_port_when_the_sidecar_is_off" {
  command = plan

  variables {
    rendered       = merge(var.rendered, { sidecar_image = "" })
    operator_cidrs = ["203.0.113.10/32"]
  }

  assert {
    condition     = !contains(keys(output.ingress_rules), "sidecar")
    error_message = "no sidecar rule without a sidecar"
  }
}

run "should_follow_custom_ports" {
  command = plan

  variables {
    rendered            = merge(var.rendered, { syslog_port = 1514, sidecar_port = 8080 })
    sidecar_health_port = 8081
    operator_cidrs      = ["203.0.113.10/32"]
  }

  assert {
    condition     = output.ingress_rules["syslog-tcp"].port == 1514 && output.ingress_rules["syslog-udp"].port == 1514
    error_message = "syslog rules must follow syslog_port"
  }
  assert {
    condition     = output.ingress_rules["sidecar"].port == 8080
    error_message = "the sidecar rule must follow sidecar_port"
  }
  assert {
    condition     = output.target_groups["syslog"].port == 1514 && output.health_checks["syslog"].port == 8081
    error_message = "target group and health check must follow the ports (the check on sidecar_health_port)"
  }
  assert {
    condition     = [for p in output.aci_ports : "${p.protocol}/${p.port}"] == ["TCP/1514", "UDP/1514", "TCP/8080"]
    error_message = "ACI ports must follow the ports"
  }
}

run "should_open_ssh_only_when_ssh_cidrs_is_set" {
  command = plan

  variables {
    ssh_cidrs = ["198.51.100.0/24"]
  }

  assert {
    condition = (
      output.ingress_rules["ssh"].port == 22 && output.ingress_rules["ssh"].protocol == "tcp" &&
      output.ingress_rules["ssh"].cidrs == tolist(["198.51.100.0/24"])
    )
    error_message = "ssh_cidrs must open TCP 22 to those CIDR blocks only"
  }
}

run "should_add_syslog_tls_when_enabled" {
  command = plan

  variables {
    rendered = merge(var.rendered, { syslog_tls_enabled = true })
  }

  assert {
    condition = (
      output.ingress_rules["syslog-tls"].port == 6514 && output.ingress_rules["syslog-tls"].protocol == "tcp" &&
      output.ingress_rules["syslog-tls"].cidrs == tolist(["10.10.0.0/16"])
    )
    error_message = "TLS syslog must open TCP 6514 to syslog_source_cidrs"
  }
  assert {
    condition     = output.target_groups["syslog-tls"].port == 6514 && output.target_groups["syslog-tls"].protocol == "TCP"
    error_message = "TLS syslog needs its own TCP target group on 6514"
  }
  assert {
    condition     = contains([for p in output.aci_ports : "${p.protocol}/${p.port}"], "TCP/6514")
    error_message = "ACI must expose TCP 6514 with TLS on"
  }
}

run "should_follow_a_custom_tls_port_everywhere" {
  command = plan

  variables {
    rendered           = merge(var.rendered, { sidecar_image = "", syslog_tls_enabled = true, syslog_tls_port = 10514 })
    health_check_cidrs = ["10.0.0.0/16"]
  }

  assert {
    condition     = output.ingress_rules["syslog-tls"].port == 10514 && output.ingress_rules["syslog-tls"].cidrs == tolist(["10.10.0.0/16"])
    error_message = "the TLS rule must open syslog_tls_port to syslog_source_cidrs"
  }
  assert {
    condition     = output.target_groups["syslog-tls"].port == 10514 && output.health_checks["syslog-tls"].port == 10514
    error_message = "the TLS target group and its TCP health check must use syslog_tls_port"
  }
  assert {
    condition     = contains(keys(output.ingress_rules), "health-check-10514")
    error_message = "TCP health checks of the TLS group must be allowed on syslog_tls_port"
  }
  assert {
    condition     = [for p in output.aci_ports : "${p.protocol}/${p.port}"] == ["TCP/5000", "UDP/5000", "TCP/10514"]
    error_message = "ACI must expose TCP syslog_tls_port"
  }
  assert {
    condition     = output.syslog_listeners == tomap({ tcp = 5000, udp = 5000, tls = 10514 })
    error_message = "senders connect to TLS on syslog_tls_port"
  }
  assert {
    condition     = alltrue([for r in output.ingress_rules : r.port != 6514])
    error_message = "6514 must not be opened when syslog_tls_port moves TLS elsewhere"
  }
}

run "should_list_only_plain_syslog_listeners_without_tls" {
  command = plan

  variables {
    rendered = merge(var.rendered, { syslog_tls_port = 10514 })
  }

  assert {
    condition     = output.syslog_listeners == tomap({ tcp = 5000, udp = 5000 })
    error_message = "TLS off: tcp and udp only"
  }
  assert {
    condition     = length(output.tls_secret_files) == 0
    error_message = "TLS off: no TLS secret is needed"
  }
  assert {
    condition     = output.tls_secret_names == tolist(["SYSLOG_TLS_CA", "SYSLOG_TLS_CERT", "SYSLOG_TLS_KEY"])
    error_message = "every TLS secret name is known, TLS on or off (none may become an env var)"
  }
}

run "should_need_the_certificate_and_key_with_tls" {
  command = plan

  variables {
    rendered = merge(var.rendered, { syslog_tls_enabled = true })
  }

  assert {
    condition     = output.tls_secret_files == tomap({ SYSLOG_TLS_CERT = "server.crt", SYSLOG_TLS_KEY = "server.key" })
    error_message = "TLS needs the certificate and key, not the client CA"
  }
  assert {
    condition     = output.tls_dir == "/usr/share/logstash/config/tls"
    error_message = "the files go where the pipeline's tcp input reads them"
  }
}

run "should_need_the_client_ca_with_mutual_tls" {
  command = plan

  variables {
    rendered = merge(var.rendered, { syslog_tls_enabled = true, syslog_tls_client_auth = true })
  }

  assert {
    condition = output.tls_secret_files == tomap({
      SYSLOG_TLS_CERT = "server.crt", SYSLOG_TLS_KEY = "server.key", SYSLOG_TLS_CA = "ca.crt"
    })
    error_message = "mutual TLS needs the client CA too"
  }
}

run "should_health_check_the_sidecar_readiness_when_the_sidecar_runs" {
  command = plan

  variables {
    rendered = merge(var.rendered, { syslog_tls_enabled = true })
  }

  assert {
    condition     = keys(output.target_groups) == ["syslog", "syslog-tls"]
    error_message = "syslog and syslog-tls target groups expected"
  }
  assert {
    condition     = output.target_groups["syslog"].protocol == "TCP_UDP" && output.target_groups["syslog"].port == 5000
    error_message = "syslog TCP and UDP share one TCP_UDP target group on 5000"
  }
  assert {
    condition = alltrue([for k, hc in output.health_checks :
      hc.protocol == "HTTP" && hc.port == 3001 && hc.path == "/api/health"
    ])
    error_message = "every syslog target group must check GET /api/health on the sidecar's health-only port"
  }
}

run "should_health_check_tcp_on_the_syslog_port_without_the_sidecar" {
  command = plan

  variables {
    rendered = merge(var.rendered, { sidecar_image = "", syslog_tls_enabled = true })
  }

  assert {
    condition     = output.health_checks["syslog"].protocol == "TCP" && output.health_checks["syslog"].port == 5000 && output.health_checks["syslog"].path == null
    error_message = "without the sidecar the syslog group checks TCP 5000"
  }
  assert {
    condition     = output.health_checks["syslog-tls"].protocol == "TCP" && output.health_checks["syslog-tls"].port == 6514 && output.health_checks["syslog-tls"].path == null
    error_message = "without the sidecar the TLS group checks TCP 6514"
  }
}

run "should_allow_health_checks_from_the_load_balancer_network" {
  command = plan

  variables {
    health_check_cidrs = ["10.0.0.0/16"]
  }

  assert {
    condition = (
      output.ingress_rules["health-check-3001"].port == 3001 &&
      output.ingress_rules["health-check-3001"].cidrs == tolist(["10.0.0.0/16"]) &&
      length([for k, r in output.ingress_rules : k if startswith(k, "health-check-")]) == 1
    )
    error_message = "health checks of the sidecar's health-only port must be allowed from health_check_cidrs only"
  }
  assert {
    condition     = alltrue([for r in output.ingress_rules : r.port != 3000])
    error_message = "the load balancer network must never reach the full API on sidecar_port"
  }
  assert {
    condition     = !contains(keys(output.ingress_rules), "sidecar")
    error_message = "allowing health checks must not expose the dashboard"
  }
}

run "should_allow_tcp_health_checks_on_syslog_ports_without_the_sidecar" {
  command = plan

  variables {
    rendered           = merge(var.rendered, { sidecar_image = "", syslog_tls_enabled = true })
    health_check_cidrs = ["10.0.0.0/16"]
  }

  assert {
    condition     = sort([for k, r in output.ingress_rules : k if startswith(k, "health-check-")]) == tolist(["health-check-5000", "health-check-6514"])
    error_message = "TCP health checks need 5000 and 6514 from the load balancer network"
  }
}

run "should_expose_the_dashboard_via_the_nlb_over_tls_when_asked" {
  command = plan

  variables {
    expose_dashboard_via_nlb  = true
    dashboard_certificate_arn = "arn:aws:acm:eu-west-1:111122223333:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
    operator_cidrs            = ["203.0.113.10/32"]
  }

  assert {
    condition = (
      output.target_groups["dashboard"].port == 3000 && output.target_groups["dashboard"].protocol == "TCP" &&
      output.health_checks["dashboard"].protocol == "HTTP" && output.health_checks["dashboard"].port == 3001 &&
      output.health_checks["dashboard"].path == "/healthz"
    )
    error_message = "the dashboard group forwards TCP 3000 and checks the sidecar's liveness on the health-only port"
  }
  assert {
    condition = (
      output.target_groups["dashboard"].listener_protocol == "TLS" &&
      output.target_groups["dashboard"].certificate_arn == "arn:aws:acm:eu-west-1:111122223333:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789" &&
      output.dashboard_tls
    )
    error_message = "the NLB terminates the dashboard's TLS with the ACM certificate"
  }
  assert {
    condition     = output.target_groups["syslog"].listener_protocol == "TCP_UDP" && output.target_groups["syslog"].certificate_arn == null
    error_message = "syslog listeners are never TLS-terminated by the NLB"
  }
}

run "should_forward_a_plain_tcp_dashboard_on_an_internal_nlb" {
  command = plan

  variables {
    expose_dashboard_via_nlb = true
    nlb_internal             = true
    operator_cidrs           = ["10.20.0.0/16"]
  }

  assert {
    condition     = output.target_groups["dashboard"].listener_protocol == "TCP" && !output.dashboard_tls
    error_message = "an internal NLB may forward the dashboard as TCP without a certificate"
  }
}

run "should_forward_a_plain_tcp_dashboard_on_an_internet_facing_nlb_only_when_allowed" {
  command = plan

  variables {
    expose_dashboard_via_nlb  = true
    allow_plaintext_dashboard = true
    operator_cidrs            = ["203.0.113.10/32"]
  }

  assert {
    condition     = output.target_groups["dashboard"].listener_protocol == "TCP" && output.target_groups["dashboard"].certificate_arn == null
    error_message = "allow_plaintext_dashboard forwards plain TCP"
  }
}

run "should_publish_the_sidecar_of_a_private_aci_group_in_its_subnet" {
  command = plan

  assert {
    condition     = output.aci_sidecar_published && contains([for p in output.aci_ports : "${p.protocol}/${p.port}"], "TCP/3000")
    error_message = "a Private group publishes sidecar_port in its subnet (the NSG filters)"
  }
  assert {
    condition     = !contains([for p in output.aci_ports : p.port], 3001)
    error_message = "the health-only port is for the probes inside the group: never published"
  }
}

run "should_keep_the_sidecar_of_a_public_aci_group_inside_when_told" {
  command = plan

  variables {
    aci_public      = true
    publish_sidecar = false
  }

  assert {
    condition     = !output.aci_sidecar_published && [for p in output.aci_ports : "${p.protocol}/${p.port}"] == ["TCP/5000", "UDP/5000"]
    error_message = "publish_sidecar = false publishes syslog only"
  }
  assert {
    condition     = output.aci_containers == ["logstash", "status-sidecar"]
    error_message = "the sidecar still runs (probes, metrics inside the group)"
  }
}

run "should_publish_the_sidecar_of_a_public_aci_group_with_tls_when_asked" {
  command = plan

  variables {
    aci_public          = true
    publish_sidecar     = true
    sidecar_tls_enabled = true
  }

  assert {
    condition     = output.aci_sidecar_published && contains([for p in output.aci_ports : "${p.protocol}/${p.port}"], "TCP/3000")
    error_message = "publish_sidecar = true with TLS publishes sidecar_port"
  }
}

run "should_accept_world_cidrs_only_when_allowed" {
  command = plan

  variables {
    allow_world_cidrs = true
    operator_cidrs    = ["0.0.0.0/0", "::/0"]
    ssh_cidrs         = ["0.0.0.0/0"]
  }

  assert {
    condition     = output.ingress_rules["sidecar"].cidrs == tolist(["0.0.0.0/0", "::/0"]) && output.ingress_rules["ssh"].cidrs == tolist(["0.0.0.0/0"])
    error_message = "allow_world_cidrs = true opens what was asked"
  }
}

run "should_not_expose_the_dashboard_without_the_sidecar" {
  command = plan

  variables {
    rendered                 = merge(var.rendered, { sidecar_image = "" })
    expose_dashboard_via_nlb = true
    operator_cidrs           = ["203.0.113.10/32"]
  }

  assert {
    condition     = keys(output.target_groups) == ["syslog"]
    error_message = "no dashboard target group without the sidecar"
  }
}

run "should_never_expose_the_logstash_api" {
  command = plan

  variables {
    rendered                  = merge(var.rendered, { syslog_tls_enabled = true })
    expose_dashboard_via_nlb  = true
    dashboard_certificate_arn = "arn:aws:acm:eu-west-1:111122223333:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
    allow_world_cidrs         = true
    operator_cidrs            = ["0.0.0.0/0"]
    ssh_cidrs                 = ["0.0.0.0/0"]
    health_check_cidrs        = ["10.0.0.0/16"]
  }

  assert {
    condition = (
      alltrue([for r in output.ingress_rules : r.port != 9600]) &&
      alltrue([for tg in output.target_groups : tg.port != 9600]) &&
      alltrue([for p in output.aci_ports : p.port != 9600])
    )
    error_message = "9600 must never be exposed"
  }
  assert {
    condition     = output.logstash_api_port == 9600
    error_message = "the Logstash API port is 9600"
  }
}

run "should_label_the_deployment_and_name_its_secrets" {
  command = plan

  variables {
    rendered         = merge(var.rendered, { log_profile = "security", syslog_tls_enabled = true })
    logstash_secrets = { SYSLOG_TLS_KEY = "k", SPLUNK_HEC_TOKEN = "t", SYSLOG_TLS_CERT = "c" }
  }

  assert {
    condition = output.labels == {
      "stashkit:output-type" = "splunk-hec"
      "stashkit:log-profile" = "security"
      "stashkit:logstash"    = "docker.elastic.co/logstash/logstash:8.15.0"
      "stashkit:sidecar"     = "ghcr.io/example/status-sidecar:1.0.0"
    }
    error_message = "labels name the output type, log profile and both images"
  }
  assert {
    condition     = output.logstash_secret_names == tolist(["SPLUNK_HEC_TOKEN", "SYSLOG_TLS_CERT", "SYSLOG_TLS_KEY"])
    error_message = "the secret names, sorted and not sensitive"
  }
}

run "should_label_a_deployment_without_the_sidecar" {
  command = plan

  variables {
    rendered = merge(var.rendered, { sidecar_image = "" })
  }

  assert {
    condition     = output.labels["stashkit:sidecar"] == "disabled"
    error_message = "no sidecar: stashkit:sidecar = disabled"
  }
}
