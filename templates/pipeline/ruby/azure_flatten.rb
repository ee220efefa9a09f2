# suricata-azure-flatten: scalars of the IDS JSON become top-level fields (nested objects one
# level deep as <object>_<key>); arrays keep their first scalar.
data = event.get("suricataDataJson")
if data.is_a?(Hash)
  data.each do |key, value|
    value = value.first if value.is_a?(Array)
    if value.is_a?(Hash)
      value.each do |k, v|
        v = v.first if v.is_a?(Array)
        event.set("ids_#{key}_#{k}", v) unless v.is_a?(Hash) || v.is_a?(Array)
      end
    else
      event.set("ids_#{key}", value) unless value.is_a?(Array)
    end
  end
end
