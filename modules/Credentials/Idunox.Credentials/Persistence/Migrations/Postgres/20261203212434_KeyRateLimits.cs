using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Idunox.Credentials.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    internal partial class KeyRateLimits : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "rate_limit_per_minute",
                schema: "credentials",
                table: "key_handovers",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "rate_limit_per_second",
                schema: "credentials",
                table: "key_handovers",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "rate_limit_per_minute",
                schema: "credentials",
                table: "api_keys",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "rate_limit_per_second",
                schema: "credentials",
                table: "api_keys",
                type: "integer",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "live_hosts",
                schema: "credentials",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    started_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    seen_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_live_hosts", x => x.id);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "live_hosts",
                schema: "credentials");

            migrationBuilder.DropColumn(
                name: "rate_limit_per_minute",
                schema: "credentials",
                table: "key_handovers");

            migrationBuilder.DropColumn(
                name: "rate_limit_per_second",
                schema: "credentials",
                table: "key_handovers");

            migrationBuilder.DropColumn(
                name: "rate_limit_per_minute",
                schema: "credentials",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "rate_limit_per_second",
                schema: "credentials",
                table: "api_keys");
        }
    }
}
