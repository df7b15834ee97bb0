using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Idunox.Testing;

/// <summary>Certificates the tests configure where Production requires one (made once per test process, in a temporary folder).</summary>
public static class TestCertificates
{
    private static readonly Lazy<string> DataProtection = new(() =>
    {
        var path = Path.Combine(Path.GetTempPath(), $"idunox-test-data-protection-{Environment.ProcessId}.pfx");
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=Idunox test data protection", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12));
        return path;
    });

    /// <summary>A PKCS#12 file (no password) for <c>DataProtection:CertificatePath</c>.</summary>
    public static string DataProtectionPath => DataProtection.Value;

    /// <summary>Every test host's key ring certificate, unless a test says otherwise.</summary>
    public static IReadOnlyDictionary<string, string?> Defaults => new Dictionary<string, string?>
    {
        ["DataProtection:CertificatePath"] = DataProtectionPath,
    };

    /// <summary>What a Production host needs beyond a database and a JWT key, unless a test says otherwise.</summary>
    public static IReadOnlyDictionary<string, string?> ProductionDefaults => new Dictionary<string, string?>(Defaults)
    {
        ["Hosts:AllowSharedOrigin"] = "true",
    };
}
