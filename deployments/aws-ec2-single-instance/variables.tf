# This deployment's own inputs; the ones both AWS deployments share are in aws_common.tf.

variable "sidecar_health_port" {
  description = "Host port of the sidecar's health-only listener (GET /api/health and /healthz only; published to the container's 3001). Nothing outside the host needs it here (no load balancer): it has no security group rule. Validated by stashkit-decisions (1..65535, not 9600, distinct from the other ports)."
  type        = number
  default     = 3001
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

variable "ami_id" {
  description = "Pin an AMI instead of the latest Amazon Linux 2023 (a new AMI is only picked up when this changes)."
  type        = string
  default     = null
}

