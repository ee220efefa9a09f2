locals {
  pipeline_dir  = "/usr/share/logstash/pipeline"
  pipeline_file = "logstash.conf"
  log_dir       = "/var/log/logstash"
  log_volume    = "logstash-logs"
  api_url       = "http://localhost:9600" # the Logstash API: polled inside the group, never exposed
  # The logstash container listens on every exposed port but the published sidecar port.
  logstash_ports = [for p in var.exposed_ports : p if !(var.sidecar_published && p.port == var.sidecar_port)]

  # Syslog over TLS: the certificate, key (and client CA) are files in a secret volume where the
  # pipeline's tcp input reads them, never environment variables. Names are not secret.
  secret_names = sort(nonsensitive(keys(var.logstash_secrets)))
  secure_environment = {
    for name, value in var.logstash_secrets : name => value if !contains(var.tls_secret_names, name)
  }

  # The status sidecar reads its files from a secret volume at /run/stashkit (never from
  # environment variables): its API token, the Logstash secrets as a KEY=VALUE env file (the
  # values it redacts from every answer) and, when given, its TLS certificate and key.
  sidecar_dir         = "/run/stashkit"
  sidecar_tls         = nonsensitive(var.sidecar_tls_cert != null && var.sidecar_tls_key != null)
  sidecar_scheme      = local.sidecar_tls ? "https" : "http"
  env_secret_names    = [for name in local.secret_names : name if !contains(var.tls_secret_names, name)]
  sidecar_secrets_env = join("", [for name in local.env_secret_names : "${name}=${var.logstash_secrets[name]}\n"])
  sidecar_environment = merge(
    var.sidecar_environment,
    {
      LOGSTASH_API_URL  = local.api_url
      LOGSTASH_LOG_PATH = "${local.log_dir}/logstash-plain.log"
      PORT              = tostring(var.sidecar_port)
      HEALTH_PORT       = tostring(var.sidecar_health_port)
      AUTH_TOKEN_FILE   = "${local.sidecar_dir}/token"
    },
    length(local.env_secret_names) > 0 ? { SECRETS_ENV_FILE = "${local.sidecar_dir}/secrets.env" } : {},
    local.sidecar_tls ? {
      TLS_CERT_FILE = "${local.sidecar_dir}/tls.crt"
      TLS_KEY_FILE  = "${local.sidecar_dir}/tls.key"
    } : {},
  )
}

# The sidecar's API token (output sidecar_token). The state holds it (random_password's result
# and the container group's secret volume): keep the state in an encrypted backend.
resource "random_password" "sidecar_token" {
  count = var.sidecar_enabled ? 1 : 0

  length  = 48
  special = false # [A-Za-z0-9]: safe in a `name:token` line, a Basic password and a header

  keepers = {
    version = var.sidecar_token_version
  }
}

################################################################################
# The rendered pipeline on an Azure Files share, mounted read-only into Logstash.
# Logstash reloads it when Terraform replaces the file (--config.reload.automatic).
################################################################################

resource "random_string" "storage_suffix" {
  length  = 8
  upper   = false
  special = false
}

resource "azurerm_storage_account" "this" {
  #checkov:skip=CKV_AZURE_33:Queue service unused: the account only holds the pipeline file share.
  #checkov:skip=CKV_AZURE_59:ACI mounts Azure Files over the public endpoint with the account key; a private endpoint needs the VNet (ip_address_type = Private) this module does not create.
  #checkov:skip=CKV_AZURE_206:The share holds one rendered file that Terraform rewrites on every apply; geo-replication adds nothing (storage_replication_type sets it).
  #checkov:skip=CKV2_AZURE_1:A customer managed key for one non-secret pipeline file is not worth a Key Vault; Microsoft managed keys encrypt it at rest.
  #checkov:skip=CKV2_AZURE_33:No private endpoint: ACI mounts the share over the public endpoint (see CKV_AZURE_59).
  #checkov:skip=CKV2_AZURE_40:ACI can mount Azure Files only with the storage account key.
  #checkov:skip=CKV2_AZURE_41:No SAS tokens are issued; ACI uses the account key.
  #checkov:skip=CKV2_AZURE_38:Soft delete of a Terraform-written file brings nothing: Terraform rewrites it.
  name                            = "${substr(replace(var.name, "-", ""), 0, 14)}st${random_string.storage_suffix.result}"
  resource_group_name             = var.resource_group_name
  location                        = var.location
  account_tier                    = "Standard"
  account_replication_type        = var.storage_replication_type
  https_traffic_only_enabled      = true
  min_tls_version                 = "TLS1_2"
  allow_nested_items_to_be_public = false
  shared_access_key_enabled       = true
  local_user_enabled              = false

  tags = var.tags
}

resource "azurerm_storage_share" "this" {
  name               = "logstash-pipeline"
  storage_account_id = azurerm_storage_account.this.id
  quota              = 1
}

# azurerm uploads share files from a local path: write the rendered pipeline next to the root
# module (git-ignored .rendered/ in a deployment), then upload it.
resource "local_file" "pipeline" {
  filename        = "${path.root}/.rendered/terraform/${local.pipeline_file}"
  content         = var.pipeline_config
  file_permission = "0644"
}

resource "azurerm_storage_share_file" "pipeline" {
  name              = local.pipeline_file
  storage_share_url = azurerm_storage_share.this.url
  source            = local_file.pipeline.filename
  content_md5       = md5(var.pipeline_config) # a new pipeline uploads a new file
  content_type      = "text/plain"
}

################################################################################
# The container group: logstash (+ status-sidecar), sharing localhost and the log volume
################################################################################

resource "azurerm_container_group" "this" {
  #checkov:skip=CKV_AZURE_98:The default ip_address_type = Private (with subnet_ids) runs the group in a VNet; Public is an explicit choice for senders outside Azure, and then the sidecar is published only with publish_sidecar.
  #checkov:skip=CKV_AZURE_245:Same as CKV_AZURE_98: Private (the default) with subnet_ids puts the group in a VNet; Public must be chosen explicitly.
  #checkov:skip=CKV_AZURE_235:environment_variables hold only non-secret settings (API URL, log profile, ports, file paths, logstash_environment); every secret goes to secure_environment_variables or a secret volume (syslog TLS material, the sidecar token, secrets file and TLS key).
  name                = "${var.name}-logstash"
  resource_group_name = var.resource_group_name
  location            = var.location
  os_type             = "Linux"
  restart_policy      = "Always"
  ip_address_type     = var.ip_address_type
  subnet_ids          = var.ip_address_type == "Private" ? var.subnet_ids : null
  dns_name_label      = var.ip_address_type == "Public" ? var.dns_name_label : null
  exposed_port        = [for p in var.exposed_ports : { port = p.port, protocol = p.protocol }]

  # Lets the Logstash output authenticate as the group (e.g. the Log Ingestion API with a role
  # on the data collection rule) instead of a client secret.
  identity {
    type = "SystemAssigned"
  }

  dynamic "image_registry_credential" {
    for_each = var.image_registry_server != null ? [var.image_registry_server] : []

    content {
      server   = image_registry_credential.value
      username = var.image_registry_username
      password = var.image_registry_password
    }
  }

  container {
    name   = "logstash"
    image  = var.logstash_image
    cpu    = var.logstash_cpu
    memory = var.logstash_memory
    commands = [
      "/usr/local/bin/docker-entrypoint",
      "--path.config", "${local.pipeline_dir}/${local.pipeline_file}",
      "--path.logs", local.log_dir,
      "--config.reload.automatic",
    ]
    # LOG_STYLE=file: the official image logs to the console only unless told so; the
    # sidecar reads logstash-plain.log under --path.logs.
    environment_variables        = merge({ LOG_STYLE = "file" }, var.logstash_environment)
    secure_environment_variables = local.secure_environment

    dynamic "ports" {
      for_each = local.logstash_ports

      content {
        port     = ports.value.port
        protocol = ports.value.protocol
      }
    }

    volume {
      name       = local.log_volume
      mount_path = local.log_dir
      empty_dir  = true
    }

    volume {
      name                 = "logstash-pipeline"
      mount_path           = local.pipeline_dir
      read_only            = true
      share_name           = azurerm_storage_share.this.name
      storage_account_name = azurerm_storage_account.this.name
      storage_account_key  = azurerm_storage_account.this.primary_access_key
    }

    # server.crt, server.key (and ca.crt with client auth), base64-encoded as ACI wants them.
    dynamic "volume" {
      for_each = length(var.tls_secret_files) > 0 ? ["syslog-tls"] : []

      content {
        name       = volume.value
        mount_path = var.tls_dir
        read_only  = true
        secret = {
          for name, file in var.tls_secret_files : file => base64encode(lookup(var.logstash_secrets, name, ""))
        }
      }
    }

    # Logstash's own liveness: its API answers (the sidecar's probes cannot restart Logstash).
    liveness_probe {
      exec                  = ["curl", "-sf", "${local.api_url}/"]
      initial_delay_seconds = 180
      period_seconds        = 30
      timeout_seconds       = 10
      failure_threshold     = 5
    }
  }

  dynamic "container" {
    for_each = var.sidecar_enabled ? ["status-sidecar"] : []

    content {
      name                  = container.value
      image                 = var.sidecar_image
      cpu                   = var.sidecar_cpu
      memory                = var.sidecar_memory
      environment_variables = local.sidecar_environment

      # The full API only where it is published (a Public group: publish_sidecar = true).
      dynamic "ports" {
        for_each = var.sidecar_published ? [var.sidecar_port] : []

        content {
          port     = ports.value
          protocol = "TCP"
        }
      }

      volume {
        name       = local.log_volume
        mount_path = local.log_dir
        read_only  = true
        empty_dir  = true
      }

      # token, secrets.env (the Logstash secrets, for redaction) and tls.crt/tls.key when given.
      volume {
        name       = "sidecar-secrets"
        mount_path = local.sidecar_dir
        read_only  = true
        secret = merge(
          { token = base64encode("${random_password.sidecar_token[0].result}\n") },
          length(local.env_secret_names) > 0 ? { "secrets.env" = base64encode(local.sidecar_secrets_env) } : {},
          local.sidecar_tls ? {
            "tls.crt" = base64encode(var.sidecar_tls_cert)
            "tls.key" = base64encode(var.sidecar_tls_key)
          } : {},
        )
      }

      # Readiness is Logstash's health as the sidecar judges it; liveness is the sidecar's own
      # (a liveness probe on /api/health would restart the sidecar, which cures nothing). Both
      # on the health-only listener, inside the group (it is never published).
      readiness_probe {
        http_get {
          path   = "/api/health"
          port   = var.sidecar_health_port
          scheme = local.sidecar_scheme
        }
        initial_delay_seconds = 10
        period_seconds        = 10
        failure_threshold     = 3
      }

      liveness_probe {
        http_get {
          path   = "/healthz"
          port   = var.sidecar_health_port
          scheme = local.sidecar_scheme
        }
        initial_delay_seconds = 10
        period_seconds        = 20
        failure_threshold     = 3
      }
    }
  }

  tags = var.tags

  depends_on = [azurerm_storage_share_file.pipeline]
}
