variable "output_type" {
  description = "Where Logstash forwards the Aviatrix logs. One of: splunk-hec, azure-log-ingestion, dynatrace, dynatrace-logs, dynatrace-metrics, zabbix, elasticsearch, webhook-test."
  type        = string
  nullable    = false

  validation {
    condition = contains([
      "splunk-hec", "azure-log-ingestion", "dynatrace", "dynatrace-logs",
      "dynatrace-metrics", "zabbix", "elasticsearch", "webhook-test",
    ], var.output_type)
    error_message = "output_type must be one of: splunk-hec, azure-log-ingestion, dynatrace, dynatrace-logs, dynatrace-metrics, zabbix, elasticsearch, webhook-test."
  }
}

variable "sidecar_image" {
  description = "Container image of the status sidecar. An empty string disables the sidecar."
  type        = string
  default     = ""
  nullable    = false
}

variable "sidecar_enabled" {
  description = "Run the status sidecar beside Logstash. It runs only when this is true and sidecar_image is not empty."
  type        = bool
  default     = true
  nullable    = false
}

variable "sidecar_port" {
  description = "TCP port of the sidecar (dashboard, /api/health readiness, /healthz liveness, /metrics)."
  type        = number
  default     = 3000
  nullable    = false

  validation {
    condition     = var.sidecar_port >= 1 && var.sidecar_port <= 65535 && floor(var.sidecar_port) == var.sidecar_port
    error_message = "sidecar_port must be a whole number between 1 and 65535."
  }
  validation {
    condition     = var.sidecar_port != 9600
    error_message = "sidecar_port must not be 9600: that is the Logstash API port, which is never exposed."
  }
}

variable "syslog_port" {
  description = "Port on which Logstash receives syslog, over both TCP and UDP."
  type        = number
  default     = 5000
  nullable    = false

  validation {
    condition     = var.syslog_port >= 1 && var.syslog_port <= 65535 && floor(var.syslog_port) == var.syslog_port
    error_message = "syslog_port must be a whole number between 1 and 65535."
  }
  validation {
    condition     = var.syslog_port != 9600
    error_message = "syslog_port must not be 9600: that is the Logstash API port, which is never exposed."
  }
}

variable "syslog_tls_enabled" {
  description = "Also receive syslog over TLS (TCP) on syslog_tls_port."
  type        = bool
  default     = false
  nullable    = false
}

variable "syslog_tls_port" {
  description = "TCP port for syslog over TLS, used when syslog_tls_enabled is true (RFC 5425: 6514). The pipeline's TLS input, the security group rule, the load balancer listener and target group and the ACI port all use it."
  type        = number
  default     = 6514
  nullable    = false

  validation {
    condition     = var.syslog_tls_port >= 1 && var.syslog_tls_port <= 65535 && floor(var.syslog_tls_port) == var.syslog_tls_port
    error_message = "syslog_tls_port must be a whole number between 1 and 65535."
  }
  validation {
    condition     = var.syslog_tls_port != 9600
    error_message = "syslog_tls_port must not be 9600: that is the Logstash API port, which is never exposed."
  }
  validation {
    condition = !var.syslog_tls_enabled || (
      var.syslog_tls_port != var.syslog_port &&
      !(var.sidecar_enabled && var.sidecar_image != "" && var.syslog_tls_port == var.sidecar_port)
    )
    error_message = "syslog_tls_port must differ from syslog_port and, when the sidecar runs, from sidecar_port: each listens on the same host or container group."
  }
}

variable "syslog_tls_client_auth" {
  description = "Mutual TLS on the syslog TLS listener: clients must present a certificate chaining to the CA in the SYSLOG_TLS_CA secret, which is then required too."
  type        = bool
  default     = false
  nullable    = false
}

variable "expose_dashboard_via_nlb" {
  description = "Forward sidecar_port on the load balancer to the sidecar (needs operator_cidrs: the instances only accept the dashboard from those)."
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
