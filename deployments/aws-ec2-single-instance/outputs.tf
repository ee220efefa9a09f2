locals {
  private_ip = try(aws_instance.this.private_ip, null)
  # The dashboard is reached on the public IP when there is one.
  address = try(coalesce(aws_instance.this.public_ip, aws_instance.this.private_ip), null)
}

output "instance_id" {
  description = "ID of the Logstash instance."
  value       = try(aws_instance.this.id, null)
}

output "private_ip" {
  description = "Private IP of the instance: point syslog senders inside the VPC here."
  value       = try(aws_instance.this.private_ip, null)
}

output "public_ip" {
  description = "Public IP of the instance (associate_public_ip_address = true), else null."
  value       = try(aws_instance.this.public_ip, null)
}

output "syslog_endpoints" {
  description = "Where the senders send syslog, by protocol: tcp and udp on syslog_port, tls on syslog_tls_port when TLS is on; each <private IP>:<port>."
  value       = { for protocol, port in module.decisions.syslog_listeners : protocol => "${local.private_ip}:${port}" if local.private_ip != null }
}

output "sidecar_url" {
  description = "The status sidecar dashboard (reachable from operator_cidrs; everything but /api/health and /healthz needs sidecar_token), or null when the sidecar is off."
  value       = module.decisions.sidecar_enabled && local.address != null ? "http://${local.address}:${module.decisions.rendered.sidecar_port}/" : null
}

output "sidecar_urls" {
  description = "All sidecar URLs (one instance here); empty when the sidecar is off."
  value       = module.decisions.sidecar_enabled && local.address != null ? ["http://${local.address}:${module.decisions.rendered.sidecar_port}/"] : []
}
