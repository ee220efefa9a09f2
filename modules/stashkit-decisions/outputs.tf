output "name" {
  description = "The validated deployment name."
  value       = var.name
}

output "sidecar_token_version" {
  description = "The validated sidecar token version."
  value       = var.sidecar_token_version
}

output "rendered" {
  description = "What stashkit render wrote (var.rendered), validated, with the defaults of absent optional attributes filled in: the deployments read the rendered files, images, ports and environment from here."
  value       = var.rendered
}

output "labels" {
  description = "Tags describing the deployment, for its hosts or container group: stashkit:output-type, stashkit:log-profile, stashkit:logstash (the image) and stashkit:sidecar (the image, or disabled)."
  value       = local.labels
}

output "logstash_secrets" {
  description = "logstash_secrets, validated (names, non-empty values, and the TLS secrets that syslog over TLS needs), sensitive: what the AWS and Azure modules store."
  value       = var.logstash_secrets
  sensitive   = true

  precondition {
    condition     = length(local.missing_tls_secrets) == 0
    error_message = "logstash_secrets lacks ${join(", ", local.missing_tls_secrets)}: syslog over TLS needs SYSLOG_TLS_CERT and SYSLOG_TLS_KEY (and SYSLOG_TLS_CA with client auth) in TF_VAR_logstash_secrets."
  }
}

output "logstash_secret_names" {
  description = "Names of logstash_secrets, sorted (not secret)."
  value       = local.secret_names
}

output "sidecar_enabled" {
  description = "Whether the status sidecar runs: sidecar_enabled is true and sidecar_image is not empty."
  value       = local.sidecar_enabled
}

output "logstash_api_port" {
  description = "The Logstash monitoring API port (9600): polled by the sidecar on the host, never exposed."
  value       = local.logstash_api_port
}

output "ingress_rules" {
  description = "Security group ingress by key: map of { port, protocol (tcp|udp), cidrs, description }. Syslog from syslog_source_cidrs; the sidecar port from operator_cidrs only; SSH only from ssh_cidrs; load balancer health checks from health_check_cidrs; never 9600."
  value       = local.ingress_rules

  precondition {
    condition     = length(local.listening_ports) == length(distinct(local.listening_ports))
    error_message = "syslog_port, syslog_tls_port (when TLS is on), sidecar_port and sidecar_health_port (when the sidecar runs) and the Logstash API port 9600 must all differ."
  }
  precondition {
    condition     = alltrue([for r in local.ingress_rules : r.port != local.logstash_api_port])
    error_message = "No ingress rule may open 9600: the Logstash API is never exposed."
  }
  precondition {
    condition     = !local.dashboard_via_nlb || length(var.operator_cidrs) > 0
    error_message = "expose_dashboard_via_nlb needs operator_cidrs: the instances accept the dashboard only from those CIDR blocks."
  }
}

output "target_groups" {
  description = "Load balancer target groups by key: map of { port, protocol, listener_protocol, certificate_arn, health_check = { protocol, port, path } }. `syslog` (TCP_UDP), `syslog-tls` when TLS is on (TCP, passed through), `dashboard` when the sidecar runs and expose_dashboard_via_nlb is true (a TLS listener with dashboard_certificate_arn, else TCP)."
  value       = local.target_groups

  precondition {
    condition     = alltrue(flatten([for tg in local.target_groups : [tg.port != local.logstash_api_port, tg.health_check.port != local.logstash_api_port]]))
    error_message = "No target group or health check may use 9600: the Logstash API is never exposed."
  }
  precondition {
    condition     = !local.dashboard_nlb_plain || var.allow_plaintext_dashboard
    error_message = "expose_dashboard_via_nlb on an internet-facing NLB (nlb_internal = false) needs dashboard_certificate_arn: the dashboard listener is TLS with that ACM certificate. Set allow_plaintext_dashboard = true to forward plain TCP (the sidecar token in clear on the internet) on purpose."
  }
}

output "health_checks" {
  description = "Health check per target group key: HTTP GET /api/health on the sidecar's health-only port (sidecar_health_port) when the sidecar runs, TCP on the group's port otherwise; the dashboard group checks /healthz on the health-only port."
  value       = { for k, tg in local.target_groups : k => tg.health_check }
}

output "sidecar_health_port" {
  description = "Port of the sidecar's health-only listener (on AWS the host port published to the container's 3001)."
  value       = var.sidecar_health_port
}

output "dashboard_tls" {
  description = "Whether the NLB's dashboard listener terminates TLS (expose_dashboard_via_nlb with dashboard_certificate_arn)."
  value       = local.dashboard_tls
}

output "aci_sidecar_published" {
  description = "Whether the Azure container group publishes sidecar_port: the sidecar runs and the group is Private (its subnet's NSG filters), or Public with publish_sidecar = true."
  value       = local.aci_sidecar_published
}

output "aci_containers" {
  description = "Names of the containers in the Azure container group: logstash, plus status-sidecar when the sidecar runs."
  value       = local.aci_containers
}

output "aci_ports" {
  description = "Ports the Azure container group exposes: list of { port, protocol (TCP|UDP) }. The sidecar port only when it is published (aci_sidecar_published); never 9600, never the health-only port."
  value       = local.aci_ports

  precondition {
    condition     = !local.aci_sidecar_undecided
    error_message = "On a Public container group the sidecar port would be open to the whole internet (ACI cannot filter sources). Set publish_sidecar = true to publish it (token auth always on; TLS with sidecar_tls_cert and sidecar_tls_key), publish_sidecar = false to keep it inside the group (its probes still work), or use ip_address_type = \"Private\" with an NSG."
  }
  precondition {
    condition     = !local.aci_sidecar_plaintext || var.allow_plaintext_dashboard
    error_message = "publish_sidecar = true on a Public container group serves the sidecar API and its token on the internet: give sidecar_tls_cert and sidecar_tls_key (TF_VAR_...) so it speaks HTTPS, or set allow_plaintext_dashboard = true to serve plain HTTP on purpose."
  }
}

output "syslog_listeners" {
  description = "Syslog ports senders connect to, by protocol: map of tcp and udp (syslog_port), plus tls (syslog_tls_port) when TLS is on. The deployments' syslog_endpoints outputs are <host>:<port> of these."
  value       = tomap(local.syslog_listeners)
}

output "tls_secret_names" {
  description = "Names of every syslog TLS secret (SYSLOG_TLS_CERT, SYSLOG_TLS_KEY, SYSLOG_TLS_CA): files for the TLS input, never environment variables."
  value       = sort(keys(local.tls_secret_files_all))
}

output "tls_secret_files" {
  description = "Secrets the syslog TLS input reads, by name -> file name under tls_dir: SYSLOG_TLS_CERT (server.crt) and SYSLOG_TLS_KEY (server.key) when TLS is on, SYSLOG_TLS_CA (ca.crt) with client auth too; empty when TLS is off. Every one must be in logstash_secrets."
  value       = tomap(local.tls_secret_files)
}

output "tls_dir" {
  description = "Directory in the Logstash container where the rendered pipeline's TLS input reads tls_secret_files."
  value       = local.syslog_tls_dir
}
