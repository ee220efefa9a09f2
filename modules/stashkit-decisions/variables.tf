variable "name" {
  description = "Name of the deployment, the prefix of every resource name: 2 to 31 lower-case letters, digits or hyphens, starting with a letter."
  type        = string
  default     = "stashkit"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must match ^[a-z][a-z0-9-]{1,30}$ (2 to 31 lower-case letters, digits or hyphens, starting with a letter)."
  }
}

variable "rendered" {
  description = "What `stashkit render` writes into stashkit.auto.tfvars.json (the deployments' var.stashkit, passed here unchanged): its one type and every check of its values. Absent optional attributes take the defaults below; the rendered output carries them."
  type = object({
    output_type            = string
    log_profile            = optional(string, "all")
    logstash_image         = string
    sidecar_image          = optional(string, "")
    sidecar_port           = optional(number, 3000)
    syslog_port            = optional(number, 5000)
    syslog_tls_enabled     = optional(bool, false)
    syslog_tls_port        = optional(number, 6514)
    syslog_tls_client_auth = optional(bool, false)
    pipeline_config        = string
    container_script       = optional(string)
    logstash_environment   = optional(map(string), {})
  })
  nullable = false

  validation {
    condition = contains([
      "splunk-hec", "azure-log-ingestion", "dynatrace", "dynatrace-logs",
      "dynatrace-metrics", "zabbix", "elasticsearch", "webhook-test",
    ], var.rendered.output_type)
    error_message = "stashkit.output_type must be one of: splunk-hec, azure-log-ingestion, dynatrace, dynatrace-logs, dynatrace-metrics, zabbix, elasticsearch, webhook-test."
  }

  validation {
    condition     = contains(["all", "security", "networking"], var.rendered.log_profile)
    error_message = "stashkit.log_profile must be all, security or networking."
  }

  validation {
    condition     = length(trimspace(var.rendered.logstash_image)) > 0
    error_message = "stashkit.logstash_image must not be empty."
  }

  validation {
    condition     = var.rendered.sidecar_port >= 1 && var.rendered.sidecar_port <= 65535 && floor(var.rendered.sidecar_port) == var.rendered.sidecar_port
    error_message = "stashkit.sidecar_port must be a whole number between 1 and 65535."
  }

  validation {
    condition     = var.rendered.sidecar_port != 9600
    error_message = "stashkit.sidecar_port must not be 9600: that is the Logstash API port, which is never exposed."
  }

  validation {
    condition     = var.rendered.syslog_port >= 1 && var.rendered.syslog_port <= 65535 && floor(var.rendered.syslog_port) == var.rendered.syslog_port
    error_message = "stashkit.syslog_port must be a whole number between 1 and 65535."
  }

  validation {
    condition     = var.rendered.syslog_port != 9600
    error_message = "stashkit.syslog_port must not be 9600: that is the Logstash API port, which is never exposed."
  }

  validation {
    condition     = var.rendered.syslog_tls_port >= 1 && var.rendered.syslog_tls_port <= 65535 && floor(var.rendered.syslog_tls_port) == var.rendered.syslog_tls_port && var.rendered.syslog_tls_port != 9600
    error_message = "stashkit.syslog_tls_port must be a whole number between 1 and 65535, and not 9600 (the Logstash API port)."
  }

  validation {
    condition = !var.rendered.syslog_tls_enabled || (
      var.rendered.syslog_tls_port != var.rendered.syslog_port &&
      !(var.sidecar_enabled && var.rendered.sidecar_image != "" && var.rendered.syslog_tls_port == var.rendered.sidecar_port)
    )
    error_message = "stashkit.syslog_tls_port must differ from syslog_port and, when the sidecar runs, from sidecar_port: each listens on the same host or container group."
  }
}

variable "logstash_secrets" {
  description = "Secret environment of Logstash by variable name (TF_VAR_logstash_secrets): names must be environment variable names, values non-empty, and with syslog over TLS it must hold the TLS secrets (tls_secret_files). Passed on, unchanged and sensitive, as the logstash_secrets output."
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

variable "sidecar_enabled" {
  description = "Run the status sidecar beside Logstash. It runs only when this is true and sidecar_image is not empty."
  type        = bool
  default     = true
  nullable    = false
}

variable "sidecar_token_version" {
  description = "Version of the generated sidecar API token: increase it (1 -> 2) to rotate the token."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.sidecar_token_version >= 1 && floor(var.sidecar_token_version) == var.sidecar_token_version
    error_message = "sidecar_token_version must be a whole number of at least 1."
  }
}

variable "sidecar_health_port" {
  description = "TCP port of the sidecar's health-only listener (GET /api/health and /healthz; everything else 404): load balancer health checks and the VPC reach this one, never the full API on sidecar_port. On AWS the host port published to the container's 3001; on ACI the port the sidecar listens on inside the group (probes only, never published)."
  type        = number
  default     = 3001
  nullable    = false

  validation {
    condition     = var.sidecar_health_port >= 1 && var.sidecar_health_port <= 65535 && floor(var.sidecar_health_port) == var.sidecar_health_port && var.sidecar_health_port != 9600
    error_message = "sidecar_health_port must be a whole number between 1 and 65535, and not 9600 (the Logstash API port)."
  }
  validation {
    condition = !(var.sidecar_enabled && var.rendered.sidecar_image != "") || (
      var.sidecar_health_port != var.rendered.sidecar_port &&
      var.sidecar_health_port != var.rendered.syslog_port &&
      !(var.rendered.syslog_tls_enabled && var.sidecar_health_port == var.rendered.syslog_tls_port)
    )
    error_message = "sidecar_health_port must differ from sidecar_port, syslog_port and (with syslog over TLS) syslog_tls_port: each listens on the same host or container group."
  }
}

variable "expose_dashboard_via_nlb" {
  description = "Forward sidecar_port on the load balancer to the sidecar (needs operator_cidrs: the instances only accept the dashboard from those). On an internet-facing NLB the listener is TLS with dashboard_certificate_arn; plain TCP there needs allow_plaintext_dashboard."
  type        = bool
  default     = false
  nullable    = false
}

variable "nlb_internal" {
  description = "The load balancer is internal (reachable from the VPC and its peers only). An internet-facing one (false) serves the dashboard only over TLS unless allow_plaintext_dashboard is true."
  type        = bool
  default     = false
  nullable    = false
}

variable "dashboard_certificate_arn" {
  description = "ACM certificate of the NLB's dashboard listener (expose_dashboard_via_nlb): the NLB terminates TLS with it and forwards to the sidecar. null: no certificate (a plain TCP listener, refused on an internet-facing NLB without allow_plaintext_dashboard)."
  type        = string
  default     = null

  validation {
    condition     = var.dashboard_certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]+$", var.dashboard_certificate_arn))
    error_message = "dashboard_certificate_arn must be an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID) or null."
  }
}

variable "allow_plaintext_dashboard" {
  description = "Serve the sidecar dashboard and API over plain TCP/HTTP where it faces the internet: an internet-facing NLB without dashboard_certificate_arn, or a Public ACI group publishing the sidecar without a TLS certificate. The sidecar token then crosses the internet in clear: leave false."
  type        = bool
  default     = false
  nullable    = false
}

variable "aci_public" {
  description = "Azure Container Instances only: the container group has a public IP address (ip_address_type = Public), which cannot filter sources."
  type        = bool
  default     = false
  nullable    = false
}

variable "publish_sidecar" {
  description = "Azure Container Instances only, Public group: publish sidecar_port on the public IP (true), or keep the sidecar inside the group (false; its probes still work). null (the default) refuses the plan while the choice is not made; a Private group publishes it in its subnet either way."
  type        = bool
  default     = null
}

variable "sidecar_tls_enabled" {
  description = "The sidecar's listeners speak HTTPS (a certificate and key are given to it)."
  type        = bool
  default     = false
  nullable    = false
}

variable "allow_world_cidrs" {
  description = "Accept 0.0.0.0/0 or ::/0 (any /0 block: the whole internet) in operator_cidrs and ssh_cidrs. Default false: those are refused."
  type        = bool
  default     = false
  nullable    = false
}

variable "syslog_source_cidrs" {
  description = "CIDR blocks allowed to send syslog (the Aviatrix controller and gateways). Required: syslog is never open by default."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.syslog_source_cidrs) > 0
    error_message = "syslog_source_cidrs must name at least one CIDR block (the Aviatrix controller and gateways)."
  }
  validation {
    condition     = alltrue([for c in var.syslog_source_cidrs : can(cidrhost(c, 0))])
    error_message = "syslog_source_cidrs must contain only valid CIDR blocks, such as 10.0.0.0/16."
  }
}

variable "operator_cidrs" {
  description = "CIDR blocks allowed to reach the sidecar dashboard on sidecar_port. Default: none, the dashboard is not exposed."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for c in var.operator_cidrs : can(cidrhost(c, 0))])
    error_message = "operator_cidrs must contain only valid CIDR blocks, such as 203.0.113.10/32."
  }
  validation {
    condition     = var.allow_world_cidrs || !anytrue([for c in var.operator_cidrs : endswith(c, "/0")])
    error_message = "operator_cidrs must not contain 0.0.0.0/0 or ::/0 (the whole internet would reach the sidecar's API): name the operators' CIDR blocks, or set allow_world_cidrs = true to open it on purpose."
  }
}

variable "ssh_cidrs" {
  description = "CIDR blocks allowed to SSH (TCP 22) to the instances. Default: none, SSH is closed."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for c in var.ssh_cidrs : can(cidrhost(c, 0))])
    error_message = "ssh_cidrs must contain only valid CIDR blocks, such as 203.0.113.10/32."
  }
  validation {
    condition     = var.allow_world_cidrs || !anytrue([for c in var.ssh_cidrs : endswith(c, "/0")])
    error_message = "ssh_cidrs must not contain 0.0.0.0/0 or ::/0 (SSH open to the whole internet): name the operators' CIDR blocks or use SSM Session Manager, or set allow_world_cidrs = true to open it on purpose."
  }
}

variable "health_check_cidrs" {
  description = "CIDR blocks the load balancer's health checks come from (the VPC CIDR behind an NLB). Default: none, for hosts without a load balancer."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for c in var.health_check_cidrs : can(cidrhost(c, 0))])
    error_message = "health_check_cidrs must contain only valid CIDR blocks, such as 10.0.0.0/16."
  }
}
