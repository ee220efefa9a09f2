variable "name" {
  description = "Prefix for the load balancer and target group names: stashkit-decisions' name output (validated there)."
  type        = string
  nullable    = false
}

variable "vpc_id" {
  description = "VPC of the target groups (the deployment's vpc_id, validated by aws-logstash-host)."
  type        = string
  nullable    = false
}

variable "subnet_ids" {
  description = "Subnets of the load balancer, one per availability zone (public subnets for an internet-facing NLB)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.subnet_ids) > 0 && alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "subnet_ids must name at least one subnet, each like subnet-0123456789abcdef0."
  }
}

variable "internal" {
  description = "Create an internal NLB (reachable from the VPC and its peers only) instead of an internet-facing one."
  type        = bool
  default     = false
  nullable    = false
}

variable "target_groups" {
  description = "Target groups by key: stashkit-decisions' target_groups output (its ports validated there, never 9600), map of { port, protocol (TCP|UDP|TCP_UDP), listener_protocol (default: protocol; TLS terminates TLS at the NLB and forwards TCP), certificate_arn (ACM, with TLS), health_check = { protocol (TCP|HTTP), port, path } }. Each gets a listener on its port."
  type = map(object({
    port              = number
    protocol          = string
    listener_protocol = optional(string)
    certificate_arn   = optional(string)
    health_check = object({
      protocol = string
      port     = number
      path     = optional(string)
    })
  }))
  nullable = false

  validation {
    condition     = length(var.target_groups) > 0
    error_message = "target_groups must hold at least the syslog group."
  }
  validation {
    condition     = alltrue([for k, tg in var.target_groups : can(regex("^[a-z][a-z0-9-]{0,10}$", k))])
    error_message = "target_groups keys must be 1 to 11 lower-case letters, digits or hyphens (they end the target group names)."
  }
  validation {
    condition     = alltrue([for tg in var.target_groups : contains(["TCP", "UDP", "TCP_UDP"], tg.protocol)])
    error_message = "Target group protocol must be TCP, UDP or TCP_UDP."
  }
  validation {
    condition = alltrue([for tg in var.target_groups :
      tg.health_check.protocol == "TCP" || (tg.health_check.protocol == "HTTP" && startswith(coalesce(tg.health_check.path, "-"), "/"))
    ])
    error_message = "Health check protocol must be TCP, or HTTP with a path starting with /."
  }
  validation {
    condition = alltrue([for tg in var.target_groups :
      tg.listener_protocol == null || tg.listener_protocol == tg.protocol || (tg.listener_protocol == "TLS" && tg.protocol == "TCP")
    ])
    error_message = "listener_protocol must be the target group's protocol, or TLS in front of a TCP group (the NLB terminates TLS and forwards TCP)."
  }
  validation {
    condition = alltrue([for tg in var.target_groups :
      (tg.listener_protocol == "TLS") == (tg.certificate_arn != null) &&
      (tg.certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/.+$", coalesce(tg.certificate_arn, "-"))))
    ])
    error_message = "A TLS listener needs certificate_arn (an ACM certificate ARN), and only a TLS listener takes one."
  }
}

variable "tls_ssl_policy" {
  description = "Security policy of the TLS listeners the NLB terminates (the dashboard): TLS 1.3 and 1.2 only by default."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  nullable    = false

  validation {
    condition     = can(regex("^ELBSecurityPolicy-(TLS13-1-[23]-|TLS-1-2-|FS-1-2-)", var.tls_ssl_policy))
    error_message = "tls_ssl_policy must be an ELB security policy that refuses TLS 1.0 and 1.1 (ELBSecurityPolicy-TLS13-1-2-*, -TLS13-1-3-*, -TLS-1-2-*, -FS-1-2-*)."
  }
}

variable "health_check_interval" {
  description = "Seconds between health checks of each target."
  type        = number
  default     = 10
  nullable    = false

  validation {
    condition     = var.health_check_interval >= 5 && var.health_check_interval <= 300 && floor(var.health_check_interval) == var.health_check_interval
    error_message = "health_check_interval must be a whole number of seconds between 5 and 300."
  }
}

variable "health_check_threshold" {
  description = "Consecutive results that make a target healthy or unhealthy."
  type        = number
  default     = 3
  nullable    = false

  validation {
    condition     = var.health_check_threshold >= 2 && var.health_check_threshold <= 10 && floor(var.health_check_threshold) == var.health_check_threshold
    error_message = "health_check_threshold must be a whole number between 2 and 10."
  }
}

variable "deregistration_delay" {
  description = "Seconds a deregistering target keeps its open syslog connections."
  type        = number
  default     = 60
  nullable    = false

  validation {
    condition     = var.deregistration_delay >= 0 && var.deregistration_delay <= 3600 && floor(var.deregistration_delay) == var.deregistration_delay
    error_message = "deregistration_delay must be a whole number of seconds between 0 and 3600."
  }
}

variable "enable_deletion_protection" {
  description = "Protect the load balancer from deletion (turn off before `terraform destroy`)."
  type        = bool
  default     = false
  nullable    = false
}

variable "access_logs_bucket" {
  description = "S3 bucket for NLB access logs (TLS listeners only log there); null disables them."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}
