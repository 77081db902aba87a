# Serverless YDB. The tables are not Terraform's: `npm run db:migrate` creates them from
# lib/storage/ydb/schema.ts, the one definition the code and its contract tests use (README).
resource "yandex_ydb_database_serverless" "main" {
  name                = "${var.name_prefix}-db"
  location_id         = "ru-central1"
  deletion_protection = var.ydb_deletion_protection
}
