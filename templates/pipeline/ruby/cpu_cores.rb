# cpu-cores-parse: cpu_cores=[name:N busy:{... min:a max:b avg:c} ...] -> per-core busy values.
# Pairing: when the list starts with a name, each busy takes the name before it; otherwise each
# busy takes the name right after it (a busy may have none). name:-1 is the all-CPU aggregate.
raw = event.get("cpu_cores").to_s
items = raw.scan(/name:(-?\d+)|busy:\{((?:[^{}]|\{[^{}]*\})*)\}/).map do |name, busy|
  next [:name, name.to_i] if busy.nil?
  stats = {}
  %w[min max avg].each do |k|
    v = busy[/(?:\A|\s)#{k}:(-?\d+)/, 1]
    stats["busy_#{k}"] = v.to_i unless v.nil?
  end
  [:busy, stats]
end
name_first = !items.empty? && items.first[0] == :name
cores = []
open = nil
items.each do |kind, value|
  if name_first && kind == :name
    open = { "name" => value }
    cores << open
  elsif name_first
    (open || (cores << {}).last).merge!(value)
    open = nil
  elsif kind == :busy
    open = value.dup
    cores << open
  elsif open
    open["name"] = value
    open = nil
  else
    cores << { "name" => value }
  end
end
event.set("cpu_cores_parsed", cores)
agg = cores.find { |c| c["name"] == -1 }
if agg
  %w[min max avg].each do |k|
    event.set("cpu_aggregate_busy_#{k}", agg["busy_#{k}"]) if agg.key?("busy_#{k}")
  end
end
busy = agg && (agg["busy_avg"] || agg["busy_max"])
busy ||= (100 - event.get("cpu_idle").to_f).round(1) unless event.get("cpu_idle").nil?
event.set("cpu_busy", busy) unless busy.nil?
event.set("cpu_core_count", cores.count { |c| c.key?("name") && c["name"] != -1 })
