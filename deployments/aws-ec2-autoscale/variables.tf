# This deployment's own inputs; the ones both AWS deployments share are in aws_common.tf.

variable "sidecar_health_port" {
  description = "Host port of the sidecar's health-only listener (GET /api/health and /healthz only; published to the container's 3001): the NLB health checks and health_check_cidrs reach this port, never sidecar_port. Validated by stashkit-decisions (1..65535, not 9600, distinct from the other ports)."
  type        = number
  default     = 3001
  nullable    = false
}

variable "subnet_ids" {
  description = "Subnets of the instances, one per availability zone (private subnets with a NAT gateway or VPC endpoints)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.subnet_ids) > 0 && alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "subnet_ids must name at least one subnet, each like subnet-0123456789abcdef0."
  }
}

variable "nlb_subnet_ids" {
  description = "Subnets of the load balancer (public subnets for an internet-facing NLB). Default: subnet_ids."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "nlb_internal" {
  description = "Make the NLB internal (senders reach it through the VPC, peering, VPN or Transit Gateway)."
  type        = bool
  default     = false
  nullable    = false
}

variable "health_check_cidrs" {
  description = "CIDR blocks the NLB health checks come from. Default: the VPC's CIDR block."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "expose_dashboard_via_nlb" {
  description = "Forward sidecar_port on the NLB to the sidecars (needs operator_cidrs). Each request reaches one instance. On an internet-facing NLB the listener is TLS with dashboard_certificate_arn (plain TCP only with allow_plaintext_dashboard)."
  type        = bool
  default     = false
  nullable    = false
}

variable "dashboard_certificate_arn" {
  description = "ACM certificate for the NLB's dashboard listener: the NLB terminates TLS (TLS 1.2+) and forwards to the sidecars. Required with expose_dashboard_via_nlb on an internet-facing NLB. Validated by stashkit-decisions."
  type        = string
  default     = null
}

variable "allow_plaintext_dashboard" {
  description = "Let expose_dashboard_via_nlb forward plain TCP on an internet-facing NLB without dashboard_certificate_arn: the sidecar token then crosses the internet in clear. Default false."
  type        = bool
  default     = false
  nullable    = false
}

variable "ami_id" {
  description = "Pin an AMI instead of the latest Amazon Linux 2023 (otherwise a new AMI rolls the group on the next apply)."
  type        = string
  default     = null
}

variable "min_size" {
  description = "Fewest instances in the group."
  type        = number
  default     = 2
  nullable    = false

  validation {
    condition     = var.min_size >= 1 && floor(var.min_size) == var.min_size
    error_message = "min_size must be a whole number of at least 1."
  }
}

variable "max_size" {
  description = "Most instances in the group (at least min_size)."
  type        = number
  default     = 4
  nullable    = false

  validation {
    condition     = var.max_size >= 1 && var.max_size <= 100 && floor(var.max_size) == var.max_size
    error_message = "max_size must be a whole number between 1 and 100."
  }
}

variable "desired_capacity" {
  description = "Instances at creation (between min_size and max_size); scaling changes it afterwards, Terraform does not reset it."
  type        = number
  default     = 2
  nullable    = false

  validation {
    condition     = var.desired_capacity >= 1 && floor(var.desired_capacity) == var.desired_capacity
    error_message = "desired_capacity must be a whole number of at least 1."
  }
}

variable "health_check_grace_period" {
  description = "Seconds after launch before the group acts on failed health checks: long enough to install Docker, pull the images and start Logstash."
  type        = number
  default     = 300
  nullable    = false

  validation {
    condition     = var.health_check_grace_period >= 60 && var.health_check_grace_period <= 7200 && floor(var.health_check_grace_period) == var.health_check_grace_period
    error_message = "health_check_grace_period must be a whole number of seconds between 60 and 7200."
  }
}

variable "instance_refresh_min_healthy_percentage" {
  description = "Share of the group kept in service while an instance refresh replaces instances."
  type        = number
  default     = 50
  nullable    = false

  validation {
    condition     = var.instance_refresh_min_healthy_percentage >= 0 && var.instance_refresh_min_healthy_percentage <= 100
    error_message = "instance_refresh_min_healthy_percentage must be between 0 and 100."
  }
}

variable "cpu_target_percent" {
  description = "Average CPU utilization the target-tracking policy keeps the group at."
  type        = number
  default     = 60
  nullable    = false

  validation {
    condition     = var.cpu_target_percent >= 10 && var.cpu_target_percent <= 90
    error_message = "cpu_target_percent must be between 10 and 90."
  }
}

variable "enable_deletion_protection" {
  description = "Protect the NLB from deletion."
  type        = bool
  default     = false
  nullable    = false
}

