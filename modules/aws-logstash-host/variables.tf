variable "name" {
  description = "Prefix for every resource name: stashkit-decisions' name output (validated there)."
  type        = string
  nullable    = false
}

variable "vpc_id" {
  description = "VPC in which the host's security group is created."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC id such as vpc-0123456789abcdef0."
  }
}

variable "ingress_rules" {
  description = "Security group ingress by key: stashkit-decisions' ingress_rules output, map of { port, protocol (tcp|udp), cidrs, description } (its ports validated there, never 9600)."
  type = map(object({
    port        = number
    protocol    = string
    cidrs       = list(string)
    description = string
  }))
  nullable = false

  validation {
    condition     = alltrue([for r in var.ingress_rules : contains(["tcp", "udp"], r.protocol)])
    error_message = "Every ingress rule protocol must be tcp or udp."
  }
  validation {
    condition     = alltrue([for r in var.ingress_rules : length(r.cidrs) > 0 && alltrue([for c in r.cidrs : can(cidrhost(c, 0))])])
    error_message = "Every ingress rule needs at least one CIDR block, and only valid ones."
  }
}

variable "egress_cidrs" {
  description = "CIDR blocks the host may connect to (package repositories, S3, SSM, the image registry and the log destination, whose ports depend on output_type)."
  type        = list(string)
  default     = ["0.0.0.0/0"]
  nullable    = false

  validation {
    condition     = alltrue([for c in var.egress_cidrs : can(cidrhost(c, 0))])
    error_message = "egress_cidrs must contain only valid CIDR blocks."
  }
}

variable "pipeline_config" {
  description = "The rendered Logstash pipeline (content, not a path), from `stashkit render`."
  type        = string
  nullable    = false

  validation {
    condition     = length(trimspace(var.pipeline_config)) > 0
    error_message = "pipeline_config must not be empty: run `stashkit render` first."
  }
}

variable "container_script" {
  description = "The rendered bash script that runs the Logstash (and sidecar) containers, from `stashkit render`."
  type        = string
  nullable    = false

  validation {
    condition     = startswith(var.container_script, "#!")
    error_message = "container_script must be the rendered script (starting with #!): run `stashkit render` first."
  }
}

variable "sidecar_image" {
  description = "Sidecar image the container script runs (\"\" = none); part of the configuration fingerprint, so a change replaces the instances."
  type        = string
  default     = ""
  nullable    = false
}

variable "sidecar_enabled" {
  description = "The container script runs the status sidecar (stashkit-decisions' sidecar_enabled): a sidecar API token is generated, stored as the SSM SecureString /<name>/sidecar/token and readable by the host."
  type        = bool
  default     = false
  nullable    = false
}

variable "sidecar_health_port" {
  description = "Host port of the sidecar's health-only listener (the container's 3001), passed to the container script: stashkit-decisions' sidecar_health_port output (validated there)."
  type        = number
  default     = 3001
  nullable    = false
}

variable "sidecar_token_version" {
  description = "Version of the sidecar API token (stashkit-decisions' sidecar_token_version output, validated there): change it (e.g. 1 -> 2) to rotate the token; the hosts are then replaced (single instance) or refreshed (Auto Scaling group) to boot with it."
  type        = number
  default     = 1
  nullable    = false
}

variable "logstash_secrets_version" {
  description = "Version of logstash_secrets in SSM. The values are written through write-only arguments, so Terraform cannot see that one changed: increase this (e.g. 1 -> 2) whenever TF_VAR_logstash_secrets changes, and every parameter is written again."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.logstash_secrets_version >= 1 && floor(var.logstash_secrets_version) == var.logstash_secrets_version
    error_message = "logstash_secrets_version must be a whole number of at least 1."
  }
}

variable "logstash_secrets" {
  description = "Secret environment for the Logstash container by variable name: stashkit-decisions' logstash_secrets output (names, non-empty values and the syslog TLS secrets are validated there). Stored as SSM SecureString parameters /<name>/logstash/<KEY> through write-only arguments (never in the state; bump logstash_secrets_version after a change); pass it with TF_VAR_logstash_secrets, never in a tfvars file."
  type        = map(string)
  default     = {}
  nullable    = false
  sensitive   = true

  validation {
    # base64 of n bytes is 4 * ceil(n / 3) characters: at most 10920 means n <= 8190.
    condition     = alltrue([for v in values(var.logstash_secrets) : length(base64encode(v)) <= 10920])
    error_message = "Every logstash_secrets value must fit an SSM Advanced parameter (8 KB): at most 8190 bytes."
  }
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for the bucket, the SSM parameters and the root volume. null uses the AWS managed keys (aws/s3, aws/ssm, aws/ebs)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID) or null."
  }
}

variable "instance_type" {
  description = "EC2 instance type of the host (Logstash wants at least 2 vCPU and 4 GiB; match architecture): the instance_type output, which the deployments' instance or launch template use."
  type        = string
  default     = "t3.large"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type must be an EC2 instance type such as t3.large."
  }
}

variable "root_volume_size" {
  description = "Root volume size in GiB (images, Logstash logs and queues): the root_volume_size output, which the deployments' instance or launch template use."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.root_volume_size >= 8 && var.root_volume_size <= 16384 && floor(var.root_volume_size) == var.root_volume_size
    error_message = "root_volume_size must be a whole number of GiB between 8 and 16384."
  }
}

variable "architecture" {
  description = "CPU architecture of the Amazon Linux 2023 AMI: x86_64 or arm64 (match the instance type)."
  type        = string
  default     = "x86_64"
  nullable    = false

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "ami_id" {
  description = "AMI to boot instead of the latest Amazon Linux 2023 (pin it to control when hosts move to a new AMI)."
  type        = string
  default     = null

  validation {
    condition     = var.ami_id == null || can(regex("^ami-[0-9a-f]+$", var.ami_id))
    error_message = "ami_id must be an AMI id such as ami-0123456789abcdef0, or null."
  }
}

variable "ecr_repository_arns" {
  description = "ECR repositories the host may pull images from (the Logstash and sidecar images pushed by `stashkit build-push`). Empty: no ECR access."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.ecr_repository_arns : can(regex("^arn:aws[a-z-]*:ecr:[a-z0-9-]+:[0-9]{12}:repository/.+$", a))])
    error_message = "ecr_repository_arns must contain ECR repository ARNs (arn:aws:ecr:REGION:ACCOUNT:repository/NAME)."
  }
}

variable "enable_ssm_session_manager" {
  description = "Attach AmazonSSMManagedInstanceCore so operators can open a shell with SSM Session Manager instead of SSH."
  type        = bool
  default     = false
  nullable    = false
}

variable "bucket_force_destroy" {
  description = "Let `terraform destroy` delete the configuration bucket with its object versions (it only holds files Terraform writes)."
  type        = bool
  default     = true
  nullable    = false
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which superseded versions of the rendered files are deleted from the bucket."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number of at least 1."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}
