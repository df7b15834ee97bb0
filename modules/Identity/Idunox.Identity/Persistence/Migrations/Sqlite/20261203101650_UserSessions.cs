using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Idunox.Identity.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    internal partial class UserSessions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "identity_user_sessions",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    kind = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    user_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    last_seen_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    expires_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    idle_seconds = table.Column<int>(type: "INTEGER", nullable: false),
                    ended_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    ended_because = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    address = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    user_agent = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_identity_user_sessions", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_identity_user_sessions_expires_at",
                table: "identity_user_sessions",
                column: "expires_at");

            migrationBuilder.CreateIndex(
                name: "ix_identity_user_sessions_user_id_kind",
                table: "identity_user_sessions",
                columns: new[] { "user_id", "kind" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "identity_user_sessions");
        }
    }
}
