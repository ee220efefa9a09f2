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
  description = "Host port of the sidecar's health-only listener (GET /api/health and /healthz only; published to the container's 3001). Nothing outside the host needs it here (no load balancer): it has no security group rule. Validated by stashkit-decisions (1..65535, not 9600, distinct from the other ports)."
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
  description = "CIDR blocks allowed to SSH to the instance. Default: none (use enable_ssm_session_manager instead)."
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
  description = "VPC of the instance (validated by modules/aws-logstash-host)."
  type        = string
  nullable    = false
}

variable "subnet_id" {
  description = "Subnet of the instance (in vpc_id)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^subnet-[0-9a-f]+$", var.subnet_id))
    error_message = "subnet_id must be a subnet id such as subnet-0123456789abcdef0."
  }
}

variable "associate_public_ip_address" {
  description = "Give the instance a public IP (senders outside the VPC, no NAT gateway)."
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
  description = "Pin an AMI instead of the latest Amazon Linux 2023 (a new AMI is only picked up when this changes)."
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
  description = "Customer managed KMS key for the bucket, parameters and root volume; null uses the AWS managed keys."
  type        = string
  default     = null
}

variable "ecr_repository_arns" {
  description = "ECR repositories the instance may pull from (images pushed by `stashkit build-push`)."
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

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}
