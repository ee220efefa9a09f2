# microseg-session-enrichment: session_event 0/1 and session_end_reason as words.
reasons = { "0" => "active", "1" => "tcp-fin", "2" => "tcp-rst", "3" => "timeout",
            "4" => "tcp-rst-from-client", "5" => "tcp-rst-from-server" }
event.set("session_event_type", event.get("session_event").to_s == "0" ? "Start" : "End")
reason = event.get("session_end_reason")
event.set("session_end_reason_text", reasons.fetch(reason.to_s, "unknown")) unless reason.nil?
