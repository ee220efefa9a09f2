data "aws_vpc" "this" {
  count = length(var.health_check_cidrs) == 0 ? 1 : 0

  id = var.vpc_id
}

module "decisions" {
  source = "../../modules/stashkit-decisions"

  rendered                  = var.stashkit
  name                      = var.name
  sidecar_token_version     = var.sidecar_token_version
  logstash_secrets          = var.logstash_secrets
  sidecar_health_port       = var.sidecar_health_port
  expose_dashboard_via_nlb  = var.expose_dashboard_via_nlb
  nlb_internal              = var.nlb_internal
  dashboard_certificate_arn = var.dashboard_certificate_arn
  allow_plaintext_dashboard = var.allow_plaintext_dashboard
  syslog_source_cidrs       = var.syslog_source_cidrs
  operator_cidrs            = var.operator_cidrs
  ssh_cidrs                 = var.ssh_cidrs
  allow_world_cidrs         = var.allow_world_cidrs
  # NLB health checks come from the load balancer's private addresses in the VPC; they reach
  # only the sidecar's health-only port (or, without the sidecar, the syslog ports).
  health_check_cidrs = length(var.health_check_cidrs) > 0 ? var.health_check_cidrs : [data.aws_vpc.this[0].cidr_block]
}

module "nlb" {
  source = "../../modules/aws-nlb"

  name                       = module.decisions.name
  vpc_id                     = var.vpc_id
  subnet_ids                 = length(var.nlb_subnet_ids) > 0 ? var.nlb_subnet_ids : var.subnet_ids
  internal                   = var.nlb_internal
  target_groups              = module.decisions.target_groups
  enable_deletion_protection = var.enable_deletion_protection
}

# Every change of what instances boot with (rendered files, sidecar image, AMI) makes a new
# version, and the group's instance refresh rolls it out.
resource "aws_launch_template" "this" {
  name_prefix            = "${var.name}-logstash-"
  description            = "stashkit ${var.name}: Logstash host"
  image_id               = module.host.ami_id
  instance_type          = module.host.instance_type
  key_name               = var.key_name
  user_data              = module.host.user_data_base64
  vpc_security_group_ids = [module.host.security_group_id]
  ebs_optimized          = true
  update_default_version = true

  iam_instance_profile {
    name = module.host.instance_profile_name
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1 # containers cannot reach the instance role's credentials
    instance_metadata_tags      = "disabled"
  }

  block_device_mappings {
    device_name = "/dev/xvda" # Amazon Linux 2023 root device

    ebs {
      encrypted             = "true"
      kms_key_id            = var.kms_key_arn
      volume_type           = "gp3"
      volume_size           = module.host.root_volume_size
      delete_on_termination = "true"
    }
  }

  monitoring {
    enabled = true
  }

  tag_specifications {
    resource_type = "instance"
    tags          = merge({ Name = "${var.name}-logstash" }, module.decisions.labels)
  }

  tag_specifications {
    resource_type = "volume"
    tags          = { Name = "${var.name}-logstash" }
  }
}

resource "aws_autoscaling_group" "this" {
  name_prefix         = "${var.name}-logstash-"
  min_size            = var.min_size
  max_size            = var.max_size
  desired_capacity    = var.desired_capacity
  vpc_zone_identifier = var.subnet_ids
  target_group_arns   = values(module.nlb.target_group_arns)

  # With the sidecar, the NLB's verdict (GET /api/health) replaces instances whose Logstash is
  # stuck or dead; without it only a failed EC2 status check does.
  health_check_type         = module.decisions.sidecar_enabled ? "ELB" : "EC2"
  health_check_grace_period = var.health_check_grace_period
  default_instance_warmup   = var.health_check_grace_period

  launch_template {
    id      = aws_launch_template.this.id
    version = aws_launch_template.this.latest_version
  }

  instance_refresh {
    strategy = "Rolling"

    preferences {
      min_healthy_percentage = var.instance_refresh_min_healthy_percentage
      instance_warmup        = var.health_check_grace_period
    }
  }

  enabled_metrics = ["GroupDesiredCapacity", "GroupInServiceInstances", "GroupTotalInstances"]

  dynamic "tag" {
    for_each = merge({ "stashkit:deployment" = var.name }, var.tags)

    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = true
    }
  }

  lifecycle {
    # The scaling policy moves desired_capacity; re-applying must not undo it.
    ignore_changes = [desired_capacity]

    precondition {
      condition     = var.min_size <= var.max_size
      error_message = "min_size must not exceed max_size."
    }
    precondition {
      condition     = var.desired_capacity >= var.min_size && var.desired_capacity <= var.max_size
      error_message = "desired_capacity must be between min_size and max_size."
    }
  }
}

resource "aws_autoscaling_policy" "cpu" {
  name                   = "${var.name}-cpu-target"
  autoscaling_group_name = aws_autoscaling_group.this.name
  policy_type            = "TargetTrackingScaling"

  target_tracking_configuration {
    target_value = var.cpu_target_percent

    predefined_metric_specification {
      predefined_metric_type = "ASGAverageCPUUtilization"
    }
  }
}
