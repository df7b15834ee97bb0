using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Idunox.Credentials.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    internal partial class KeyHandovers : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "key_handovers",
                schema: "credentials",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    predecessor_id = table.Column<Guid>(type: "uuid", nullable: true),
                    validity_days = table.Column<int>(type: "integer", nullable: false),
                    offered_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    offered_by_staff_id = table.Column<Guid>(type: "uuid", nullable: true),
                    reason = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    collect_by = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    collected_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    collected_by = table.Column<string>(type: "character varying(320)", maxLength: 320, nullable: true),
                    key_id = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_key_handovers", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_key_handovers_predecessor_id",
                schema: "credentials",
                table: "key_handovers",
                column: "predecessor_id",
                unique: true,
                filter: "\"predecessor_id\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_key_handovers_tenant_id_offered_at",
                schema: "credentials",
                table: "key_handovers",
                columns: new[] { "tenant_id", "offered_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "key_handovers",
                schema: "credentials");
        }
    }
}
