# <type>-asim-mapping: ASIM network/web session fields from the parsed ones (suricata reads its
# JSON). DvcAction: permit/allow(ed) -> Allow, deny/drop -> Deny, blocked -> Drop.
ids = event.get("suricataDataJson").is_a?(Hash)
get = ->(plain, json) { ids ? event.get("[suricataDataJson][#{json}]") : event.get(plain) }
{ "SrcIpAddr" => ["src_ip", "src_ip"], "DstIpAddr" => ["dst_ip", "dest_ip"],
  "SrcPortNumber" => ["src_port", "src_port"], "DstPortNumber" => ["dst_port", "dest_port"],
  "NetworkProtocol" => ["proto", "proto"] }.each do |target, (plain, json)|
  value = get.call(plain, json)
  event.set(target, value) unless value.nil?
end
action = (ids ? event.get("[suricataDataJson][alert][action]") : event.get("action")).to_s.downcase
dvc = { "permit" => "Allow", "allow" => "Allow", "allowed" => "Allow", "deny" => "Deny",
        "drop" => "Deny", "blocked" => "Drop" }[action]
unless dvc.nil?
  event.set("DvcAction", dvc)
  event.set("EventResult", dvc == "Allow" ? "Success" : "Failure")
end
severity = event.get("[suricataDataJson][alert][severity]")
event.set("EventSeverity", { 1 => "High", 2 => "Medium", 3 => "Low" }.fetch(severity.to_i, "Informational"))
dur = event.get("session_dur")
event.set("NetworkDuration", (dur.to_f / 1_000_000).round) unless dur.nil?
