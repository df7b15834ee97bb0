using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Idunox.StaffAdmin.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    internal partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.EnsureSchema(
                name: "staffadmin");

            migrationBuilder.CreateTable(
                name: "staff_actions",
                schema: "staffadmin",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    staff_user_id = table.Column<Guid>(type: "uuid", nullable: false),
                    staff_email = table.Column<string>(type: "character varying(320)", maxLength: 320, nullable: false),
                    action = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: true),
                    subject = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    occurred_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    client_address = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_staff_actions", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_staff_actions_occurred_at",
                schema: "staffadmin",
                table: "staff_actions",
                column: "occurred_at");

            migrationBuilder.CreateIndex(
                name: "ix_staff_actions_tenant_id_occurred_at",
                schema: "staffadmin",
                table: "staff_actions",
                columns: new[] { "tenant_id", "occurred_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "staff_actions",
                schema: "staffadmin");
        }
    }
}
