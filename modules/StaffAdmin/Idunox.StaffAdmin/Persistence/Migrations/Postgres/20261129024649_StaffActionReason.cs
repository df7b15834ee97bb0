using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Idunox.StaffAdmin.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    internal partial class StaffActionReason : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "reason",
                schema: "staffadmin",
                table: "staff_actions",
                type: "character varying(500)",
                maxLength: 500,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_staff_actions_staff_email_occurred_at",
                schema: "staffadmin",
                table: "staff_actions",
                columns: new[] { "staff_email", "occurred_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_staff_actions_staff_email_occurred_at",
                schema: "staffadmin",
                table: "staff_actions");

            migrationBuilder.DropColumn(
                name: "reason",
                schema: "staffadmin",
                table: "staff_actions");
        }
    }
}
