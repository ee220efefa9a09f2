# dynatrace-build-<type>-log: one Dynatrace log record (a JSON array of one object) in
# [@metadata][dt_log]; scalar fields become aviatrix.<field> attributes.
require "json"
kinds = { "microseg" => "DCFPolicyEvent", "mitm" => "WebInspection", "suricata" => "IDSAlert",
          "fqdn" => "FQDNFilter", "cmd" => "ControllerAudit", "tunnel_status" => "TunnelStatus",
          "vpn_session" => "VPNSession" }
log_type = event.get("[@metadata][log_type]").to_s
action = (event.get("action") || event.get("[suricataDataJson][alert][action]")).to_s.downcase
notable = %w[deny drop blocked].include?(action) ||
       (log_type == "fqdn" && !event.get("drop").nil?) ||
       (log_type == "tunnel_status" && event.get("new_state") == "Down")
record = {
  "timestamp" => (event.get("@timestamp").to_f * 1000).to_i,
  "severity" => notable ? "WARN" : "INFO",
  "content" => event.get("message").to_s,
  "log.source" => ENV.fetch("DT_LOG_SOURCE", "aviatrix"),
  "aviatrix.event.type" => kinds.fetch(log_type, log_type),
}
event.to_hash.each do |key, value|
  next if key.start_with?("@") || %w[message tags type host event suricataData].include?(key)
  next if value.is_a?(Hash) || value.is_a?(Array)
  record["aviatrix.#{key}"] = value
end
event.set("[@metadata][dt_log]", [record].to_json)
