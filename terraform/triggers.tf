# What invokes the functions besides the gateway: a timer for the daily campaigns, a frequent timer
# that rescues deferred jobs whose message was lost, and one trigger per queue on its consumer.

resource "yandex_function_trigger" "dispatcher_timer" {
  name        = "${var.name_prefix}-notify-dispatcher-daily"
  description = "Plans the day's campaigns (later fires that day resume a run that died, else do nothing)"

  timer {
    cron_expression = var.dispatcher_cron
  }

  function {
    id                 = yandex_function.app["notify-dispatcher"].id
    service_account_id = yandex_iam_service_account.triggers.id
  }
}

resource "yandex_function_trigger" "rescue_timer" {
  name        = "${var.name_prefix}-csat-followup-rescue"
  description = "Re-sends hops of deferred jobs overdue by 20 minutes (their message was lost)"

  timer {
    cron_expression = var.rescue_cron
  }

  function {
    id                 = yandex_function.app["csat-followup"].id
    service_account_id = yandex_iam_service_account.triggers.id
  }
}

# Message Queue triggers take no retries or DLQ of their own: a failed call returns the batch to the
# queue, whose redrive_policy dead-letters it (queues.tf).
resource "yandex_function_trigger" "queue" {
  for_each = local.queues

  name        = "${var.name_prefix}-${each.key}-queue"
  description = "Delivers the ${each.key} queue to ${each.value.consumer}"

  message_queue {
    queue_id           = yandex_message_queue.work[each.key].arn
    service_account_id = yandex_iam_service_account.triggers.id
    batch_size         = tostring(each.value.batch_size)
    batch_cutoff       = tostring(each.value.batch_cutoff)
    visibility_timeout = tostring(each.value.visibility_timeout)
  }

  function {
    id                 = yandex_function.app[each.value.consumer].id
    service_account_id = yandex_iam_service_account.triggers.id
  }

  depends_on = [yandex_resourcemanager_folder_iam_member.triggers_queue_reader]
}
