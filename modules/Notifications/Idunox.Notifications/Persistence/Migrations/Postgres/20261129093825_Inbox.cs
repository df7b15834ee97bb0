using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Idunox.Notifications.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    internal partial class Inbox : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "inbox",
                schema: "notifications",
                columns: table => new
                {
                    event_id = table.Column<Guid>(type: "uuid", nullable: false),
                    handler = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    handled_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_inbox", x => new { x.event_id, x.handler });
                });

            migrationBuilder.CreateIndex(
                name: "ix_inbox_handled_at",
                schema: "notifications",
                table: "inbox",
                column: "handled_at");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "inbox",
                schema: "notifications");
        }
    }
}
