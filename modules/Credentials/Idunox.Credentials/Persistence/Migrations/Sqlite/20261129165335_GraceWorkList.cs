using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Idunox.Credentials.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    internal partial class GraceWorkList : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "credentials_pending_grace_ends",
                columns: table => new
                {
                    key_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    grace_ends_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_credentials_pending_grace_ends", x => x.key_id);
                    table.ForeignKey(
                        name: "fk_credentials_pending_grace_ends_credentials_api_keys_key_id",
                        column: x => x.key_id,
                        principalTable: "credentials_api_keys",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_credentials_pending_grace_ends_grace_ends_at",
                table: "credentials_pending_grace_ends",
                column: "grace_ends_at");

            // Every rotated key whose end of grace is not yet recorded (and not revoked) joins the work list, before the
            // column that said so goes.
            migrationBuilder.Sql(
                """
                INSERT INTO credentials_pending_grace_ends (key_id, grace_ends_at)
                SELECT id, grace_ends_at FROM credentials_api_keys
                WHERE grace_ends_at IS NOT NULL AND expiry_recorded_at IS NULL AND revoked_at IS NULL;
                """);

            migrationBuilder.DropIndex(
                name: "ix_api_keys_grace_due",
                table: "credentials_api_keys");

            // SQLite drops a column in place (3.35 and later): EF Core's DropColumn would rebuild the table outside the
            // migration's transaction.
            migrationBuilder.Sql("ALTER TABLE credentials_api_keys DROP COLUMN expiry_recorded_at;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "expiry_recorded_at",
                table: "credentials_api_keys",
                type: "TEXT",
                nullable: true);

            // Back: a rotated key no longer in the work list had its end of grace recorded (when, is not known: its grace end).
            migrationBuilder.Sql(
                """
                UPDATE credentials_api_keys SET expiry_recorded_at = grace_ends_at
                WHERE grace_ends_at IS NOT NULL AND id NOT IN (SELECT key_id FROM credentials_pending_grace_ends);
                """);

            migrationBuilder.CreateIndex(
                name: "ix_api_keys_grace_due",
                table: "credentials_api_keys",
                column: "grace_ends_at",
                filter: "\"grace_ends_at\" IS NOT NULL AND \"expiry_recorded_at\" IS NULL AND \"revoked_at\" IS NULL");

            migrationBuilder.DropTable(
                name: "credentials_pending_grace_ends");
        }
    }
}
