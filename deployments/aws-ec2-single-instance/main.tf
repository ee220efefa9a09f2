module "decisions" {
  source = "../../modules/stashkit-decisions"

  rendered              = var.stashkit
  name                  = var.name
  sidecar_token_version = var.sidecar_token_version
  logstash_secrets      = var.logstash_secrets
  sidecar_health_port   = var.sidecar_health_port
  syslog_source_cidrs   = var.syslog_source_cidrs
  operator_cidrs        = var.operator_cidrs
  ssh_cidrs             = var.ssh_cidrs
  allow_world_cidrs     = var.allow_world_cidrs
}

# What the instance boots with: a new pipeline, container script or sidecar image replaces it,
# and so does a new sidecar token or health port (the host module's fingerprint of its boot).
resource "terraform_data" "config" {
  input = {
    pipeline_config  = sha256(module.decisions.rendered.pipeline_config)
    container_script = sha256(module.decisions.rendered.container_script)
    sidecar_image    = sha256(module.decisions.rendered.sidecar_image)
    host_config      = module.host.config_sha256
  }
}

resource "aws_instance" "this" {
  ami                         = module.host.ami_id
  instance_type               = module.host.instance_type
  subnet_id                   = var.subnet_id
  vpc_security_group_ids      = [module.host.security_group_id]
  iam_instance_profile        = module.host.instance_profile_name
  associate_public_ip_address = var.associate_public_ip_address
  key_name                    = var.key_name
  user_data                   = module.host.user_data
  user_data_replace_on_change = true
  monitoring                  = true
  ebs_optimized               = true

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1 # containers cannot reach the instance role's credentials
    instance_metadata_tags      = "disabled"
  }

  root_block_device {
    encrypted             = true
    kms_key_id            = var.kms_key_arn
    volume_type           = "gp3"
    volume_size           = module.host.root_volume_size
    delete_on_termination = true
  }

  tags = merge({ Name = "${var.name}-logstash" }, module.decisions.labels)

  lifecycle {
    # A newer Amazon Linux 2023 AMI alone does not replace a running host: set ami_id to move.
    ignore_changes       = [ami]
    replace_triggered_by = [terraform_data.config]
  }
}
