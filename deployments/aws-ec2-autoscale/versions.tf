terraform {
  # 1.11: write-only arguments (the SSM parameters' value_wo keeps secrets out of the state).
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = merge({ "stashkit:deployment" = var.name }, var.tags)
  }
}
