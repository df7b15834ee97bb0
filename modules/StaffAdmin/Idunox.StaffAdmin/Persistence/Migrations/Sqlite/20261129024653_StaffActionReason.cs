using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Idunox.StaffAdmin.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    internal partial class StaffActionReason : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "reason",
                table: "staffadmin_staff_actions",
                type: "TEXT",
                maxLength: 500,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_staffadmin_staff_actions_staff_email_occurred_at",
                table: "staffadmin_staff_actions",
                columns: new[] { "staff_email", "occurred_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_staffadmin_staff_actions_staff_email_occurred_at",
                table: "staffadmin_staff_actions");

            migrationBuilder.DropColumn(
                name: "reason",
                table: "staffadmin_staff_actions");
        }
    }
}
