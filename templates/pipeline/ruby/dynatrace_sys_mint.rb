# dynatrace-build-sys-stats-mint: Dynatrace MINT lines for gateway system stats in
# [@metadata][dt_mint]. Memory and disk arrive in kB and are sent in bytes.
ts = (event.get("@timestamp").to_f * 1000).to_i
quote = ->(v) { "\"" + v.to_s.gsub(/["\\]/) { |c| "\\" + c } + "\"" }
base = { "gateway" => event.get("gateway"), "alias" => event.get("alias"),
         "source" => ENV.fetch("DT_METRIC_SOURCE", "aviatrix") }
dims = base.reject { |_, v| v.nil? || v.to_s.empty? }.map { |k, v| "#{k}=#{quote.call(v)}" }.join(",")
lines = []
gauge = lambda do |key, value, extra = ""|
  lines << "aviatrix.gateway.#{key},#{dims}#{extra} gauge,#{value} #{ts}" unless value.nil?
end
kib = ->(name) { event.get(name).nil? ? nil : event.get(name).to_i * 1024 }
idle = event.get("cpu_idle")
gauge.call("cpu.idle", idle)
gauge.call("cpu.usage", event.get("cpu_busy") || (idle.nil? ? nil : (100 - idle.to_f).round(1)))
(event.get("cpu_cores_parsed") || []).each do |core|
  next unless core.is_a?(Hash) && core.key?("name") && core["name"].to_i >= 0
  busy = core["busy_avg"] || core["busy_max"]
  gauge.call("cpu.usage", busy, ",core=#{quote.call(core["name"])}") unless busy.nil?
end
total, avail, free = kib.call("memory_total"), kib.call("memory_available"), kib.call("memory_free")
gauge.call("memory.total", total)
gauge.call("memory.avail", avail)
gauge.call("memory.free", free)
if total && avail && total > 0
  gauge.call("memory.used", total - avail)
  gauge.call("memory.usage", ((total - avail) * 100.0 / total).round(2))
end
disk_total, disk_free = kib.call("disk_total"), kib.call("disk_free")
gauge.call("disk.total", disk_total)
gauge.call("disk.avail", disk_free)
if disk_total && disk_free && disk_total > 0
  gauge.call("disk.used", disk_total - disk_free)
  gauge.call("disk.used.percent", ((disk_total - disk_free) * 100.0 / disk_total).round(2))
end
event.set("[@metadata][dt_mint]", lines.join("\n"))
