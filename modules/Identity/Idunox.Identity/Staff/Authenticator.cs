using System.Security.Cryptography;
using System.Text;
using OtpNet;

namespace Idunox.Identity.Staff;

/// <summary>
/// TOTP (RFC 6238: 30-second steps, 6 digits, HMAC-SHA1 — what every authenticator app computes) on the platform's
/// clock. A code is accepted for the step it was made in and one step either side (a phone a few seconds off), and only
/// for a step later than the member's last accepted one, so a code that was seen once opens nothing.
/// </summary>
internal static class Authenticator
{
    public static readonly VerificationWindow Window = new(previous: 1, future: 1);

    /// <summary>A new shared key for one enrolment attempt: 160 random bits, in Base32 as authenticator apps take it.</summary>
    public static string NewKey() => Base32Encoding.ToString(RandomNumberGenerator.GetBytes(20));

    /// <summary>A key as it was shown or stored: Base32, any case, spaces allowed. Null when it is not one.</summary>
    public static byte[]? Decode(string? key)
    {
        var text = (key ?? string.Empty).Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant().TrimEnd('=');
        if (text.Length is < 16 or > 128 || !text.All(c => c is >= 'A' and <= 'Z' or >= '2' and <= '7'))
        {
            return null;
        }

        return Base32Encoding.ToBytes(text);
    }

    /// <summary>The time step a 6-digit code was made in, when it matches one within the window of <paramref name="now"/>; else null.</summary>
    public static long? MatchStep(byte[] key, string digits, DateTimeOffset now)
    {
        var totp = new Totp(key, step: 30, mode: OtpHashMode.Sha1, totpSize: 6);
        return totp.VerifyTotp(now.UtcDateTime, digits, out var step, Window) ? step : null;
    }

    /// <summary>A 6-digit code with any spaces or hyphens people type, or null.</summary>
    public static string? Digits(string? code)
    {
        var digits = (code ?? string.Empty).Replace(" ", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal);
        return digits.Length == 6 && digits.All(char.IsAsciiDigit) ? digits : null;
    }

    /// <summary>The key as people type it: groups of four, lower case.</summary>
    public static string Grouped(string key)
    {
        var text = new StringBuilder();
        for (var i = 0; i < key.Length; i += 4)
        {
            text.Append(key.AsSpan(i, Math.Min(4, key.Length - i))).Append(' ');
        }

        return text.ToString().TrimEnd().ToLowerInvariant();
    }
}

/// <summary>
/// Ten one-time recovery codes per staff member (50 random bits each, <c>xxxxx-xxxxx</c>), stored as
/// <c>salt:PBKDF2-SHA256</c> pairs: each code has a salt of its own, so equal codes never hash alike and a copy of the
/// table gives no precomputed shortcut. Redeeming one is a compare-and-swap of the stored list, so two servers cannot
/// both accept the same code.
/// </summary>
internal static class RecoveryCodes
{
    public const int Count = 10;

    /// <summary>Marks the stored list as salted (lists written before carry unsalted SHA-256 hashes, still honoured).</summary>
    private const string Version = "v2";

    private const int Iterations = 10_000;

    private const string Alphabet = "23456789abcdefghjkmnpqrstuvwxyz"; // no 0/o, 1/l/i

    public static IReadOnlyList<string> Generate() =>
        Enumerable.Range(0, Count).Select(_ => $"{RandomNumberGenerator.GetString(Alphabet, 5)}-{RandomNumberGenerator.GetString(Alphabet, 5)}").ToList();

    /// <summary>The stored form of a list of codes.</summary>
    public static string Store(IEnumerable<string> codes) =>
        string.Join(';', codes.Select(Hash).Prepend(Version));

    public static int CountLeft(string? stored) => Entries(stored).Count;

    /// <summary>The stored list without the code given, or null when the code is not on it.</summary>
    public static string? Redeem(string? stored, string code)
    {
        var entries = Entries(stored);
        var match = entries.FindIndex(e => Matches(e, code));
        if (match < 0)
        {
            return null;
        }

        entries.RemoveAt(match);
        return string.Join(';', entries.Prepend(Version));
    }

    private static List<string> Entries(string? stored) =>
        (stored ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries).Where(e => e != Version).ToList();

    private static string Normalise(string code) =>
        code.Replace(" ", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal).Trim().ToLowerInvariant();

    private static string Hash(string code)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        return $"{Convert.ToBase64String(salt)}:{Convert.ToBase64String(Derive(Normalise(code), salt))}";
    }

    private static byte[] Derive(string normal, byte[] salt) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(normal), salt, Iterations, HashAlgorithmName.SHA256, 32);

    private static bool Matches(string entry, string code)
    {
        var colon = entry.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            // An unsalted SHA-256 (hex) of the code as it was shown, from before codes were salted.
            var shown = code.Replace(" ", string.Empty, StringComparison.Ordinal).Trim().ToLowerInvariant();
            var legacy = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(shown)));
            return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(legacy), Encoding.ASCII.GetBytes(entry));
        }

        try
        {
            var salt = Convert.FromBase64String(entry[..colon]);
            var expected = Convert.FromBase64String(entry[(colon + 1)..]);
            return CryptographicOperations.FixedTimeEquals(Derive(Normalise(code), salt), expected);
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
