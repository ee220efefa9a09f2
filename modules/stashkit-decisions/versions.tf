terraform {
  # Provider-free on purpose: every decision here is covered by a real `terraform test`.
  # 1.9: a variable validation may refer to other variables (syslog_tls_port).
  required_version = ">= 1.9"
}
