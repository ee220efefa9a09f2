terraform {
  # Provider-free on purpose: every decision here is covered by a real `terraform test`.
  required_version = ">= 1.5"
}
