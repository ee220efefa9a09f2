output "ip_address" {
  description = "IP address of the container group: point the syslog senders here."
  value       = module.container_group.ip_address
}

output "fqdn" {
  description = "DNS name of the container group (with dns_name_label), else null."
  value       = module.container_group.fqdn
}

output "syslog_endpoints" {
  description = "Where the senders send syslog, by protocol: tcp and udp on syslog_port, tls on syslog_tls_port when TLS is on; each <fqdn or IP>:<port>."
  value       = { for protocol, port in module.decisions.syslog_listeners : protocol => "${module.container_group.address}:${port}" if module.container_group.address != null }
}

output "containers" {
  description = "Containers of the group."
  value       = module.decisions.aci_containers
}

locals {
  sidecar_url = module.decisions.aci_sidecar_published && module.container_group.address != null ? "${module.container_group.sidecar_scheme}://${module.container_group.address}:${module.decisions.rendered.sidecar_port}/" : null
}

output "sidecar_url" {
  description = "The status sidecar dashboard (https with sidecar_tls_cert/key; everything but /api/health and /healthz needs sidecar_token), or null when the sidecar is off or not published."
  value       = local.sidecar_url
}

output "sidecar_urls" {
  description = "All sidecar URLs (one group here); empty when the sidecar is off or not published."
  value       = local.sidecar_url != null ? [local.sidecar_url] : []
}

output "sidecar_token" {
  description = "The status sidecar's API token (Authorization: Bearer <token>, or the password of HTTP Basic in a browser) for `stashkit fleet`/`verify` (--token-file), `status-sidecar report` and Prometheus. Read it with `terraform output -raw sidecar_token`; null without the sidecar."
  value       = module.container_group.sidecar_token
  sensitive   = true
}

output "resource_group_name" {
  description = "Resource group of the deployment."
  value       = azurerm_resource_group.this.name
}

output "storage_account_name" {
  description = "Storage account holding the pipeline share."
  value       = module.container_group.storage_account_name
}

output "principal_id" {
  description = "Object id of the container group's managed identity (grant it roles, e.g. Monitoring Metrics Publisher on the data collection rule)."
  value       = module.container_group.principal_id
}
