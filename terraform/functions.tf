# The four functions, each from its zip in dist/ (`npm run build`). A new zip changes user_hash,
# which makes a new function version; so does a new app_secret_version_id.
resource "yandex_function" "app" {
  for_each = local.functions

  name               = "${var.name_prefix}-${each.key}"
  description        = each.value.description
  runtime            = "nodejs22"
  entrypoint         = "index.handler"
  memory             = each.value.memory
  execution_timeout  = tostring(each.value.timeout)
  service_account_id = yandex_iam_service_account.function[each.key].id
  user_hash          = filesha256("${path.module}/../dist/${each.key}.zip")
  environment        = local.function_environment[each.key]

  content {
    zip_filename = "${path.module}/../dist/${each.key}.zip"
  }

  dynamic "secrets" {
    for_each = toset(local.function_secrets[each.key])

    content {
      id                   = yandex_lockbox_secret.app.id
      version_id           = var.app_secret_version_id
      key                  = secrets.value
      environment_variable = secrets.value
    }
  }

  secrets {
    id                   = yandex_lockbox_secret.queue_key[each.key].id
    version_id           = yandex_iam_service_account_static_access_key.queue[each.key].output_to_lockbox_version_id
    key                  = "YMQ_ACCESS_KEY_ID"
    environment_variable = "YMQ_ACCESS_KEY_ID"
  }

  secrets {
    id                   = yandex_lockbox_secret.queue_key[each.key].id
    version_id           = yandex_iam_service_account_static_access_key.queue[each.key].output_to_lockbox_version_id
    key                  = "YMQ_SECRET_ACCESS_KEY"
    environment_variable = "YMQ_SECRET_ACCESS_KEY"
  }

  log_options {
    log_group_id = yandex_logging_group.main.id
    min_level    = var.log_min_level
  }

  lifecycle {
    precondition {
      condition     = var.app_secret_version_id != ""
      error_message = "Put the secrets in Lockbox first and set app_secret_version_id (README, \"Deploy\")."
    }
  }

  # A function version reads its secrets when it is created: the grants must exist first.
  depends_on = [
    yandex_lockbox_secret_iam_binding.app,
    yandex_lockbox_secret_iam_binding.queue_key,
    yandex_ydb_database_iam_binding.functions,
    yandex_resourcemanager_folder_iam_member.queue_writer,
    yandex_resourcemanager_folder_iam_member.log_writer,
  ]
}
