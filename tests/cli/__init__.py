"""Tests of the operator CLI (`stashkit` subcommands) against real Terraform, moto and fakes."""
