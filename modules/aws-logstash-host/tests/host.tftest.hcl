# Plan-time tests of the host module. They need the aws provider's schema: the project runs them
# offline with the stand-in providers (tests/terraform/test_plans.py), or run them with the real
# provider and credentials: `terraform init && terraform test`.

provider "aws" {
  region = "eu-west-1"
}

variables {
  name             = "demo"
  vpc_id           = "vpc-0123456789abcdef0"
  pipeline_config  = "input { tcp { port => 5000 } }\n"
  container_script = "#!/bin/bash\ndocker run logstash\n"
  logstash_secrets = { SPLUNK_HEC_TOKEN = "not-a-real-token" }
  ingress_rules = {
    syslog-tcp = { port = 5000, protocol = "tcp", cidrs = ["10.10.0.0/16", "10.20.0.0/16"], description = "syslog" }
    ssh        = { port = 22, protocol = "tcp", cidrs = ["2001:db8::/64"], description = "ssh" }
  }
}

run "should_store_secrets_as_securestring_parameters_under_the_prefix" {
  command = plan

  assert {
    condition = (
      aws_ssm_parameter.this["SPLUNK_HEC_TOKEN"].name == "/demo/logstash/SPLUNK_HEC_TOKEN" &&
      aws_ssm_parameter.this["SPLUNK_HEC_TOKEN"].type == "SecureString"
    )
    error_message = "secrets are SecureString parameters /<name>/logstash/<KEY>"
  }
  assert {
    condition     = output.ssm_prefix == "/demo/logstash"
    error_message = "the container script reads <prefix>/<NAME>"
  }
}

run "should_open_one_rule_per_cidr_block" {
  command = plan

  assert {
    condition = (
      length(aws_vpc_security_group_ingress_rule.this) == 3 &&
      aws_vpc_security_group_ingress_rule.this["syslog-tcp 10.20.0.0/16"].cidr_ipv4 == "10.20.0.0/16" &&
      aws_vpc_security_group_ingress_rule.this["ssh 2001:db8::/64"].cidr_ipv6 == "2001:db8::/64" &&
      aws_vpc_security_group_ingress_rule.this["ssh 2001:db8::/64"].cidr_ipv4 == null
    )
    error_message = "one rule per (rule, CIDR), IPv6 blocks as cidr_ipv6"
  }
}

run "should_keep_the_bucket_private_and_encrypted" {
  command = plan

  assert {
    condition = (
      aws_s3_bucket_public_access_block.this.block_public_acls &&
      aws_s3_bucket_public_access_block.this.block_public_policy &&
      aws_s3_bucket_public_access_block.this.ignore_public_acls &&
      aws_s3_bucket_public_access_block.this.restrict_public_buckets
    )
    error_message = "public access fully blocked"
  }
  assert {
    condition     = one([for r in aws_s3_bucket_server_side_encryption_configuration.this.rule : one(r.apply_server_side_encryption_by_default).sse_algorithm]) == "aws:kms"
    error_message = "SSE-KMS by default"
  }
  assert {
    condition     = one(aws_s3_bucket_versioning.this.versioning_configuration).status == "Enabled"
    error_message = "versioned"
  }
}

run "should_reject_an_unknown_protocol" {
  command = plan
  variables {
    ingress_rules = { ping = { port = 1, protocol = "icmp", cidrs = ["10.0.0.0/8"], description = "no" } }
  }
  expect_failures = [var.ingress_rules]
}

run "should_reject_a_rule_without_cidrs" {
  command = plan
  variables {
    ingress_rules = { syslog = { port = 5000, protocol = "tcp", cidrs = [], description = "no" } }
  }
  expect_failures = [var.ingress_rules]
}

run "should_reject_a_malformed_cidr" {
  command = plan
  variables {
    ingress_rules = { syslog = { port = 5000, protocol = "tcp", cidrs = ["10.0.0.0/40"], description = "no" } }
  }
  expect_failures = [var.ingress_rules]
}

run "should_reject_a_malformed_egress_cidr" {
  command = plan
  variables {
    egress_cidrs = ["anywhere"]
  }
  expect_failures = [var.egress_cidrs]
}

run "should_reject_an_empty_pipeline" {
  command = plan
  variables {
    pipeline_config = "  \n"
  }
  expect_failures = [var.pipeline_config]
}

run "should_reject_a_container_script_that_is_not_a_script" {
  command = plan
  variables {
    container_script = "deployments/aws/.rendered/run.sh"
  }
  expect_failures = [var.container_script]
}

run "should_reject_a_bad_vpc_id" {
  command = plan
  variables {
    vpc_id = "vpc_1"
  }
  expect_failures = [var.vpc_id]
}

run "should_reject_a_bad_kms_key_arn" {
  command = plan
  variables {
    kms_key_arn = "alias/aws/ssm"
  }
  expect_failures = [var.kms_key_arn]
}

run "should_reject_a_bad_architecture" {
  command = plan
  variables {
    architecture = "amd64"
  }
  expect_failures = [var.architecture]
}

run "should_reject_a_bad_ami_id" {
  command = plan
  variables {
    ami_id = "al2023"
  }
  expect_failures = [var.ami_id]
}

run "should_reject_a_bad_ecr_repository_arn" {
  command = plan
  variables {
    ecr_repository_arns = ["123456789012.dkr.ecr.eu-west-1.amazonaws.com/sidecar"]
  }
  expect_failures = [var.ecr_repository_arns]
}

run "should_reject_a_bad_expiration" {
  command = plan
  variables {
    noncurrent_version_expiration_days = 0
  }
  expect_failures = [var.noncurrent_version_expiration_days]
}

run "should_store_a_long_certificate_chain_as_an_advanced_parameter" {
  command = plan

  variables {
    logstash_secrets = {
      SPLUNK_HEC_TOKEN = "not-a-real-token"
      SYSLOG_TLS_CERT  = join("\n", ["-----BEGIN CERTIFICATE-----", replace(format("%6000s", ""), " ", "A"), "-----END CERTIFICATE-----"])
      SYSLOG_TLS_KEY   = "-----BEGIN PRIVATE KEY-----\nnot-a-real-key\n-----END PRIVATE KEY-----"
    }
  }

  assert {
    condition     = aws_ssm_parameter.this["SYSLOG_TLS_CERT"].tier == "Advanced"
    error_message = "a value over 4 KB needs an Advanced parameter (Standard holds 4 KB)"
  }
  assert {
    condition = (
      aws_ssm_parameter.this["SYSLOG_TLS_KEY"].tier == "Standard" &&
      aws_ssm_parameter.this["SPLUNK_HEC_TOKEN"].tier == "Standard"
    )
    error_message = "short values stay Standard (Advanced parameters are charged)"
  }
  assert {
    condition     = alltrue([for p in aws_ssm_parameter.this : p.type == "SecureString"])
    error_message = "every secret is a SecureString"
  }
}

run "should_count_bytes_not_characters_for_the_tier" {
  command = plan

  variables {
    # 2100 two-byte characters: 4200 bytes, over Standard's 4 KB.
    logstash_secrets = { PASSWORD = replace(format("%2100s", ""), " ", "é") }
  }

  assert {
    condition     = aws_ssm_parameter.this["PASSWORD"].tier == "Advanced"
    error_message = "4200 bytes do not fit a Standard parameter"
  }
}

run "should_reject_a_secret_too_long_for_ssm" {
  command = plan
  variables {
    logstash_secrets = { SYSLOG_TLS_CERT = replace(format("%8200s", ""), " ", "A") }
  }
  expect_failures = [var.logstash_secrets]
}

run "should_write_secrets_through_write_only_arguments" {
  command = plan

  variables {
    logstash_secrets_version = 3
  }

  assert {
    condition = (
      aws_ssm_parameter.this["SPLUNK_HEC_TOKEN"].value == null &&
      aws_ssm_parameter.this["SPLUNK_HEC_TOKEN"].value_wo_version == 3
    )
    error_message = "secrets go to SSM through value_wo (never in the state), versioned by logstash_secrets_version"
  }
}

run "should_generate_a_sidecar_token_when_the_sidecar_runs" {
  command = plan

  variables {
    sidecar_enabled       = true
    sidecar_token_version = 2
  }

  assert {
    condition = (
      length(random_password.sidecar_token) == 1 &&
      random_password.sidecar_token[0].length == 48 && !random_password.sidecar_token[0].special &&
      random_password.sidecar_token[0].keepers == tomap({ version = "2" })
    )
    error_message = "a 48-character alphanumeric token, renewed with sidecar_token_version"
  }
  assert {
    condition = (
      aws_ssm_parameter.sidecar_token[0].name == "/demo/sidecar/token" &&
      aws_ssm_parameter.sidecar_token[0].type == "SecureString" &&
      aws_ssm_parameter.sidecar_token[0].value == null &&
      aws_ssm_parameter.sidecar_token[0].value_wo_version == 2
    )
    error_message = "the token is a SecureString /<name>/sidecar/token written through value_wo"
  }
  assert {
    condition     = output.sidecar_token_parameter == "/demo/sidecar/token"
    error_message = "the container script reads the token from this parameter"
  }
}

run "should_generate_no_token_without_the_sidecar" {
  command = plan

  assert {
    condition = (
      length(random_password.sidecar_token) == 0 && length(aws_ssm_parameter.sidecar_token) == 0 &&
      output.sidecar_token_parameter == null
    )
    error_message = "no sidecar, no token"
  }
}

run "should_reject_a_bad_logstash_secrets_version" {
  command = plan
  variables {
    logstash_secrets_version = 1.5
  }
  expect_failures = [var.logstash_secrets_version]
}
