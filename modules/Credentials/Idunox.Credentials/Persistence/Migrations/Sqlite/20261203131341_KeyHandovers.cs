using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Idunox.Credentials.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    internal partial class KeyHandovers : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "credentials_key_handovers",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    predecessor_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    validity_days = table.Column<int>(type: "INTEGER", nullable: false),
                    offered_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    offered_by_staff_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    reason = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    collect_by = table.Column<DateTime>(type: "TEXT", nullable: false),
                    collected_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    collected_by = table.Column<string>(type: "TEXT", maxLength: 320, nullable: true),
                    key_id = table.Column<Guid>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_credentials_key_handovers", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_credentials_key_handovers_predecessor_id",
                table: "credentials_key_handovers",
                column: "predecessor_id",
                unique: true,
                filter: "\"predecessor_id\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_credentials_key_handovers_tenant_id_offered_at",
                table: "credentials_key_handovers",
                columns: new[] { "tenant_id", "offered_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "credentials_key_handovers");
        }
    }
}
