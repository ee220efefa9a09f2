# A provider-free root module for the python-terraform driver tests: terraform_data, locals,
# outputs, and a sensitive map like the deployments' logstash_secrets.

terraform {
  required_version = ">= 1.5"
}

variable "name" {
  description = "A non-sensitive string (reaches Terraform through the var-file)."
  type        = string
  default     = "stashkit"

  validation {
    condition     = var.name != "invalid"
    error_message = "The name must not be \"invalid\"."
  }
}

variable "cidrs" {
  description = "A non-sensitive list (JSON in the var-file)."
  type        = list(string)
  default     = []
}

variable "logstash_secrets" {
  description = "Secrets by name; only ever passed as TF_VAR_logstash_secrets."
  type        = map(string)
  default     = {}
  nullable    = false
  sensitive   = true
}

locals {
  greeting = "hello ${var.name}"
}

resource "terraform_data" "this" {
  input = {
    name  = var.name
    cidrs = var.cidrs
  }
}

output "greeting" {
  value = local.greeting
}

output "name" {
  value = terraform_data.this.output.name
}

output "cidrs" {
  value = var.cidrs
}

# Proves the secrets arrived without showing them: names and lengths only.
output "secret_lengths" {
  value = nonsensitive({ for k, v in var.logstash_secrets : k => length(v) })
}

output "secrets" {
  value     = var.logstash_secrets
  sensitive = true
}
