"""Terraform checks: formatting, Terraform's own loader, `terraform test`, checkov, plans."""
