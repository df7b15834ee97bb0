using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Idunox.Credentials.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    internal partial class KeyScopes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "scopes",
                schema: "credentials",
                table: "key_handovers",
                type: "character varying(2000)",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "scopes",
                schema: "credentials",
                table: "api_keys",
                type: "character varying(2000)",
                maxLength: 2000,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "scopes",
                schema: "credentials",
                table: "key_handovers");

            migrationBuilder.DropColumn(
                name: "scopes",
                schema: "credentials",
                table: "api_keys");
        }
    }
}
