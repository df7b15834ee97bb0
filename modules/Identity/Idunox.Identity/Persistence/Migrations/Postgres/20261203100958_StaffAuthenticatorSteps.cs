using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Idunox.Identity.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    internal partial class StaffAuthenticatorSteps : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "authenticator_last_step",
                schema: "identity",
                table: "staff_users",
                type: "bigint",
                nullable: true);

            // Keys shown before an enrolment completed were stored at once and shown again to anyone with the password:
            // a member who has not finished enrolling gets a new key, kept only by the browser that enrols.
            migrationBuilder.Sql("""
                DELETE FROM identity.staff_user_tokens
                WHERE name = 'AuthenticatorKey' AND login_provider = '[AspNetUserStore]'
                  AND user_id IN (SELECT id FROM identity.staff_users WHERE NOT two_factor_enabled)
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "authenticator_last_step",
                schema: "identity",
                table: "staff_users");
        }
    }
}
