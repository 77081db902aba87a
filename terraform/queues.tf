# Message Queue: one queue per kind of work (lib/queue/port.ts), each with a dead-letter queue.
# Creating queues takes static keys, not an IAM token: Terraform uses the queue manager's key from
# the environment (YC_MESSAGE_QUEUE_ACCESS_KEY / YC_MESSAGE_QUEUE_SECRET_KEY, see the README).

locals {
  queues = {
    # Hops of deferred jobs, consumed by csat-followup. A failed hop comes back after the visibility
    # timeout; after max_receive_count failures it is dead-lettered (lib/queue/deferred.ts gives the
    # job up at the same count).
    deferred = {
      consumer           = "csat-followup"
      visibility_timeout = 90
      max_receive_count  = 5
      batch_size         = 10
      batch_cutoff       = 2
    }
    # Campaign batches of up to 100 users each, consumed by notify-dispatcher one at a time: sending
    # is paced to VK's rate, so a batch can take a while.
    notify = {
      consumer           = "notify-dispatcher"
      visibility_timeout = 660
      max_receive_count  = 5
      batch_size         = 1
      batch_cutoff       = 1
    }
    # CRM webhook hops, one per call: an unreachable CRM is retried with the worker's backoff and
    # never holds back the deferred queue's batches.
    crm = {
      consumer           = "csat-followup"
      visibility_timeout = 600
      max_receive_count  = 5
      batch_size         = 1
      batch_cutoff       = 1
    }
  }
}

resource "yandex_message_queue" "dead_letter" {
  for_each = local.queues

  name                      = "${var.name_prefix}-${each.key}-dlq"
  message_retention_seconds = 1209600
}

resource "yandex_message_queue" "work" {
  for_each = local.queues

  name                       = "${var.name_prefix}-${each.key}"
  visibility_timeout_seconds = each.value.visibility_timeout
  message_retention_seconds  = 345600
  redrive_policy = jsonencode({
    deadLetterTargetArn = yandex_message_queue.dead_letter[each.key].arn
    maxReceiveCount     = each.value.max_receive_count
  })
}

# The queue manager: the only identity that can create queues (ymq.admin), used by Terraform itself
# and by `npm run doctor` to read queue depths, never by a function. Its key goes to Lockbox.
resource "yandex_iam_service_account" "queue_manager" {
  name        = "${var.name_prefix}-queue-manager"
  description = "Creates the Message Queue queues (Terraform) and reads their depths (npm run doctor)"
}

resource "yandex_resourcemanager_folder_iam_member" "queue_manager" {
  folder_id = var.folder_id
  role      = "ymq.admin"
  member    = "serviceAccount:${yandex_iam_service_account.queue_manager.id}"
}

resource "yandex_lockbox_secret" "queue_manager_key" {
  name        = "${var.name_prefix}-queue-manager-key"
  description = "Static access key of the queue manager (written by Terraform, never in its state)"
}

resource "yandex_iam_service_account_static_access_key" "queue_manager" {
  service_account_id = yandex_iam_service_account.queue_manager.id
  description        = "Message Queue key of the queue manager"

  output_to_lockbox {
    secret_id            = yandex_lockbox_secret.queue_manager_key.id
    entry_for_access_key = "access_key_id"
    entry_for_secret_key = "secret_access_key"
  }
}

# Each function sends to the queues with its own static key, delivered from its own Lockbox secret.
resource "yandex_lockbox_secret" "queue_key" {
  for_each = local.functions

  name        = "${var.name_prefix}-${each.key}-queue-key"
  description = "Message Queue key of ${each.key} (written by Terraform, never in its state)"
}

resource "yandex_iam_service_account_static_access_key" "queue" {
  for_each = local.functions

  service_account_id = yandex_iam_service_account.function[each.key].id
  description        = "Message Queue key of ${each.key}"

  output_to_lockbox {
    secret_id            = yandex_lockbox_secret.queue_key[each.key].id
    entry_for_access_key = "YMQ_ACCESS_KEY_ID"
    entry_for_secret_key = "YMQ_SECRET_ACCESS_KEY"
  }
}
