# zabbix-build-net-stats-json: host, key and one JSON value of interface metrics (bytes).
require "json"
units = { "" => 1, "K" => 1024, "M" => 1024**2, "G" => 1024**3, "T" => 1024**4 }
number = lambda do |raw|
  m = raw.to_s.strip.match(/\A(\d+(?:\.\d+)?)\s*([KMGTkmgt]?)[bB]?\z/)
  m ? (m[1].to_f * units[m[2].upcase]).round : nil
end
value = {}
%w[total_rx_rate total_tx_rate total_rx_tx_rate total_rx_cum total_tx_cum total_rx_tx_cum].each do |f|
  value[f] = number.call(event.get("[@metadata][raw_#{f}]"))
end
%w[conntrack_count conntrack_allowance_available conntrack_usage_rate conntrack_limit_exceeded
   bw_in_limit_exceeded bw_out_limit_exceeded pps_limit_exceeded linklocal_limit_exceeded].each do |f|
  value[f] = event.get(f).to_f unless event.get(f).nil?
end
event.set("[@metadata][zabbix_host]", "#{ENV.fetch("ZABBIX_HOST_PREFIX", "")}#{event.get("gateway")}")
event.set("[@metadata][zabbix_key]", "aviatrix.net_stats.raw[#{event.get("interface")}]")
event.set("[@metadata][zabbix_value]", value.reject { |_, v| v.nil? }.to_json)
