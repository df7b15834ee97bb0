using System.Security.Cryptography;
using System.Text;
using Idunox.Shared.Persistence;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.IdentityModel.Tokens;

namespace Idunox.Identity.Authentication;

/// <summary>
/// <c>Jwt:*</c>: issuer, audience, lifetime and the HS256 signing key. Production refuses to start without a key of at
/// least 256 bits; elsewhere a key is generated once and kept in <c>data/jwt-signing.key</c> so tokens survive restarts.
/// <c>Jwt:PreviousSigningKeys</c> are still accepted for validation (never used to sign): rotating the key then logs
/// nobody out; drop the old key once the tokens it signed have expired (<c>Jwt:LifetimeMinutes</c>).
/// </summary>
internal sealed record JwtSettings(string Issuer, string Audience, TimeSpan Lifetime, SymmetricSecurityKey SigningKey, IReadOnlyList<SymmetricSecurityKey> PreviousSigningKeys)
{
    public const int MinimumKeyBytes = 32;

    public static JwtSettings From(IConfiguration configuration, IHostEnvironment environment)
    {
        var section = configuration.GetSection("Jwt");
        var minutes = section.GetValue("LifetimeMinutes", 60);
        if (minutes is < 1 or > 24 * 60)
        {
            throw new StartupConfigurationException("Jwt:LifetimeMinutes must be between 1 and 1440.");
        }

        var key = section["SigningKey"] is { Length: > 0 } configured
            ? Decode(configured)
            : environment.IsProduction()
                ? throw new StartupConfigurationException(
                    "Jwt:SigningKey is required in Production: at least 256 bits, e.g. the output of 'openssl rand -base64 32' " +
                    "in the environment variable Jwt__SigningKey.")
                : LoadOrCreateDevelopmentKey(Path.Combine(environment.ContentRootPath, "data", "jwt-signing.key"));

        var previous = (section.GetSection("PreviousSigningKeys").Get<string[]>() ?? []).Where(k => k.Length > 0).Select(k => SecurityKey(Decode(k, "Jwt:PreviousSigningKeys"))).ToList();
        return new JwtSettings(
            section["Issuer"] ?? "https://idunox.com/partner-platform",
            section["Audience"] ?? "idunox-partner-portal",
            TimeSpan.FromMinutes(minutes),
            SecurityKey(key),
            previous);
    }

    /// <summary>Every key a token may be signed with: the current one first.</summary>
    public IEnumerable<SecurityKey> ValidationKeys => [SigningKey, .. PreviousSigningKeys];

    private static SymmetricSecurityKey SecurityKey(byte[] key) => new(key) { KeyId = Convert.ToHexString(SHA256.HashData(key))[..16] };

    private static byte[] Decode(string configured, string setting = "Jwt:SigningKey")
    {
        var buffer = new byte[configured.Length];
        var bytes = Convert.TryFromBase64String(configured, buffer, out var written) ? buffer[..written] : Encoding.UTF8.GetBytes(configured);
        return bytes.Length >= MinimumKeyBytes
            ? bytes
            : throw new StartupConfigurationException(
                $"{setting} is too short: {bytes.Length * 8} bits; HS256 needs at least {MinimumKeyBytes * 8}.");
    }

    private static byte[] LoadOrCreateDevelopmentKey(string path)
    {
        if (File.Exists(path))
        {
            return Decode(File.ReadAllText(path).Trim());
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var key = RandomNumberGenerator.GetBytes(MinimumKeyBytes);
        File.WriteAllText(path, Convert.ToBase64String(key));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return key;
    }
}
