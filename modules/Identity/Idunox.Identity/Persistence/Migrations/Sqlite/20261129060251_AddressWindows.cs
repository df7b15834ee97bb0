using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Idunox.Identity.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    internal partial class AddressWindows : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "identity_sign_in_address_windows",
                columns: table => new
                {
                    address = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    window_start = table.Column<DateTime>(type: "TEXT", nullable: false),
                    attempts = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_identity_sign_in_address_windows", x => new { x.address, x.window_start });
                });

            migrationBuilder.CreateIndex(
                name: "ix_identity_sign_in_address_windows_window_start",
                table: "identity_sign_in_address_windows",
                column: "window_start");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "identity_sign_in_address_windows");
        }
    }
}
