data "aws_partition" "current" {}
data "aws_region" "current" {}

# The latest Amazon Linux 2023 AMI, from AWS's public SSM parameter (unless ami_id pins one).
data "aws_ssm_parameter" "al2023" {
  count = var.ami_id == null ? 1 : 0

  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${var.architecture}"
}

locals {
  region     = data.aws_region.current.region
  ssm_prefix = "/${var.name}/logstash"
  # The sidecar's API token: its own parameter, outside the Logstash secrets' prefix.
  sidecar_token_parameter = "/${var.name}/sidecar/token"
  # keys() of a sensitive map is sensitive; the names are not secret, their values are.
  secret_names = nonsensitive(toset(keys(var.logstash_secrets)))

  # SSM Standard parameters hold 4 KB, and a TLS certificate chain can be longer: such a value
  # goes to an Advanced parameter (8 KB, charged per parameter), the rest stay Standard.
  # base64 of n bytes is 4 * ceil(n / 3) characters: more than 5460 means n >= 4096 (bytes, not
  # characters). Whether a secret is longer than 4 KB is not itself secret.
  secret_tiers = {
    for k in local.secret_names : k => nonsensitive(length(base64encode(var.logstash_secrets[k])) > 5460) ? "Advanced" : "Standard"
  }

  # The container script carries the non-secret environment itself (`stashkit render`).
  object_prefix = "config"
  objects = {
    pipeline = { key = "${local.object_prefix}/pipeline.conf", content = var.pipeline_config, content_type = "text/plain" }
    script   = { key = "${local.object_prefix}/run-containers.sh", content = var.container_script, content_type = "text/x-shellscript" }
  }

  # What the host boots with: a change here changes the user data, so instances are replaced.
  # A new sidecar token (sidecar_token_version) reaches the sidecar only through a new boot.
  config_sha256 = sha256(jsonencode({
    objects               = { for k, o in local.objects : k => sha256(o.content) }
    sidecar_image         = var.sidecar_image
    sidecar_enabled       = var.sidecar_enabled
    sidecar_health_port   = var.sidecar_health_port
    sidecar_token_version = var.sidecar_token_version
  }))

  user_data = templatefile("${path.module}/templates/boot.sh.tftpl", {
    bucket                  = aws_s3_bucket.this.id
    region                  = local.region
    ssm_prefix              = local.ssm_prefix
    config_sha256           = local.config_sha256
    pipeline_key            = local.objects.pipeline.key
    pipeline_sha256         = sha256(local.objects.pipeline.content)
    script_key              = local.objects.script.key
    script_sha256           = sha256(local.objects.script.content)
    sidecar_enabled         = var.sidecar_enabled
    sidecar_token_parameter = local.sidecar_token_parameter
    sidecar_health_port     = var.sidecar_health_port
  })

  ami_id = var.ami_id != null ? var.ami_id : data.aws_ssm_parameter.al2023[0].insecure_value
}

################################################################################
# Configuration bucket: the rendered pipeline and container script
################################################################################

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:Access logs of a bucket holding two Terraform-written files add a second bucket for no reader; CloudTrail data events cover audit when needed.
  #checkov:skip=CKV_AWS_144:Cross-region replication of rendered files that Terraform rewrites on every apply brings nothing; the source of truth is the operator's config.
  #checkov:skip=CKV2_AWS_62:No consumer for event notifications: instances read the files once at boot.
  bucket_prefix = "${var.name}-stashkit-"
  force_destroy = var.bucket_force_destroy

  tags = var.tags
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket = aws_s3_bucket.this.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "expire-superseded-config"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  # Policies are built with jsonencode (not the aws_iam_policy_document data source) so that
  # Terraform itself renders them and the offline plan tests can read every statement.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })

  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_s3_object" "this" {
  for_each = local.objects

  bucket       = aws_s3_bucket.this.id
  key          = each.value.key
  content      = each.value.content
  content_type = each.value.content_type
  kms_key_id   = var.kms_key_arn

  tags = var.tags

  depends_on = [aws_s3_bucket_server_side_encryption_configuration.this, aws_s3_bucket_versioning.this]
}

################################################################################
# Secrets: SSM SecureString parameters /<name>/logstash/<KEY>, written through the write-only
# value_wo: the values reach SSM but never the plan file or the state. SSM is written again
# only when logstash_secrets_version changes (Terraform cannot compare what it does not keep).
################################################################################

resource "aws_ssm_parameter" "this" {
  for_each = local.secret_names

  name             = "${local.ssm_prefix}/${each.key}"
  description      = "stashkit ${var.name}: Logstash secret ${each.key}"
  type             = "SecureString"
  tier             = local.secret_tiers[each.key]
  value_wo         = var.logstash_secrets[each.key]
  value_wo_version = var.logstash_secrets_version
  key_id           = var.kms_key_arn

  tags = var.tags
}

# The status sidecar's API token (everything but /api/health and /healthz needs it). The state
# holds random_password's result (the sidecar_token output reads it); the SSM parameter is
# written through value_wo like the Logstash secrets. A new sidecar_token_version makes a new
# token, writes it and changes the user data, so the hosts boot with it.
resource "random_password" "sidecar_token" {
  count = var.sidecar_enabled ? 1 : 0

  length  = 48
  special = false # [A-Za-z0-9]: safe in a `name:token` line, a Basic password and a header

  keepers = {
    version = var.sidecar_token_version
  }
}

resource "aws_ssm_parameter" "sidecar_token" {
  count = var.sidecar_enabled ? 1 : 0

  name             = local.sidecar_token_parameter
  description      = "stashkit ${var.name}: status sidecar API token"
  type             = "SecureString"
  value_wo         = random_password.sidecar_token[0].result
  value_wo_version = var.sidecar_token_version
  key_id           = var.kms_key_arn

  tags = var.tags
}

################################################################################
# Instance role: read this bucket's config prefix and these parameters, nothing else
################################################################################

locals {
  secret_arns = [for p in aws_ssm_parameter.this : p.arn]

  host_policy = {
    Version = "2012-10-17"
    Statement = concat(
      [{
        Sid      = "ReadRenderedConfig"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${aws_s3_bucket.this.arn}/${local.object_prefix}/*"]
      }],
      length(local.secret_names) > 0 ? [{
        Sid      = "ReadLogstashSecrets"
        Effect   = "Allow"
        Action   = ["ssm:GetParameter", "ssm:GetParameters"]
        Resource = local.secret_arns
      }] : [],
      var.sidecar_enabled ? [{
        Sid      = "ReadSidecarToken"
        Effect   = "Allow"
        Action   = ["ssm:GetParameter"]
        Resource = [for p in aws_ssm_parameter.sidecar_token : p.arn]
      }] : [],
      var.kms_key_arn != null ? [{
        Sid       = "DecryptViaSsmAndS3"
        Effect    = "Allow"
        Action    = ["kms:Decrypt"]
        Resource  = [var.kms_key_arn]
        Condition = { StringEquals = { "kms:ViaService" = ["ssm.${local.region}.amazonaws.com", "s3.${local.region}.amazonaws.com"] } }
      }] : [],
      length(var.ecr_repository_arns) > 0 ? [
        {
          Sid      = "EcrLogin"
          Effect   = "Allow"
          Action   = ["ecr:GetAuthorizationToken"]
          Resource = ["*"] # GetAuthorizationToken has no resource-level permissions
        },
        {
          Sid      = "EcrPull"
          Effect   = "Allow"
          Action   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
          Resource = var.ecr_repository_arns
        },
      ] : [],
    )
  }
}

resource "aws_iam_role" "this" {
  name_prefix = "${var.name}-logstash-"
  description = "stashkit ${var.name}: Logstash host"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "ec2.amazonaws.com" }
    }]
  })

  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  name_prefix = "stashkit-host-"
  role        = aws_iam_role.this.id
  policy      = jsonencode(local.host_policy)
}

resource "aws_iam_role_policy_attachment" "ssm_core" {
  count = var.enable_ssm_session_manager ? 1 : 0

  role       = aws_iam_role.this.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "this" {
  name_prefix = "${var.name}-logstash-"
  role        = aws_iam_role.this.name

  tags = var.tags
}

################################################################################
# Security group: stashkit-decisions' ingress rules, one rule per CIDR block
################################################################################

locals {
  ingress = merge([
    for key, rule in var.ingress_rules : {
      for cidr in rule.cidrs : "${key} ${cidr}" => merge(rule, { cidr = cidr })
    }
  ]...)
}

resource "aws_security_group" "this" {
  #checkov:skip=CKV2_AWS_5:Attached by the calling deployment (aws_instance or launch template) through the security_group_id output.
  name_prefix = "${var.name}-logstash-"
  description = "stashkit ${var.name}: Logstash host (syslog in, sidecar and SSH only from named CIDRs)"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-logstash" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "this" {
  for_each = local.ingress

  security_group_id = aws_security_group.this.id
  description       = each.value.description
  ip_protocol       = each.value.protocol
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = strcontains(each.value.cidr, ":") ? null : each.value.cidr
  cidr_ipv6         = strcontains(each.value.cidr, ":") ? each.value.cidr : null

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "this" {
  for_each = toset(var.egress_cidrs)

  security_group_id = aws_security_group.this.id
  description       = "Outbound: packages, S3, SSM, image registry, log destination"
  ip_protocol       = "-1"
  cidr_ipv4         = strcontains(each.value, ":") ? null : each.value
  cidr_ipv6         = strcontains(each.value, ":") ? each.value : null

  tags = var.tags
}
