# One log group for the functions and the gateway, with a retention of its own.
resource "yandex_logging_group" "main" {
  name             = "${var.name_prefix}-logs"
  retention_period = var.log_retention
}
