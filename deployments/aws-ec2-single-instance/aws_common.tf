# What both AWS deployments take and build alike: the operator's inputs they share, the Logstash
# host (modules/aws-logstash-host) and its outputs. One file: deployments/aws-ec2-autoscale/aws_common.tf
# is a symbolic link to deployments/aws-ec2-single-instance/aws_common.tf (Terraform has no
# include; a root must declare every input it takes). Each root's variables.tf has the rest.

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
  description = "CIDR blocks allowed to SSH to the Logstash hosts. Default: none (use enable_ssm_session_manager instead)."
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
  description = "VPC of the Logstash hosts and, in aws-ec2-autoscale, of the load balancer (validated by modules/aws-logstash-host)."
  type        = string
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
  description = "ECR repositories the Logstash hosts may pull from (images pushed by `stashkit build-push`)."
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

################################################################################
# The Logstash host: bucket, secrets, IAM, security group, user data
################################################################################

module "host" {
  source = "../../modules/aws-logstash-host"

  name                       = module.decisions.name
  vpc_id                     = var.vpc_id
  ingress_rules              = module.decisions.ingress_rules
  pipeline_config            = module.decisions.rendered.pipeline_config
  container_script           = module.decisions.rendered.container_script
  sidecar_image              = module.decisions.rendered.sidecar_image
  sidecar_enabled            = module.decisions.sidecar_enabled
  sidecar_health_port        = module.decisions.sidecar_health_port
  sidecar_token_version      = module.decisions.sidecar_token_version
  logstash_secrets           = module.decisions.logstash_secrets
  logstash_secrets_version   = var.logstash_secrets_version
  kms_key_arn                = var.kms_key_arn
  instance_type              = var.instance_type
  root_volume_size           = var.root_volume_size
  architecture               = var.architecture
  ami_id                     = var.ami_id
  ecr_repository_arns        = var.ecr_repository_arns
  enable_ssm_session_manager = var.enable_ssm_session_manager
}

################################################################################
# Outputs both deployments give
################################################################################

output "security_group_id" {
  description = "ID of the Logstash hosts' security group."
  value       = module.host.security_group_id
}

output "config_bucket" {
  description = "Bucket holding the rendered pipeline and container script."
  value       = module.host.bucket_name
}

output "ssm_prefix" {
  description = "Prefix of the secret SSM parameters."
  value       = module.host.ssm_prefix
}

output "sidecar_token" {
  description = "The status sidecar's API token (Authorization: Bearer <token>, or the password of HTTP Basic in a browser) for `stashkit fleet`/`verify` (--token-file), `status-sidecar report` and Prometheus (authorization credentials_file). Read it with `terraform output -raw sidecar_token`; null without the sidecar."
  value       = module.host.sidecar_token
  sensitive   = true
}

output "sidecar_token_parameter" {
  description = "SSM SecureString parameter holding the sidecar token (/<name>/sidecar/token), or null without the sidecar."
  value       = module.host.sidecar_token_parameter
}

output "sidecar_health_port" {
  description = "Host port of the sidecar's health-only listener (/api/health and /healthz), or null without the sidecar."
  value       = module.decisions.sidecar_enabled ? module.decisions.sidecar_health_port : null
}
