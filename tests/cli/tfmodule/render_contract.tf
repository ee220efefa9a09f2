# The variables `stashkit render` writes to stashkit.auto.tfvars.json (render.TFVARS_KEYS), so
# plan --config works on this fixture as on a real deployment.

variable "output_type" {
  type    = string
  default = null
}

variable "log_profile" {
  type    = string
  default = null
}

variable "logstash_image" {
  type    = string
  default = null
}

variable "sidecar_image" {
  type    = string
  default = null
}

variable "sidecar_port" {
  type    = number
  default = null
}

variable "syslog_port" {
  type    = number
  default = null
}

variable "syslog_tls_enabled" {
  type    = bool
  default = null
}

variable "syslog_tls_port" {
  type    = number
  default = null
}

variable "syslog_tls_client_auth" {
  type    = bool
  default = null
}

variable "pipeline_config" {
  type    = string
  default = null
}

variable "container_script" {
  type    = string
  default = null
}

variable "logstash_environment" {
  type    = map(string)
  default = {}
}

output "output_type" {
  value = var.output_type
}

output "logstash_environment" {
  value = var.logstash_environment
}
