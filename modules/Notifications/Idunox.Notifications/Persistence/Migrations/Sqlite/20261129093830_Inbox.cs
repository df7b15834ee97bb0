using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Idunox.Notifications.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    internal partial class Inbox : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "notifications_inbox",
                columns: table => new
                {
                    event_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    handler = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    handled_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_notifications_inbox", x => new { x.event_id, x.handler });
                });

            migrationBuilder.CreateIndex(
                name: "ix_notifications_inbox_handled_at",
                table: "notifications_inbox",
                column: "handled_at");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "notifications_inbox");
        }
    }
}
