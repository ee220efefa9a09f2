locals {
  # The Logstash monitoring API: reached by the sidecar on the host, never exposed.
  logstash_api_port = 9600

  sidecar_enabled   = var.sidecar_enabled && var.rendered.sidecar_image != ""
  dashboard_exposed = local.sidecar_enabled && length(var.operator_cidrs) > 0
  dashboard_via_nlb = local.sidecar_enabled && var.expose_dashboard_via_nlb
  # The NLB terminates TLS for the dashboard with the ACM certificate when one is given.
  dashboard_tls = local.dashboard_via_nlb && var.dashboard_certificate_arn != null
  # Plain TCP towards the internet: refused unless allow_plaintext_dashboard (output precondition).
  dashboard_nlb_plain = local.dashboard_via_nlb && !var.nlb_internal && !local.dashboard_tls

  # The sidecar serves two listeners: the full API on sidecar_port (a token is required for
  # everything but the health endpoints) and a health-only one on sidecar_health_port
  # (/api/health and /healthz, everything else 404). Load balancers and the VPC reach only the
  # health-only one; the full port is open to operator_cidrs only.
  # Readiness of a syslog target: the sidecar's verdict on Logstash (on its health-only
  # listener) when it runs, else only whether the port accepts TCP connections.
  sidecar_readiness = { protocol = "HTTP", port = var.sidecar_health_port, path = "/api/health" }

  # Load balancer target groups by key. TCP and UDP syslog share one TCP_UDP group:
  # an NLB rejects separate TCP and UDP listeners on the same port.
  target_groups = merge(
    {
      syslog = {
        port              = var.rendered.syslog_port
        protocol          = "TCP_UDP"
        listener_protocol = "TCP_UDP"
        certificate_arn   = null
        health_check      = local.sidecar_enabled ? local.sidecar_readiness : { protocol = "TCP", port = var.rendered.syslog_port, path = null }
      }
    },
    var.rendered.syslog_tls_enabled ? {
      syslog-tls = {
        port              = var.rendered.syslog_tls_port
        protocol          = "TCP"
        listener_protocol = "TCP" # passed through: Logstash terminates syslog TLS
        certificate_arn   = null
        health_check      = local.sidecar_enabled ? local.sidecar_readiness : { protocol = "TCP", port = var.rendered.syslog_tls_port, path = null }
      }
    } : {},
    # The dashboard must stay reachable while Logstash is unhealthy (that is when
    # operators look at it), so its group checks the sidecar's liveness only, on the
    # health-only listener. The listener is TLS with the ACM certificate when one is given.
    local.dashboard_via_nlb ? {
      dashboard = {
        port              = var.rendered.sidecar_port
        protocol          = "TCP"
        listener_protocol = local.dashboard_tls ? "TLS" : "TCP"
        certificate_arn   = local.dashboard_tls ? var.dashboard_certificate_arn : null
        health_check      = { protocol = "HTTP", port = var.sidecar_health_port, path = "/healthz" }
      }
    } : {},
  )

  health_check_ports = length(var.health_check_cidrs) > 0 ? distinct([for tg in local.target_groups : tg.health_check.port]) : []

  ingress_rules = merge(
    {
      syslog-tcp = { port = var.rendered.syslog_port, protocol = "tcp", cidrs = var.syslog_source_cidrs, description = "Syslog over TCP from the senders" }
      syslog-udp = { port = var.rendered.syslog_port, protocol = "udp", cidrs = var.syslog_source_cidrs, description = "Syslog over UDP from the senders" }
    },
    var.rendered.syslog_tls_enabled ? {
      syslog-tls = { port = var.rendered.syslog_tls_port, protocol = "tcp", cidrs = var.syslog_source_cidrs, description = "Syslog over TLS from the senders" }
    } : {},
    local.dashboard_exposed ? {
      sidecar = { port = var.rendered.sidecar_port, protocol = "tcp", cidrs = var.operator_cidrs, description = "Status sidecar dashboard from the operators" }
    } : {},
    length(var.ssh_cidrs) > 0 ? {
      ssh = { port = 22, protocol = "tcp", cidrs = var.ssh_cidrs, description = "SSH from the operators" }
    } : {},
    { for p in local.health_check_ports : "health-check-${p}" => {
      port        = p
      protocol    = "tcp"
      cidrs       = var.health_check_cidrs
      description = "Load balancer health checks (the sidecar's health-only listener, or syslog TCP)"
    } },
  )

  # Azure Container Instances: one group, these containers, these ports on its IP. A public IP
  # cannot filter sources, so there the sidecar port is published only when the operator says
  # so (publish_sidecar = true); in a VNet (Private) an NSG on the subnet filters it.
  aci_containers        = concat(["logstash"], local.sidecar_enabled ? ["status-sidecar"] : [])
  aci_sidecar_published = local.sidecar_enabled && (!var.aci_public || var.publish_sidecar == true)
  aci_sidecar_undecided = local.sidecar_enabled && var.aci_public && var.publish_sidecar == null
  aci_sidecar_plaintext = local.aci_sidecar_published && var.aci_public && !var.sidecar_tls_enabled
  sidecar_health_in_use = local.sidecar_enabled ? [var.sidecar_health_port] : []
  aci_ports = concat(
    [
      { port = var.rendered.syslog_port, protocol = "TCP" },
      { port = var.rendered.syslog_port, protocol = "UDP" },
    ],
    var.rendered.syslog_tls_enabled ? [{ port = var.rendered.syslog_tls_port, protocol = "TCP" }] : [],
    local.aci_sidecar_published ? [{ port = var.rendered.sidecar_port, protocol = "TCP" }] : [],
  )

  # Where senders connect, by protocol: tcp and udp on syslog_port, tls when TLS is on.
  syslog_listeners = merge(
    { tcp = var.rendered.syslog_port, udp = var.rendered.syslog_port },
    var.rendered.syslog_tls_enabled ? { tls = var.rendered.syslog_tls_port } : {},
  )

  # Syslog over TLS: certificate material comes from logstash_secrets (the secret store), never
  # from environment variables. Names and files are the catalog's SYSLOG_TLS_SECRETS; the
  # directory is where the rendered pipeline's tcp input reads them (render.TLS_CONTAINER_DIR).
  syslog_tls_dir = "/usr/share/logstash/config/tls"
  tls_secret_files_all = {
    SYSLOG_TLS_CERT = "server.crt"
    SYSLOG_TLS_KEY  = "server.key"
    SYSLOG_TLS_CA   = "ca.crt" # mutual TLS only
  }
  tls_secret_files = var.rendered.syslog_tls_enabled ? {
    for name, file in local.tls_secret_files_all : name => file
    if name != "SYSLOG_TLS_CA" || var.rendered.syslog_tls_client_auth
  } : {}
  # keys() of a sensitive map is sensitive; the names are not secret, their values are.
  secret_names        = sort(nonsensitive(keys(var.logstash_secrets)))
  missing_tls_secrets = sort(setsubtract(keys(local.tls_secret_files), local.secret_names))

  # What every host or container group is tagged with.
  labels = {
    "stashkit:output-type" = var.rendered.output_type
    "stashkit:log-profile" = var.rendered.log_profile
    "stashkit:logstash"    = var.rendered.logstash_image
    "stashkit:sidecar"     = local.sidecar_enabled ? var.rendered.sidecar_image : "disabled"
  }

  # Ports that must not collide: each listens on the same host or container group.
  listening_ports = concat(
    [var.rendered.syslog_port, local.logstash_api_port],
    var.rendered.syslog_tls_enabled ? [var.rendered.syslog_tls_port] : [],
    local.sidecar_enabled ? [var.rendered.sidecar_port] : [],
    local.sidecar_health_in_use,
  )
}
