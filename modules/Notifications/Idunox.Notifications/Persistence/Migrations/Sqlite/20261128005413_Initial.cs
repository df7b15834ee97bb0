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
                name: "notifications_sent_reminders");
        }
    }
}
