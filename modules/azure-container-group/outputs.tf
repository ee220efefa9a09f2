output "id" {
  description = "ID of the container group."
  value       = azurerm_container_group.this.id
}

output "name" {
  description = "Name of the container group (<name>-logstash)."
  value       = azurerm_container_group.this.name
}

output "ip_address" {
  description = "IP address of the container group (public or in its subnet)."
  value       = try(azurerm_container_group.this.ip_address, null)
}

output "fqdn" {
  description = "DNS name of a Public group with dns_name_label, else null."
  value       = try(azurerm_container_group.this.fqdn, null)
}

output "address" {
  description = "Where senders and dashboards reach the group: its DNS name when it has one (stable across restarts, and the name a TLS certificate carries), else its IP address."
  value       = try(coalesce(azurerm_container_group.this.fqdn, azurerm_container_group.this.ip_address), null)
}

output "containers" {
  description = "Names of the group's containers: logstash, plus status-sidecar with the sidecar."
  value       = [for c in azurerm_container_group.this.container : c.name]
}

output "sidecar_scheme" {
  description = "Scheme of the sidecar's listeners: https with sidecar_tls_cert and sidecar_tls_key, else http."
  value       = local.sidecar_scheme
}

output "sidecar_token" {
  description = "The generated sidecar API token (in the sidecar's secret volume as /run/stashkit/token), or null without the sidecar."
  value       = try(random_password.sidecar_token[0].result, null)
  sensitive   = true
}

output "principal_id" {
  description = "Object id of the group's system-assigned managed identity (grant it roles, e.g. Monitoring Metrics Publisher on a data collection rule)."
  value       = try(azurerm_container_group.this.identity[0].principal_id, null)
}

output "storage_account_name" {
  description = "Storage account holding the pipeline share."
  value       = azurerm_storage_account.this.name
}
