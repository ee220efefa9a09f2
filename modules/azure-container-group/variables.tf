################################################################################
# Where and how the group is reachable
################################################################################

variable "name" {
  description = "Prefix of the group's resource names, <name>-logstash and a storage account derived from it: stashkit-decisions' name output (validated there)."
  type        = string
  nullable    = false
}

variable "resource_group_name" {
  description = "Resource group of the container group and its storage account (the module creates neither the group nor the network)."
  type        = string
  nullable    = false

  validation {
    condition     = length(trimspace(var.resource_group_name)) > 0
    error_message = "resource_group_name must not be empty."
  }
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

variable "ip_address_type" {
  description = "Private (the default): the group joins subnet_ids, where an NSG enforces who reaches it. Public: a public IP, every exposed port open to the whole internet (ACI cannot filter sources)."
  type        = string
  default     = "Private"
  nullable    = false

  validation {
    condition     = contains(["Public", "Private"], var.ip_address_type)
    error_message = "ip_address_type must be Public or Private."
  }
}

variable "subnet_ids" {
  description = "Subnet (delegated to Microsoft.ContainerInstance/containerGroups) of a Private group: required then, unused when Public."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = var.ip_address_type == "Public" || length(var.subnet_ids) > 0
    error_message = "ip_address_type = Private needs subnet_ids (a subnet delegated to Microsoft.ContainerInstance/containerGroups)."
  }
}

variable "dns_name_label" {
  description = "DNS label of a Public group's IP (<label>.<location>.azurecontainer.io); null for none."
  type        = string
  default     = null

  validation {
    condition     = var.dns_name_label == null || can(regex("^[a-z][a-z0-9-]{1,61}[a-z0-9]$", var.dns_name_label))
    error_message = "dns_name_label must be 3 to 63 lower-case letters, digits or hyphens, starting with a letter."
  }
}

variable "exposed_ports" {
  description = "Ports the group exposes on its IP, as stashkit-decisions' aci_ports output: list of { port, protocol (TCP|UDP) }. The logstash container listens on each, but sidecar_port when sidecar_published."
  type = list(object({
    port     = number
    protocol = string
  }))
  nullable = false

  validation {
    condition     = length(var.exposed_ports) > 0 && alltrue([for p in var.exposed_ports : p.port >= 1 && p.port <= 65535 && floor(p.port) == p.port && p.port != 9600])
    error_message = "exposed_ports must hold at least one port, each a whole number between 1 and 65535 and never 9600 (the Logstash API)."
  }
  validation {
    condition     = alltrue([for p in var.exposed_ports : contains(["TCP", "UDP"], p.protocol)])
    error_message = "Every exposed_ports protocol must be TCP or UDP."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}

################################################################################
# The logstash container
################################################################################

variable "pipeline_config" {
  description = "The rendered Logstash pipeline (content): uploaded to an Azure Files share mounted read-only into Logstash, which reloads it when it changes."
  type        = string
  nullable    = false

  validation {
    condition     = length(trimspace(var.pipeline_config)) > 0
    error_message = "pipeline_config must not be empty: run `stashkit render` first."
  }
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

variable "logstash_image" {
  description = "Logstash container image: stashkit-decisions' logstash_image output (validated there)."
  type        = string
  nullable    = false
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

variable "logstash_environment" {
  description = "Non-secret environment of the Logstash container (environment_variables)."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k in keys(var.logstash_environment) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", k))])
    error_message = "logstash_environment keys must be environment variable names (letters, digits, underscores)."
  }
}

variable "logstash_secrets" {
  description = "Secret environment of Logstash by variable name: stashkit-decisions' logstash_secrets output (names, values and the TLS secrets validated there). Each goes to secure_environment_variables, except tls_secret_names (files of the syslog-tls secret volume); with the sidecar, also to its secrets.env, so none may hold a newline."
  type        = map(string)
  default     = {}
  nullable    = false
  sensitive   = true

  validation {
    condition = !var.sidecar_enabled || alltrue([
      for k, v in var.logstash_secrets : contains(var.tls_secret_names, k) || !strcontains(v, "\n")
    ])
    error_message = "logstash_secrets ${join(", ", [for k in sort(nonsensitive(keys(var.logstash_secrets))) : k if !contains(var.tls_secret_names, k) && nonsensitive(strcontains(var.logstash_secrets[k], "\n"))])} contains a newline, which the sidecar's secrets env file (the values it redacts) cannot carry: give it without newlines."
  }
}

variable "tls_secret_names" {
  description = "Names in logstash_secrets that are never environment variables (stashkit-decisions' tls_secret_names: the syslog TLS certificate, key and CA)."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "tls_secret_files" {
  description = "Secrets the pipeline's TLS input reads as files, by name -> file name under tls_dir (stashkit-decisions' tls_secret_files; empty without syslog over TLS): a read-only secret volume syslog-tls in the logstash container."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "tls_dir" {
  description = "Where the logstash container mounts the syslog-tls secret volume (stashkit-decisions' tls_dir)."
  type        = string
  default     = "/usr/share/logstash/config/tls"
  nullable    = false

  validation {
    condition     = startswith(var.tls_dir, "/")
    error_message = "tls_dir must be an absolute path."
  }
}

################################################################################
# The status-sidecar container
################################################################################

variable "sidecar_enabled" {
  description = "Run the status-sidecar container beside Logstash: stashkit-decisions' sidecar_enabled output."
  type        = bool
  default     = false
  nullable    = false
}

variable "sidecar_image" {
  description = "Status sidecar image (with sidecar_enabled)."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = !var.sidecar_enabled || length(trimspace(var.sidecar_image)) > 0
    error_message = "sidecar_image must not be empty when sidecar_enabled is true."
  }
}

variable "sidecar_port" {
  description = "Port of the sidecar's full API (PORT), published only with sidecar_published (stashkit-decisions validates it)."
  type        = number
  default     = 3000
  nullable    = false
}

variable "sidecar_health_port" {
  description = "Port of the sidecar's health-only listener (HEALTH_PORT: /api/health and /healthz) inside the group, where its probes go; never exposed (stashkit-decisions validates it)."
  type        = number
  default     = 3001
  nullable    = false
}

variable "sidecar_published" {
  description = "The group exposes sidecar_port (stashkit-decisions' aci_sidecar_published): the sidecar container listens on it, the logstash container does not."
  type        = bool
  default     = false
  nullable    = false
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

variable "sidecar_environment" {
  description = "Sidecar settings by environment variable (LOG_PROFILE, DESTINATION_LABEL, HEALTH_STARTUP_GRACE...); the module's own (LOGSTASH_API_URL, LOGSTASH_LOG_PATH, PORT, HEALTH_PORT and the /run/stashkit files) override them."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k in keys(var.sidecar_environment) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", k))])
    error_message = "sidecar_environment keys must be environment variable names (letters, digits, underscores)."
  }
}

variable "sidecar_tls_cert" {
  description = "PEM certificate (with its chain) for the sidecar's listeners, which then speak HTTPS (probes too); /run/stashkit/tls.crt in the sidecar's secret volume. With sidecar_tls_key."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.sidecar_tls_cert == null || can(regex("-----BEGIN CERTIFICATE-----", var.sidecar_tls_cert))
    error_message = "sidecar_tls_cert must be a PEM certificate (-----BEGIN CERTIFICATE-----), or null."
  }
}

variable "sidecar_tls_key" {
  description = "PEM private key of sidecar_tls_cert; /run/stashkit/tls.key in the sidecar's secret volume."
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
  description = "Version of the generated sidecar API token (output sidecar_token; stashkit-decisions' sidecar_token_version output, validated there): increase it to rotate the token (the container group is updated with the new one)."
  type        = number
  default     = 1
  nullable    = false
}

################################################################################
# A private image registry
################################################################################

variable "image_registry_server" {
  description = "Private registry of the images (e.g. myregistry.azurecr.io); null for public images."
  type        = string
  default     = null

  validation {
    condition     = var.image_registry_server == null || (var.image_registry_username != null && var.image_registry_password != null)
    error_message = "image_registry_server needs image_registry_username and image_registry_password."
  }
}

variable "image_registry_username" {
  description = "User name for image_registry_server."
  type        = string
  default     = null
}

variable "image_registry_password" {
  description = "Password for image_registry_server."
  type        = string
  default     = null
  sensitive   = true
}
