using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Idunox.Credentials.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    internal partial class JobDueIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_api_keys_expiry_due",
                table: "credentials_api_keys",
                column: "expires_at",
                filter: "\"revoked_at\" IS NULL AND \"grace_ends_at\" IS NULL AND \"replaced_by_id\" IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_api_keys_grace_due",
                table: "credentials_api_keys",
                column: "grace_ends_at",
                filter: "\"grace_ends_at\" IS NOT NULL AND \"expiry_recorded_at\" IS NULL AND \"revoked_at\" IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_api_keys_expiry_due",
                table: "credentials_api_keys");

            migrationBuilder.DropIndex(
                name: "ix_api_keys_grace_due",
                table: "credentials_api_keys");
        }
    }
}
