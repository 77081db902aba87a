output "callback_url" {
  description = "Paste into VK (or run npm run vk:callback): the community's Callback API server URL."
  value       = "https://${yandex_api_gateway.main.domain}/vk/callback"
}

output "api_base_url" {
  description = "The mini app's API base URL."
  value       = "https://${yandex_api_gateway.main.domain}/api"
}

output "app_secret_id" {
  description = "Lockbox secret to put the VK tokens and keys in (README, \"Deploy\")."
  value       = yandex_lockbox_secret.app.id
}

output "queue_manager_key_secret_id" {
  description = "Lockbox secret holding the queue manager's key (YC_MESSAGE_QUEUE_ACCESS_KEY / _SECRET_KEY)."
  value       = yandex_lockbox_secret.queue_manager_key.id
}

output "ydb_connection_string" {
  description = "YDB_CONNECTION_STRING for npm run db:migrate, doctor, notify:plan and notify:report."
  value       = yandex_ydb_database_serverless.main.ydb_full_endpoint
}

output "queue_urls" {
  description = "Queue and dead-letter queue URLs by name."
  value = merge(
    { for name, queue in yandex_message_queue.work : name => queue.id },
    { for name, queue in yandex_message_queue.dead_letter : "${name}-dlq" => queue.id },
  )
}

output "doctor" {
  description = "What npm run doctor checks: read with terraform output -json."
  value = {
    folder_id   = var.folder_id
    gateway_id  = yandex_api_gateway.main.id
    gateway_url = "https://${yandex_api_gateway.main.domain}"
    functions   = { for name, function in yandex_function.app : name => function.id }
    triggers = merge(
      { for name, trigger in yandex_function_trigger.queue : "${name}-queue" => trigger.id },
      {
        dispatcher-timer = yandex_function_trigger.dispatcher_timer.id
        rescue-timer     = yandex_function_trigger.rescue_timer.id
      },
    )
    dead_letter_queues = { for name, queue in yandex_message_queue.dead_letter : name => queue.id }
  }
}
