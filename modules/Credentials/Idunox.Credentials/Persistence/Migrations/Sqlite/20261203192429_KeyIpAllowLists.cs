using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Idunox.Credentials.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    internal partial class KeyIpAllowLists : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ip_allow_list",
                table: "credentials_key_handovers",
                type: "TEXT",
                maxLength: 2400,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ip_allow_mode",
                table: "credentials_key_handovers",
                type: "TEXT",
                maxLength: 8,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ip_allow_list",
                table: "credentials_api_keys",
                type: "TEXT",
                maxLength: 2400,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ip_allow_mode",
                table: "credentials_api_keys",
                type: "TEXT",
                maxLength: 8,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "credentials_ip_findings",
                columns: table => new
                {
                    key_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    address = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    requests = table.Column<long>(type: "INTEGER", nullable: false),
                    first_seen_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    last_seen_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_credentials_ip_findings", x => new { x.key_id, x.address });
                    table.ForeignKey(
                        name: "fk_credentials_ip_findings_credentials_api_keys_key_id",
                        column: x => x.key_id,
                        principalTable: "credentials_api_keys",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_credentials_ip_findings_last_seen_at",
                table: "credentials_ip_findings",
                column: "last_seen_at");

            migrationBuilder.CreateIndex(
                name: "ix_credentials_ip_findings_tenant_id",
                table: "credentials_ip_findings",
                column: "tenant_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "credentials_ip_findings");

            migrationBuilder.DropColumn(
                name: "ip_allow_list",
                table: "credentials_key_handovers");

            migrationBuilder.DropColumn(
                name: "ip_allow_mode",
                table: "credentials_key_handovers");

            migrationBuilder.DropColumn(
                name: "ip_allow_list",
                table: "credentials_api_keys");

            migrationBuilder.DropColumn(
                name: "ip_allow_mode",
                table: "credentials_api_keys");
        }
    }
}
