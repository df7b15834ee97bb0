using System.Security.Cryptography;
using System.Text;

namespace Idunox.Credentials.Keys;

/// <summary>
/// <c>idx_&lt;env&gt;_&lt;body&gt;&lt;checksum&gt;</c>: <c>env</c> is <c>test</c> or <c>live</c>, <c>body</c> 32 base62 characters from a
/// cryptographic RNG (~190 bits), <c>checksum</c> 6 base62 characters of the CRC32 of everything before it — so typos
/// and garbage are refused without touching the database, and secret scanners can recognise a key.
/// </summary>
internal static class ApiKeyFormat
{
    public const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    public const int BodyLength = 32;
    public const int ChecksumLength = 6;
    public const int DisplayBodyLength = 8;
    public const string Ellipsis = "…";
    public static readonly IReadOnlyList<string> Environments = ["test", "live"];

    /// <summary>Longer than any key: a header beyond this is refused before anything else is done with it.</summary>
    public const int MaxPresentedLength = 64;

    public static int KeyLength(string environment) => 4 + environment.Length + 1 + BodyLength + ChecksumLength;

    public static string Generate(string environment)
    {
        var start = $"idx_{environment}_{new string(RandomNumberGenerator.GetItems<char>(Base62, BodyLength))}";
        return start + Checksum(start);
    }

    /// <summary>The non-secret part people see: <c>idx_test_Ab12Cd34</c>.</summary>
    public static string Prefix(string key) => key[..(key.IndexOf('_', 4) + 1 + DisplayBodyLength)];

    /// <summary>SHA-256 of the whole key: all the database keeps.</summary>
    public static byte[] Hash(string key) => SHA256.HashData(Encoding.ASCII.GetBytes(key));

    /// <summary>
    /// The same hash as upper-case hex, for the verification cache: on the data API's hot path, with no buffer but the
    /// answer (the key is at most <see cref="MaxPresentedLength"/> characters once <see cref="Inspect"/> has passed it).
    /// </summary>
    public static string HashHex(string key)
    {
        Span<byte> ascii = stackalloc byte[MaxPresentedLength];
        var length = Encoding.ASCII.GetBytes(key, ascii);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(ascii[..length], hash);
        return Convert.ToHexString(hash);
    }

    public static KeyShape Inspect(string? presented, string expectedEnvironment, out string environment)
    {
        environment = string.Empty;
        if (string.IsNullOrEmpty(presented))
        {
            return KeyShape.Missing;
        }

        if (presented.Length > MaxPresentedLength || !presented.StartsWith("idx_", StringComparison.Ordinal))
        {
            return KeyShape.Malformed;
        }

        var envEnd = presented.IndexOf('_', 4);
        if (envEnd < 0 || !Environments.Contains(presented[4..envEnd]) || presented.Length != KeyLength(presented[4..envEnd]))
        {
            return KeyShape.Malformed;
        }

        environment = presented[4..envEnd];
        var tail = presented.AsSpan(envEnd + 1);
        foreach (var c in tail)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                return KeyShape.Malformed;
            }
        }

        var checksumStart = presented.Length - ChecksumLength;
        if (!CryptographicOperations.FixedTimeEquals(
                Encoding.ASCII.GetBytes(Checksum(presented[..checksumStart])), Encoding.ASCII.GetBytes(presented[checksumStart..])))
        {
            return KeyShape.BadChecksum;
        }

        return environment == expectedEnvironment ? KeyShape.Valid : KeyShape.WrongEnvironment;
    }

    internal static string Checksum(string text)
    {
        var value = Crc32(Encoding.ASCII.GetBytes(text));
        Span<char> digits = stackalloc char[ChecksumLength];
        for (var i = ChecksumLength - 1; i >= 0; i--)
        {
            digits[i] = Base62[(int)(value % 62)];
            value /= 62;
        }

        return new string(digits);
    }

    private static readonly uint[] Table = BuildTable();

    /// <summary>CRC-32 (IEEE 802.3, as zlib and secret scanners compute it).</summary>
    internal static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return ~crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}

internal enum KeyShape
{
    Missing,
    Malformed,
    BadChecksum,
    WrongEnvironment,
    Valid,
}
