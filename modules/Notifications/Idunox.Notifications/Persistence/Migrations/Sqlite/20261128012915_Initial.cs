using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Idunox.Notifications.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    internal partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "notifications_outgoing_emails",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    dedupe_key = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    kind = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    recipient = table.Column<string>(type: "TEXT", maxLength: 320, nullable: false),
                    subject = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    text_body = table.Column<string>(type: "TEXT", nullable: false),
                    html_body = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    sent_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    next_attempt_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    last_error = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_notifications_outgoing_emails", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "notifications_sent_reminders",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    api_key_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    threshold_days = table.Column<int>(type: "INTEGER", nullable: false),
                    sent_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_notifications_sent_reminders", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_notifications_outgoing_emails_dedupe_key",
                table: "notifications_outgoing_emails",
                column: "dedupe_key",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_notifications_outgoing_emails_sent_at_next_attempt_at",
                table: "notifications_outgoing_emails",
                columns: new[] { "sent_at", "next_attempt_at" });

            migrationBuilder.CreateIndex(
                name: "ix_notifications_sent_reminders_api_key_id_threshold_days",
                table: "notifications_sent_reminders",
                columns: new[] { "api_key_id", "threshold_days" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_notifications_sent_reminders_tenant_id",
                table: "notifications_sent_reminders",
                column: "tenant_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "notifications_outgoing_emails");

            migrationBuilder.DropTable(
                name: "notifications_sent_reminders");
        }
    }
}
