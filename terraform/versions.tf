terraform {
  required_version = ">= 1.6"

  required_providers {
    yandex = {
      source = "yandex-cloud/yandex"
      # Pinned to one minor line; `terraform init` writes the exact build into .terraform.lock.hcl,
      # which is committed after the first init (no provider can be downloaded where this was written).
      version = "~> 0.219.0"
    }
  }
}

# Credentials come from the environment, never from files in this folder:
# YC_TOKEN (or YC_SERVICE_ACCOUNT_KEY_FILE) for the cloud API, and YC_MESSAGE_QUEUE_ACCESS_KEY /
# YC_MESSAGE_QUEUE_SECRET_KEY for Message Queue (the queue manager's key, see the README).
provider "yandex" {
  cloud_id  = var.cloud_id
  folder_id = var.folder_id
  zone      = "ru-central1-a"
}
