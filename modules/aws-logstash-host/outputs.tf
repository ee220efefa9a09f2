output "security_group_id" {
  description = "ID of the host security group (attach it to the instance or launch template)."
  value       = try(aws_security_group.this.id, null)
}

output "iam_role_name" {
  description = "Name of the host IAM role."
  value       = try(aws_iam_role.this.name, null)
}

output "iam_role_arn" {
  description = "ARN of the host IAM role."
  value       = try(aws_iam_role.this.arn, null)
}

output "instance_profile_name" {
  description = "Name of the instance profile to give the instance or launch template."
  value       = try(aws_iam_instance_profile.this.name, null)
}

output "instance_profile_arn" {
  description = "ARN of the instance profile."
  value       = try(aws_iam_instance_profile.this.arn, null)
}

output "ami_id" {
  description = "AMI the host boots: ami_id, else the latest Amazon Linux 2023 for the architecture."
  value       = local.ami_id
}

output "instance_type" {
  description = "The validated EC2 instance type."
  value       = var.instance_type
}

output "root_volume_size" {
  description = "The validated root volume size in GiB."
  value       = var.root_volume_size
}

output "user_data" {
  description = "The boot script (plain text, no secret). It changes whenever the rendered files or the sidecar image change."
  value       = local.user_data
}

output "user_data_base64" {
  description = "The boot script, base64-encoded (for launch templates)."
  value       = base64encode(local.user_data)
}

output "config_sha256" {
  description = "Fingerprint of what the host boots with (rendered files, sidecar image)."
  value       = local.config_sha256
}

output "bucket_name" {
  description = "Name of the configuration bucket."
  value       = try(aws_s3_bucket.this.id, null)
}

output "bucket_arn" {
  description = "ARN of the configuration bucket."
  value       = try(aws_s3_bucket.this.arn, null)
}

output "ssm_prefix" {
  description = "Prefix of the secret parameters (/<name>/logstash): the container script reads <prefix>/<ENV_VAR_NAME>."
  value       = local.ssm_prefix
}

output "ssm_parameter_arns" {
  description = "ARNs of the secret parameters by variable name."
  value       = { for k, p in aws_ssm_parameter.this : k => p.arn }
}

output "sidecar_token" {
  description = "The status sidecar's API token (Bearer, or the password of HTTP Basic), for `stashkit fleet`/`verify --token-file`, `status-sidecar report` and Prometheus; null without the sidecar."
  value       = try(random_password.sidecar_token[0].result, null)
  sensitive   = true
}

output "sidecar_token_parameter" {
  description = "SSM SecureString parameter holding the sidecar API token (/<name>/sidecar/token; read it with `aws ssm get-parameter --with-decryption`), or null without the sidecar."
  value       = var.sidecar_enabled ? local.sidecar_token_parameter : null
}
