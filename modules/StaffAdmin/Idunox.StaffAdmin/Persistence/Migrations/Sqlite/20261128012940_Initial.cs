using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Idunox.StaffAdmin.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    internal partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "staffadmin_staff_actions",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    staff_user_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    staff_email = table.Column<string>(type: "TEXT", maxLength: 320, nullable: false),
                    action = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    subject = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    occurred_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    client_address = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_staffadmin_staff_actions", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_staffadmin_staff_actions_occurred_at",
                table: "staffadmin_staff_actions",
                column: "occurred_at");

            migrationBuilder.CreateIndex(
                name: "ix_staffadmin_staff_actions_tenant_id_occurred_at",
                table: "staffadmin_staff_actions",
                columns: new[] { "tenant_id", "occurred_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "staffadmin_staff_actions");
        }
    }
}
