using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Idunox.Credentials.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    internal partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "credentials_api_keys",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    prefix = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    hash = table.Column<byte[]>(type: "BLOB", maxLength: 32, nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    created_by = table.Column<string>(type: "TEXT", maxLength: 320, nullable: false),
                    expires_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    grace_ends_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    revoked_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    revoked_by = table.Column<string>(type: "TEXT", maxLength: 320, nullable: true),
                    last_used_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    rotated_from_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    replaced_by_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    expiry_recorded_at = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_credentials_api_keys", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "credentials_audit_events",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    occurred_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    position = table.Column<int>(type: "INTEGER", nullable: false),
                    action = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    actor_type = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    actor_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    actor_name = table.Column<string>(type: "TEXT", maxLength: 320, nullable: false),
                    client_address = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    api_key_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    api_key_prefix = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    api_key_name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    detail = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_credentials_audit_events", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "credentials_outbox_messages",
                columns: table => new
                {
                    sequence = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    event_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    type = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    payload = table.Column<string>(type: "TEXT", nullable: false),
                    occurred_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    processed_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    next_attempt_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    last_error = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_credentials_outbox_messages", x => x.sequence);
                });

            migrationBuilder.CreateIndex(
                name: "ix_credentials_api_keys_hash",
                table: "credentials_api_keys",
                column: "hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_credentials_api_keys_rotated_from_id",
                table: "credentials_api_keys",
                column: "rotated_from_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_credentials_api_keys_tenant_id_created_at",
                table: "credentials_api_keys",
                columns: new[] { "tenant_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_credentials_audit_events_tenant_id_occurred_at",
                table: "credentials_audit_events",
                columns: new[] { "tenant_id", "occurred_at" });

            migrationBuilder.CreateIndex(
                name: "ix_credentials_outbox_messages_event_id",
                table: "credentials_outbox_messages",
                column: "event_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_credentials_outbox_messages_processed_at_next_attempt_at",
                table: "credentials_outbox_messages",
                columns: new[] { "processed_at", "next_attempt_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "credentials_api_keys");

            migrationBuilder.DropTable(
                name: "credentials_audit_events");

            migrationBuilder.DropTable(
                name: "credentials_outbox_messages");
        }
    }
}
