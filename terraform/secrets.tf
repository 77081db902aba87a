# The secret the functions read their VK tokens and keys from. Terraform creates it empty; ops put
# the values in with one `yc lockbox secret add-version` (README) and pass the printed version id as
# app_secret_version_id, so no value ever enters Terraform's state. Entries: secrets_by_section
# (locals.tf), which `npm run -s secrets:template` prints.
resource "yandex_lockbox_secret" "app" {
  name        = "${var.name_prefix}-app"
  description = "VK tokens and keys of the support backend (values set by ops, see the README)"
}
