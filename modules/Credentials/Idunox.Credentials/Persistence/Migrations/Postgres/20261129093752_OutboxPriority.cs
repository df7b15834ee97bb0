using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Idunox.Credentials.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    internal partial class OutboxPriority : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "priority",
                schema: "credentials",
                table: "outbox_messages",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            // Events written before priorities: the end of a grace window is bulk, made by the system (IBulkIntegrationEvent).
            migrationBuilder.Sql("UPDATE credentials.outbox_messages SET priority = 1 WHERE type = 'ApiKeyGraceEnded'");

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_due",
                schema: "credentials",
                table: "outbox_messages",
                columns: new[] { "priority", "sequence" },
                filter: "\"processed_at\" IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_tenant_waiting",
                schema: "credentials",
                table: "outbox_messages",
                columns: new[] { "tenant_id", "priority", "next_attempt_at" },
                filter: "\"processed_at\" IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_outbox_messages_due",
                schema: "credentials",
                table: "outbox_messages");

            migrationBuilder.DropIndex(
                name: "ix_outbox_messages_tenant_waiting",
                schema: "credentials",
                table: "outbox_messages");

            migrationBuilder.DropColumn(
                name: "priority",
                schema: "credentials",
                table: "outbox_messages");
        }
    }
}
