variable "name" {
  description = "Prefix for every resource name (lower-case letters, digits and hyphens; starts with a letter)."
  type        = string
  default     = "stashkit"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must match ^[a-z][a-z0-9-]{1,30}$ (2 to 31 lower-case letters, digits or hyphens, starting with a letter)."
  }
}

variable "output_type" {
  description = "Where Logstash forwards the logs: splunk-hec, azure-log-ingestion, dynatrace, dynatrace-logs, dynatrace-metrics, zabbix, elasticsearch or webhook-test (validated by stashkit-decisions)."
  type        = string
  nullable    = false
}

variable "log_profile" {
  description = "Which Aviatrix log types the pipeline keeps: all, security or networking."
  type        = string
  default     = "all"
  nullable    = false

  validation {
    condition     = contains(["all", "security", "networking"], var.log_profile)
    error_message = "log_profile must be all, security or networking."
  }
}

variable "logstash_image" {
  description = "Logstash container image (for azure-log-ingestion: the custom image with the Sentinel plugin)."
  type        = string
  nullable    = false

  validation {
    condition     = length(trimspace(var.logstash_image)) > 0
    error_message = "logstash_image must not be empty."
  }
}

variable "sidecar_image" {
  description = "Status sidecar image; \"\" disables the sidecar."
  type        = string
  default     = ""
  nullable    = false
}

variable "sidecar_port" {
  description = "Port of the status sidecar (dashboard, /api/health, /healthz, /metrics)."
  type        = number
  default     = 3000
  nullable    = false
}

variable "sidecar_health_port" {
  description = "Port of the sidecar's health-only listener (HEALTH_PORT: /api/health and /healthz only) inside the group: the readiness and liveness probes use it; it is never published. Default 3001; validated by stashkit-decisions (distinct from the other ports)."
  type        = number
  default     = 3001
  nullable    = false
}

variable "syslog_port" {
  description = "Port on which Logstash receives syslog over TCP and UDP."
  type        = number
  default     = 5000
  nullable    = false
}

variable "syslog_tls_enabled" {
  description = "Also receive syslog over TLS (TCP) on syslog_tls_port. The rendered pipeline carries the TLS input, and TF_VAR_logstash_secrets must hold SYSLOG_TLS_CERT and SYSLOG_TLS_KEY (PEM, the key unencrypted PKCS#8)."
  type        = bool
  default     = false
  nullable    = false
}

variable "syslog_tls_port" {
  description = "TCP port of syslog over TLS (RFC 5425: 6514), used when syslog_tls_enabled is true. A whole number in 1..65535, not 9600, distinct from syslog_port and (when the sidecar runs) sidecar_port."
  type        = number
  default     = 6514
  nullable    = false

  validation {
    condition     = var.syslog_tls_port >= 1 && var.syslog_tls_port <= 65535 && floor(var.syslog_tls_port) == var.syslog_tls_port && var.syslog_tls_port != 9600
    error_message = "syslog_tls_port must be a whole number between 1 and 65535, and not 9600 (the Logstash API port)."
  }
  validation {
    condition     = !var.syslog_tls_enabled || (var.syslog_tls_port != var.syslog_port && !(var.sidecar_enabled && var.sidecar_image != "" && var.syslog_tls_port == var.sidecar_port))
    error_message = "syslog_tls_port must differ from syslog_port and, when the sidecar runs, from sidecar_port: each listens on the same container group."
  }
}

variable "syslog_tls_client_auth" {
  description = "Mutual TLS: syslog clients must present a certificate that chains to the CA in the SYSLOG_TLS_CA secret (then required in TF_VAR_logstash_secrets too)."
  type        = bool
  default     = false
  nullable    = false
}

variable "pipeline_config" {
  description = "The rendered Logstash pipeline (content)."
  type        = string
  nullable    = false

  validation {
    condition     = length(trimspace(var.pipeline_config)) > 0
    error_message = "pipeline_config must not be empty: run `stashkit render` first."
  }
}

variable "logstash_environment" {
  description = "Non-secret environment for the Logstash container."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k in keys(var.logstash_environment) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", k))])
    error_message = "logstash_environment keys must be environment variable names (letters, digits, underscores)."
  }
}

################################################################################
# Set by the operator
################################################################################

variable "logstash_secrets" {
  description = "Secret environment for Logstash by variable name (HEC tokens, client secrets...). Pass it as TF_VAR_logstash_secrets='{\"NAME\":\"value\"}', never in a tfvars file: it goes to secure_environment_variables only."
  type        = map(string)
  default     = {}
  nullable    = false
  sensitive   = true

  validation {
    condition     = alltrue([for k in keys(var.logstash_secrets) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", k))])
    error_message = "logstash_secrets keys must be environment variable names (letters, digits, underscores)."
  }
  validation {
    condition     = alltrue([for v in values(var.logstash_secrets) : length(trimspace(v)) > 0])
    error_message = "Every logstash_secrets value must be non-empty: an empty secret would make Logstash fail at its destination."
  }
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
  description = "Accept 0.0.0.0/0 or ::/0 in operator_cidrs (validated by stashkit-decisions). Default false."
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

variable "sidecar_tls_cert" {
  description = "PEM certificate (with its chain) for the sidecar's listeners, which then speak HTTPS (probes too). Pass it as TF_VAR_sidecar_tls_cert, with sidecar_tls_key; it reaches the sidecar as /run/stashkit/tls.crt in a secret volume."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.sidecar_tls_cert == null || can(regex("-----BEGIN CERTIFICATE-----", var.sidecar_tls_cert))
    error_message = "sidecar_tls_cert must be a PEM certificate (-----BEGIN CERTIFICATE-----), or null."
  }
}

variable "sidecar_tls_key" {
  description = "PEM private key of sidecar_tls_cert (pass it as TF_VAR_sidecar_tls_key); /run/stashkit/tls.key in the sidecar's secret volume."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.sidecar_tls_key == null || can(regex("-----BEGIN [A-Z ]*PRIVATE KEY-----", var.sidecar_tls_key))
    error_message = "sidecar_tls_key must be a PEM private key (-----BEGIN ... PRIVATE KEY-----), or null."
  }
  validation {
    condition     = (var.sidecar_tls_key == null) == (var.sidecar_tls_cert == null)
    error_message = "sidecar_tls_cert and sidecar_tls_key go together: give both (HTTPS) or neither (HTTP)."
  }
}

variable "sidecar_token_version" {
  description = "Version of the generated sidecar API token (output sidecar_token): increase it to rotate the token (the container group is updated with the new one)."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.sidecar_token_version >= 1 && floor(var.sidecar_token_version) == var.sidecar_token_version
    error_message = "sidecar_token_version must be a whole number of at least 1."
  }
}

variable "sidecar_enabled" {
  description = "Run the status-sidecar container (also needs sidecar_image)."
  type        = bool
  default     = true
  nullable    = false
}

variable "sidecar_environment" {
  description = "Extra sidecar settings by environment variable (e.g. HEALTH_STARTUP_GRACE, POLL_INTERVAL)."
  type        = map(string)
  default     = {}
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

  validation {
    condition     = can(regex("^[a-z][a-z0-9]+$", var.location))
    error_message = "location must be an Azure region name such as westeurope."
  }
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

  validation {
    condition     = contains(["Public", "Private"], var.ip_address_type)
    error_message = "ip_address_type must be Public or Private."
  }
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

  validation {
    condition     = var.dns_name_label == null || can(regex("^[a-z][a-z0-9-]{1,61}[a-z0-9]$", var.dns_name_label))
    error_message = "dns_name_label must be 3 to 63 lower-case letters, digits or hyphens, starting with a letter."
  }
}

variable "logstash_cpu" {
  description = "CPU cores of the Logstash container."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.logstash_cpu >= 0.5 && var.logstash_cpu <= 4
    error_message = "logstash_cpu must be between 0.5 and 4."
  }
}

variable "logstash_memory" {
  description = "Memory of the Logstash container in GB (the JVM heap defaults to 1 GB)."
  type        = number
  default     = 2
  nullable    = false

  validation {
    condition     = var.logstash_memory >= 1.5 && var.logstash_memory <= 16
    error_message = "logstash_memory must be between 1.5 and 16 GB."
  }
}

variable "sidecar_cpu" {
  description = "CPU cores of the status-sidecar container."
  type        = number
  default     = 0.5
  nullable    = false

  validation {
    condition     = var.sidecar_cpu >= 0.1 && var.sidecar_cpu <= 2
    error_message = "sidecar_cpu must be between 0.1 and 2."
  }
}

variable "sidecar_memory" {
  description = "Memory of the status-sidecar container in GB."
  type        = number
  default     = 0.5
  nullable    = false

  validation {
    condition     = var.sidecar_memory >= 0.1 && var.sidecar_memory <= 4
    error_message = "sidecar_memory must be between 0.1 and 4 GB."
  }
}

variable "image_registry_server" {
  description = "Private registry of the images (e.g. myregistry.azurecr.io); null for public images."
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

  validation {
    condition     = contains(["LRS", "ZRS", "GRS", "RAGRS", "GZRS", "RAGZRS"], var.storage_replication_type)
    error_message = "storage_replication_type must be LRS, ZRS, GRS, RAGRS, GZRS or RAGZRS."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}
