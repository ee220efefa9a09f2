# suricata-process: the Splunk HEC event for an IDS alert, optionally flattened
# (FLATTEN_SURICATA=true: scalars of nested objects become <object>_<key> fields).
require "json"
require "time"
data = event.get("suricataDataJson")
if data.is_a?(Hash)
  data = data.reject { |k, _| %w[files payload payload_printable packet tx_guessed].include?(k) }
  data["alert"] = data["alert"].reject { |k, _| k == "policy_id" } if data["alert"].is_a?(Hash)
  if data["tls"].is_a?(Hash)
    data["tls"] = data["tls"].reject { |k, _| %w[certificate chain].include?(k) }
  end
  if ENV.fetch("FLATTEN_SURICATA", "false") == "true"
    flat = {}
    data.each do |key, value|
      if value.is_a?(Hash)
        value.each do |k, v|
          v = v.first if v.is_a?(Array)
          if key == "alert" && !v.is_a?(Hash)
            flat[k] = v
          elsif key == "alert" && k == "metadata"
            v.each { |mk, mv| flat["meta_#{mk}"] = mv.is_a?(Array) ? mv.first : mv unless %w[created_at updated_at].include?(mk) }
          elsif !v.is_a?(Hash)
            flat["#{key == "fileinfo" ? "file" : key}_#{k}".sub(/\Ahttp_http_/, "http_")] = v
          end
        end
      elsif !value.is_a?(Array)
        flat[key] = value
      end
    end
    data = flat
  end
  time = begin
    Time.parse(event.get("[suricataDataJson][timestamp]").to_s).to_i
  rescue ArgumentError
    Time.now.to_i
  end
  payload = { "sourcetype" => "aviatrix:ids", "source" => "avx-ids",
              "host" => event.get("gw_hostname"), "time" => time, "event" => data }
  event.set("[@metadata][suricata_hec_payload]", payload.reject { |_, v| v.nil? }.to_json)
end
