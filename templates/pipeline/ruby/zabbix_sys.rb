# zabbix-build-sys-stats-json: host, key and one JSON value of derived system metrics.
require "json"
total, avail = event.get("memory_total").to_f, event.get("memory_available").to_f
disk_total, disk_free = event.get("disk_total").to_f, event.get("disk_free").to_f
idle = event.get("cpu_idle").to_f
value = {
  "cpu_idle" => idle,
  "cpu_usage" => (event.get("cpu_busy") || (100 - idle).round(1)),
  "memory_total_bytes" => (total * 1024).to_i,
  "memory_available_bytes" => (avail * 1024).to_i,
  "memory_used_percent" => total > 0 ? ((total - avail) * 100 / total).round(2) : nil,
  "disk_total_bytes" => (disk_total * 1024).to_i,
  "disk_free_bytes" => (disk_free * 1024).to_i,
  "disk_used_percent" => disk_total > 0 ? ((disk_total - disk_free) * 100 / disk_total).round(2) : nil,
}
(event.get("cpu_cores_parsed") || []).each do |core|
  next unless core.is_a?(Hash) && core.key?("name") && core["name"].to_i >= 0
  busy = core["busy_avg"] || core["busy_max"]
  next if busy.nil?
  value["cpu_core_#{core["name"]}_usage"] = busy
  value["cpu_core_#{core["name"]}_idle"] = 100 - busy
end
event.set("[@metadata][zabbix_host]", "#{ENV.fetch("ZABBIX_HOST_PREFIX", "")}#{event.get("gateway")}")
event.set("[@metadata][zabbix_key]", "aviatrix.sys_stats.raw")
event.set("[@metadata][zabbix_value]", value.reject { |_, v| v.nil? }.to_json)
