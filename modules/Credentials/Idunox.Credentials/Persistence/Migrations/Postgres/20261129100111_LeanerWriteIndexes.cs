using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Idunox.Credentials.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    internal partial class LeanerWriteIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_outbox_messages_processed_at_next_attempt_at",
                schema: "credentials",
                table: "outbox_messages");

            migrationBuilder.DropIndex(
                name: "ix_outbox_messages_tenant_waiting",
                schema: "credentials",
                table: "outbox_messages");

            migrationBuilder.DropIndex(
                name: "ix_api_keys_rotated_from_id",
                schema: "credentials",
                table: "api_keys");

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_delivered",
                schema: "credentials",
                table: "outbox_messages",
                column: "processed_at",
                filter: "\"processed_at\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_tenant_waiting",
                schema: "credentials",
                table: "outbox_messages",
                columns: new[] { "tenant_id", "priority", "next_attempt_at" },
                filter: "\"processed_at\" IS NULL AND \"next_attempt_at\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_api_keys_rotated_from_id",
                schema: "credentials",
                table: "api_keys",
                column: "rotated_from_id",
                unique: true,
                filter: "\"rotated_from_id\" IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_outbox_messages_delivered",
                schema: "credentials",
                table: "outbox_messages");

            migrationBuilder.DropIndex(
                name: "ix_outbox_messages_tenant_waiting",
                schema: "credentials",
                table: "outbox_messages");

            migrationBuilder.DropIndex(
                name: "ix_api_keys_rotated_from_id",
                schema: "credentials",
                table: "api_keys");

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_processed_at_next_attempt_at",
                schema: "credentials",
                table: "outbox_messages",
                columns: new[] { "processed_at", "next_attempt_at" });

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_tenant_waiting",
                schema: "credentials",
                table: "outbox_messages",
                columns: new[] { "tenant_id", "priority", "next_attempt_at" },
                filter: "\"processed_at\" IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_api_keys_rotated_from_id",
                schema: "credentials",
                table: "api_keys",
                column: "rotated_from_id",
                unique: true);
        }
    }
}
