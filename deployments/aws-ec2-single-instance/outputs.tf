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

output "security_group_id" {
  description = "ID of the instance security group."
  value       = module.host.security_group_id
}

output "config_bucket" {
  description = "Bucket holding the rendered pipeline and container script."
  value       = module.host.bucket_name
}

output "ssm_prefix" {
  description = "Prefix of the secret SSM parameters."
  value       = module.host.ssm_prefix
}

output "sidecar_token" {
  description = "The status sidecar's API token (Authorization: Bearer <token>, or the password of HTTP Basic in a browser) for `stashkit fleet`/`verify` (--token-file), `status-sidecar report` and Prometheus (authorization credentials_file). Read it with `terraform output -raw sidecar_token`; null without the sidecar."
  value       = module.host.sidecar_token
  sensitive   = true
}

output "sidecar_token_parameter" {
  description = "SSM SecureString parameter holding the sidecar token (/<name>/sidecar/token), or null without the sidecar."
  value       = module.host.sidecar_token_parameter
}

output "sidecar_health_port" {
  description = "Host port of the sidecar's health-only listener (/api/health and /healthz), or null without the sidecar."
  value       = module.decisions.sidecar_enabled ? module.decisions.sidecar_health_port : null
}
