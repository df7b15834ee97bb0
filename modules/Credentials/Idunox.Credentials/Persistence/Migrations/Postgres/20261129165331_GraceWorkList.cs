using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Idunox.Credentials.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    internal partial class GraceWorkList : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "pending_grace_ends",
                schema: "credentials",
                columns: table => new
                {
                    key_id = table.Column<Guid>(type: "uuid", nullable: false),
                    grace_ends_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_pending_grace_ends", x => x.key_id);
                    table.ForeignKey(
                        name: "fk_pending_grace_ends_api_keys_key_id",
                        column: x => x.key_id,
                        principalSchema: "credentials",
                        principalTable: "api_keys",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_pending_grace_ends_grace_ends_at",
                schema: "credentials",
                table: "pending_grace_ends",
                column: "grace_ends_at");

            // Every rotated key whose end of grace is not yet recorded (and not revoked) joins the work list, before the
            // column that said so goes.
            migrationBuilder.Sql(
                """
                INSERT INTO credentials.pending_grace_ends (key_id, grace_ends_at)
                SELECT id, grace_ends_at FROM credentials.api_keys
                WHERE grace_ends_at IS NOT NULL AND expiry_recorded_at IS NULL AND revoked_at IS NULL;
                """);

            migrationBuilder.DropIndex(
                name: "ix_api_keys_grace_due",
                schema: "credentials",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "expiry_recorded_at",
                schema: "credentials",
                table: "api_keys");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "expiry_recorded_at",
                schema: "credentials",
                table: "api_keys",
                type: "timestamp with time zone",
                nullable: true);

            // Back: a rotated key no longer in the work list had its end of grace recorded (when, is not known: its grace end).
            migrationBuilder.Sql(
                """
                UPDATE credentials.api_keys SET expiry_recorded_at = grace_ends_at
                WHERE grace_ends_at IS NOT NULL AND id NOT IN (SELECT key_id FROM credentials.pending_grace_ends);
                """);

            migrationBuilder.CreateIndex(
                name: "ix_api_keys_grace_due",
                schema: "credentials",
                table: "api_keys",
                column: "grace_ends_at",
                filter: "\"grace_ends_at\" IS NOT NULL AND \"expiry_recorded_at\" IS NULL AND \"revoked_at\" IS NULL");

            migrationBuilder.DropTable(
                name: "pending_grace_ends",
                schema: "credentials");
        }
    }
}
