output "arn" {
  description = "ARN of the load balancer."
  value       = try(aws_lb.this.arn, null)
}

output "dns_name" {
  description = "DNS name of the load balancer: point the syslog senders at it."
  value       = try(aws_lb.this.dns_name, null)
}

output "zone_id" {
  description = "Route 53 zone id of the load balancer (for an alias record)."
  value       = try(aws_lb.this.zone_id, null)
}

output "target_group_arns" {
  description = "Target group ARNs by key (syslog, syslog-tls, dashboard): register the instances in all of them."
  value       = { for k, tg in aws_lb_target_group.this : k => tg.arn }
}

output "listener_arns" {
  description = "Listener ARNs by target group key."
  value       = { for k, l in aws_lb_listener.this : k => l.arn }
}
