# gw_net_stats-rate-conversion: "186.97Kb" -> 191457 (number x unit, K=1024 ... T=1024^4, the
# unit letter in either case, a trailing b/B ignored, no unit = 1), rounded to whole bytes/s; a
# value that is not number[unit] is left as it was.
units = { "" => 1, "K" => 1024, "M" => 1024**2, "G" => 1024**3, "T" => 1024**4 }
%w[total_rx_rate total_tx_rate total_rx_tx_rate].each do |name|
  value = event.get(name)
  next unless value.is_a?(String)
  m = value.strip.match(/\A(\d+(?:\.\d+)?)\s*([KMGTkmgt]?)[bB]?\z/)
  event.set(name, (m[1].to_f * units[m[2].upcase]).round) if m
end
