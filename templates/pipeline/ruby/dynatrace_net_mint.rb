# dynatrace-build-net-stats-mint: Dynatrace MINT lines for interface stats in
# [@metadata][dt_mint], from the raw strings (number x unit, K=1024 ... T=1024^4).
ts = (event.get("@timestamp").to_f * 1000).to_i
quote = ->(v) { "\"" + v.to_s.gsub(/["\\]/) { |c| "\\" + c } + "\"" }
units = { "" => 1, "K" => 1024, "M" => 1024**2, "G" => 1024**3, "T" => 1024**4 }
number = lambda do |raw|
  m = raw.to_s.strip.match(/\A(\d+(?:\.\d+)?)\s*([KMGTkmgt]?)[bB]?\z/)
  m ? (m[1].to_f * units[m[2].upcase]).round : nil
end
base = { "gateway" => event.get("gateway"), "alias" => event.get("alias"),
         "interface" => event.get("interface"), "public_ip" => event.get("public_ip"),
         "private_ip" => event.get("private_ip"),
         "source" => ENV.fetch("DT_METRIC_SOURCE", "aviatrix") }
dims = base.reject { |_, v| v.nil? || v.to_s.empty? }.map { |k, v| "#{k}=#{quote.call(v)}" }.join(",")
lines = []
{ "bytes_rx" => "total_rx_rate", "bytes_tx" => "total_tx_rate",
  "bytes_total_rate" => "total_rx_tx_rate", "rx_cumulative" => "total_rx_cum",
  "tx_cumulative" => "total_tx_cum", "rx_tx_cumulative" => "total_rx_tx_cum" }.each do |key, field|
  value = number.call(event.get("[@metadata][raw_#{field}]"))
  lines << "aviatrix.gateway.net.#{key},#{dims} gauge,#{value} #{ts}" unless value.nil?
end
{ "conntrack.count" => "conntrack_count", "conntrack.avail" => "conntrack_allowance_available",
  "conntrack.usage" => "conntrack_usage_rate" }.each do |key, field|
  value = event.get(field)
  lines << "aviatrix.gateway.net.#{key},#{dims} gauge,#{value} #{ts}" unless value.nil?
end
%w[conntrack bw_in bw_out pps linklocal].each do |limit|
  value = event.get("#{limit}_limit_exceeded")
  lines << "aviatrix.gateway.net.#{limit}_limit_exceeded,#{dims} count,delta=#{value} #{ts}" unless value.nil?
end
event.set("[@metadata][dt_mint]", lines.join("\n"))
