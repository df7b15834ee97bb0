using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Idunox.Identity.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    internal partial class EncryptedKeyRing : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // From this release on the key ring is encrypted with a certificate (DataProtection:Certificate*). Keys stored
            // before it hold their master key in plain text, readable by anyone who can read the database: they go, and a
            // new, encrypted key is made on first use. Cookies, antiforgery tokens and links protected with them stop
            // working (people sign in again; staff send new invitation links).
            migrationBuilder.Sql("DELETE FROM identity.data_protection_keys WHERE xml IS NULL OR xml NOT LIKE '%encryptedSecret%'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // Nothing to restore: removed keys are gone, and encrypted ones stay readable with the certificate.
        }
    }
}
