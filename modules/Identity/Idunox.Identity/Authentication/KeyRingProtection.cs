using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Idunox.Shared.Persistence;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Idunox.Identity.Authentication;

/// <summary>
/// The Data Protection key ring (which protects staff and portal cookies, antiforgery tokens and one-time links) is
/// kept in the database, encrypted with a certificate: whoever can read the database (a backup, a replica, a read-only
/// user) finds no key to forge a cookie with. <c>DataProtection:CertificatePath</c> (a PKCS#12 file with its private
/// key) and <c>DataProtection:CertificatePassword</c>; <c>DataProtection:PreviousCertificatePaths</c> keeps older
/// certificates able to read the keys they encrypted, while a new one encrypts. Required in Production (the host
/// refuses to start without it); elsewhere a self-signed certificate is made once in <c>data/data-protection.pfx</c>.
/// </summary>
internal static class KeyRingProtection
{
    public const string SectionName = "DataProtection";

    public static IDataProtectionBuilder ProtectKeyRing(this IDataProtectionBuilder dataProtection, IConfiguration configuration, IHostEnvironment environment)
    {
        var section = configuration.GetSection(SectionName);
        var path = section["CertificatePath"];
        var password = section["CertificatePassword"];
        X509Certificate2 current;
        if (!string.IsNullOrWhiteSpace(path))
        {
            current = Load(path, password, "DataProtection:CertificatePath");
        }
        else if (environment.IsProduction())
        {
            throw new StartupConfigurationException(
                "DataProtection:CertificatePath is required in Production: a PKCS#12 (.pfx) file with a private key that encrypts the key ring " +
                "kept in the database (with DataProtection:CertificatePassword if it has one), the same on every host. Make one with: " +
                "openssl req -x509 -newkey rsa:3072 -nodes -days 3650 -subj /CN=idunox-data-protection -keyout dp.key -out dp.crt && " +
                "openssl pkcs12 -export -inkey dp.key -in dp.crt -out data-protection.pfx -passout pass:");
        }
        else
        {
            current = LoadOrCreateDevelopmentCertificate(Path.Combine(environment.ContentRootPath, "data", "data-protection.pfx"));
        }

        var previous = (section.GetSection("PreviousCertificatePaths").Get<string[]>() ?? [])
            .Select((p, i) => Load(p, section["PreviousCertificatePassword"] ?? password, $"DataProtection:PreviousCertificatePaths:{i}"));
        return dataProtection.ProtectKeysWithCertificate(current).UnprotectKeysWithAnyCertificate([current, .. previous]);
    }

    private static X509Certificate2 Load(string path, string? password, string setting)
    {
        if (!File.Exists(path))
        {
            throw new StartupConfigurationException($"{setting}: no certificate file at '{path}'.");
        }

        try
        {
            var certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password, X509KeyStorageFlags.EphemeralKeySet);
            return certificate.HasPrivateKey
                ? certificate
                : throw new StartupConfigurationException($"{setting}: the certificate in '{path}' has no private key; the key ring cannot be read without it.");
        }
        catch (CryptographicException e)
        {
            throw new StartupConfigurationException($"{setting}: '{path}' could not be read as a PKCS#12 certificate ({e.Message}). Check the file and DataProtection:CertificatePassword.");
        }
    }

    /// <summary>Made once and kept (several processes starting at once all end up with the same file).</summary>
    private static X509Certificate2 LoadOrCreateDevelopmentCertificate(string path)
    {
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using var rsa = RSA.Create(3072);
            var request = new CertificateRequest("CN=Idunox data protection (development)", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var made = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(20));
            var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
            File.WriteAllBytes(temporary, made.Export(X509ContentType.Pkcs12));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            try
            {
                File.Move(temporary, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(temporary); // another process made it first: use theirs
            }
        }

        return Load(path, null, "data/data-protection.pfx");
    }
}
