using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Idunox.Credentials.Contracts;
using Idunox.Credentials.Verification;
using Idunox.Shared.Persistence;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Idunox.Credentials.Gateway;

/// <summary>
/// The signed statement of who is calling that a proxied request carries to the data API (<c>Idunox-Identity</c>): a
/// compact JWS (ES256) valid for 60 seconds, naming the organisation (id, slug), the key (id as <c>sub</c>, prefix), what
/// it may do, the environment, a token id (<c>jti</c>) and the cluster it is for (<c>aud</c>). Signed with the
/// first of <c>Gateway:SigningKeys</c> (PEM EC P-256 private keys; the others stay published for rotation); outside
/// Production a key is generated once and kept beside the embedded database (<c>data/</c>). The public keys are the JWKS at
/// <c>/.well-known/jwks.json</c>.
/// An ES256 signature costs about as much as proxying a small request, so a statement is not signed per request: one is
/// kept per key and cluster and made again once half its lifetime has passed (<see cref="ReuseFor"/>), or at once when
/// what it says of the key changed; the gate still checks the key at every request before the statement is attached.
/// The request's own trace id travels in <c>traceparent</c>.
/// </summary>
internal sealed class IdentityTokens
{
    public const string HeaderName = "Idunox-Identity";
    public const string Issuer = "idunox-gateway";
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);

    /// <summary>How long one statement is attached to the requests of its key and cluster: half its lifetime.</summary>
    public static readonly TimeSpan ReuseFor = Lifetime / 2;

    /// <summary>Statements kept at most (one per key and cluster recently proxied); past it, the set starts again.</summary>
    private const int MaxKept = 10_000;

    private readonly ConcurrentDictionary<(Guid Key, string Audience), Issued> _issued = new();

    /// <summary>A statement kept, with what it says that could change for its key (so a change means a new statement).</summary>
    private sealed record Issued(string Token, DateTime At, string? Scopes, string Slug);

    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly SigningCredentials? _signing;
    private readonly string _environment;
    private readonly TimeProvider _clock;

    public IdentityTokens(GatewayKeys keys, IOptions<KeyPolicyOptions> policy, TimeProvider clock)
    {
        // Without keys (Production with no routes) nothing is proxied, so nothing is signed; the key set is empty.
        _signing = keys.All.Count > 0 ? new SigningCredentials(keys.All[0], SecurityAlgorithms.EcdsaSha256) : null;
        Jwks = JsonSerializer.SerializeToUtf8Bytes(new
        {
            keys = keys.All.Select(k =>
            {
                var parameters = k.ECDsa.ExportParameters(includePrivateParameters: false);
                return new
                {
                    kty = "EC", crv = "P-256", use = "sig", alg = "ES256", kid = k.KeyId,
                    x = Base64UrlEncoder.Encode(parameters.Q.X), y = Base64UrlEncoder.Encode(parameters.Q.Y),
                };
            }).ToArray(),
        });
        _environment = policy.Value.Environment;
        _clock = clock;
    }

    /// <summary>The public keys as a JSON Web Key Set.</summary>
    public byte[] Jwks { get; }

    /// <summary>The statement for a request of the verified key to <paramref name="audience"/>: the one kept, or a new one.</summary>
    public string For(Verification.Verification verification, string audience)
    {
        var now = _clock.GetUtcNow().UtcDateTime;
        var id = (verification.Key!.Id, audience);
        var (key, organisation) = (verification.Key!, verification.Organisation!);
        if (_issued.TryGetValue(id, out var issued) && issued.At <= now && now - issued.At < ReuseFor &&
            string.Equals(issued.Scopes, key.Scopes, StringComparison.Ordinal) && string.Equals(issued.Slug, organisation.Slug, StringComparison.Ordinal))
        {
            return issued.Token;
        }

        var token = Create(verification, audience, now);
        if (_issued.Count >= MaxKept)
        {
            _issued.Clear();
        }

        _issued[id] = new Issued(token, now, key.Scopes, organisation.Slug);
        return token;
    }

    private string Create(Verification.Verification verification, string audience, DateTime now)
    {
        var key = verification.Key!;
        var organisation = verification.Organisation!;
        var claims = new Dictionary<string, object>
        {
            ["sub"] = key.Id.ToString(),
            ["key_prefix"] = key.Prefix + Keys.ApiKeyFormat.Ellipsis,
            ["org_id"] = organisation.Id.ToString(),
            ["org_slug"] = organisation.Slug,
            ["access"] = key.Scopes is null ? Keys.KeyScopes.Full : Keys.KeyScopes.Restricted,
            ["env"] = _environment,
            ["jti"] = Guid.CreateVersion7().ToString("N"),
        };
        if (key.Scopes is { } scopes)
        {
            claims["scope"] = scopes; // space-separated, as OAuth's access tokens carry it
        }

        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + Lifetime,
            SigningCredentials = _signing ?? throw new InvalidOperationException("The gateway has no signing key (Gateway:SigningKeys)."),
            Claims = claims,
        });
    }
}

/// <summary>The gateway's signing keys: configured (<c>Gateway:SigningKeys</c>), or generated once for Development.</summary>
internal sealed class GatewayKeys(IReadOnlyList<ECDsaSecurityKey> all)
{
    public IReadOnlyList<ECDsaSecurityKey> All { get; } = all;

    public static GatewayKeys From(IConfiguration configuration, IHostEnvironment environment)
    {
        var pems = configuration.GetSection("Gateway:SigningKeys").GetChildren().Select(c => c.Value).OfType<string>().Where(v => v.Length > 0).ToList();
        if (pems.Count == 0)
        {
            if (environment.IsProduction())
            {
                return new GatewayKeys([]); // required only when there are routes to sign for (GatewaySetup says so)
            }

            pems.Add(LoadOrCreateDevelopmentKey(Path.Combine(environment.ContentRootPath, "data", "gateway-signing-key.pem")));
        }

        var keys = new List<ECDsaSecurityKey>();
        foreach (var (pem, index) in pems.Select((p, i) => (p, i)))
        {
            var ecdsa = ECDsa.Create();
            try
            {
                ecdsa.ImportFromPem(pem);
            }
            catch (Exception e) when (e is ArgumentException or CryptographicException)
            {
                throw new StartupConfigurationException($"Gateway:SigningKeys:{index} is not a PEM EC private key ({e.Message.TrimEnd('.')}). " +
                    "Make one with: openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt");
            }

            if (ecdsa.KeySize != 256)
            {
                throw new StartupConfigurationException($"Gateway:SigningKeys:{index} must be a P-256 key (ES256); it is {ecdsa.KeySize} bits.");
            }

            var thumbprint = SHA256.HashData(ecdsa.ExportSubjectPublicKeyInfo());
            keys.Add(new ECDsaSecurityKey(ecdsa) { KeyId = Base64UrlEncoder.Encode(thumbprint[..12]) });
        }

        return new GatewayKeys(keys);
    }

    /// <summary>Outside Production: one key, made on first use and kept beside the embedded database (written whole, so a second host never reads half of it).</summary>
    private static string LoadOrCreateDevelopmentKey(string file)
    {
        if (!File.Exists(file))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            using var generated = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var temporary = $"{file}.{Guid.NewGuid():N}.tmp";
            File.WriteAllText(temporary, generated.ExportPkcs8PrivateKeyPem());
            try
            {
                File.Move(temporary, file, overwrite: false);
            }
            catch (IOException) when (File.Exists(file))
            {
                File.Delete(temporary); // another host made it first: use theirs
            }
        }

        return File.ReadAllText(file);
    }
}
