using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Idunox.Credentials.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    internal partial class OutboxPriority : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "priority",
                table: "credentials_outbox_messages",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            // Events written before priorities: the end of a grace window is bulk, made by the system (IBulkIntegrationEvent).
            migrationBuilder.Sql("UPDATE credentials_outbox_messages SET priority = 1 WHERE type = 'ApiKeyGraceEnded'");

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_due",
                table: "credentials_outbox_messages",
                columns: new[] { "priority", "sequence" },
                filter: "\"processed_at\" IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_tenant_waiting",
                table: "credentials_outbox_messages",
                columns: new[] { "tenant_id", "priority", "next_attempt_at" },
                filter: "\"processed_at\" IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_outbox_messages_due",
                table: "credentials_outbox_messages");

            migrationBuilder.DropIndex(
                name: "ix_outbox_messages_tenant_waiting",
                table: "credentials_outbox_messages");

            migrationBuilder.DropColumn(
                name: "priority",
                table: "credentials_outbox_messages");
        }
    }
}
