using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Idunox.Identity.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    internal partial class AddressWindows : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "sign_in_address_windows",
                schema: "identity",
                columns: table => new
                {
                    address = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    window_start = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    attempts = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_sign_in_address_windows", x => new { x.address, x.window_start });
                });

            migrationBuilder.CreateIndex(
                name: "ix_sign_in_address_windows_window_start",
                schema: "identity",
                table: "sign_in_address_windows",
                column: "window_start");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "sign_in_address_windows",
                schema: "identity");
        }
    }
}
