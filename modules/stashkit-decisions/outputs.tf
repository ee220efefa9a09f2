output "output_type" {
  description = "The validated output type."
  value       = var.output_type
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
    error_message = "syslog_port, syslog_tls_port (when TLS is on), sidecar_port (when the sidecar runs) and the Logstash API port 9600 must all differ."
  }
  precondition {
    condition     = !local.dashboard_via_nlb || length(var.operator_cidrs) > 0
    error_message = "expose_dashboard_via_nlb needs operator_cidrs: the instances accept the dashboard only from those CIDR blocks."
  }
}

output "target_groups" {
  description = "Load balancer target groups by key: map of { port, protocol, health_check = { protocol, port, path } }. `syslog` (TCP_UDP), `syslog-tls` when TLS is on, `dashboard` when the sidecar runs and expose_dashboard_via_nlb is true."
  value       = local.target_groups
}

output "health_checks" {
  description = "Health check per target group key: HTTP GET /api/health on the sidecar port when the sidecar runs, TCP on the group's port otherwise; the dashboard group checks /healthz."
  value       = { for k, tg in local.target_groups : k => tg.health_check }
}

output "aci_containers" {
  description = "Names of the containers in the Azure container group: logstash, plus status-sidecar when the sidecar runs."
  value       = local.aci_containers
}

output "aci_ports" {
  description = "Ports the Azure container group exposes: list of { port, protocol (TCP|UDP) }. The sidecar port only when the sidecar runs; never 9600."
  value       = local.aci_ports
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
