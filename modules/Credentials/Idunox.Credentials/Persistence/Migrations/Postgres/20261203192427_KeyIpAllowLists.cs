using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Idunox.Credentials.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    internal partial class KeyIpAllowLists : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ip_allow_list",
                schema: "credentials",
                table: "key_handovers",
                type: "character varying(2400)",
                maxLength: 2400,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ip_allow_mode",
                schema: "credentials",
                table: "key_handovers",
                type: "character varying(8)",
                maxLength: 8,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ip_allow_list",
                schema: "credentials",
                table: "api_keys",
                type: "character varying(2400)",
                maxLength: 2400,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ip_allow_mode",
                schema: "credentials",
                table: "api_keys",
                type: "character varying(8)",
                maxLength: 8,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "ip_findings",
                schema: "credentials",
                columns: table => new
                {
                    key_id = table.Column<Guid>(type: "uuid", nullable: false),
                    address = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    requests = table.Column<long>(type: "bigint", nullable: false),
                    first_seen_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    last_seen_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_ip_findings", x => new { x.key_id, x.address });
                    table.ForeignKey(
                        name: "fk_ip_findings_api_keys_key_id",
                        column: x => x.key_id,
                        principalSchema: "credentials",
                        principalTable: "api_keys",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_ip_findings_last_seen_at",
                schema: "credentials",
                table: "ip_findings",
                column: "last_seen_at");

            migrationBuilder.CreateIndex(
                name: "ix_ip_findings_tenant_id",
                schema: "credentials",
                table: "ip_findings",
                column: "tenant_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ip_findings",
                schema: "credentials");

            migrationBuilder.DropColumn(
                name: "ip_allow_list",
                schema: "credentials",
                table: "key_handovers");

            migrationBuilder.DropColumn(
                name: "ip_allow_mode",
                schema: "credentials",
                table: "key_handovers");

            migrationBuilder.DropColumn(
                name: "ip_allow_list",
                schema: "credentials",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "ip_allow_mode",
                schema: "credentials",
                table: "api_keys");
        }
    }
}
