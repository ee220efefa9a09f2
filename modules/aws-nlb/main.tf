locals {
  # Load balancer names are limited to 32 characters.
  lb_name = "${substr(var.name, 0, 28)}-nlb"
}

resource "aws_lb" "this" {
  #checkov:skip=CKV_AWS_91:Syslog listeners are TCP/UDP: NLB access logs only record TLS listeners; set access_logs_bucket to enable them anyway.
  #checkov:skip=CKV_AWS_150:Off by default so `terraform destroy` works; set enable_deletion_protection = true for long-lived deployments.
  name                             = local.lb_name
  load_balancer_type               = "network"
  internal                         = var.internal
  subnets                          = var.subnet_ids
  enable_cross_zone_load_balancing = true
  enable_deletion_protection       = var.enable_deletion_protection

  dynamic "access_logs" {
    for_each = var.access_logs_bucket != null ? [var.access_logs_bucket] : []

    content {
      bucket  = access_logs.value
      prefix  = var.name
      enabled = true
    }
  }

  tags = var.tags
}

resource "aws_lb_target_group" "this" {
  for_each = var.target_groups

  name                 = "${substr(var.name, 0, 20)}-${each.key}"
  port                 = each.value.port
  protocol             = each.value.protocol
  vpc_id               = var.vpc_id
  target_type          = "instance"
  preserve_client_ip   = "true" # the instances' security group filters on the senders' addresses
  deregistration_delay = var.deregistration_delay

  health_check {
    enabled             = true
    protocol            = each.value.health_check.protocol
    port                = tostring(each.value.health_check.port)
    path                = each.value.health_check.protocol == "HTTP" ? each.value.health_check.path : null
    matcher             = each.value.health_check.protocol == "HTTP" ? "200" : null
    interval            = var.health_check_interval
    healthy_threshold   = var.health_check_threshold
    unhealthy_threshold = var.health_check_threshold
  }

  tags = var.tags
}

resource "aws_lb_listener" "this" {
  #checkov:skip=CKV_AWS_2:NLB listeners are TCP, UDP, TCP_UDP or TLS (HTTPS is an ALB protocol): syslog is passed through (TLS syslog terminated by Logstash), the dashboard listener is TLS with an ACM certificate on an internet-facing NLB.
  #checkov:skip=CKV_AWS_103:The only NLB-terminated TLS listener (the dashboard) uses tls_ssl_policy, TLS 1.2 at least by default and validated; syslog TLS is passed through as TCP and terminated by Logstash.
  for_each = var.target_groups

  load_balancer_arn = aws_lb.this.arn
  port              = each.value.port
  protocol          = coalesce(each.value.listener_protocol, each.value.protocol)
  certificate_arn   = coalesce(each.value.listener_protocol, each.value.protocol) == "TLS" ? each.value.certificate_arn : null
  ssl_policy        = coalesce(each.value.listener_protocol, each.value.protocol) == "TLS" ? var.tls_ssl_policy : null

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this[each.key].arn
  }

  tags = var.tags
}
