module "decisions" {
  source = "../../modules/stashkit-decisions"

  rendered                  = var.stashkit
  name                      = var.name
  sidecar_token_version     = var.sidecar_token_version
  logstash_secrets          = var.logstash_secrets
  sidecar_enabled           = var.sidecar_enabled
  sidecar_health_port       = var.sidecar_health_port
  syslog_source_cidrs       = var.syslog_source_cidrs
  operator_cidrs            = var.operator_cidrs
  allow_world_cidrs         = var.allow_world_cidrs
  aci_public                = var.ip_address_type == "Public"
  publish_sidecar           = var.publish_sidecar
  sidecar_tls_enabled       = nonsensitive(var.sidecar_tls_cert != null && var.sidecar_tls_key != null)
  allow_plaintext_dashboard = var.allow_plaintext_dashboard
}

locals {
  tags = merge({ "stashkit:deployment" = var.name }, var.tags)
}

resource "azurerm_resource_group" "this" {
  name     = coalesce(var.resource_group_name, "${var.name}-rg")
  location = var.location
  tags     = local.tags
}

module "container_group" {
  source = "../../modules/azure-container-group"

  name                     = module.decisions.name
  resource_group_name      = azurerm_resource_group.this.name
  location                 = azurerm_resource_group.this.location
  ip_address_type          = var.ip_address_type
  subnet_ids               = var.subnet_ids
  dns_name_label           = var.dns_name_label
  exposed_ports            = module.decisions.aci_ports
  pipeline_config          = module.decisions.rendered.pipeline_config
  storage_replication_type = var.storage_replication_type
  tags                     = local.tags

  logstash_image       = module.decisions.rendered.logstash_image
  logstash_cpu         = var.logstash_cpu
  logstash_memory      = var.logstash_memory
  logstash_environment = module.decisions.rendered.logstash_environment
  logstash_secrets     = module.decisions.logstash_secrets
  tls_secret_names     = module.decisions.tls_secret_names
  tls_secret_files     = module.decisions.tls_secret_files
  tls_dir              = module.decisions.tls_dir

  sidecar_enabled     = module.decisions.sidecar_enabled
  sidecar_image       = module.decisions.rendered.sidecar_image
  sidecar_port        = module.decisions.rendered.sidecar_port
  sidecar_health_port = module.decisions.sidecar_health_port
  sidecar_published   = module.decisions.aci_sidecar_published
  sidecar_cpu         = var.sidecar_cpu
  sidecar_memory      = var.sidecar_memory
  sidecar_environment = merge(var.sidecar_environment, {
    LOG_PROFILE       = module.decisions.rendered.log_profile
    DESTINATION_LABEL = module.decisions.rendered.output_type
  })
  sidecar_tls_cert      = var.sidecar_tls_cert
  sidecar_tls_key       = var.sidecar_tls_key
  sidecar_token_version = module.decisions.sidecar_token_version

  image_registry_server   = var.image_registry_server
  image_registry_username = var.image_registry_username
  image_registry_password = var.image_registry_password
}

# Where these resources lived before modules/azure-container-group held them: an existing
# deployment keeps its container group, storage account and sidecar token.
moved {
  from = random_password.sidecar_token
  to   = module.container_group.random_password.sidecar_token
}

moved {
  from = random_string.storage_suffix
  to   = module.container_group.random_string.storage_suffix
}

moved {
  from = azurerm_storage_account.this
  to   = module.container_group.azurerm_storage_account.this
}

moved {
  from = azurerm_storage_share.this
  to   = module.container_group.azurerm_storage_share.this
}

moved {
  from = local_file.pipeline
  to   = module.container_group.local_file.pipeline
}

moved {
  from = azurerm_storage_share_file.pipeline
  to   = module.container_group.azurerm_storage_share_file.pipeline
}

moved {
  from = azurerm_container_group.this
  to   = module.container_group.azurerm_container_group.this
}
