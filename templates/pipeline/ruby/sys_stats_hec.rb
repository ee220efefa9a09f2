# sys-stats-hec-payload: the Splunk HEC event for gateway system stats (also used by webhooks).
require "json"
fields = %w[gateway alias cpu_idle memory_free memory_available memory_total disk_total disk_free
            cpu_busy cpu_core_count cpu_aggregate_busy_min cpu_aggregate_busy_max
            cpu_aggregate_busy_avg cpu_cores_parsed]
body = {}
fields.each { |f| body[f] = event.get(f) unless event.get(f).nil? }
body["syslog"] = event.get("message")
body["cpu_cores_raw"] = event.get("cpu_cores") unless event.get("cpu_cores").nil?
payload = { "sourcetype" => "aviatrix:gateway:system", "source" => "avx-gw-sys-stats",
            "host" => event.get("gateway"), "time" => event.get("@timestamp").to_i, "event" => body }
event.set("[@metadata][sys_stats_hec_payload]", payload.reject { |_, v| v.nil? }.to_json)
