################################################################################
# Written by `stashkit render` into stashkit.auto.tfvars.json, from the config: one object,
# typed and validated once by modules/stashkit-decisions (its variable rendered).
################################################################################

variable "stashkit" {
  description = "What `stashkit render` writes into stashkit.auto.tfvars.json, from the config: the rendered pipeline and container script, images, ports, syslog TLS, output type and log profile. Its type (an object) and every check of its values are modules/stashkit-decisions' variable rendered, which takes it unchanged, so this root declares it once, as any."
  type        = any
  nullable    = false
}

################################################################################
# Set by the operator. Validated by modules/stashkit-decisions (settings every deployment
# shares) or modules/azure-container-group (the group's own), under these names.
################################################################################

variable "name" {
  description = "Prefix for every resource name: 2 to 31 lower-case letters, digits or hyphens, starting with a letter (validated by stashkit-decisions)."
  type        = string
  default     = "stashkit"
  nullable    = false
}

variable "logstash_secrets" {
  description = "Secret environment for Logstash by variable name (HEC tokens, client secrets...). Pass it as TF_VAR_logstash_secrets='{\"NAME\":\"value\"}', never in a tfvars file: it goes to secure_environment_variables only (the syslog TLS ones to a secret volume)."
  type        = map(string)
  default     = {}
  nullable    = false
  sensitive   = true
}

variable "sidecar_enabled" {
  description = "Run the status-sidecar container (also needs sidecar_image)."
  type        = bool
  default     = true
  nullable    = false
}

variable "sidecar_health_port" {
  description = "Port of the sidecar's health-only listener (HEALTH_PORT: /api/health and /healthz only) inside the group: the readiness and liveness probes use it; it is never published. Default 3001; distinct from the other ports."
  type        = number
  default     = 3001
  nullable    = false
}

variable "sidecar_token_version" {
  description = "Version of the generated sidecar API token (output sidecar_token): increase it to rotate the token (the container group is updated with the new one)."
  type        = number
  default     = 1
  nullable    = false
}

variable "sidecar_environment" {
  description = "Extra sidecar settings by environment variable (e.g. HEALTH_STARTUP_GRACE, POLL_INTERVAL)."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "sidecar_tls_cert" {
  description = "PEM certificate (with its chain) for the sidecar's listeners, which then speak HTTPS (probes too). Pass it as TF_VAR_sidecar_tls_cert, with sidecar_tls_key; it reaches the sidecar as /run/stashkit/tls.crt in a secret volume."
  type        = string
  default     = null
  sensitive   = true
}

variable "sidecar_tls_key" {
  description = "PEM private key of sidecar_tls_cert (pass it as TF_VAR_sidecar_tls_key); /run/stashkit/tls.key in the sidecar's secret volume."
  type        = string
  default     = null
  sensitive   = true
}

variable "syslog_source_cidrs" {
  description = "CIDR blocks of the syslog senders (validated; enforce them with an NSG on the subnet when ip_address_type = \"Private\")."
  type        = list(string)
  nullable    = false
}

variable "operator_cidrs" {
  description = "CIDR blocks of the operators (validated; 0.0.0.0/0 and ::/0 need allow_world_cidrs). ACI cannot filter by source: enforce them with an NSG on the subnet (ip_address_type = \"Private\"); a Public group publishes the sidecar to everyone, hence publish_sidecar."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "allow_world_cidrs" {
  description = "Accept 0.0.0.0/0 or ::/0 in operator_cidrs. Default false."
  type        = bool
  default     = false
  nullable    = false
}

variable "publish_sidecar" {
  description = "With ip_address_type = \"Public\" and the sidecar on: true publishes sidecar_port on the public IP (open to the whole internet: token auth always, TLS with sidecar_tls_cert/key, plain HTTP only with allow_plaintext_dashboard); false keeps it inside the group (probes still work, no dashboard). null (the default) makes the plan fail until you choose. A Private group publishes sidecar_port in its subnet either way."
  type        = bool
  default     = null
}

variable "allow_plaintext_dashboard" {
  description = "Let publish_sidecar = true on a Public group serve plain HTTP without sidecar_tls_cert/key: the token then crosses the internet in clear. Default false."
  type        = bool
  default     = false
  nullable    = false
}

variable "subscription_id" {
  description = "Azure subscription to deploy to (null: from ARM_SUBSCRIPTION_ID or the Azure CLI login)."
  type        = string
  default     = null
}

variable "location" {
  description = "Azure region, such as westeurope."
  type        = string
  nullable    = false
}

variable "resource_group_name" {
  description = "Resource group to create for the deployment. Default: <name>-rg."
  type        = string
  default     = null

  validation {
    condition     = var.resource_group_name == null || can(regex("^[-\\w._()]{1,89}[-\\w_()]$", var.resource_group_name))
    error_message = "resource_group_name must be 1 to 90 letters, digits, underscores, hyphens, periods or parentheses, not ending in a period."
  }
}

variable "ip_address_type" {
  description = "Private (the default): the group joins subnet_ids, where an NSG enforces syslog_source_cidrs and operator_cidrs. Public: a public IP, every published port open to the whole internet (ACI cannot filter sources); the sidecar is then published only with publish_sidecar = true."
  type        = string
  default     = "Private"
  nullable    = false
}

variable "subnet_ids" {
  description = "Subnet (delegated to Microsoft.ContainerInstance/containerGroups) for ip_address_type = Private, the default: required then."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "dns_name_label" {
  description = "DNS label of the public IP (<label>.<location>.azurecontainer.io); null for none."
  type        = string
  default     = null
}

variable "logstash_cpu" {
  description = "CPU cores of the Logstash container (0.5 to 4)."
  type        = number
  default     = 1
  nullable    = false
}

variable "logstash_memory" {
  description = "Memory of the Logstash container in GB (1.5 to 16; the JVM heap defaults to 1 GB)."
  type        = number
  default     = 2
  nullable    = false
}

variable "sidecar_cpu" {
  description = "CPU cores of the status-sidecar container (0.1 to 2)."
  type        = number
  default     = 0.5
  nullable    = false
}

variable "sidecar_memory" {
  description = "Memory of the status-sidecar container in GB (0.1 to 4)."
  type        = number
  default     = 0.5
  nullable    = false
}

variable "image_registry_server" {
  description = "Private registry of the images (e.g. myregistry.azurecr.io); null for public images. Needs image_registry_username and image_registry_password."
  type        = string
  default     = null
}

variable "image_registry_username" {
  description = "User name for image_registry_server."
  type        = string
  default     = null
}

variable "image_registry_password" {
  description = "Password for image_registry_server (pass it as TF_VAR_image_registry_password)."
  type        = string
  default     = null
  sensitive   = true
}

variable "storage_replication_type" {
  description = "Replication of the storage account holding the pipeline: LRS, ZRS, GRS, RAGRS, GZRS or RAGZRS."
  type        = string
  default     = "LRS"
  nullable    = false
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}
