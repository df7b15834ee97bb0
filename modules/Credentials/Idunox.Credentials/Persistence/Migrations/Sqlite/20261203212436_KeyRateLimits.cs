using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Idunox.Credentials.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    internal partial class KeyRateLimits : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "rate_limit_per_minute",
                table: "credentials_key_handovers",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "rate_limit_per_second",
                table: "credentials_key_handovers",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "rate_limit_per_minute",
                table: "credentials_api_keys",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "rate_limit_per_second",
                table: "credentials_api_keys",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "credentials_live_hosts",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    started_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    seen_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_credentials_live_hosts", x => x.id);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "credentials_live_hosts");

            migrationBuilder.DropColumn(
                name: "rate_limit_per_minute",
                table: "credentials_key_handovers");

            migrationBuilder.DropColumn(
                name: "rate_limit_per_second",
                table: "credentials_key_handovers");

            migrationBuilder.DropColumn(
                name: "rate_limit_per_minute",
                table: "credentials_api_keys");

            migrationBuilder.DropColumn(
                name: "rate_limit_per_second",
                table: "credentials_api_keys");
        }
    }
}
