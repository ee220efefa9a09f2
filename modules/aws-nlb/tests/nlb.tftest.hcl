# Plan-time tests of the NLB module. They need the aws provider's schema: the project runs them
# offline with the stand-in providers (tests/terraform/test_plans.py), or run them with the real
# provider and credentials: `terraform init && terraform test`.

provider "aws" {
  region = "eu-west-1"
}

variables {
  name       = "demo"
  vpc_id     = "vpc-0123456789abcdef0"
  subnet_ids = ["subnet-0123456789abcdef0"]
  target_groups = {
    syslog    = { port = 5000, protocol = "TCP_UDP", health_check = { protocol = "HTTP", port = 3001, path = "/api/health" } }
    dashboard = { port = 3000, protocol = "TCP", health_check = { protocol = "HTTP", port = 3001, path = "/healthz" } }
  }
}

run "should_forward_each_target_group_on_its_own_listener" {
  command = plan

  assert {
    condition     = aws_lb.this.load_balancer_type == "network" && aws_lb.this.enable_cross_zone_load_balancing
    error_message = "a cross-zone network load balancer"
  }
  assert {
    condition     = aws_lb_target_group.this["syslog"].protocol == "TCP_UDP" && aws_lb_target_group.this["syslog"].port == 5000
    error_message = "syslog: one TCP_UDP group on 5000"
  }
  assert {
    condition = (
      aws_lb_target_group.this["syslog"].health_check[0].protocol == "HTTP" &&
      aws_lb_target_group.this["syslog"].health_check[0].port == "3001" &&
      aws_lb_target_group.this["syslog"].health_check[0].path == "/api/health" &&
      aws_lb_target_group.this["syslog"].health_check[0].matcher == "200"
    )
    error_message = "syslog checks GET /api/health on the health-only port 3001 and wants a 200"
  }
  assert {
    condition     = aws_lb_target_group.this["syslog"].preserve_client_ip == "true"
    error_message = "client IPs are preserved: the instances filter on the senders' addresses"
  }
  assert {
    condition = (
      aws_lb_listener.this["dashboard"].port == 3000 && aws_lb_listener.this["dashboard"].protocol == "TCP" &&
      aws_lb_listener.this["dashboard"].certificate_arn == null && aws_lb_listener.this["dashboard"].ssl_policy == null
    )
    error_message = "without listener_protocol the dashboard listener forwards TCP 3000, no certificate"
  }
}

run "should_terminate_tls_with_the_acm_certificate_when_asked" {
  command = plan

  variables {
    target_groups = {
      syslog = { port = 5000, protocol = "TCP_UDP", health_check = { protocol = "HTTP", port = 3001, path = "/api/health" } }
      dashboard = {
        port         = 3000, protocol = "TCP", listener_protocol = "TLS", certificate_arn = "arn:aws:acm:eu-west-1:111122223333:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
        health_check = { protocol = "HTTP", port = 3001, path = "/healthz" }
      }
    }
  }

  assert {
    condition = (
      aws_lb_listener.this["dashboard"].protocol == "TLS" &&
      aws_lb_listener.this["dashboard"].certificate_arn == "arn:aws:acm:eu-west-1:111122223333:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789" &&
      aws_lb_listener.this["dashboard"].ssl_policy == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    )
    error_message = "the dashboard listener terminates TLS 1.2+ with the ACM certificate"
  }
  assert {
    condition     = aws_lb_target_group.this["dashboard"].protocol == "TCP"
    error_message = "behind the TLS listener the group forwards TCP to the sidecar"
  }
  assert {
    condition     = aws_lb_listener.this["syslog"].protocol == "TCP_UDP" && aws_lb_listener.this["syslog"].certificate_arn == null
    error_message = "syslog listeners stay pass-through"
  }
}

run "should_reject_a_tls_listener_without_a_certificate" {
  command = plan
  variables {
    target_groups = {
      dashboard = { port = 3000, protocol = "TCP", listener_protocol = "TLS", health_check = { protocol = "TCP", port = 3000 } }
    }
  }
  expect_failures = [var.target_groups]
}

run "should_reject_a_certificate_on_a_tcp_listener" {
  command = plan
  variables {
    target_groups = {
      dashboard = { port = 3000, protocol = "TCP", certificate_arn = "arn:aws:acm:eu-west-1:111122223333:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789", health_check = { protocol = "TCP", port = 3000 } }
    }
  }
  expect_failures = [var.target_groups]
}

run "should_reject_tls_in_front_of_a_tcp_udp_group" {
  command = plan
  variables {
    target_groups = {
      syslog = { port = 5000, protocol = "TCP_UDP", listener_protocol = "TLS", certificate_arn = "arn:aws:acm:eu-west-1:111122223333:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789", health_check = { protocol = "TCP", port = 5000 } }
    }
  }
  expect_failures = [var.target_groups]
}

run "should_reject_a_certificate_that_is_not_from_acm" {
  command = plan
  variables {
    target_groups = {
      dashboard = { port = 3000, protocol = "TCP", listener_protocol = "TLS", certificate_arn = "arn:aws:iam::111122223333:server-certificate/x", health_check = { protocol = "TCP", port = 3000 } }
    }
  }
  expect_failures = [var.target_groups]
}

run "should_reject_a_tls_policy_that_accepts_tls_1_0" {
  command = plan
  variables {
    tls_ssl_policy = "ELBSecurityPolicy-2016-08"
  }
  expect_failures = [var.tls_ssl_policy]
}

run "should_pass_tls_syslog_through_on_its_own_port" {
  command = plan

  variables {
    target_groups = {
      syslog     = { port = 5000, protocol = "TCP_UDP", health_check = { protocol = "TCP", port = 5000 } }
      syslog-tls = { port = 10514, protocol = "TCP", health_check = { protocol = "TCP", port = 10514 } }
    }
  }

  assert {
    condition = (
      aws_lb_target_group.this["syslog-tls"].port == 10514 && aws_lb_target_group.this["syslog-tls"].protocol == "TCP" &&
      aws_lb_target_group.this["syslog-tls"].health_check[0].port == "10514"
    )
    error_message = "the TLS group forwards TCP on syslog_tls_port and checks that port"
  }
  assert {
    condition     = aws_lb_listener.this["syslog-tls"].port == 10514 && aws_lb_listener.this["syslog-tls"].protocol == "TCP"
    error_message = "TLS is passed through: a TCP listener on syslog_tls_port, terminated by Logstash"
  }
  assert {
    condition     = alltrue([for l in aws_lb_listener.this : l.port != 6514])
    error_message = "no listener on 6514 when TLS is moved to another port"
  }
}

run "should_check_tcp_without_a_path" {
  command = plan

  variables {
    target_groups = {
      syslog = { port = 5000, protocol = "TCP_UDP", health_check = { protocol = "TCP", port = 5000 } }
    }
  }

  assert {
    condition = (
      aws_lb_target_group.this["syslog"].health_check[0].protocol == "TCP" &&
      aws_lb_target_group.this["syslog"].health_check[0].path == null &&
      aws_lb_target_group.this["syslog"].health_check[0].matcher == null
    )
    error_message = "a TCP health check has no path and no matcher"
  }
}

run "should_reject_no_subnets" {
  command = plan
  variables {
    subnet_ids = []
  }
  expect_failures = [var.subnet_ids]
}

run "should_reject_no_target_group" {
  command = plan
  variables {
    target_groups = {}
  }
  expect_failures = [var.target_groups]
}

run "should_reject_a_long_target_group_key" {
  command = plan
  variables {
    target_groups = {
      syslog-over-tcp = { port = 5000, protocol = "TCP", health_check = { protocol = "TCP", port = 5000 } }
    }
  }
  expect_failures = [var.target_groups]
}

run "should_reject_an_alb_protocol" {
  command = plan
  variables {
    target_groups = {
      web = { port = 80, protocol = "HTTP", health_check = { protocol = "TCP", port = 80 } }
    }
  }
  expect_failures = [var.target_groups]
}

run "should_reject_an_http_check_without_a_path" {
  command = plan
  variables {
    target_groups = {
      syslog = { port = 5000, protocol = "TCP_UDP", health_check = { protocol = "HTTP", port = 3000 } }
    }
  }
  expect_failures = [var.target_groups]
}

run "should_reject_a_bad_health_check_interval" {
  command = plan
  variables {
    health_check_interval = 1
  }
  expect_failures = [var.health_check_interval]
}

run "should_reject_a_bad_health_check_threshold" {
  command = plan
  variables {
    health_check_threshold = 11
  }
  expect_failures = [var.health_check_threshold]
}

run "should_reject_a_bad_deregistration_delay" {
  command = plan
  variables {
    deregistration_delay = -1
  }
  expect_failures = [var.deregistration_delay]
}
