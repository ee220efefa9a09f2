# The one variable `stashkit render` writes to stashkit.auto.tfvars.json (render.TFVARS_VARIABLE),
# so plan --config works on this fixture as on a real deployment.

variable "stashkit" {
  description = "What stashkit render wrote (an object of render.TFVARS_KEYS)."
  type        = any
  default     = {}
}

output "output_type" {
  value = try(var.stashkit.output_type, null)
}

output "logstash_environment" {
  value = try(var.stashkit.logstash_environment, {})
}
