# cpu-cores-parse: cpu_cores=[name:N busy:{... min:a max:b avg:c} ...] -> per-core busy values.
# The list is protobuf text of repeated {name, busy} entries, each printed `name:N busy:{...}`;
# proto3 omits a zero field, so core 0 prints as a bare `busy:{...}`. Hence each busy belongs to
# the name right before it, and a busy with no name before it is core 0. name:-1 is the all-CPU
# aggregate. (The original paired a list that starts with a busy the other way round, which puts
# the aggregate outside the range of its own cores on real gateway samples.)
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
cores = []
pending = nil
items.each do |kind, value|
  if kind == :name
    cores << { "name" => pending } unless pending.nil?
    pending = value
  else
    cores << { "name" => pending || 0 }.merge(value)
    pending = nil
  end
end
cores << { "name" => pending } unless pending.nil?
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
event.set("cpu_core_count", cores.count { |c| c["name"] != -1 })
