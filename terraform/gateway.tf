# The public HTTPS entry: POST /vk/callback to vk-callback, /api/* to ticket-api (CORS preflights
# included). The spec is generated from openapi/ticket-api.json by `npm run openapi`; this only
# fills in the ids.
resource "yandex_api_gateway" "main" {
  name        = "${var.name_prefix}-gateway"
  description = "VK callback and the mini app's API"
  spec = templatefile("${path.module}/templates/api-gateway.json.tftpl", merge(
    { gateway_service_account_id = yandex_iam_service_account.gateway.id },
    { for name, function in yandex_function.app : "${replace(name, "-", "_")}_function_id" => function.id },
  ))

  log_options {
    log_group_id = yandex_logging_group.main.id
    min_level    = var.log_min_level
  }
}
