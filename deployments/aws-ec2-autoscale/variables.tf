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
# Set by the operator
################################################################################

variable "name" {
  description = "Prefix for every resource name: 2 to 31 lower-case letters, digits or hyphens, starting with a letter (validated by stashkit-decisions)."
  type        = string
  default     = "stashkit"
  nullable    = false
}

variable "logstash_secrets" {
  description = "Secret environment for Logstash by variable name (HEC tokens, passwords...). Pass it as TF_VAR_logstash_secrets='{\"NAME\":\"value\"}', never in a tfvars file: it is stored in SSM SecureString parameters only, through write-only arguments (bump logstash_secrets_version after a change). Validated by stashkit-decisions (names, non-empty values, the syslog TLS secrets) and modules/aws-logstash-host (8 KB each)."
  type        = map(string)
  default     = {}
  nullable    = false
  sensitive   = true
}

variable "logstash_secrets_version" {
  description = "Version of logstash_secrets in SSM, which Terraform writes through write-only arguments (never into the state) and therefore cannot compare: increase it whenever TF_VAR_logstash_secrets changes. Validated by modules/aws-logstash-host."
  type        = number
  default     = 1
  nullable    = false
}

variable "sidecar_token_version" {
  description = "Version of the generated sidecar API token (output sidecar_token, SSM /<name>/sidecar/token): increase it to rotate the token; the hosts then boot again with the new one. Validated by stashkit-decisions."
  type        = number
  default     = 1
  nullable    = false
}

variable "sidecar_health_port" {
  description = "Host port of the sidecar's health-only listener (GET /api/health and /healthz only; published to the container's 3001): the NLB health checks and health_check_cidrs reach this port, never sidecar_port. Validated by stashkit-decisions (1..65535, not 9600, distinct from the other ports)."
  type        = number
  default     = 3001
  nullable    = false
}

variable "syslog_source_cidrs" {
  description = "CIDR blocks allowed to send syslog (the Aviatrix controller and gateways). Validated by stashkit-decisions."
  type        = list(string)
  nullable    = false
}

variable "operator_cidrs" {
  description = "CIDR blocks allowed to reach the sidecar's full API and dashboard on sidecar_port (a token is still required). Default: none. 0.0.0.0/0 and ::/0 are refused unless allow_world_cidrs."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "ssh_cidrs" {
  description = "CIDR blocks allowed to SSH to the instances. Default: none (use enable_ssm_session_manager instead)."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "allow_world_cidrs" {
  description = "Accept 0.0.0.0/0 or ::/0 in operator_cidrs and ssh_cidrs. Default false: the whole internet is refused there."
  type        = bool
  default     = false
  nullable    = false
}

variable "region" {
  description = "AWS region to deploy to."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region such as eu-west-1."
  }
}

variable "vpc_id" {
  description = "VPC of the instances and the load balancer (validated by modules/aws-logstash-host)."
  type        = string
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

variable "instance_type" {
  description = "EC2 instance type (Logstash wants at least 2 vCPU and 4 GiB). Validated by modules/aws-logstash-host."
  type        = string
  default     = "t3.large"
  nullable    = false
}

variable "architecture" {
  description = "CPU architecture of the instance type: x86_64 or arm64 (picks the Amazon Linux 2023 AMI). Validated by modules/aws-logstash-host."
  type        = string
  default     = "x86_64"
  nullable    = false
}

variable "ami_id" {
  description = "Pin an AMI instead of the latest Amazon Linux 2023 (otherwise a new AMI rolls the group on the next apply)."
  type        = string
  default     = null
}

variable "root_volume_size" {
  description = "Root volume size in GiB (images, Logstash logs and queues): 8 to 16384, validated by modules/aws-logstash-host."
  type        = number
  default     = 30
  nullable    = false
}

variable "key_name" {
  description = "EC2 key pair for SSH (with ssh_cidrs); null for none."
  type        = string
  default     = null
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for the bucket, parameters and root volumes; null uses the AWS managed keys."
  type        = string
  default     = null
}

variable "ecr_repository_arns" {
  description = "ECR repositories the instances may pull from (images pushed by `stashkit build-push`)."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "enable_ssm_session_manager" {
  description = "Allow shell access through SSM Session Manager (no open port needed)."
  type        = bool
  default     = false
  nullable    = false
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

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}
