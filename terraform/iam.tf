# One service account per function, each with only what it uses, scoped to the resource where the
# platform allows it. Triggers and the gateway invoke the functions with accounts of their own.

resource "yandex_iam_service_account" "function" {
  for_each = local.functions

  name        = "${var.name_prefix}-${each.key}"
  description = "Runs ${each.key}"
}

# Every function reads and writes the database (its IAM token reaches YDB through context.token).
resource "yandex_ydb_database_iam_binding" "functions" {
  database_id = yandex_ydb_database_serverless.main.id
  role        = "ydb.editor"
  members     = [for account in yandex_iam_service_account.function : "serviceAccount:${account.id}"]
}

# Every function sends to the queues (deferred hops, notify batches, CRM hops). Message Queue has
# no per-queue roles, so this is granted on the folder.
resource "yandex_resourcemanager_folder_iam_member" "queue_writer" {
  for_each = local.functions

  folder_id = var.folder_id
  role      = "ymq.writer"
  member    = "serviceAccount:${yandex_iam_service_account.function[each.key].id}"
}

# Writing to a log group other than the folder's default takes logging.writer; the provider has no
# per-group binding, so it is granted on the folder.
resource "yandex_resourcemanager_folder_iam_member" "log_writer" {
  for_each = local.functions

  folder_id = var.folder_id
  role      = "logging.writer"
  member    = "serviceAccount:${yandex_iam_service_account.function[each.key].id}"
}

# Secrets reach a function as environment variables only if its account may read the payload.
resource "yandex_lockbox_secret_iam_binding" "app" {
  secret_id = yandex_lockbox_secret.app.id
  role      = "lockbox.payloadViewer"
  members   = [for account in yandex_iam_service_account.function : "serviceAccount:${account.id}"]
}

resource "yandex_lockbox_secret_iam_binding" "queue_key" {
  for_each = local.functions

  secret_id = yandex_lockbox_secret.queue_key[each.key].id
  role      = "lockbox.payloadViewer"
  members   = ["serviceAccount:${yandex_iam_service_account.function[each.key].id}"]
}

# The gateway calls vk-callback and ticket-api; the triggers call notify-dispatcher and
# csat-followup, and read the queues they consume.
resource "yandex_iam_service_account" "gateway" {
  name        = "${var.name_prefix}-gateway"
  description = "Invokes vk-callback and ticket-api for the API Gateway"
}

resource "yandex_iam_service_account" "triggers" {
  name        = "${var.name_prefix}-triggers"
  description = "Invokes notify-dispatcher and csat-followup for their timers and queue triggers"
}

resource "yandex_resourcemanager_folder_iam_member" "triggers_queue_reader" {
  folder_id = var.folder_id
  role      = "ymq.reader"
  member    = "serviceAccount:${yandex_iam_service_account.triggers.id}"
}

locals {
  function_invokers = {
    "vk-callback"       = yandex_iam_service_account.gateway.id
    "ticket-api"        = yandex_iam_service_account.gateway.id
    "notify-dispatcher" = yandex_iam_service_account.triggers.id
    "csat-followup"     = yandex_iam_service_account.triggers.id
  }
}

resource "yandex_function_iam_binding" "invoker" {
  for_each = local.function_invokers

  function_id = yandex_function.app[each.key].id
  role        = "functions.functionInvoker"
  members     = ["serviceAccount:${each.value}"]
}
