# Every setting of the deployment. Secrets are not variables: they live in Lockbox (see the README),
# so no secret value ever passes through Terraform's state or these files.

variable "cloud_id" {
  description = "Yandex Cloud cloud id (yc resource-manager cloud list)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{19}$", var.cloud_id))
    error_message = "cloud_id must be a 20-character Yandex Cloud id, like b1g0123456789abcdefg."
  }
}

variable "folder_id" {
  description = "Folder that holds every resource of this deployment (yc resource-manager folder list)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{19}$", var.folder_id))
    error_message = "folder_id must be a 20-character Yandex Cloud id, like b1g0123456789abcdefg."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name, so several deployments can share a folder."
  type        = string
  default     = "vk-support"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,23}$", var.name_prefix))
    error_message = "name_prefix must be 2-24 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "app_secret_version_id" {
  description = "Version of the Lockbox secret `<prefix>-app` that the functions read (printed by `yc lockbox secret add-version`). Empty only for the first, targeted apply."
  type        = string
  default     = ""

  validation {
    condition     = var.app_secret_version_id == "" || can(regex("^[a-z][a-z0-9]{19}$", var.app_secret_version_id))
    error_message = "app_secret_version_id must be a Lockbox version id (20 characters) or empty."
  }
}

variable "vk_group_id" {
  description = "The VK community's id, without the minus sign."
  type        = number

  validation {
    condition     = var.vk_group_id > 0 && floor(var.vk_group_id) == var.vk_group_id
    error_message = "vk_group_id must be a positive integer (no minus sign)."
  }
}

variable "vk_app_id" {
  description = "The VK mini app's id."
  type        = number

  validation {
    condition     = var.vk_app_id > 0 && floor(var.vk_app_id) == var.vk_app_id
    error_message = "vk_app_id must be a positive integer."
  }
}

variable "vk_api_version" {
  description = "VK API version the functions call and the callback server is registered with."
  type        = string
  default     = "5.199"

  validation {
    condition     = can(regex("^5\\.[0-9]+$", var.vk_api_version))
    error_message = "vk_api_version must look like 5.199."
  }
}

variable "vk_group_rate_limit" {
  description = "Requests per second allowed with the community token (VK allows 20)."
  type        = number
  default     = 20

  validation {
    condition     = var.vk_group_rate_limit >= 1 && var.vk_group_rate_limit <= 20
    error_message = "vk_group_rate_limit must be 1-20 (VK's limit for a community token)."
  }
}

variable "vk_service_rate_limit" {
  description = "Requests per second allowed with the mini app's service token (VK: 5-60 by audience)."
  type        = number
  default     = 5

  validation {
    condition     = var.vk_service_rate_limit >= 1 && var.vk_service_rate_limit <= 60
    error_message = "vk_service_rate_limit must be 1-60."
  }
}

variable "notify_daily_cap" {
  description = "Campaign notifications one user may get a day. VK allows 3 of every kind; campaigns never take the last one, which is kept for ticket updates and surveys."
  type        = number
  default     = 1

  validation {
    condition     = contains([1, 2], var.notify_daily_cap)
    error_message = "notify_daily_cap must be 1 or 2 (VK allows 3 a day, and the last one is kept for ticket updates)."
  }
}

variable "dispatcher_cron" {
  description = "When notify-dispatcher's timer fires, 6-field cron in UTC. The first fire of a day plans it; later fires that day are no-ops unless a run died, which they resume."
  type        = string
  default     = "*/10 9-11 ? * * *"

  validation {
    condition     = length(split(" ", trimspace(var.dispatcher_cron))) == 6
    error_message = "dispatcher_cron must have 6 fields: minutes hours day-of-month month day-of-week year (UTC)."
  }
}

variable "rescue_cron" {
  description = "When csat-followup re-sends hops of deferred jobs whose message was lost, 6-field cron in UTC."
  type        = string
  default     = "*/10 * ? * * *"

  validation {
    condition     = length(split(" ", trimspace(var.rescue_cron))) == 6
    error_message = "rescue_cron must have 6 fields: minutes hours day-of-month month day-of-week year (UTC)."
  }
}

variable "mini_app_origins" {
  description = "Origins the mini app is served from, for CORS (e.g. https://prod-app51000001-abc.pages.vk-apps.com)."
  type        = list(string)

  validation {
    condition     = length(var.mini_app_origins) > 0 && alltrue([for origin in var.mini_app_origins : can(regex("^https://[^/,]+$", origin))])
    error_message = "mini_app_origins must list at least one https:// origin, without a path."
  }
}

variable "launch_params_max_age_seconds" {
  description = "Launch params older than this (by vk_ts) are refused."
  type        = number
  default     = 86400

  validation {
    condition     = var.launch_params_max_age_seconds >= 60
    error_message = "launch_params_max_age_seconds must be at least 60."
  }
}

variable "app_timezone" {
  description = "The community's IANA timezone, for business hours and quiet hours."
  type        = string
  default     = "Europe/Moscow"

  validation {
    condition     = can(regex("^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$", var.app_timezone))
    error_message = "app_timezone must be an IANA timezone like Europe/Moscow."
  }
}

variable "default_quiet_hours" {
  description = "Quiet hours for users who set none, local HH:MM-HH:MM, or off."
  type        = string
  default     = "22:00-09:00"

  validation {
    condition     = can(regex("^(off|([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9])$", var.default_quiet_hours))
    error_message = "default_quiet_hours must look like 22:00-09:00 or be off."
  }
}

variable "log_level" {
  description = "Level of the functions' own logs."
  type        = string
  default     = "info"

  validation {
    condition     = contains(["debug", "info", "warn", "error"], var.log_level)
    error_message = "log_level must be debug, info, warn or error."
  }
}

variable "tickets_per_hour" {
  description = "Tickets one user may file per hour before 429."
  type        = number
  default     = 5

  validation {
    condition     = var.tickets_per_hour >= 1 && var.tickets_per_hour <= 1000
    error_message = "tickets_per_hour must be 1-1000."
  }
}

variable "ticket_reopen_window_hours" {
  description = "A message on a resolved ticket reopens it within this window; later it starts a linked ticket."
  type        = number
  default     = 168

  validation {
    condition     = var.ticket_reopen_window_hours >= 1 && var.ticket_reopen_window_hours <= 8760
    error_message = "ticket_reopen_window_hours must be 1-8760."
  }
}

variable "ticket_auto_close_hours" {
  description = "A resolved ticket closes itself after this long."
  type        = number
  default     = 72

  validation {
    condition     = var.ticket_auto_close_hours >= 1 && var.ticket_auto_close_hours <= 8760
    error_message = "ticket_auto_close_hours must be 1-8760."
  }
}

variable "personal_data_retention_days" {
  description = "FZ-152: a closed ticket's personal data (contact, texts, attachments) is anonymised this many days after it closes; users are told this number."
  type        = number
  default     = 180

  validation {
    condition     = var.personal_data_retention_days >= 1 && var.personal_data_retention_days <= 3650
    error_message = "personal_data_retention_days must be 1-3650."
  }
}

variable "operators_chat_peer_id" {
  description = "Peer id of the operators' chat (2000000000 + chat id) for SLA alerts and ticket cards; null: none."
  type        = number
  default     = null

  validation {
    condition     = var.operators_chat_peer_id == null ? true : var.operators_chat_peer_id > 2000000000
    error_message = "operators_chat_peer_id must be 2000000000 + the chat's id."
  }
}

variable "operators_chats" {
  description = "More operators' chats, for categories that name one in content/support.json (\"chat\": \"payments\"): chat key => peer id (2000000000 + chat id). Other categories go to operators_chat_peer_id."
  type        = map(number)
  default     = {}

  validation {
    condition     = alltrue([for key, peer_id in var.operators_chats : can(regex("^[a-z][a-z0-9_-]{0,31}$", key)) && peer_id > 2000000000])
    error_message = "operators_chats keys must be lower-case ids and peer ids 2000000000 + the chat's id."
  }
}

variable "lead_chat_peer_id" {
  description = "Peer id of the leads' chat (2000000000 + chat id): a ticket past its SLA escalates there once; null: the operators' chat."
  type        = number
  default     = null

  validation {
    condition     = var.lead_chat_peer_id == null ? true : var.lead_chat_peer_id > 2000000000
    error_message = "lead_chat_peer_id must be 2000000000 + the chat's id."
  }
}

variable "operator_pause_minutes" {
  description = "The bot stays silent in a dialog this long after an operator wrote there."
  type        = number
  default     = 30

  validation {
    condition     = var.operator_pause_minutes >= 1 && var.operator_pause_minutes <= 1440
    error_message = "operator_pause_minutes must be 1-1440."
  }
}

variable "operator_shift_hours" {
  description = "An operator's shift (/shift on in their chat) ends on its own this long after it began."
  type        = number
  default     = 12

  validation {
    condition     = var.operator_shift_hours >= 1 && var.operator_shift_hours <= 168
    error_message = "operator_shift_hours must be 1-168."
  }
}

variable "crm_webhook_url" {
  description = "Where ticket events are POSTed for a CRM; empty: none. When set, the Lockbox secret needs CRM_WEBHOOK_SECRET."
  type        = string
  default     = ""

  validation {
    condition     = var.crm_webhook_url == "" || can(regex("^https://", var.crm_webhook_url))
    error_message = "crm_webhook_url must be an https:// URL or empty."
  }
}

variable "csat_delay_minutes" {
  description = "The satisfaction survey goes this long after a ticket is resolved."
  type        = number
  default     = 30

  validation {
    condition     = var.csat_delay_minutes >= 1 && var.csat_delay_minutes <= 10080
    error_message = "csat_delay_minutes must be 1-10080."
  }
}

variable "csat_reminder_hours" {
  description = "One reminder this long after an unanswered survey; 0 sends none."
  type        = number
  default     = 24

  validation {
    condition     = var.csat_reminder_hours >= 0 && var.csat_reminder_hours <= 168
    error_message = "csat_reminder_hours must be 0-168."
  }
}

variable "csat_scale" {
  description = "Rating buttons: five (1-5) or thumbs (up/down)."
  type        = string
  default     = "five"

  validation {
    condition     = contains(["five", "thumbs"], var.csat_scale)
    error_message = "csat_scale must be five or thumbs."
  }
}

variable "quality_chat_peer_id" {
  description = "Peer id of the quality lead's chat (2000000000 + chat id) for low-rating alerts; null: logged only."
  type        = number
  default     = null

  validation {
    condition     = var.quality_chat_peer_id == null ? true : var.quality_chat_peer_id > 2000000000
    error_message = "quality_chat_peer_id must be 2000000000 + the chat's id."
  }
}

variable "csat_review_url" {
  description = "Offered after a high rating (\"leave a review\"); empty: none."
  type        = string
  default     = ""

  validation {
    condition     = var.csat_review_url == "" || can(regex("^https://", var.csat_review_url))
    error_message = "csat_review_url must be an https:// URL or empty."
  }
}

variable "log_retention" {
  description = "How long the log group keeps entries, in hours (e.g. 72h)."
  type        = string
  default     = "72h"

  validation {
    condition     = can(regex("^[0-9]+h$", var.log_retention))
    error_message = "log_retention must be a number of hours like 72h."
  }
}

variable "log_min_level" {
  description = "Lowest level the platform keeps in the log group."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"], var.log_min_level)
    error_message = "log_min_level must be TRACE, DEBUG, INFO, WARN, ERROR or FATAL."
  }
}

variable "ydb_deletion_protection" {
  description = "Protect the database from `terraform destroy` (turn off only for a throwaway stack)."
  type        = bool
  default     = true
}
