output "nlb_dns_name" {
  description = "DNS name of the NLB: point the syslog senders here."
  value       = module.nlb.dns_name
}

output "syslog_endpoints" {
  description = "Where the senders send syslog, by protocol: tcp and udp on syslog_port, tls on syslog_tls_port when TLS is on; each <NLB DNS name>:<port>."
  value       = { for protocol, port in module.decisions.syslog_listeners : protocol => "${module.nlb.dns_name}:${port}" if module.nlb.dns_name != null }
}

output "target_group_arns" {
  description = "NLB target group ARNs by key (syslog, syslog-tls, dashboard)."
  value       = module.nlb.target_group_arns
}

output "health_checks" {
  description = "Health check of each target group (HTTP /api/health on the sidecar's health-only port sidecar_health_port when the sidecar runs, else TCP)."
  value       = module.decisions.health_checks
}

locals {
  # https when the NLB terminates TLS with dashboard_certificate_arn (the certificate names the
  # operator's DNS record, pointed at the NLB: use that name rather than the NLB's own).
  dashboard_url = contains(keys(module.decisions.target_groups), "dashboard") && module.nlb.dns_name != null ? "${module.decisions.dashboard_tls ? "https" : "http"}://${module.nlb.dns_name}:${module.decisions.rendered.sidecar_port}/" : null
}

output "sidecar_url" {
  description = "The dashboard through the NLB (expose_dashboard_via_nlb; https with dashboard_certificate_arn), else null: reach each instance's sidecar on its private IP and sidecar_port from operator_cidrs. Everything but /api/health and /healthz needs sidecar_token."
  value       = local.dashboard_url
}

output "sidecar_urls" {
  description = "Sidecar URLs reachable from the operators: the NLB one when exposed, else empty (instances come and go; list them with `stashkit fleet`)."
  value       = local.dashboard_url != null ? [local.dashboard_url] : []
}

output "autoscaling_group_name" {
  description = "Name of the Auto Scaling group."
  value       = try(aws_autoscaling_group.this.name, null)
}

output "launch_template_id" {
  description = "ID of the launch template."
  value       = try(aws_launch_template.this.id, null)
}
