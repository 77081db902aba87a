# What each function is and reads. `function_sections` mirrors functionConfigSections in
# lib/config/schema.ts, and a test fails if they differ: each function gets exactly the variables of
# the config sections its entry parses.

locals {
  functions = {
    "vk-callback" = {
      description = "VK Callback API: the community chat bot"
      memory      = 256
      timeout     = 10
    }
    "ticket-api" = {
      description = "HTTP API of the mini app, operators and the CRM"
      memory      = 256
      timeout     = 10
    }
    "notify-dispatcher" = {
      description = "Daily re-engagement campaigns: plans the day, sends the notify queue's batches"
      memory      = 512
      timeout     = 600
    }
    "csat-followup" = {
      description = "Deferred jobs: ticket updates, CSAT surveys and reminders, SLA checks, CRM webhooks"
      memory      = 256
      timeout     = 60
    }
  }

  function_sections = {
    "vk-callback"       = ["vkApi", "vk", "support", "csat", "storage", "queue", "runtime"]
    "ticket-api"        = ["miniApp", "support", "csat", "api", "storage", "queue", "runtime"]
    "notify-dispatcher" = ["vkApi", "vk", "miniApp", "storage", "queue", "runtime"]
    "csat-followup"     = ["vkApi", "vk", "miniApp", "support", "csat", "storage", "queue", "runtime"]
  }

  # Plain settings, by config section. Empty values are dropped (the config treats them as unset).
  environment_by_section = {
    vk = {
      VK_GROUP_ID         = tostring(var.vk_group_id)
      VK_GROUP_RATE_LIMIT = tostring(var.vk_group_rate_limit)
    }
    vkApi = {
      VK_API_VERSION = var.vk_api_version
    }
    miniApp = {
      VK_APP_ID             = tostring(var.vk_app_id)
      VK_SERVICE_RATE_LIMIT = tostring(var.vk_service_rate_limit)
      NOTIFY_DAILY_CAP      = tostring(var.notify_daily_cap)
    }
    storage = {
      YDB_CONNECTION_STRING = yandex_ydb_database_serverless.main.ydb_full_endpoint
      YDB_AUTH              = "context-token"
    }
    queue = {
      YMQ_DEFERRED_QUEUE_URL = yandex_message_queue.work["deferred"].id
      YMQ_NOTIFY_QUEUE_URL   = yandex_message_queue.work["notify"].id
      YMQ_CRM_QUEUE_URL      = yandex_message_queue.work["crm"].id
      YMQ_DEFERRED_DLQ_URL   = yandex_message_queue.dead_letter["deferred"].id
      YMQ_NOTIFY_DLQ_URL     = yandex_message_queue.dead_letter["notify"].id
      YMQ_CRM_DLQ_URL        = yandex_message_queue.dead_letter["crm"].id
    }
    runtime = {
      LOG_LEVEL           = var.log_level
      APP_TIMEZONE        = var.app_timezone
      DEFAULT_QUIET_HOURS = var.default_quiet_hours
    }
    support = {
      TICKETS_PER_HOUR             = tostring(var.tickets_per_hour)
      TICKET_REOPEN_WINDOW_HOURS   = tostring(var.ticket_reopen_window_hours)
      TICKET_AUTO_CLOSE_HOURS      = tostring(var.ticket_auto_close_hours)
      PERSONAL_DATA_RETENTION_DAYS = tostring(var.personal_data_retention_days)
      OPERATORS_CHAT_PEER_ID       = var.operators_chat_peer_id == null ? "" : tostring(var.operators_chat_peer_id)
      OPERATORS_CHATS              = join(",", [for key, peer_id in var.operators_chats : "${key}=${peer_id}"])
      LEAD_CHAT_PEER_ID            = var.lead_chat_peer_id == null ? "" : tostring(var.lead_chat_peer_id)
      OPERATOR_PAUSE_MINUTES       = tostring(var.operator_pause_minutes)
      OPERATOR_SHIFT_HOURS         = tostring(var.operator_shift_hours)
      CRM_WEBHOOK_URL              = var.crm_webhook_url
    }
    csat = {
      CSAT_DELAY_MINUTES   = tostring(var.csat_delay_minutes)
      CSAT_REMINDER_HOURS  = tostring(var.csat_reminder_hours)
      CSAT_SCALE           = var.csat_scale
      QUALITY_CHAT_PEER_ID = var.quality_chat_peer_id == null ? "" : tostring(var.quality_chat_peer_id)
      CSAT_REVIEW_URL      = var.csat_review_url
    }
    api = {
      MINI_APP_ORIGINS              = join(",", var.mini_app_origins)
      LAUNCH_PARAMS_MAX_AGE_SECONDS = tostring(var.launch_params_max_age_seconds)
    }
  }

  # Secret settings, by config section: entries of the Lockbox secret `<prefix>-app`, which ops fill.
  # The queue section's keys come from each function's own static key instead (queues.tf).
  secrets_by_section = {
    vk      = ["VK_GROUP_TOKEN", "VK_CALLBACK_SECRET", "VK_CONFIRMATION_CODE"]
    miniApp = ["VK_APP_SECRET", "VK_SERVICE_TOKEN"]
    support = ["CRM_WEBHOOK_SECRET"]
    api     = ["OPERATOR_TOKENS"]
  }

  # Entries the deployment does not use, so Lockbox need not hold them.
  unused_secrets = var.crm_webhook_url == "" ? ["CRM_WEBHOOK_SECRET"] : []

  function_environment = {
    for name, sections in local.function_sections : name => {
      for key, value in merge([for section in sections : lookup(local.environment_by_section, section, {})]...) : key => value if value != ""
    }
  }

  function_secrets = {
    for name, sections in local.function_sections : name => [
      for key in flatten([for section in sections : lookup(local.secrets_by_section, section, [])]) : key if !contains(local.unused_secrets, key)
    ]
  }
}
